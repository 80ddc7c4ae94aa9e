"""multipart/form-data streamed, with the caps enforced while it streams.

Fields are read into memory (each at most MAX_FIELD_BYTES). A file part goes into a spooled
temporary file: memory up to SPOOL_BYTES, then disk, so a large upload does not hold its
bytes several times over while it arrives; reading stops at the first part over a cap (a
60 MB file is refused after 50 MB, not after it was all received). Starlette's own parser
hops to a thread for every chunk it writes; this one writes on the loop (page-cache writes of
at most a chunk) and reads the finished files back in one thread hop (`read_files`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from casebook.models import SourceFile
from casebook.server.errors import ApiError
from casebook.storage import safe_filename

SPOOL_BYTES = 1024 * 1024


@dataclass
class _Part:
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)  # a field's value
    file: IO[bytes] | None = None  # a file's content
    size: int = 0


@dataclass
class FormParts:
    fields: list[tuple[str, str]]
    files: list[tuple[str, str, IO[bytes]]]  # (field name, file name, content)

    def read_files(self) -> list[SourceFile]:
        """Blocking: each file's bytes (read once), its temporary file closed."""
        sources = []
        for _, filename, handle in self.files:
            handle.seek(0)
            sources.append(SourceFile(name=filename, data=handle.read()))
            handle.close()
        self.files = []
        return sources

    def close(self) -> None:
        for _, _, handle in self.files:
            handle.close()


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class _Collector:
    def __init__(self, *, max_files: int, max_fields: int, max_file_bytes: int, max_field_bytes: int) -> None:
        self.limits = (max_files, max_fields, max_file_bytes, max_field_bytes)
        self.result = FormParts([], [])
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()

    def on_part_begin(self) -> None:
        self.part = _Part()

    def abandon(self) -> None:
        """Close every temporary file (the request failed part-way)."""
        if self.part.file is not None:
            self.part.file.close()
        self.result.close()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers.append((bytes(self.header_name).lower(), bytes(self.header_value)))
        self.header_name, self.header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        disposition = next((v for k, v in self.part.headers if k == b"content-disposition"), b"")
        _, options = parse_options_header(disposition)
        if b"name" not in options:
            raise ApiError(400, "bad_request", "a multipart part has no Content-Disposition name")
        self.part.name = _decode(options[b"name"])
        max_files, max_fields, _, _ = self.limits
        if b"filename" in options:
            self.part.filename = _decode(options[b"filename"])
            if len(self.result.files) >= max_files:
                raise ApiError(413, "too_many_files", f"at most {max_files} files per submission")
            # closed by read_files() or abandon()
            self.part.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, prefix="casebook-upload-")  # noqa: SIM115
        elif len(self.result.fields) >= max_fields:
            raise ApiError(413, "too_many_fields", f"at most {max_fields} form fields per submission")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        _, _, max_file, max_field = self.limits
        part.size += end - start
        if part.file is not None:
            if part.size > max_file:
                name = safe_filename(part.filename or part.name)
                raise ApiError(
                    413, "file_too_large", f"{name} is over the {max_file / 1_048_576:g} MB limit per file"
                )
            part.file.write(memoryview(data)[start:end])
            return
        part.data += memoryview(data)[start:end]
        if len(part.data) > max_field:
            raise ApiError(413, "field_too_large", f"form field {part.name!r} is over {max_field // 1024} KB")

    def on_part_end(self) -> None:
        part = self.part
        if part.file is None:
            self.result.fields.append((part.name, _decode(bytes(part.data))))
        else:
            self.result.files.append((part.name, part.filename or part.name, part.file))
            part.file = None


async def read_multipart(
    request: Request, *, max_files: int, max_fields: int, max_file_bytes: int, max_field_bytes: int
) -> FormParts:
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise ApiError(400, "bad_request", "multipart/form-data without a boundary")
    collector = _Collector(
        max_files=max_files, max_fields=max_fields, max_file_bytes=max_file_bytes, max_field_bytes=max_field_bytes
    )
    callbacks = {
        name: getattr(collector, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        collector.abandon()
        raise ApiError(400, "bad_request", "the multipart body is malformed") from None
    except BaseException:
        collector.abandon()
        raise
    return collector.result
