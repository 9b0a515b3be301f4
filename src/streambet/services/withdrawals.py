"""Withdrawals: an outbox of payout intents.

A request moves the money out of the wallet into the pending-withdrawal account at once
and writes the intent in the same transaction. Above the approval threshold it waits for
an admin; otherwise (and once approved) the worker sends it (`send_due`), with the
intent's id as the provider's idempotency key, in three steps: claim the row (attempts +1,
and the time of the next try should this one die), ask the provider, book the answer. A
process killed between the provider's answer and the booking leaves the row claimed; the
next try asks again with the same key, gets the same answer and books it once. A definite
refusal returns the money to the wallet; no answer is retried with backoff until
MAX_PAYOUT_ATTEMPTS, then the intent stalls for a person (the money stays pending, since
nobody knows whether it was paid).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from streambet.adapters.orm.payments import PayoutIntent
from streambet.adapters.payments.ports import (
    PayoutDeclined,
    PayoutOrder,
    PayoutProvider,
    PayoutResult,
    ProviderEvent,
    ProviderUnavailable,
)
from streambet.domain.errors import Conflict, NotFound
from streambet.domain.ledger import (
    PENDING_WITHDRAWAL_CODE,
    AccountKind,
    MovementKind,
    clearing_code,
    wallet_code,
    withdrawal_movement,
)
from streambet.domain.money import check_amount
from streambet.domain.payments import (
    MAX_PAYOUT_ATTEMPTS,
    PayoutStatus,
    backoff,
    check_destination,
    needs_approval,
)
from streambet.services import events, ledger, wallet
from streambet.services.payment_policy import EventResult, PaymentPolicy
from streambet.services.payment_rows import own_row, own_rows, record_event
from streambet.services.read_models import EpochMs, ReadModel, read
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
Checkpoint = Callable[[str], None]
BATCH = 20  # intents sent per sweep


def no_checkpoint(stage: str) -> None:
    """Tests pass a checkpoint that stops the process at a stage."""


class PayoutRead(ReadModel):
    id: int
    user_id: int
    provider: str
    amount: int
    currency: str
    destination: str
    status: PayoutStatus
    attempts: int
    provider_ref: str | None
    last_error: str | None
    note: str | None
    created_at_ms: EpochMs = Field(validation_alias="created_at")
    balance: int  # the owner's wallet balance now


def _read(session: Session, row: PayoutIntent) -> PayoutRead:
    return read(PayoutRead, row, balance=ledger.balance_of(session, wallet_code(row.user_id)))


def _announce(uow: UnitOfWork, row: PayoutIntent) -> None:
    uow.emit(
        events.PAYMENT_STATUS,
        {
            "user_id": row.user_id,
            "kind": "withdrawal",
            "id": row.id,
            "status": row.status,
            "amount": row.amount,
            "balance": ledger.balance_of(uow.session, wallet_code(row.user_id)),
        },
    )


def _pending(session: Session) -> int:
    return ledger.ensure_account(session, PENDING_WITHDRAWAL_CODE, AccountKind.PENDING)


def request_withdrawal(
    uow: UnitOfWork,
    policy: PaymentPolicy,
    provider: str,
    user_id: int,
    amount: int,
    destination: str = "",
    now: datetime | None = None,
) -> PayoutRead:
    """The money leaves the wallet for the pending account now (or 409: not enough), and
    the intent waits for the worker, or for an admin above the threshold. Self-excluded
    accounts may still withdraw."""
    check_amount(amount)
    destination = check_destination(provider, destination)
    now = now or datetime.now(UTC)
    approval = needs_approval(amount, policy.approval_threshold)
    with uow:
        session = uow.session
        row = PayoutIntent(
            user_id=user_id,
            provider=provider,
            amount=amount,
            currency=policy.currency,
            destination=destination,
            status=(PayoutStatus.AWAITING_APPROVAL if approval else PayoutStatus.QUEUED).value,
            attempts=0,
            next_attempt_at=None if approval else now,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        ledger.post(
            session,
            withdrawal_movement(row.id, "held"),
            MovementKind.WITHDRAWAL,
            (wallet.wallet_account(session, user_id), AccountKind.WALLET),
            (_pending(session), AccountKind.PENDING),
            amount,
        )
        result = _read(session, row)
        _announce(uow, row)
        uow.commit()
    return result


def _locked(session: Session, payout_id: int) -> PayoutIntent:
    row = session.scalar(select(PayoutIntent).where(PayoutIntent.id == payout_id).with_for_update())
    if row is None:
        raise NotFound(f"No withdrawal {payout_id}.")
    return row


def _settle(session: Session, row: PayoutIntent, paid: bool) -> None:
    """The pending money goes to the provider (paid) or back to the wallet."""
    pending = (_pending(session), AccountKind.PENDING)
    if paid:
        clearing = ledger.ensure_account(session, clearing_code(row.provider), AccountKind.PROVIDER)
        target, step, kind = (clearing, AccountKind.PROVIDER), "paid", MovementKind.WITHDRAWAL_PAID
    else:
        target = (wallet.wallet_account(session, row.user_id), AccountKind.WALLET)
        step, kind = "back", MovementKind.WITHDRAWAL_BACK
    ledger.post(session, withdrawal_movement(row.id, step), kind, pending, target, row.amount)


def _finish(
    session: Session, row: PayoutIntent, status: PayoutStatus, error: str | None = None
) -> None:
    if status is PayoutStatus.PAID:
        _settle(session, row, paid=True)
    elif status in (PayoutStatus.FAILED, PayoutStatus.REJECTED):
        _settle(session, row, paid=False)
    row.status = status.value
    row.next_attempt_at = None
    if error is not None:
        row.last_error = error[:1000]
    row.updated_at = datetime.now(UTC)


def decide_approval(
    uow: UnitOfWork,
    payout_id: int,
    admin_id: int,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> PayoutRead:
    """An admin's word on a withdrawal above the threshold, or on a stalled one (after
    looking at the provider's own records): it goes to the worker (a stalled one is tried
    again, with the same idempotency key), or the money goes back to the wallet."""
    now = now or datetime.now(UTC)
    with uow:
        session = uow.session
        row = _locked(session, payout_id)
        if row.status not in (PayoutStatus.AWAITING_APPROVAL.value, PayoutStatus.STALLED.value):
            raise Conflict(
                f"Withdrawal {payout_id} is {row.status}, not waiting for an admin.",
                code="not_awaiting_approval",
            )
        row.decided_by = admin_id
        row.note = note or None
        if approve:
            row.status = PayoutStatus.QUEUED.value
            row.attempts = 0
            row.next_attempt_at = now
            row.updated_at = now
        else:
            _finish(session, row, PayoutStatus.REJECTED)
        session.flush()
        result = _read(session, row)
        _announce(uow, row)
        uow.commit()
    return result


def due(uow: UnitOfWork, now: datetime) -> list[int]:
    with uow:
        return list(
            uow.session.scalars(
                select(PayoutIntent.id)
                .where(
                    PayoutIntent.status == PayoutStatus.QUEUED.value,
                    PayoutIntent.next_attempt_at <= now,
                )
                .order_by(PayoutIntent.next_attempt_at)
                .limit(BATCH)
            )
        )


def send_one(
    uow: UnitOfWorkFactory,
    provider: PayoutProvider,
    payout_id: int,
    now: datetime | None = None,
    checkpoint: Checkpoint = no_checkpoint,
) -> PayoutStatus | None:
    """One try at sending a due intent; None if it was not due (or another worker has it)."""
    now = now or datetime.now(UTC)
    with uow() as tx:
        row = _locked(tx.session, payout_id)
        if row.status != PayoutStatus.QUEUED.value or (
            row.next_attempt_at is not None and row.next_attempt_at > now
        ):
            return None
        row.attempts += 1
        row.next_attempt_at = now + backoff(row.attempts)  # if this try dies, the next one
        row.updated_at = now
        order = PayoutOrder(row.id, row.user_id, row.amount, row.currency, row.destination)
        attempts = row.attempts
        tx.commit()
    answer: PayoutResult | PayoutDeclined | ProviderUnavailable
    try:
        answer = provider.send_payout(order)
    except (PayoutDeclined, ProviderUnavailable) as exc:
        answer = exc
    checkpoint("provider answered")
    with uow() as tx:
        session = tx.session
        row = _locked(session, payout_id)
        if row.status != PayoutStatus.QUEUED.value:  # a webhook got here first
            return PayoutStatus(row.status)
        if isinstance(answer, PayoutResult):
            row.provider_ref = answer.provider_ref
            status = PayoutStatus.PAID if answer.state == "paid" else PayoutStatus.SENT
            _finish(session, row, status)
        elif isinstance(answer, PayoutDeclined):
            _finish(session, row, PayoutStatus.FAILED, str(answer))
        elif attempts >= MAX_PAYOUT_ATTEMPTS:
            _finish(session, row, PayoutStatus.STALLED, str(answer))
        else:
            row.last_error = f"attempt {attempts}: {answer}"[:1000]
        checkpoint("ready to commit")
        session.flush()
        _announce(tx, row)
        result = PayoutStatus(row.status)
        tx.commit()
    log.info(
        "payout attempt",
        extra={"payout_id": payout_id, "attempt": attempts, "status": result.value},
    )
    return result


def send_due(
    uow: UnitOfWorkFactory,
    read_uow: UnitOfWorkFactory,
    provider: PayoutProvider,
    now: datetime | None = None,
) -> int:
    """The worker's sweep: one try for each intent that is due. Returns how many it tried."""
    now = now or datetime.now(UTC)
    tried = 0
    for payout_id in due(read_uow(), now):
        try:
            if send_one(uow, provider, payout_id, now) is not None:
                tried += 1
        except Exception:  # one intent's trouble must not stop the others
            log.exception("payout attempt failed", extra={"payout_id": payout_id})
    return tried


