"""Balances, sign-up credit, deposits and withdrawals, all through the ledger.

A deposit or withdrawal is two transactions: the request row (and, for a withdrawal, the
ledger movement) is committed before the provider is asked, so a crash after the provider
acted leaves a pending row that the periodic job finishes, never lost money.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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
from streambet.services.read_models import ReadModel, read
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory


class PayoutRequestRead(ReadModel):
    id: int
    direction: str
    amount: int
    status: str
    provider_ref: str | None
    balance: int  # the wallet's balance once this request is booked


def wallet_account(session: Session, user_id: int) -> int:
    return ledger.ensure_account(session, wallet_code(user_id), AccountKind.WALLET, user_id)


def grant_signup_credit(session: Session, user_id: int, amount: int) -> None:
    """Play-money credit for a new bettor, inside the sign-up's transaction. The movement
    key makes it once per user."""
    wallet = wallet_account(session, user_id)
    if amount <= 0:
        return
    mint = ledger.ensure_account(session, MINT_CODE, AccountKind.MINT)
    ledger.post(
        session,
        f"grant:u{user_id}",
        MovementKind.GRANT,
        (mint, AccountKind.MINT),
        (wallet, AccountKind.WALLET),
        amount,
    )


def balance(uow: UnitOfWork, user_id: int) -> int:
    with uow:
        return ledger.balance_of(uow.session, wallet_code(user_id))


def _read(session: Session, req: PayoutRequest) -> PayoutRequestRead:
    return read(
        PayoutRequestRead, req, balance=ledger.balance_of(session, wallet_code(req.user_id))
    )


def request_deposit(uow: UnitOfWork, user_id: int, amount: int) -> str:
    """Step one of a deposit: a pending request is written before the provider is asked.
    Returns its key."""
    check_amount(amount)
    with uow:
        wallet_account(uow.session, user_id)
        key = uuid.uuid4().hex
        uow.session.add(
            PayoutRequest(
                key=key, user_id=user_id, direction="deposit", amount=amount, status="pending"
            )
        )
        uow.commit()
    return key


def complete_deposit(uow: UnitOfWork, provider: PayoutProvider, key: str) -> PayoutRequestRead:
    """Step two, safe to repeat: the provider collects with the request's key (a repeat
    answers with the first receipt) and the ledger books the money, once."""
    with uow:
        session = uow.session
        req = session.scalar(
            select(PayoutRequest).where(PayoutRequest.key == key).with_for_update()
        )
        if req is None or req.direction != "deposit":
            raise LookupError(key)
        if req.status == "pending":
            receipt = provider.collect(req.key, req.user_id, req.amount)
            source = ledger.ensure_account(session, PROVIDER_CODE, AccountKind.PROVIDER)
            ledger.post(
                session,
                f"deposit:{req.key}",
                MovementKind.DEPOSIT,
                (source, AccountKind.PROVIDER),
                (wallet_account(session, req.user_id), AccountKind.WALLET),
                req.amount,
            )
            req.status = "done"
            req.provider_ref = receipt.reference
            req.completed_at = datetime.now(UTC)
            session.flush()
        result = _read(session, req)
        uow.commit()
    return result


def deposit(
    uow: UnitOfWorkFactory, provider: PayoutProvider, user_id: int, amount: int
) -> PayoutRequestRead:
    return complete_deposit(uow(), provider, request_deposit(uow(), user_id, amount))


def request_withdrawal(uow: UnitOfWork, user_id: int, amount: int) -> str:
    """Step one of a withdrawal: the money leaves the wallet and a pending request is
    written in one transaction. Returns its key; `send_withdrawal` then talks to the
    provider."""
    check_amount(amount)
    key = uuid.uuid4().hex
    with uow:
        session = uow.session
        wallet = wallet_account(session, user_id)
        target = ledger.ensure_account(session, PROVIDER_CODE, AccountKind.PROVIDER)
        ledger.post(
            session,
            f"withdrawal:{key}",
            MovementKind.WITHDRAWAL,
            (wallet, AccountKind.WALLET),
            (target, AccountKind.PROVIDER),
            amount,
        )
        session.add(
            PayoutRequest(
                key=key, user_id=user_id, direction="withdrawal", amount=amount, status="pending"
            )
        )
        uow.commit()
    return key


def send_withdrawal(uow: UnitOfWork, provider: PayoutProvider, key: str) -> PayoutRequestRead:
    """Step two, safe to repeat: a pending request is sent with its key (the provider
    answers a repeat with the first receipt) and marked done."""
    with uow:
        session = uow.session
        req = session.scalar(
            select(PayoutRequest).where(PayoutRequest.key == key).with_for_update()
        )
        if req is None or req.direction != "withdrawal":
            raise LookupError(key)
        if req.status == "pending":
            receipt = provider.pay(req.key, req.user_id, req.amount)
            req.status = "done"
            req.provider_ref = receipt.reference
            req.completed_at = datetime.now(UTC)
            session.flush()
        result = _read(session, req)
        uow.commit()
    return result


def withdraw(
    uow: UnitOfWorkFactory, provider: PayoutProvider, user_id: int, amount: int
) -> PayoutRequestRead:
    return send_withdrawal(uow(), provider, request_withdrawal(uow(), user_id, amount))


def pending_requests(uow: UnitOfWork, direction: str) -> list[str]:
    """Keys of deposits or withdrawals a crash left half done (for the periodic job)."""
    with uow:
        return list(
            uow.session.scalars(
                select(PayoutRequest.key).where(
                    PayoutRequest.direction == direction, PayoutRequest.status == "pending"
                )
            )
        )
