"""The bet slip's estimate (web/js/markets_model.js `estimatedReturn`) is what
`domain/pools.settle_pool` would pay the bettor's wager if the market closed now with it in
the pool and its outcome won: takeout and breakage included, checked on random pools in
the real Node.js the web app's unit tests run on."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from streambet.domain.pools import Stake, settle_pool

MODEL = Path(__file__).resolve().parents[2] / "src/streambet/web/js/markets_model.js"
SCRIPT = """
import { estimatedReturn } from %s;
const cases = JSON.parse(process.argv[1]);
console.log(JSON.stringify(cases.map(([pools, takeoutBp, pick, stake]) => {
  const outcomes = pools.map((pool, id) => ({ id, pool }));
  const market = { pool: pools.reduce((a, b) => a + b, 0), takeoutBp, outcomes };
  return estimatedReturn(market, outcomes[pick], stake);
})));
"""


def _domain(pools: list[int], takeout_bp: int, pick: int, stake: int) -> int:
    # Everyone already in the pool, as one stake per outcome (only totals matter to the
    # bettor's share), then the bettor's wager, id -1, on `pick`, which wins.
    stakes = [Stake(i, i, p) for i, p in enumerate(pools) if p]
    stakes.append(Stake(-1, pick, stake))
    return settle_pool(stakes, pick, takeout_bp).payouts[-1]


def test_the_slip_estimate_is_what_settle_pool_would_pay() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    rng = random.Random(16)
    cases = []
    for _ in range(400):
        n = rng.randint(2, 6)
        pools = [rng.choice([0, rng.randint(1, 10**7)]) for _ in range(n)]
        cases.append(
            [
                pools,
                rng.choice([0, 1, 250, 500, 1000, 2000]),
                rng.randrange(n),
                rng.randint(1, 10**6),
            ]
        )
    cases.append([[0, 0], 500, 0, 4000])  # the empty pool of the issue: 40.00 returns 38.00
    script = SCRIPT % json.dumps(MODEL.as_uri())
    out = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(cases)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    estimates = json.loads(out.stdout)
    expected = [_domain(*case) for case in cases]
    assert estimates == expected
    assert estimates[-1] == 3800
