"""Immich's queues and jobs (names from the pinned spec), which job runs on which queue, and the shapes
the job system hands back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from albumen.immich.dto import JobName, ManualJobName, QueueName
from albumen.kit.errors import BadRequest

__all__ = [
    "JOB_QUEUES",
    "MANUAL_JOBS",
    "QUEUE_START_JOBS",
    "AlbumenJobName",
    "AnyJobName",
    "Handler",
    "JobData",
    "JobInfo",
    "JobName",
    "JobNotSupported",
    "JobState",
    "ManualJobName",
    "QueueCounts",
    "QueueName",
    "RetryPolicy",
    "WorkerTiming",
    "concurrency_of",
]

JobData = dict[str, Any]
# A handler gets the job's data (JSON: strings, numbers, lists, dicts) and raises to fail the attempt.
# What it needs besides (database, storage) it closes over when it is registered.
Handler = Callable[[JobData], Awaitable[object]]


class AlbumenJobName(StrEnum):
    """Jobs Immich does not have, run on Immich's queues (the admin job list shows only Immich's names)."""

    # Files in storage no row points at (left by a crash between writing a file and its row).
    OrphanFileSweep = "AlbumenOrphanFileSweep"


AnyJobName = JobName | AlbumenJobName


class JobNotSupported(BadRequest):
    """A job this server has no handler for: refused when asked for, never queued to be ignored."""

    def __init__(self, name: AnyJobName) -> None:
        super().__init__(f"Job '{name.value}' is not supported yet")
        self.job = name


Q, J = QueueName, JobName
# Immich v3.1.0's @OnJob table: every job runs on exactly one queue (and Albumen's own on one of them).
JOB_QUEUES: dict[AnyJobName, QueueName] = {
    **dict.fromkeys(
        [J.AssetGenerateThumbnailsQueueAll, J.AssetGenerateThumbnails, J.PersonGenerateThumbnail],
        Q.thumbnailGeneration,
    ),
    **dict.fromkeys([J.AssetExtractMetadataQueueAll, J.AssetExtractMetadata], Q.metadataExtraction),
    **dict.fromkeys([J.AssetEncodeVideoQueueAll, J.AssetEncodeVideo], Q.videoConversion),
    **dict.fromkeys([J.AssetDetectFacesQueueAll, J.AssetDetectFaces], Q.faceDetection),
    **dict.fromkeys([J.FacialRecognitionQueueAll, J.FacialRecognition], Q.facialRecognition),
    **dict.fromkeys([J.SmartSearchQueueAll, J.SmartSearch], Q.smartSearch),
    **dict.fromkeys([J.AssetDetectDuplicatesQueueAll, J.AssetDetectDuplicates], Q.duplicateDetection),
    **dict.fromkeys(
        [
            J.AssetDelete,
            J.AssetDeleteCheck,
            J.AssetEmptyTrash,
            J.FileDelete,
            J.UserDelete,
            J.UserDeleteCheck,
            J.UserSyncUsage,
            J.PersonCleanup,
            J.TagCleanup,
            J.MemoryGenerate,
            J.MemoryCleanup,
            J.SessionCleanup,
            J.AuditTableCleanup,
            J.NotificationsCleanup,
            J.HlsSessionCleanup,
            J.VersionCheck,
        ],
        Q.backgroundTask,
    ),
    **dict.fromkeys(
        [J.StorageTemplateMigration, J.StorageTemplateMigrationSingle], Q.storageTemplateMigration
    ),
    **dict.fromkeys([J.FileMigrationQueueAll, J.AssetFileMigration, J.PersonFileMigration], Q.migration),
    **dict.fromkeys([J.SidecarQueueAll, J.SidecarCheck, J.SidecarWrite], Q.sidecar),
    **dict.fromkeys(
        [
            J.LibraryScanQueueAll,
            J.LibrarySyncFilesQueueAll,
            J.LibrarySyncFiles,
            J.LibraryScanAssetsQueueAll,
            J.LibrarySyncAssets,
            J.LibraryDeleteCheck,
            J.LibraryDelete,
            J.LibraryRemoveAsset,
        ],
        Q.library,
    ),
    **dict.fromkeys(
        [J.SendMail, J.NotifyAlbumInvite, J.NotifyAlbumUpdate, J.NotifyUserSignup], Q.notifications
    ),
    J.DatabaseBackup: Q.backupDatabase,
    **dict.fromkeys([J.OcrQueueAll, J.Ocr], Q.ocr),
    J.WorkflowAssetTrigger: Q.workflow,
    **dict.fromkeys(
        [
            J.IntegrityUntrackedFilesQueueAll,
            J.IntegrityUntrackedFiles,
            J.IntegrityUntrackedRefresh,
            J.IntegrityMissingFilesQueueAll,
            J.IntegrityMissingFiles,
            J.IntegrityMissingFilesRefresh,
            J.IntegrityChecksumFiles,
            J.IntegrityChecksumFilesRefresh,
            J.IntegrityDeleteReportType,
            J.IntegrityDeleteReports,
        ],
        Q.integrityCheck,
    ),
    J.AssetEditThumbnailGeneration: Q.editor,
    AlbumenJobName.OrphanFileSweep: Q.backgroundTask,
}

# `PUT /jobs/{queue} {command: start}`: the job that queues everything of a queue, and whether it takes
# `force`. Queues not listed cannot be started (Immich: 400 "Invalid job name").
QUEUE_START_JOBS: dict[QueueName, tuple[JobName, bool]] = {
    Q.videoConversion: (J.AssetEncodeVideoQueueAll, True),
    Q.storageTemplateMigration: (J.StorageTemplateMigration, False),
    Q.migration: (J.FileMigrationQueueAll, False),
    Q.smartSearch: (J.SmartSearchQueueAll, True),
    Q.duplicateDetection: (J.AssetDetectDuplicatesQueueAll, True),
    Q.metadataExtraction: (J.AssetExtractMetadataQueueAll, True),
    Q.sidecar: (J.SidecarQueueAll, True),
    Q.thumbnailGeneration: (J.AssetGenerateThumbnailsQueueAll, True),
    Q.faceDetection: (J.AssetDetectFacesQueueAll, True),
    Q.facialRecognition: (J.FacialRecognitionQueueAll, True),
    Q.library: (J.LibraryScanQueueAll, True),
    Q.backupDatabase: (J.DatabaseBackup, True),
    Q.ocr: (J.OcrQueueAll, True),
}

M = ManualJobName
# `POST /jobs {name}`: the job each manual name runs, with its data.
MANUAL_JOBS: dict[ManualJobName, tuple[JobName, JobData]] = {
    M.person_cleanup: (J.PersonCleanup, {}),
    M.tag_cleanup: (J.TagCleanup, {}),
    M.user_cleanup: (J.UserDeleteCheck, {}),
    M.memory_cleanup: (J.MemoryCleanup, {}),
    M.memory_create: (J.MemoryGenerate, {}),
    M.backup_database: (J.DatabaseBackup, {}),
    M.integrity_missing_files: (J.IntegrityMissingFilesQueueAll, {}),
    M.integrity_untracked_files: (J.IntegrityUntrackedFilesQueueAll, {}),
    M.integrity_checksum_mismatch: (J.IntegrityChecksumFiles, {}),
    M.integrity_missing_files_refresh: (J.IntegrityMissingFilesQueueAll, {"refreshOnly": True}),
    M.integrity_untracked_files_refresh: (J.IntegrityUntrackedFilesQueueAll, {"refreshOnly": True}),
    M.integrity_checksum_mismatch_refresh: (J.IntegrityChecksumFiles, {"refreshOnly": True}),
    M.integrity_missing_files_delete_all: (J.IntegrityDeleteReportType, {"type": "MissingFile"}),
    M.integrity_untracked_files_delete_all: (J.IntegrityDeleteReportType, {"type": "UntrackedFile"}),
    M.integrity_checksum_mismatch_delete_all: (J.IntegrityDeleteReportType, {"type": "ChecksumFail"}),
}

# Immich runs these one job at a time whatever the config says (they have no `job.<queue>` entry).
_SERIAL_QUEUES = {Q.facialRecognition, Q.storageTemplateMigration, Q.duplicateDetection, Q.backupDatabase}


def concurrency_of(queue: QueueName, config: dict[str, Any]) -> int:
    """How many jobs of `queue` one worker process runs at once, from the system config `job` section."""
    if queue in _SERIAL_QUEUES:
        return 1
    entry = config.get("job", {}).get(queue.value, {})
    return max(1, int(entry.get("concurrency", 1)))


class JobState(StrEnum):
    """Immich's (BullMQ's) job states, as the admin API names them."""

    active = "active"
    completed = "completed"
    failed = "failed"
    delayed = "delayed"
    waiting = "waiting"
    paused = "paused"


@dataclass(frozen=True, slots=True)
class QueueCounts:
    active: int = 0
    completed: int = 0
    failed: int = 0
    delayed: int = 0
    waiting: int = 0
    paused: int = 0


@dataclass(frozen=True, slots=True)
class JobInfo:
    id: str
    name: str
    queue: QueueName
    state: JobState
    data: JobData
    attempts: int
    error: str | None
    # When it was queued, epoch milliseconds (Immich's `timestamp`).
    queued_at: int


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A failed attempt is retried after about delay·2^(n-1) seconds (with jitter, at most max_delay)
    until `attempts` attempts have run; then the job stays in the failed list with its error."""

    attempts: int = 3
    delay: float = 5.0
    max_delay: float = 300.0


@dataclass(frozen=True, slots=True)
class WorkerTiming:
    """How quickly a killed worker's jobs come back: a running job touches its row every
    heartbeat/3 seconds; one untouched for `heartbeat` seconds is taken as lost by the next sweep
    (every `sweep` seconds), which waits `abort_wait` seconds for a live owner to give it up and then
    queues it again (it counts as an attempt)."""

    heartbeat: int = 60
    sweep: int = 30
    abort_wait: float = 5.0
    # Delayed jobs and retries are looked for this often (new jobs arrive by LISTEN/NOTIFY at once).
    schedule: int = 1
    # How long `stop` lets running jobs finish before cancelling them (cancelled = queued again).
    grace: float = 10.0
    # Completed jobs stay listed this long (Immich drops them at once; a short window helps operators).
    completed_ttl: int = 600
