"""StreamBet: bet on what happens in a video or a live stream, settled by AI evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory. `config` overrides STREAMBET_* variables (lower-case names)."""
    from streambet.api import (
        accounts,
        admin,
        analyses,
        bets,
        converters,
        hardening,
        health,
        live_markets,
        markets,
        me,
        observability,
        openapi_doc,
        payments,
        streams,
        web,
        ws,
    )
    from streambet.api.errors import register_error_handlers
    from streambet.config import load_settings
    from streambet.wiring import build_wiring
    from streambet.worker import register_tasks

    settings = load_settings(config)
    app = Flask(__name__, static_folder="web", static_url_path="/static")
    app.config.update(SECRET_KEY=settings.secret_key, JSON_SORT_KEYS=False)
    # Werkzeug refuses bodies past this before a view reads them (413 in the envelope).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes + 1024 * 1024
    wiring = app.extensions["streambet"] = build_wiring(settings)
    register_tasks(wiring)

    register_error_handlers(app)
    converters.install(app)
    hardening.install(app, stripe="stripe" in settings.payment_providers)
    observability.install(app)
    for blueprint in (
        web.bp,
        health.bp,
        accounts.bp,
        analyses.bp,
        openapi_doc.bp,
        observability.bp,
        markets.bp,
        me.bp,
        payments.bp,
        admin.bp,
        bets.bp,
        streams.bp,
        live_markets.bp,
        ws.bp,
    ):
        app.register_blueprint(blueprint)
    return app
