"""Deposits: a payment started with a provider, credited only from that provider's
verified events, exactly once.

Starting a deposit is two transactions around the provider call: the row is written (and
the limits and self-exclusion checked) before the provider is asked, and the provider's
reference is stored after, so a crash in between leaves a row the provider never heard
of, never money without a row. Events are applied in one transaction each: the event is
recorded under its unique key (a replay is refused by the database), the deposit row is
locked, and the domain decides what the event is worth (domain/payments.py decide); a
credit is one ledger movement from the provider's clearing account to the wallet, named
by the total it brings the deposit to, so even the ledger refuses a second booking.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from streambet.adapters.orm.payments import Deposit, PaymentEvent
from streambet.adapters.payments.ports import (
    BadSignature,
    DepositOrder,
    DepositProvider,
    DepositRefused,
    MalformedEvent,
    ProviderEvent,
    ProviderUnavailable,
)
from streambet.domain.errors import Conflict, NotFound, Unavailable, ValidationFailed
from streambet.domain.ledger import (
    AccountKind,
    MovementKind,
    clearing_code,
    deposit_movement,
    wallet_code,
)
from streambet.domain.money import check_amount
from streambet.domain.payments import Decision, DepositReport, DepositStatus, decide
from streambet.services import events, ledger, responsible, wallet, withdrawals
from streambet.services.payment_policy import EventResult, Providers
from streambet.services.payment_rows import own_row, own_rows, record_event
from streambet.services.read_models import EpochMs, ReadModel, read
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class DepositRead(ReadModel):
    id: int
    provider: str
    amount: int
    currency: str
    status: DepositStatus
    credited: int
    instructions: dict[str, Any] | None
    review: str | None
    created_at_ms: EpochMs = Field(validation_alias="created_at")
    balance: int  # the wallet's balance now


def _read(session: Session, row: Deposit) -> DepositRead:
    return read(DepositRead, row, balance=ledger.balance_of(session, wallet_code(row.user_id)))


def _announce(uow: UnitOfWork, row: Deposit, balance: int) -> None:
    uow.emit(
        events.PAYMENT_STATUS,
        {
            "user_id": row.user_id,
            "kind": "deposit",
            "id": row.id,
            "status": row.status,
            "amount": row.amount,
            "credited": row.credited,
            "balance": balance,
        },
    )


def start_deposit(
    uow: UnitOfWorkFactory,
    providers: Providers,
    user_id: int,
    amount: int,
    *,
    provider: str | None = None,
    pay_currency: str | None = None,
    callback_url: str = "",
    now: datetime | None = None,
) -> DepositRead:
    """Starts a deposit of `amount` minor units through `provider` (default: the first
    enabled). Play money is credited at once; a real provider's payment is credited when
    its verified event says the money arrived."""
    check_amount(amount)
    name = provider or providers.default_deposit
    chosen = providers.deposits.get(name)
    if chosen is None:
        raise ValidationFailed(
            f"Deposits go through {', '.join(providers.deposits)}.", details={"field": "provider"}
        )
    currency = providers.policy.currency
    now = now or datetime.now(UTC)
    with uow() as tx:
        responsible.check_may_deposit(tx.session, user_id, amount, now)
        wallet.wallet_account(tx.session, user_id)
        row = Deposit(
            user_id=user_id,
            provider=name,
            amount=amount,
            currency=currency,
            status=DepositStatus.CREATED.value,
            credited=0,
            created_at=now,
            updated_at=now,
        )
        tx.session.add(row)
        tx.session.flush()
        deposit_id = row.id
        tx.commit()
    order = DepositOrder(deposit_id, user_id, amount, currency, pay_currency, callback_url)
    try:
        started = chosen.start_deposit(order)
    except (DepositRefused, ProviderUnavailable) as exc:
        _fail_start(uow(), deposit_id, str(exc))
        if isinstance(exc, DepositRefused):
            raise Conflict(
                f"The payment provider refused this deposit: {exc}", code="deposit_refused"
            ) from None
        raise Unavailable("The payment provider did not answer; try again shortly.") from None
    with uow() as tx:
        session = tx.session
        row = _locked(session, deposit_id)
        row.provider_ref = started.provider_ref
        row.instructions = started.instructions
        row.updated_at = datetime.now(UTC)
        session.flush()
        if started.settled is not None:  # play money: the provider's word is given at once
            _record_and_apply(
                tx,
                row,
                ProviderEvent(
                    f"{started.provider_ref}:settled",
                    "settled",
                    {"provider_ref": started.provider_ref},
                    provider_ref=started.provider_ref,
                    deposit_id=deposit_id,
                    deposit=started.settled,
                ),
            )
        result = _read(session, row)
        _announce(tx, row, result.balance)
        tx.commit()
    return result


def _fail_start(uow: UnitOfWork, deposit_id: int, why: str) -> None:
    with uow:
        row = _locked(uow.session, deposit_id)
        row.status = DepositStatus.FAILED.value
        row.review = None
        row.instructions = {"error": why[:500]}
        row.updated_at = datetime.now(UTC)
        uow.commit()


def _locked(session: Session, deposit_id: int) -> Deposit:
    row = session.scalar(select(Deposit).where(Deposit.id == deposit_id).with_for_update())
    if row is None:
        raise NotFound(f"No deposit {deposit_id}.")
    return row


def _credit(session: Session, row: Deposit, amount: int) -> None:
    source = ledger.ensure_account(session, clearing_code(row.provider), AccountKind.PROVIDER)
    target = wallet.wallet_account(session, row.user_id)
    ledger.post(
        session,
        deposit_movement(row.id, row.credited + amount),
        MovementKind.DEPOSIT,
        (source, AccountKind.PROVIDER),
        (target, AccountKind.WALLET),
        amount,
    )
    row.credited += amount


def _apply(session: Session, row: Deposit, report: DepositReport) -> tuple[Decision, str | None]:
    change = decide(DepositStatus(row.status), row.amount, row.currency, row.credited, report)
    if change.credit:
        _credit(session, row, change.credit)
    if change.decision in (Decision.APPLIED, Decision.SAME):
        row.status = change.status.value
    if change.review:
        row.review = change.review if not row.review else f"{row.review}; {change.review}"
    elif change.status is DepositStatus.CREDITED:
        row.review = None
    row.updated_at = datetime.now(UTC)
    return change.decision, change.review


def _record_and_apply(uow: UnitOfWork, row: Deposit, event: ProviderEvent) -> EventResult:
    assert event.deposit is not None
    decision, note = _apply(uow.session, row, event.deposit)
    return record_event(uow.session, row.provider, event, decision, note, deposit_id=row.id)


def _find(session: Session, provider: str, event: ProviderEvent) -> Deposit | None:
    """The deposit an event is about: by our id (checked against the provider's reference
    once we have it), else by the provider's reference."""
    stmt = select(Deposit).with_for_update()
    if event.deposit_id is not None:
        row = session.scalar(stmt.where(Deposit.id == event.deposit_id))
        if row is None or row.provider != provider:
            return None
        if row.provider_ref is not None and row.provider_ref != event.provider_ref:
            return None
        return row
    if event.provider_ref is None:
        return None
    return session.scalar(
        stmt.where(Deposit.provider == provider, Deposit.provider_ref == event.provider_ref)
    )


