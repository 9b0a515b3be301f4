"""Payment providers by name (STREAMBET_PAYMENTS; the names: domain/payments.py). The
wiring builds them with their typed configs; a provider's SDK is imported only when it
is built."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streambet.adapters.payments.nowpayments import NowPaymentsConfig
    from streambet.adapters.payments.ports import DepositProvider
    from streambet.adapters.payments.stripe_provider import StripeConfig


@dataclass(frozen=True)
class ProviderConfigs:
    play_journal: Path | None = None  # None: in memory
    stripe: StripeConfig | None = None
    nowpayments: NowPaymentsConfig | None = None


def build_deposit_provider(name: str, configs: ProviderConfigs) -> DepositProvider:
    if name == "play":
        from streambet.adapters.payments.play import PlayProvider

        return PlayProvider(configs.play_journal)
    if name == "stripe" and configs.stripe is not None:
        from streambet.adapters.payments.stripe_provider import StripeProvider

        return StripeProvider(configs.stripe)
    if name == "nowpayments" and configs.nowpayments is not None:
        from streambet.adapters.payments.nowpayments import NowPaymentsProvider

        return NowPaymentsProvider(configs.nowpayments)
    raise ValueError(f"payment provider {name!r} is unknown or has no configuration")
