"""Do logins stall wagers? Wager latency on `streambet serve` (one worker, SQLite), alone
and while a flood of wrong-password logins runs beside it, in interleaved rounds.

argon2 costs tens of milliseconds of CPU per login on purpose; before issue 12 it ran
inside a write transaction, holding SQLite's writer, so a login flood pushed wager p50 from
milliseconds to seconds. The login throttles are raised here (when this version has them)
so every login of the flood really hashes: this measures the hashing, not the 429s.

    .venv/bin/python bench/logins.py [--rounds 3] [--logins 200]

Prints p50/p99 per round and the median ratio flood/alone. Never pass/fail.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import betting  # bench/betting.py: the server and the bettors (the script's folder)
import loadgen
import requests

from streambet.adapters.db import create_database
from streambet.adapters.migrate import upgrade
from streambet.config import Settings

BETTORS = 8
WAGERS_PER_BETTOR = 40
FLOOD_THREADS = 16


def _flood(base: str, count: int, stop: threading.Event) -> int:
    def attempt(i: int) -> int:
        if stop.is_set():
            return 0
        r = requests.post(
            f"{base}/api/auth/login",
            json={"email": f"nobody{i % 50}@example.test", "password": f"wrong guess {i}"},
            timeout=120,
        )
        return r.status_code

    with ThreadPoolExecutor(FLOOD_THREADS) as pool:
        return sum(1 for s in pool.map(attempt, range(count)) if s == 401)  # really hashed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument(
        "--throttled", action="store_true", help="keep the default login throttles (429s)"
    )
    args = parser.parse_args()
    unthrottled = {}
    if "login_address_attempts" in Settings.model_fields and not args.throttled:
        unthrottled = {
            "STREAMBET_LOGIN_ADDRESS_ATTEMPTS": "1000000",
            "STREAMBET_LOGIN_ACCOUNT_FAILURES": "1000000",
        }
    with tempfile.TemporaryDirectory(prefix="sblogins-") as tmpdir:
        tmp = Path(tmpdir)
        with betting.database("sqlite", tmp) as url:
            db = create_database(url)
            upgrade(db)
            op = betting.operator(db)
            bettors = betting.setup_bettors(db, BETTORS, 10_000_000)
            market = betting.new_market(db, op)
            alone: list[float] = []
            flooded: list[float] = []
            with betting.served(url, tmp, 1, betting.DEFAULT_THREADS, unthrottled) as base:
                betting.http_wagers(base, bettors, market, 5, "warm")
                for r in range(args.rounds):
                    _, _, lat = betting.http_wagers(
                        base, bettors, market, WAGERS_PER_BETTOR, f"a{r}"
                    )
                    p50, p99 = (loadgen.percentile_ms(lat, q) for q in (0.5, 0.99))
                    alone.append(p50)
                    print(f"round {r}: wagers alone      p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
                    stop = threading.Event()
                    result: list[int] = []
                    flood = threading.Thread(
                        target=lambda out=result, halt=stop: out.append(
                            _flood(base, args.logins, halt)
                        )
                    )
                    flood.start()
                    _, _, lat = betting.http_wagers(
                        base, bettors, market, WAGERS_PER_BETTOR, f"f{r}"
                    )
                    stop.set()
                    flood.join()
                    p50, p99 = (loadgen.percentile_ms(lat, q) for q in (0.5, 0.99))
                    flooded.append(p50)
                    print(
                        f"round {r}: with login flood p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
                        f"  ({result[0] if result else 0} logins refused with 401 meanwhile)"
                    )
            db.dispose()
    ratio = statistics.median(f / a for f, a in zip(flooded, alone, strict=True))
    print(f"median wager p50 ratio, flood / alone: {ratio:.2f}x")


if __name__ == "__main__":
    main()