def receive_event(uow: UnitOfWork, provider: DepositProvider, event: ProviderEvent) -> EventResult:
    """Records a verified event once and applies it: a deposit report to its deposit, a
    payout report to its payout intent (services/withdrawals.py). A replay (same key) is
    refused with 409 and changes nothing."""
    name = provider.name
    try:
        with uow:
            session = uow.session
            seen = session.scalar(
                select(PaymentEvent.id).where(
                    PaymentEvent.provider == name, PaymentEvent.event_key == event.key
                )
            )
            if seen is not None:
                raise Conflict("That event was already received.", code="already_processed")
            if event.deposit is not None:
                row = _find(session, name, event)
                if row is None:
                    result = record_event(session, name, event, "unknown", "no such deposit")
                else:
                    if row.provider_ref is None and event.provider_ref is not None:
                        row.provider_ref = event.provider_ref
                    result = _record_and_apply(uow, row, event)
                    _announce(uow, row, ledger.balance_of(session, wallet_code(row.user_id)))
            elif event.payout is not None:
                result = withdrawals.apply_report(uow, name, event)
            else:
                result = record_event(session, name, event, "ignored", None)
            uow.commit()
    except Conflict:
        log.warning("payment event replayed", extra={"provider": name, "event_key": event.key})
        raise
    except IntegrityError:  # the same event, recorded by a concurrent delivery
        log.warning("payment event replayed", extra={"provider": name, "event_key": event.key})
        raise Conflict("That event was already received.", code="already_processed") from None
    log.info(
        "payment event",
        extra={
            "provider": name,
            "event_key": event.key,
            "event_type": event.type,
            "decision": str(result.decision),
            "deposit_id": result.deposit_id,
            "payout_id": result.payout_id,
        },
    )
    return result


