"""``carcierge offline-setup``: build the offline provider's cache."""

from __future__ import annotations

import argparse

from carcierge_pipeline.commands import Command


def run(args: argparse.Namespace) -> None:
    from carcierge_pipeline.offline import install

    print(f"offline provider ready: {install.ensure().root}")


COMMAND = Command(
    "offline-setup",
    help="build the offline provider cache",
    examples=("carcierge offline-setup",),
    variables=("CARCIERGE_OFFLINE_CACHE (where the offline provider's cache is built)",),
    handler=run,
)
