"""`streambet ledger verify` on a live database: 0 when clean, 1 on any violation."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import insert, text

from streambet.adapters.orm.betting import LedgerEntry
from tests.support.api import make_actor
from tests.support.betting import fund


def _verify(app: Flask) -> subprocess.CompletedProcess[str]:
    settings = app.extensions["streambet"].settings
    env = {
        **os.environ,
        "STREAMBET_DATABASE_URL": settings.resolved_database_url,
        "STREAMBET_DATA_DIR": str(settings.data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "streambet.cli", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ledger_verify_exit_codes(any_db_app: Flask) -> None:
    app = any_db_app
    a = make_actor(app)
    fund(app, a.user_id, 250)
    clean = _verify(app)
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip() == "ledger: ok"

    w = app.extensions["streambet"]
    with w.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_account SET balance = balance + 1 WHERE code = :c"),
            {"c": f"wallet:{a.user_id}"},
        )
    drifted = _verify(app)
    assert drifted.returncode == 1
    assert f"balance_mismatch: wallet:{a.user_id}: cached 251, entries sum 250" in drifted.stderr

    with w.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_account SET balance = balance - 1 WHERE code = :c"),
            {"c": f"wallet:{a.user_id}"},
        )
        account_id = conn.execute(
            text("SELECT id FROM ledger_account WHERE code = :c"), {"c": f"wallet:{a.user_id}"}
        ).scalar_one()
        conn.execute(
            insert(LedgerEntry).values(
                movement="forged:1",
                kind="grant",
                account_id=account_id,
                amount=5,
                created_at=datetime.now(UTC),
            )
        )
    forged = _verify(app)
    assert forged.returncode == 1
    assert "movement_unbalanced: forged:1: 1 entries summing to 5" in forged.stderr
    assert "books_unbalanced" in forged.stderr
