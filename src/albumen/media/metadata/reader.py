"""exiftool ``-stay_open`` processes: reading one file's tags, and the reader that decides from them."""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import select
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

import exiftool  # type: ignore[import-untyped]  # PyExifTool ships no type information

from albumen.media import types as media_types
from albumen.media.metadata.decide import decide_columns
from albumen.media.metadata.model import MediaMetadata, MetadataError, MetadataTimeout
from albumen.media.metadata.tags import FileTags, merge_tags

DEFAULT_TIMEOUT_S = 120.0  # Immich gives exiftool two minutes per file
# Printed as numbers rather than as exiftool's text (the rest keep their text: lens names, "1/250").
_NUMERIC_TAGS = (
    "*Duration*",
    "GPSAltitude",
    "GPSLatitude",
    "GPSLongitude",
    "GPSPosition",
    "GeolocationPosition",
    "Orientation",
    "FocalLength",
    "FileSize",
    "Rotation",
)
# Immich's exiftool-vendored reading: tag names without groups (exiftool's own priority picks among
# duplicates, MWG composites first), print conversion except for the tags above (no global -n, which
# would turn lens names into numbers and "1/250" into 0.004), structures kept (motion photo directory,
# face regions), large files allowed. Videos add -ee for the timed metadata, as Immich does.
_READ_ARGS = (
    "-json",
    "-struct",
    "-use",
    "MWG",
    "-api",
    "largefilesupport=1",
    "--ICC_Profile:DeviceManufacturer",
    "--ICC_Profile:DeviceModelName",
    *(f"-{tag}#" for tag in _NUMERIC_TAGS),
)
# ---------------------------------------------------------------------------------------------------
# The exiftool process


class _StayOpenExifTool(exiftool.ExifToolHelper):  # type: ignore[misc]  # untyped base class
    """PyExifTool's stay-open process, with an ``execute`` that has a deadline and notices a dead process.

    PyExifTool's own read loop waits forever, and spins once the process has died; this one reads
    stdout and stderr together until both sentinels arrive or the deadline passes.
    """

    timeout_s: float = DEFAULT_TIMEOUT_S

    def alive(self) -> bool:
        """Whether the process runs; one that died since the last call (killed, out of memory) is cleared."""
        if self._process is not None and self._process.poll() is not None:
            self.abandon()
        return bool(self._running)

    def execute(self, *params: str | bytes, raw_bytes: bool = False) -> str | bytes:
        if not self.alive():
            self.run()  # PyExifTool's start: Popen with -stay_open, then a version check through here
        process = self._process
        tag = 100_000 + secrets.randbelow(900_000)
        ready, post = f"{{ready{tag}}}".encode(), f"post{tag}".encode()
        args = [p if isinstance(p, bytes) else p.encode() for p in params]
        args += [b"-echo4", b"=${status}=" + post, f"-execute{tag}\n".encode()]
        try:
            process.stdin.write(b"\n".join(args))
            process.stdin.flush()
        except OSError as exc:
            self.abandon()
            raise MetadataError(f"exiftool is not running: {exc}") from exc
        out, err = self._collect(process, ready, post)
        status_text, _, _ = err.rpartition(b"=")
        stderr, _, status = status_text.rpartition(b"=")
        self._last_stdout = out
        self._last_stderr = stderr.strip()
        self._last_status = int(status) if status.strip().isdigit() else -1
        return out if raw_bytes else out.decode("utf-8", "replace")

    def _collect(self, process: Any, ready: bytes, post: bytes) -> tuple[bytes, bytes]:
        deadline = time.monotonic() + self.timeout_s
        streams = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
        ends = {process.stdout.fileno(): ready, process.stderr.fileno(): post}
        waiting = set(streams)
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                self.abandon()
                raise MetadataTimeout(f"exiftool gave no answer within {self.timeout_s:g} s")
            readable, _, _ = select.select(list(waiting), [], [], left)
            for fd in readable:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.abandon()
                    raise MetadataError("exiftool exited while reading")
                buffer = streams[fd]
                buffer += chunk
                if bytes(buffer[-(len(ends[fd]) + 8) :]).rstrip().endswith(ends[fd]):
                    waiting.discard(fd)
        out = bytes(streams[process.stdout.fileno()]).rstrip()
        err = bytes(streams[process.stderr.fileno()]).rstrip()
        return out[: -len(ready)], err[: -len(post)]

    def abandon(self) -> None:
        """Kill the process without the polite ``-stay_open False`` (it may be stuck)."""
        process = self._process
        if process is None:
            return
        with suppress(OSError):
            process.kill()
        with suppress(Exception):
            process.wait(timeout=5)
        for stream in (process.stdin, process.stdout, process.stderr):
            with suppress(OSError):
                stream.close()
        self._flag_running_false()


