"""How a caller follows and stops long work: a progress callback and a cancel flag. A leaf
module, so the pipeline and every backend share them without importing each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

ProgressFn = Callable[[float], None]  # fraction done, 0.0-1.0


class CancelFlag(Protocol):
    """threading.Event satisfies this."""

    def is_set(self) -> bool: ...
