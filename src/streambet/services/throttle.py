"""Throttles kept in the database, so they hold across gunicorn workers and machines (the
buckets are rows, changed under a row lock on PostgreSQL and by SQLite's single writer).
Each call is one short write transaction; nothing slow (no password hashing) runs in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from streambet.adapters.orm.accounts import ThrottleBucket
from streambet.domain.throttle import Bucket, TooManyRequests
from streambet.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class LoginThrottle:
    """Failed logins an account may take (then it waits), and login attempts a client
    address may make, each regained over its window."""

    per_account: Bucket = field(default_factory=lambda: Bucket(5, 300.0))
    per_address: Bucket = field(default_factory=lambda: Bucket(30, 60.0))


def _locked_level(session: Session, key: str, bucket: Bucket, now: datetime) -> float:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ThrottleBucket)
        .values(key=key, tokens=float(bucket.capacity), updated_at=now)
        .on_conflict_do_nothing()
    )
    row = session.execute(
        select(ThrottleBucket.tokens, ThrottleBucket.updated_at)
        .where(ThrottleBucket.key == key)
        .with_for_update()
    ).one()
    return bucket.level(float(row.tokens), row.updated_at, now)


def take(
    uow: UnitOfWork,
    buckets: Sequence[tuple[str, Bucket, bool]],
    *,
    now: datetime | None = None,
) -> None:
    """For each (key, bucket, spend): refuses (TooManyRequests, nothing taken) when the
    bucket is empty; otherwise takes a token from those with `spend`."""
    now = now or datetime.now(UTC)
    with uow:
        levels = [
            (key, bucket, spend, _locked_level(uow.session, key, bucket, now))
            for key, bucket, spend in sorted(buckets, key=lambda b: b[0])
        ]
        wait = max((bucket.wait_seconds(level) for _, bucket, _, level in levels), default=0)
        if wait:
            raise TooManyRequests(
                f"Too many attempts; try again in {wait} s.",
                wait,
                details={"retry_after_seconds": wait},
            )
        for key, _, spend, level in levels:
            uow.session.execute(
                update(ThrottleBucket)
                .where(ThrottleBucket.key == key)
                .values(tokens=level - 1 if spend else level, updated_at=now)
            )
        uow.commit()