def _pid(tool: _StayOpenExifTool | None) -> int | None:
    process = None if tool is None else tool._process
    if process is None or process.poll() is not None:
        return None
    return cast(int, process.pid)


def _stop(tool: _StayOpenExifTool) -> None:
    if tool.alive():
        try:
            tool.terminate(timeout=5)
        except Exception:  # a stuck or dead process: kill it instead
            tool.abandon()


# A value to write: a number or text, or a list tag's items.
TagValue = str | float | int | list[str]


class MetadataReader:
    """A pool of up to ``processes`` exiftool processes: each read borrows an idle one (starting one
    when all are busy and the pool is not full), so that many threads read that many files at once.
    A pool of one is one process whose reads run one after another."""

    def __init__(
        self, *, processes: int = 1, executable: str = "exiftool", timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self._executable = executable
        self._timeout_s = timeout_s
        self._size = max(1, processes)
        self._tools: list[_StayOpenExifTool] = []  # every process of the pool, idle or borrowed
        self._idle: list[_StayOpenExifTool] = []  # most recently returned last
        self._changed = threading.Condition()
        # PyExifTool's child asks for SIGTERM when the *thread* that started it ends (PR_SET_PDEATHSIG),
        # and worker threads come and go: every process is started from this one long-lived thread.
        self._starter: ThreadPoolExecutor | None = None

    @property
    def processes(self) -> int:
        return self._size

    def resize(self, processes: int) -> None:
        """Grow or shrink the pool; a process beyond the new size stops when it is next returned."""
        with self._changed:
            self._size = max(1, processes)
            surplus = self._idle[: max(0, len(self._tools) - self._size)]
            for tool in surplus:
                self._idle.remove(tool)
                self._tools.remove(tool)
            self._changed.notify_all()
        for tool in surplus:
            _stop(tool)

    def open(self) -> None:
        """Start one process now rather than on the first read."""
        with self._borrowed():
            pass

    def close(self) -> None:
        with self._changed:
            idle, self._idle = self._idle, []
            self._tools = [tool for tool in self._tools if tool not in idle]  # borrowed ones stop on return
            starter, self._starter = self._starter, None
        for tool in idle:
            _stop(tool)
        if starter is not None:
            starter.shutdown(wait=False)

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The id of the exiftool process the next read uses, or None when none runs (for tests)."""
        with self._changed:
            tool = self._idle[-1] if self._idle else None
        return _pid(tool)

    @property
    def pids(self) -> set[int]:
        """The ids of the pool's running exiftool processes."""
        with self._changed:
            tools = list(self._tools)
        return {pid for pid in map(_pid, tools) if pid is not None}

    @contextmanager
    def _borrowed(self) -> Iterator[_StayOpenExifTool]:
        with self._changed:
            while not self._idle and len(self._tools) >= self._size:
                self._changed.wait()
            if self._idle:
                tool = self._idle.pop()
            else:
                tool = _StayOpenExifTool(executable=self._executable, common_args=[], check_execute=False)
                tool.timeout_s = self._timeout_s
                self._tools.append(tool)
            if self._starter is None:
                self._starter = ThreadPoolExecutor(1, thread_name_prefix="exiftool-start")
            starter = self._starter
        try:
            if not tool.alive():
                try:
                    starter.submit(tool.run).result()
                except (OSError, RuntimeError) as exc:
                    raise MetadataError(f"cannot start {self._executable}: {exc}") from exc
            yield tool
        finally:
            with self._changed:
                keep = tool in self._tools and len(self._tools) <= self._size
                if keep:
                    self._idle.append(tool)
                elif tool in self._tools:
                    self._tools.remove(tool)
                self._changed.notify()
            if not keep:
                _stop(tool)

    def read_tags(self, path: Path, *, video: bool = False) -> dict[str, Any]:
        """exiftool's tags for one file, as Immich reads them (tag names without groups)."""
        name = os.path.abspath(path)
        if "\n" in name or "\r" in name:  # would break exiftool's argument stream
            raise MetadataError(f"{path}: file names with line breaks are not supported")
        args: list[str | bytes] = [*_READ_ARGS, *(["-ee"] if video else []), "-all", os.fsencode(name)]
        with self._borrowed() as tool:
            out = cast(bytes, tool.execute(*args, raw_bytes=True))
            stderr = tool._last_stderr.decode("utf-8", "replace").strip()
        if not out:
            raise MetadataError(f"exiftool could not read {path}: {stderr or 'no output'}")
        try:
            parsed = json.loads(out.decode("utf-8", "replace"))
        except ValueError as exc:
            raise MetadataError(f"exiftool gave unreadable output for {path}") from exc
        if not isinstance(parsed, list) or not parsed or not isinstance(parsed[0], dict):
            raise MetadataError(f"exiftool gave unexpected output for {path}")
        return cast(dict[str, Any], parsed[0])

    def write_tags(self, path: Path, tags: dict[str, TagValue]) -> None:
        """Writes ``tags`` into ``path`` in place, creating an XMP sidecar when ``path`` is missing. A
        list replaces the tag's items (an empty one removes the tag)."""
        name = os.path.abspath(path)
        if "\n" in name or "\r" in name:
            raise MetadataError(f"{path}: file names with line breaks are not supported")
        # -E: values go HTML-escaped, so a line break in a description cannot split exiftool's arguments
        assignments: list[bytes] = []
        for tag, value in tags.items():
            if isinstance(value, list):
                # The empty assignment first clears the list the items then fill.
                items = [f"-{tag}=", *(f"-{tag}={_escaped(item)}" for item in value)]
                assignments.extend(item.encode() for item in items)
            else:
                assignments.append(f"-{tag}={_escaped(value)}".encode())
        args: list[str | bytes] = ["-overwrite_original", "-n", "-E", *assignments, os.fsencode(name)]
        with self._borrowed() as tool:
            out = cast(bytes, tool.execute(*args, raw_bytes=True))
            stderr = tool._last_stderr.decode("utf-8", "replace").strip()
        if b"1 image files updated" not in out and b"1 image files created" not in out:
            raise MetadataError(f"exiftool could not write {path}: {stderr or out.decode(errors='replace')}")

    def read(
        self, path: Path, *, sidecar: Path | None = None, file_created_at: datetime | None = None
    ) -> MediaMetadata:
        """Read ``path`` (a local file) and its XMP sidecar, if any, into what Immich would store.

        ``file_created_at`` (the upload's value) takes part in the fallback date when no tag has one.
        Raises :class:`MetadataError` when the file cannot be read at all; a sidecar that cannot be
        read is skipped with a warning, as Immich does.
        """
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise MetadataError(f"cannot read {path}: {exc.strerror or exc}") from exc
        ext = media_types.extension(path.name)
        is_video = ext in media_types.VIDEO
        values = self.read_tags(path, video=is_video)
        if "Error" in values and "FileType" not in values:
            raise MetadataError(f"exiftool could not read {path}: {values['Error']}")
        warnings = [f"{path.name}: {values['Warning']}"] if values.get("Warning") else []
        media = FileTags.parse(values)
        warnings += media.warnings
        side: FileTags | None = None
        if sidecar is not None:
            try:
                with _readable_sidecar(sidecar) as readable:
                    side_values = self.read_tags(readable)
                if "Error" in side_values:
                    raise MetadataError(str(side_values["Error"]))
                side = FileTags.parse(side_values)
                warnings += side.warnings
            except MetadataTimeout:
                raise
            except (MetadataError, OSError, UnicodeError) as exc:
                warnings.append(f"sidecar {sidecar.name} skipped: {exc}")
        merged = merge_tags(media, side, is_video=is_video, ext=ext)
        return decide_columns(merged, path, stat, is_video, file_created_at, tuple(warnings))


def _escaped(value: str | float | int) -> str:
    text = html.escape(str(value), quote=False)
    return text.replace("\r", "&#xd;").replace("\n", "&#xa;")


_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@contextmanager
def _readable_sidecar(path: Path) -> Iterator[Path]:
    """The sidecar itself, or a UTF-8 copy of a UTF-16/32 one: exiftool 12.57 reads no tags from those."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if not head.startswith(_UTF16_BOMS):  # (the UTF-32 BOMs start like these)
            yield path
            return
        text = (head + handle.read()).decode("utf-32" if head in _UTF32_BOMS else "utf-16")
    declaration = re.sub(r"(<\?xml[^>]*encoding=[\"'])UTF-(?:16|32)[^\"']*", r"\1UTF-8", text[:200])
    fd, temporary = tempfile.mkstemp(suffix=".xmp", prefix="albumen-sidecar-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write((declaration + text[200:]).encode("utf-8"))
        yield Path(temporary)
    finally:
        with suppress(OSError):
            os.unlink(temporary)
