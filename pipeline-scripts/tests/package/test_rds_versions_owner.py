"""The RDS for PostgreSQL version tables have one owner, the rules gate's
(carcierge_pipeline/rules/engines.py); modules/rds/engine_versions.tf is rendered from them."""

from __future__ import annotations

import re

from support import ROOT

from carcierge_pipeline.rules import engines

TABLE = ROOT / "modules" / "rds" / "engine_versions.tf"


def test_the_module_table_is_the_gate_table_rendered():
    assert TABLE.read_text() == engines.render_rds_versions_tf(), (
        "modules/rds/engine_versions.tf differs from the gate's tables: run "
        ".venv/bin/python -m carcierge_pipeline.rules.engines > modules/rds/engine_versions.tf"
    )


def _module_accepts(version: str) -> bool:
    """The module's validation (modules/rds/variables.tf) over the rendered table."""
    text = TABLE.read_text()
    floors = {int(m): int(n) for m, n in re.findall(r'"(\d+)" = (\d+)', text)}
    no_create = set(re.findall(r'"(\d+\.\d+)"', text.split("postgres_no_create_minors")[1]))
    major, minor = (int(part) for part in version.split("."))
    if major in floors:
        return minor >= floors[major] and version not in no_create
    return major > max(floors)


def test_module_and_gate_agree_on_every_pinned_minor():
    """Every MAJOR.MINOR of majors 13-19 (the module's own floor is 13): same answer."""
    for major in range(13, 20):
        for minor in range(0, 30):
            version = f"{major}.{minor}"
            gate = engines.postgres_problem(version) is None
            assert _module_accepts(version) == gate, version
