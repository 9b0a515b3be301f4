"""Balances, sign-up credit, deposits and withdrawals, all through the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from streambet.adapters.orm.betting import PayoutRequest
from streambet.adapters.payouts import PayoutProvider
from streambet.domain.ledger import (
    MINT_CODE,
    PROVIDER_CODE,
    AccountKind,
    MovementKind,
    wallet_code,
)
from streambet.domain.money import check_amount
from streambet.services import ledger
from streambet.services.unit_of_work import UnitOfWork


def wallet_account(uow: UnitOfWork, user_id: int) -> int:
    return ledger.ensure_account(uow.session, wallet_code(user_id), AccountKind.WALLET, user_id)


def grant_signup_credit(uow: UnitOfWork, user_id: int, amount: int) -> None:
    """Play-money credit for a new bettor, inside the sign-up's unit of work (the caller
    commits). The movement key makes it once per user."""
    wallet = wallet_account(uow, user_id)
    if amount <= 0:
        return
    mint = ledger.ensure_account(uow.session, MINT_CODE, AccountKind.MINT)
    ledger.post(
        uow.session,
        f"grant:u{user_id}",
        MovementKind.GRANT,
        (mint, AccountKind.MINT),
        (wallet, AccountKind.WALLET),
        amount,
    )


def balance(uow: UnitOfWork, user_id: int) -> int:
    return ledger.balance_of(uow.session, wallet_code(user_id))


@dataclass(frozen=True)
class PayoutRequestView:
    id: int
    key: str
    direction: str
    amount: int
    status: str
    provider_ref: str | None
    balance: int


def _view(uow: UnitOfWork, req: PayoutRequest) -> PayoutRequestView:
    return PayoutRequestView(
        req.id,
        req.key,
        req.direction,
        req.amount,
        req.status,
        req.provider_ref,
        balance(uow, req.user_id),
    )


def request_deposit(uow: UnitOfWork, user_id: int, amount: int) -> PayoutRequestView:
    """Step one of a deposit: a pending request is written before the provider is asked,
    so a crash after the provider collected leaves a row to finish, not lost money."""
    check_amount(amount)
    wallet_account(uow, user_id)
    req = PayoutRequest(
        key=uuid.uuid4().hex,
        user_id=user_id,
        direction="deposit",
        amount=amount,
        status="pending",
    )
    uow.session.add(req)
    uow.session.flush()
    view = _view(uow, req)
    uow.commit()
    return view


def complete_deposit(uow: UnitOfWork, provider: PayoutProvider, key: str) -> PayoutRequestView:
    """Step two, safe to repeat: the provider collects with the request's key (a repeat
    answers with the first receipt) and the ledger books the money, once."""
    req = uow.session.scalar(
        select(PayoutRequest).where(PayoutRequest.key == key).with_for_update()
    )
    if req is None or req.direction != "deposit":
        raise LookupError(key)
    if req.status == "pending":
        receipt = provider.collect(req.key, req.user_id, req.amount)
        source = ledger.ensure_account(uow.session, PROVIDER_CODE, AccountKind.PROVIDER)
        ledger.post(
            uow.session,
            f"deposit:{req.key}",
            MovementKind.DEPOSIT,
            (source, AccountKind.PROVIDER),
            (wallet_account(uow, req.user_id), AccountKind.WALLET),
            req.amount,
        )
        req.status = "done"
        req.provider_ref = receipt.reference
        req.completed_at = datetime.now(UTC)
        uow.session.flush()
    view = _view(uow, req)
    uow.commit()
    return view


def request_withdrawal(uow: UnitOfWork, user_id: int, amount: int) -> PayoutRequestView:
    """Step one of a withdrawal: the money leaves the wallet and a pending request is
    written in one transaction. `send_withdrawal` then talks to the provider."""
    check_amount(amount)
    key = uuid.uuid4().hex
    wallet = wallet_account(uow, user_id)
    target = ledger.ensure_account(uow.session, PROVIDER_CODE, AccountKind.PROVIDER)
    ledger.post(
        uow.session,
        f"withdrawal:{key}",
        MovementKind.WITHDRAWAL,
        (wallet, AccountKind.WALLET),
        (target, AccountKind.PROVIDER),
        amount,
    )
    req = PayoutRequest(
        key=key, user_id=user_id, direction="withdrawal", amount=amount, status="pending"
    )
    uow.session.add(req)
    uow.session.flush()
    view = _view(uow, req)
    uow.commit()
    return view


def send_withdrawal(uow: UnitOfWork, provider: PayoutProvider, key: str) -> PayoutRequestView:
    """Step two, safe to repeat: a pending request is sent with its key (the provider
    answers a repeat with the first receipt) and marked done."""
    req = uow.session.scalar(
        select(PayoutRequest).where(PayoutRequest.key == key).with_for_update()
    )
    if req is None or req.direction != "withdrawal":
        raise LookupError(key)
    if req.status == "pending":
        receipt = provider.pay(req.key, req.user_id, req.amount)
        req.status = "done"
        req.provider_ref = receipt.reference
        req.completed_at = datetime.now(UTC)
        uow.session.flush()
    view = _view(uow, req)
    uow.commit()
    return view


def pending_requests(uow: UnitOfWork, direction: str) -> list[str]:
    """Keys of deposits or withdrawals a crash left half done (for the periodic job)."""
    return list(
        uow.session.scalars(
            select(PayoutRequest.key).where(
                PayoutRequest.direction == direction, PayoutRequest.status == "pending"
            )
        )
    )
