"""SQLAlchemy models. Importing this package registers every table on `Base.metadata`."""

from streambet.adapters.orm import (
    accounts,
    analyses,
    betting,
    live_markets,
    payments,
    streams,
    twitch,
)
from streambet.adapters.orm.base import Base

__all__ = [
    "Base",
    "accounts",
    "analyses",
    "betting",
    "live_markets",
    "payments",
    "streams",
    "twitch",
]
