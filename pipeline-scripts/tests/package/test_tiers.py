"""The suite's tiers by cost (conftest.TIERS): every test is in exactly one, and each of
`make test-fast`, `make test-plans` and `make test-e2e` runs one of them."""

from __future__ import annotations

import itertools
import re

from conftest import TIERS
from support import ROOT

MARKS = ("terraform", "server", "slow")


def test_tiers_partition_the_suite():
    # Whatever markers a test carries, one tier and one only holds it: `make test` (all tiers)
    # runs nothing twice, and no test falls between the tiers.
    for size in range(len(MARKS) + 1):
        for marks in itertools.combinations(MARKS, size):
            holding = [tier for tier, holds in TIERS.items() if holds({*marks, "parametrize"})]
            assert len(holding) == 1, (marks, holding)


def test_each_tier_has_its_make_target():
    makefile = (ROOT / "Makefile").read_text()
    targets = dict(
        re.findall(r"^(test-[a-z0-9]+):.*\n\t(?:.*\n\t)*?CARCIERGE_TEST_TIER=(\w+)", makefile, re.M)
    )
    assert sorted(targets.values()) == sorted(TIERS), targets
    assert targets["test-fast"] == "fast"
