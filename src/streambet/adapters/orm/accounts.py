"""Accounts and bearer tokens."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from streambet.adapters.orm.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # bettor | operator | admin
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Given at sign-up (18 or older); None for accounts made by an admin or before it.
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Self-exclusion: no wagers or deposits before this (read on every wager, by id).
    excluded_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiToken(Base):
    """Only the SHA-256 of a token is stored; the token itself is shown once at login."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ThrottleBucket(Base):
    """A token bucket (domain/throttle.py) shared by every worker and process: logins per
    account ("login:account:<e-mail>") and per client address ("login:address:<ip>")."""

    __tablename__ = "throttle_bucket"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
