"""The payout-provider port (deposits in, withdrawals out) and its first implementation, a
mock that records what it would pay. Calls carry an idempotency key; a provider must treat
a repeated key as the same request (as real payment APIs do), which is what makes a retry
after a crash safe."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class ProviderReceipt:
    key: str
    reference: str
    replayed: bool


class PayoutProvider(Protocol):
    def collect(self, key: str, user_id: int, amount: int) -> ProviderReceipt:
        """Takes a deposit from the user's payment method."""

    def pay(self, key: str, user_id: int, amount: int) -> ProviderReceipt:
        """Sends a withdrawal to the user."""


class MockPayoutProvider:
    """Moves no money. Appends each distinct request to a JSON-lines journal (or keeps it in
    memory when `journal` is None) and answers a repeated key with the first receipt."""

    def __init__(self, journal: Path | None = None) -> None:
        self._journal = journal
        self._lock = threading.Lock()
        self._memory: list[dict[str, object]] = []

    def records(self) -> list[dict[str, object]]:
        if self._journal is None:
            return list(self._memory)
        if not self._journal.exists():
            return []
        lines = self._journal.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def _record(self, direction: str, key: str, user_id: int, amount: int) -> ProviderReceipt:
        with self._lock:
            for rec in self.records():
                if rec["key"] == key:
                    return ProviderReceipt(key, str(rec["reference"]), True)
            rec = {
                "key": key,
                "reference": f"mock-{direction}-{key}",
                "direction": direction,
                "user_id": user_id,
                "amount": amount,
            }
            if self._journal is None:
                self._memory.append(rec)
            else:
                self._journal.parent.mkdir(parents=True, exist_ok=True)
                with self._journal.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(rec) + "\n")
            return ProviderReceipt(key, str(rec["reference"]), False)

    def collect(self, key: str, user_id: int, amount: int) -> ProviderReceipt:
        return self._record("deposit", key, user_id, amount)

    def pay(self, key: str, user_id: int, amount: int) -> ProviderReceipt:
        return self._record("withdrawal", key, user_id, amount)
