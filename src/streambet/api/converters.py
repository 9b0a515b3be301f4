"""URL converters that refuse what no row can match, so a hostile path is a 404 in the
envelope before any query runs: ids are 32-bit keys (`<id:market_id>`), analysis ids are
uuid4 hex (`<analysis:analysis_id>`), times are bounded ms (`<ms:ms>`). Each carries its
OpenAPI schema, which the document reads (api/openapi_doc.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Flask
from werkzeug.routing import BaseConverter, IntegerConverter, Map

from streambet.api.validation import INT32_MAX

MAX_VIDEO_MS = 7 * 24 * 3600 * 1000  # a week: past any clip or stream we keep frames of


class IdConverter(IntegerConverter):
    schema: ClassVar[dict[str, Any]] = {"type": "integer", "minimum": 1, "maximum": INT32_MAX}

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=INT32_MAX)


class MsConverter(IntegerConverter):
    schema: ClassVar[dict[str, Any]] = {"type": "integer", "minimum": 0, "maximum": MAX_VIDEO_MS}

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=0, max=MAX_VIDEO_MS)


class AnalysisIdConverter(BaseConverter):
    regex = "[0-9a-f]{32}"
    schema: ClassVar[dict[str, Any]] = {"type": "string", "pattern": "^[0-9a-f]{32}$"}


def install(app: Flask) -> None:
    app.url_map.converters.update(id=IdConverter, ms=MsConverter, analysis=AnalysisIdConverter)


def schema_of(converter: BaseConverter) -> dict[str, Any]:
    found: dict[str, Any] | None = getattr(converter, "schema", None)
    return dict(found) if found is not None else {"type": "string"}
