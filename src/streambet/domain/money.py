"""Money is an `int` of minor units (cents of play money) everywhere: never a float.

Rates are integer basis points (1 bp = 0.01 %), so every split is exact integer arithmetic.
"""

from __future__ import annotations

from streambet.domain.errors import ValidationFailed

BASIS_POINTS = 10_000
# Keeps every product we form (amount x bp, net pool x stake) far inside a signed 64-bit
# column on both SQLite and PostgreSQL.
MAX_AMOUNT = 10**12


def check_amount(value: object, field: str = "amount") -> int:
    """A positive whole number of minor units, or a 400 that names the field."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(
            "Amounts are whole numbers of minor units.", details={"field": field}
        )
    if not 0 < value <= MAX_AMOUNT:
        raise ValidationFailed(
            f"Amounts must be between 1 and {MAX_AMOUNT} minor units.", details={"field": field}
        )
    return value


def share_bp(amount: int, bp: int) -> int:
    """`amount` x `bp` / 10 000, rounded down (the house never takes a fraction upward)."""
    if not 0 <= bp <= BASIS_POINTS:
        raise ValueError(f"basis points out of range: {bp}")
    return amount * bp // BASIS_POINTS


def format_minor(amount: int) -> str:
    """Minor units as people read them in messages: 1250 -> "12.50"."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d}"
