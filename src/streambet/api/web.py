"""Serves the single-page app."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

bp = Blueprint("web", __name__)


@bp.get("/")
def index() -> Response:
    return send_from_directory(WEB_DIR, "index.html", max_age=0)
