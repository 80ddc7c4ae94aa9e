"""multipart/form-data read straight into memory, with the caps enforced while it streams.

Starlette's parser spools every file to a temporary file (one thread hop per chunk) and learns
sizes only at the end; submissions are small enough to hold (the request cap bounds them) and
their bytes are needed in memory anyway, so this reads parts into buffers and stops at the
first part over a cap: a 60 MB file is refused after 50 MB, not after it was all written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from casebook.server.errors import ApiError
from casebook.storage import safe_filename


@dataclass
class _Part:
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


@dataclass
class FormParts:
    fields: list[tuple[str, str]]
    files: list[tuple[str, str, bytes]]  # (field name, file name, content)


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
        elif len(self.result.fields) >= max_fields:
            raise ApiError(413, "too_many_fields", f"at most {max_fields} form fields per submission")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.data += memoryview(data)[start:end]
        _, _, max_file, max_field = self.limits
        if part.filename is not None and len(part.data) > max_file:
            name = safe_filename(part.filename or part.name)
            raise ApiError(413, "file_too_large", f"{name} is over the {max_file / 1_048_576:g} MB limit per file")
        if part.filename is None and len(part.data) > max_field:
            raise ApiError(413, "field_too_large", f"form field {part.name!r} is over {max_field // 1024} KB")

    def on_part_end(self) -> None:
        part = self.part
        if part.filename is None:
            self.result.fields.append((part.name, _decode(bytes(part.data))))
        else:
            self.result.files.append((part.name, part.filename or part.name, bytes(part.data)))


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
        raise ApiError(400, "bad_request", "the multipart body is malformed") from None
    return collector.result
