"""localstripe (PyPI), a stateful fake of Stripe's API, run as a local server for the
tests: PaymentIntents, PaymentMethods, Payouts and Events are localstripe's own, and it
delivers signed webhooks itself. It has no Connect: Transfers (and their reversals),
which paying a user needs, are added here as two routes that check the request the way
Stripe documents it and answer in the shape of the SDK's own `stripe.Transfer` object
(tests/integration/test_payments_stripe.py checks the shape against the SDK's class).

localstripe keeps its store in one pickle file under /tmp and ignores Idempotency-Key;
the launcher turns the pickle off (tests run in parallel), and the idempotency the SDK
sends is checked by the tests where it matters (against our play provider and our rows).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from tests.support.server import free_port

SECRET_KEY = "sk_test_localstripe0123456789"  # localstripe accepts any sk_ key

LAUNCHER = r"""
import itertools, sys, time
from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError
from localstripe.server import app, get_post_data, json_response

resources.Store.dump_to_disk = lambda self: None  # no shared /tmp pickle
transfers = {}
counter = itertools.count(1)

async def create_transfer(request):
    data = await get_post_data(request) or {}
    try:
        amount = int(data.get("amount"))
        assert amount > 0
        assert isinstance(data.get("currency"), str) and data["currency"]
        assert str(data.get("destination", "")).startswith("acct_")
    except (AssertionError, TypeError, ValueError):
        raise UserError(400, "Bad request")
    tid = f"tr_test{next(counter):010d}"
    transfers[tid] = {
        "id": tid, "object": "transfer", "amount": amount, "amount_reversed": 0,
        "balance_transaction": f"txn_{tid}", "created": int(time.time()),
        "currency": data["currency"], "description": None,
        "destination": data["destination"], "destination_payment": f"py_{tid}",
        "livemode": False, "metadata": data.get("metadata") or {},
        "reversals": {"object": "list", "data": [], "has_more": False,
                      "url": f"/v1/transfers/{tid}/reversals"},
        "reversed": False, "source_transaction": None, "source_type": "card",
        "transfer_group": data.get("transfer_group"),
    }
    return json_response(transfers[tid])

async def reverse_transfer(request):
    tid = request.match_info["id"]
    if tid not in transfers:
        raise UserError(404, "Not Found")
    t = transfers[tid]
    t["reversed"], t["amount_reversed"] = True, t["amount"]
    return json_response({
        "id": f"trr_{tid}", "object": "transfer_reversal", "amount": t["amount"],
        "currency": t["currency"], "created": int(time.time()), "transfer": tid,
        "metadata": {}, "balance_transaction": None, "destination_payment_refund": None,
        "source_refund": None,
    })

app.router.add_post("/v1/transfers", create_transfer)
app.router.add_post("/v1/transfers/{id}/reversals", reverse_transfer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


class LocalStripe:
    def __init__(self, url: str) -> None:
        self.url = url

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {SECRET_KEY}"}

    def flush(self) -> None:
        """Forgets every object (each test starts from an empty account)."""
        requests.delete(f"{self.url}/_config/data", timeout=10).raise_for_status()

    def register_webhook(self, url: str, secret: str) -> None:
        """localstripe signs and POSTs every event to `url` (about a second later)."""
        response = requests.post(
            f"{self.url}/_config/webhooks/streambet",
            data={"url": url, "secret": secret},
            timeout=10,
        )
        response.raise_for_status()


@contextmanager
def localstripe() -> Iterator[LocalStripe]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMBET_")}
    with subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as proc:
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(
                        f"{url}/v1/events", headers={"Authorization": "Bearer x"}, timeout=2
                    )
                    break
                except requests.ConnectionError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"localstripe did not start: {proc.stderr.read()!r}"
                        ) from None
                    time.sleep(0.1)
            yield LocalStripe(url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