_REFUSED = {
    Decision.MISMATCH.value: (ValidationFailed, "amount_mismatch", "does not match the payment"),
    Decision.NO_CHANGE.value: (Conflict, "out_of_order", "is older than what was decided"),
    Decision.CLOSED.value: (Conflict, "deposit_closed", "is about a deposit that had failed"),
}


def receive_webhook(
    uow: UnitOfWork, providers: Providers, name: str, body: bytes, headers: Mapping[str, str]
) -> EventResult:
    """A provider's webhook or IPN: verified by its adapter, then recorded and applied
    once (receive_event). Unsigned, badly signed, stale or unreadable: 400 and nothing
    kept. Replayed: 409. Out of order, about a failed deposit, or of the wrong amount or
    currency: recorded (and flagged where a person should look), nothing credited, and a
    4xx that says which."""
    provider = providers.deposits.get(name)
    if provider is None:
        raise NotFound(f"{name} payments are not enabled here.")
    try:
        event = provider.verify_event(body, headers)
    except (BadSignature, MalformedEvent) as exc:
        bad = isinstance(exc, BadSignature)
        log.warning(
            "payment webhook refused",
            extra={"provider": name, "reason": str(exc), "bytes": len(body)},
        )
        raise ValidationFailed(
            f"The event was refused: {exc}.", code="bad_signature" if bad else "malformed_event"
        ) from None
    result = receive_event(uow, provider, event)
    refused = _REFUSED.get(str(result.decision))
    if refused is not None:
        kind, code, why = refused
        log.warning(
            "payment event not applied",
            extra={"provider": name, "event_key": event.key, "decision": code},
        )
        raise kind(
            f"Recorded, not applied: the event {why}.",
            code=code,
            details={"note": result.note, "deposit_id": result.deposit_id},
        )
    return result


def my_deposits(uow: UnitOfWork, user_id: int, limit: int = 50) -> list[DepositRead]:
    return own_rows(uow, Deposit, user_id, _read, limit)


def deposit_of(uow: UnitOfWork, user_id: int, deposit_id: int) -> DepositRead:
    return own_row(uow, Deposit, user_id, deposit_id, _read, "deposit")


def deposits_for_review(uow: UnitOfWork, limit: int = 100) -> list[DepositRead]:
    """Deposits a person should look at (partly paid, refunded after credit, mismatches)."""
    with uow:
        rows = uow.session.scalars(
            select(Deposit).where(Deposit.review.is_not(None)).order_by(Deposit.id).limit(limit)
        ).all()
        return [_read(uow.session, r) for r in rows]