def apply_report(uow: UnitOfWork, provider: str, event: ProviderEvent) -> EventResult:
    """A verified payout event (Stripe's payout.paid / payout.failed), inside the caller's
    transaction (services/deposits.receive_event records and commits it)."""
    report = event.payout
    assert report is not None
    session = uow.session
    row = None
    if event.payout_id is not None:
        row = session.scalar(
            select(PayoutIntent).where(PayoutIntent.id == event.payout_id).with_for_update()
        )
    if row is None and event.provider_ref is not None:
        row = session.scalar(
            select(PayoutIntent)
            .where(PayoutIntent.provider_ref == event.provider_ref)
            .with_for_update()
        )
    decision: str = "unknown"
    note: str | None = "no such withdrawal"
    if row is not None and row.provider != provider:
        row = None
    if row is not None:
        if report.amount != row.amount or report.currency.lower() != row.currency.lower():
            decision = "mismatch"
            note = f"event for {report.amount} {report.currency}, withdrawal is {row.amount}"
            row.note = note
        elif row.status in (PayoutStatus.QUEUED.value, PayoutStatus.SENT.value):
            row.provider_ref = row.provider_ref or event.provider_ref
            if report.state == "paid":
                _finish(session, row, PayoutStatus.PAID)
            else:
                _finish(session, row, PayoutStatus.FAILED, report.reason or "payout failed")
            decision, note = "applied", None
            _announce(uow, row)
        elif row.status == report.state:
            decision, note = "same", None
        else:
            decision, note = "no_change", f"withdrawal already {row.status}"
    payout_id = row.id if row is not None else None
    return record_event(session, provider, event, decision, note, payout_id=payout_id)


def my_withdrawals(uow: UnitOfWork, user_id: int, limit: int = 50) -> list[PayoutRead]:
    return own_rows(uow, PayoutIntent, user_id, _read, limit)


def withdrawal_of(uow: UnitOfWork, user_id: int, payout_id: int) -> PayoutRead:
    return own_row(uow, PayoutIntent, user_id, payout_id, _read, "withdrawal")


def approval_queue(uow: UnitOfWork, limit: int = 100) -> list[PayoutRead]:
    """Withdrawals waiting for an admin, and stalled ones a person must resolve."""
    with uow:
        rows = uow.session.scalars(
            select(PayoutIntent)
            .where(
                PayoutIntent.status.in_(
                    [PayoutStatus.AWAITING_APPROVAL.value, PayoutStatus.STALLED.value]
                )
            )
            .order_by(PayoutIntent.id)
            .limit(limit)
        ).all()
        return [_read(uow.session, r) for r in rows]
