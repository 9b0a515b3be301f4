"""Play money: the default provider. It moves no real money. Deposits settle on the spot
and payouts are paid on the spot; both are appended to a JSON-lines journal (or kept in
memory when `journal` is None), which is its "provider side" for reconciliation. A
repeated key answers with the first record, as a real provider's idempotency key does."""

from __future__ import annotations

import fcntl
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streambet.adapters.payments.ports import (
    BadSignature,
    DepositOrder,
    DepositStarted,
    PayoutOrder,
    PayoutResult,
    ProviderEvent,
    ProviderRecord,
)
from streambet.domain.payments import DepositReport, ReportKind


class PlayProvider:
    name = "play"

    def __init__(self, journal: Path | None = None) -> None:
        self._journal = journal
        self._lock = threading.Lock()
        self._memory: list[dict[str, Any]] = []

    def records(self) -> list[dict[str, Any]]:
        if self._journal is None:
            return list(self._memory)
        if not self._journal.exists():
            return []
        lines = self._journal.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One writer at a time, across threads and processes (workers share the journal)."""
        with self._lock:
            if self._journal is None:
                yield
                return
            self._journal.parent.mkdir(parents=True, exist_ok=True)
            with self._journal.with_suffix(".lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def _record(self, direction: str, key: str, our_id: int, amount: int, currency: str) -> str:
        with self._exclusive():
            for rec in self.records():
                if rec["key"] == key:
                    return str(rec["reference"])
            rec = {
                "key": key,
                "reference": f"play-{key}",
                "direction": direction,
                "id": our_id,
                "amount": amount,
                "currency": currency,
                "created": datetime.now(UTC).isoformat(),
            }
            if self._journal is None:
                self._memory.append(rec)
            else:
                with self._journal.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(rec) + "\n")
                    fh.flush()
            return str(rec["reference"])

    def start_deposit(self, order: DepositOrder) -> DepositStarted:
        ref = self._record(
            "deposit", f"deposit-{order.deposit_id}", order.deposit_id, order.amount, order.currency
        )
        report = DepositReport(ReportKind.SUCCEEDED, order.amount, order.currency, order.amount)
        return DepositStarted(ref, {"kind": "play"}, settled=report)

    def verify_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        raise BadSignature("play money sends no events")

    def send_payout(self, order: PayoutOrder) -> PayoutResult:
        ref = self._record("payout", order.key, order.payout_id, order.amount, order.currency)
        return PayoutResult(ref, "paid")

    def _listed(self, direction: str, since: datetime) -> list[ProviderRecord]:
        out = []
        for rec in self.records():
            created = datetime.fromisoformat(rec["created"])
            if rec["direction"] != direction or created < since:
                continue
            amount = int(rec["amount"])
            out.append(
                ProviderRecord(
                    kind="deposit" if direction == "deposit" else "payout",
                    provider_ref=str(rec["reference"]),
                    our_id=int(rec["id"]),
                    amount=amount,
                    currency=str(rec["currency"]),
                    status=ReportKind.SUCCEEDED.value if direction == "deposit" else "paid",
                    arrived=amount if direction == "deposit" else 0,
                    created=created,
                )
            )
        return out

    def list_deposits(self, since: datetime) -> list[ProviderRecord]:
        return self._listed("deposit", since)

    def list_payouts(
        self, since: datetime, destinations: tuple[str, ...] = ()
    ) -> list[ProviderRecord]:
        return self._listed("payout", since)
