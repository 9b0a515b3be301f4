"""Balances and the sign-up credit, through the ledger. Money in and out of a wallet
goes through a payment provider: services/deposits.py and services/withdrawals.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from streambet.domain.ledger import MINT_CODE, AccountKind, MovementKind, wallet_code
from streambet.services import ledger
from streambet.services.unit_of_work import UnitOfWork


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
