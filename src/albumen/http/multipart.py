"""multipart/form-data read as a stream: file parts go straight to storage, never whole into memory.

Starlette's form parser spools every file to a temporary file before the endpoint runs; an upload of
a 22 GB video would then be written twice. Here each file part is handed, chunk by chunk, to a
writer (a storage back-end's `write_temporary`) while the request body arrives, with back-pressure:
the body is read no faster than storage accepts it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Generic, TypeVar

from python_multipart.multipart import MultipartParser

from albumen.kit.errors import BadRequest

T = TypeVar("T")
FileWriter = Callable[[str, str, AsyncIterable[bytes]], Coroutine[Any, Any, T]]
"""Called per file part with (field name, file name, chunks); returns what was stored."""

# Text fields are small (dates, flags, the iOS `metadata` JSON); anything bigger is not a form field.
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 64
_QUEUE_DEPTH = 8  # chunks in flight between the body and the writer: bounds memory per upload
_END = b""


@dataclass
class Form(Generic[T]):
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[tuple[str, T]]] = field(default_factory=dict)


def boundary_of(content_type: str | None) -> bytes:
    if not content_type:
        raise BadRequest("Expected a multipart/form-data body")
    message = Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if message.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) or not boundary:
        raise BadRequest("Expected a multipart/form-data body")
    return boundary.encode("latin-1")


def _disposition(raw: bytes) -> tuple[str, str | None]:
    message = Message()
    message["content-disposition"] = raw.decode("utf-8", "replace")
    name = message.get_param("name", header="content-disposition")
    filename = message.get_filename()
    return (name if isinstance(name, str) else ""), filename


async def read_form(
    body: AsyncIterator[bytes],
    content_type: str | None,
    write_file: FileWriter[T],
    on_abort: Callable[[T], Awaitable[None]],
) -> Form[T]:
    """Parses the body; every file part is written as it streams. If the body is malformed or cut
    short, everything already stored is removed with `on_abort` before the error propagates."""
    form: Form[T] = Form()
    parser_events: list[tuple[str, bytes]] = []
    header_name = bytearray()
    header_value = bytearray()
    headers: dict[str, bytes] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[header_name.decode("latin-1").lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        parser_events.append(("begin", headers.get("content-disposition", b"")))
        headers.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parser_events.append(("data", bytes(data[start:end])))

    def on_part_end() -> None:
        parser_events.append(("end", b""))

    parser = MultipartParser(
        boundary_of(content_type),
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )

    stored: list[T] = []
    current: _Part[T] | None = None
    finished = False
    try:
        async for chunk in body:
            parser.write(chunk)
            for kind, payload in parser_events:
                if kind == "begin":
                    current = _Part.start(payload, form, write_file)
                elif kind == "data" and current is not None:
                    await current.feed(payload)
                elif kind == "end" and current is not None:
                    result = await current.finish(form)
                    if result is not None:
                        stored.append(result)
                    current = None
            parser_events.clear()
        parser.finalize()
        finished = current is None and bool(form.fields or form.files)
        if not finished:
            raise BadRequest("Malformed multipart/form-data body")
        return form
    except BaseException:
        if current is not None:
            with contextlib.suppress(BaseException):
                leftover = await current.cancel()
                if leftover is not None:
                    stored.append(leftover)
        for item in stored:
            with contextlib.suppress(Exception):
                await asyncio.shield(on_abort(item))
        raise


@dataclass
class _Part(Generic[T]):
    name: str
    filename: str | None
    text: bytearray = field(default_factory=bytearray)
    queue: asyncio.Queue[bytes] | None = None
    writer: asyncio.Task[T] | None = None

    @classmethod
    def start(cls, disposition: bytes, form: Form[T], write_file: FileWriter[T]) -> _Part[T]:
        name, filename = _disposition(disposition)
        part: _Part[T] = cls(name=name, filename=filename)
        if filename is not None:
            part.queue = asyncio.Queue(_QUEUE_DEPTH)
            part.writer = asyncio.create_task(write_file(name, filename, part._chunks()))
        elif len(form.fields) >= MAX_FIELDS:
            raise BadRequest("Too many form fields")
        return part

    async def _chunks(self) -> AsyncIterator[bytes]:
        assert self.queue is not None
        while chunk := await self.queue.get():
            yield chunk

    async def feed(self, data: bytes) -> None:
        if self.queue is None:
            self.text.extend(data)
            if len(self.text) > MAX_FIELD_BYTES:
                raise BadRequest(f"Field {self.name} is too large")
            return
        await self._send(data)

    async def _send(self, data: bytes) -> None:
        assert self.queue is not None
        assert self.writer is not None
        put = asyncio.ensure_future(self.queue.put(data))
        # A writer that failed stops reading; don't wait forever on its full queue.
        done, _ = await asyncio.wait({put, self.writer}, return_when=asyncio.FIRST_COMPLETED)
        if put not in done:
            put.cancel()
            await self.writer  # raises the writer's error

    async def finish(self, form: Form[T]) -> T | None:
        if self.writer is None:
            form.fields[self.name] = self.text.decode("utf-8", "replace")
            return None
        await self._send(_END)
        result = await self.writer
        form.files.setdefault(self.name, []).append((self.filename or "", result))
        return result

    async def cancel(self) -> T | None:
        """Stops the writer; if it had already stored its object, returns it for clean-up."""
        if self.writer is None:
            return None
        if not self.writer.done():
            self.writer.cancel()
        try:
            return await self.writer
        except BaseException:
            return None


class ChunkReader:
    """A file part's chunks as a file-like `read(size)`, for consumers that read a head first."""

    def __init__(self, chunks: AsyncIterable[bytes]) -> None:
        self._chunks = aiter(chunks)
        self._buffer = bytearray()
        self._ended = False

    async def read(self, size: int = -1) -> bytes:
        while not self._ended and (size < 0 or len(self._buffer) < size):
            try:
                self._buffer.extend(await anext(self._chunks))
            except StopAsyncIteration:
                self._ended = True
        cut = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        data = bytes(self._buffer[:cut])
        del self._buffer[:cut]
        return data


async def read_one_file(
    body: AsyncIterator[bytes],
    content_type: str | None,
    field_name: str,
    consume: Callable[[str, ChunkReader], Awaitable[T]],
) -> T:
    """A form that carries one file in `field_name`: `consume(filename, reader)` handles it as it
    streams and its result is returned. Other file fields and a second file are refused."""

    seen: list[str] = []

    async def write(name: str, filename: str, chunks: AsyncIterable[bytes]) -> T:
        if name != field_name:
            raise BadRequest(f"Unexpected field {name}")
        if seen:
            raise BadRequest(f"Too many files in field {field_name}")
        seen.append(filename)
        return await consume(filename, ChunkReader(chunks))

    async def keep(_: T) -> None:
        """What `consume` did is undone by its own unit of work rolling back."""

    form = await read_form(body, content_type, write, keep)
    parts = form.files.get(field_name, [])
    if not parts:
        raise BadRequest(f"Field(s) {field_name} should not be empty")
    return parts[0][1]
