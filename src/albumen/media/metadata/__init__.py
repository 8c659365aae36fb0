"""Reads an asset's metadata with exiftool and decides what Immich v3.1.0 would store for it.

A :class:`MetadataReader` is a small pool of long-lived ``exiftool -stay_open`` processes (PyExifTool);
a worker keeps one reader, sized by the metadata queue's concurrency. ``read()`` is blocking: async code
runs it in a worker thread (``anyio.to_thread.run_sync``). Each read borrows an idle process, so as many
threads as the pool has processes read at once and further ones wait. Each call has a deadline; a call
that passes it kills its process, raises :class:`MetadataTimeout`, and the next call on that process
starts a fresh one (as it does when the process died). exiftool reads local files: a caller with an
object store downloads the original (and sidecar) first.

What is read, and how it is decided, follows Immich's metadata service (exiftool-vendored 35 with
``useMWG``, ``backfillTimezones``, ``inferTimezoneFromDatestamps``, ``inferTimezoneFromTimeStamp``,
``defaultVideosToUTC`` and GPS time zones):

- the date taken is the first parseable date of :data:`EXIF_DATE_TAGS`; its time zone comes from the
  offset tags, else the GPS position, else an offset written in a capture date, else UTC for videos,
  else the gap between a local capture time and a UTC (GPS) time;
- an XMP sidecar is read with the same process and laid over the file's tags; when it has a date,
  the file's dates and time zone are dropped, so the sidecar's date wins;
- ``local_date_time`` is the wall-clock time where the picture was taken, stored as if it were UTC.

Not done here (the caller or a later step does it): video stream facts from ffprobe/PyAV (exiftool's
duration, size, rotation and frame rate stand in), reverse geocoding (city/state/country), faces
from XMP regions (the merged tags are kept in ``raw`` for that), and writing sidecars. Dates in
exiftool-vendored's "loose" formats ("Thu Oct 13 00:12:27 2016") are not parsed. Immich bundles
exiftool 13; Debian 12 has 12.57, which differs in places (UTF-16 sidecars are converted to UTF-8
first; HEIF rotation is printed in degrees; the motion photo directory is named ``Directory``).

The package's modules: :mod:`.reader` (the exiftool processes), :mod:`.dates`, :mod:`.gps`,
:mod:`.tags` (one file's tags, and a file merged with its sidecar), :mod:`.values`, :mod:`.motion`,
:mod:`.decide` (Immich's choice for each column) and :mod:`.model` (what comes out).
"""

from albumen.media.metadata.dates import EXIF_DATE_TAGS
from albumen.media.metadata.model import (
    MediaMetadata,
    MetadataError,
    MetadataTimeout,
    MotionPhotoVideo,
    find_sidecar,
)
from albumen.media.metadata.reader import MetadataReader, TagValue

__all__ = [
    "EXIF_DATE_TAGS",
    "MediaMetadata",
    "MetadataError",
    "MetadataReader",
    "MetadataTimeout",
    "MotionPhotoVideo",
    "TagValue",
    "find_sidecar",
]
