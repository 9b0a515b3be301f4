"""Streaming multipart/form-data: the file part is handed on chunk by chunk as it arrives.

Flask's `request.files` would spool the whole body to a temporary file before the view
runs; reading `request.stream` through Werkzeug's sans-IO decoder instead lets the service
write straight to storage and refuse an oversized upload while it is still arriving.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from streambet.domain.errors import PayloadTooLarge, UnsupportedMedia, ValidationFailed

READ_SIZE = 256 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 16


def _incomplete() -> ValidationFailed:
    return ValidationFailed(
        "The upload ended before the form was complete.",
        details={"field": "file"},
        code="incomplete_upload",
    )


class StreamedForm:
    """Reads form fields up to the file part, then yields the file's bytes."""

    def __init__(self, request: Request, max_body: int) -> None:
        if request.mimetype != "multipart/form-data":
            raise UnsupportedMedia(
                "Send the video as multipart/form-data with a 'file' field.",
                details={"content_type": request.mimetype or None},
            )
        boundary = request.mimetype_params.get("boundary", "")
        if not boundary:
            raise ValidationFailed("The multipart body has no boundary.")
        try:
            self._stream = request.stream
        except RequestEntityTooLarge:
            raise self._too_large(max_body) from None
        self._max_body = max_body
        # The decoder's own memory cap counts file bytes too; fields are capped below.
        self._decoder = MultipartDecoder(boundary.encode("latin-1"), max_parts=MAX_PARTS)
        self._eof = False
        self.fields: dict[str, str] = {}
        self._field: tuple[str, bytearray] | None = None

    @staticmethod
    def _too_large(limit: int) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The upload is larger than the {limit // (1024 * 1024)} MB limit.",
            details={"field": "file", "limit_bytes": limit},
        )

    def _malformed(self, exc: ValueError) -> ValidationFailed:
        if self._eof:  # the decoder gives up when the body ends inside a part
            return _incomplete()
        return ValidationFailed(f"The multipart body is malformed: {exc}")

    def _events(self) -> Iterator[Field | File | Data | Epilogue]:
        while True:
            event = self._decoder.next_event()
            if isinstance(event, NeedData):
                if self._eof:
                    raise _incomplete()
                try:
                    chunk = self._stream.read(READ_SIZE)
                    if chunk:
                        self._decoder.receive_data(chunk)
                except RequestEntityTooLarge:
                    raise self._too_large(self._max_body) from None
                except ClientDisconnected:
                    raise _incomplete() from None
                if not chunk:
                    self._eof = True
                    self._decoder.receive_data(None)
                continue
            if isinstance(event, Field | File | Data | Epilogue):
                yield event
            if isinstance(event, Epilogue):
                return

    def open_file(self, name: str) -> str | None:
        """Reads up to the part called `name` and returns its file name, or None when the
        form has no such file part (the rest of the body has then been read)."""
        try:
            for event in self._events():
                if isinstance(event, File) and event.name == name:
                    return event.filename or ""
                if isinstance(event, Field):
                    self._field = (event.name, bytearray())
                elif isinstance(event, Data) and self._field is not None:
                    self._field[1].extend(event.data)
                    if len(self._field[1]) > MAX_FIELD_BYTES:
                        raise PayloadTooLarge(
                            f"The form field {self._field[0]!r} is over {MAX_FIELD_BYTES} bytes.",
                            details={"field": self._field[0]},
                        )
                    if not event.more_data:
                        key, value = self._field
                        self.fields[key] = value.decode("utf-8", "replace")
                        self._field = None
                elif isinstance(event, Epilogue):
                    return None
        except ValueError as exc:  # the decoder's own complaint about a malformed body
            raise self._malformed(exc) from None
        return None

    def file_chunks(self) -> Iterator[bytes]:
        """The bytes of the part found by `open_file`, as they arrive. (open_file's
        generator stopped right after the file header; a fresh one reads the shared decoder
        on from exactly there.)"""
        try:
            for event in self._events():
                if isinstance(event, Data):
                    if event.data:
                        yield bytes(event.data)
                    if not event.more_data:
                        return
                else:
                    raise _incomplete()
        except ValueError as exc:
            raise self._malformed(exc) from None
