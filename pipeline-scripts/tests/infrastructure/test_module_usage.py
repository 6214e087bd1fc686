"""Every module README opens with a usage block, and the blocks work: they are planned together,
offline, as one configuration, so a block that misses a required input, passes a value the
module's validations refuse, or names a module that is not there fails here."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest
from support import OFFLINE, ROOT

from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Terraform

MODULES = sorted(p.name for p in (ROOT / "modules").iterdir() if (p / "main.tf").is_file())
_USAGE = re.compile(r"```hcl\n(.*?)```", re.S)


def usage_block(module: str) -> str:
    """The first HCL block of the module's README, which must come before its other sections'
    content: the README opens with it."""
    text = (ROOT / "modules" / module / "README.md").read_text()
    found = _USAGE.search(text)
    assert found, f"modules/{module}/README.md has no ```hcl usage block"
    before = text[: found.start()]
    assert before.count("\n## ") <= 1, f"modules/{module}/README.md must open with its usage"
    return found.group(1)


@pytest.mark.parametrize("module", MODULES)
def test_the_readme_opens_with_a_usage_block_of_its_module(module):
    block = usage_block(module)
    assert f'source = "./modules/{module}"' in block, block
    assert re.match(rf'module "{module}" {{', block), block


def _plan_usage(terraform: Terraform) -> tuple[str | None, list[str], dict[str, Any]]:
    """The failure of planning the blocks (or None), what Terraform said, and the plan."""
    terraform.run(["init", "-input=false", "-no-color"], capture=True)
    said: list[str] = []
    run = terraform.run_json(
        ["plan", "-input=false", "-lock=false", "-out=plan.bin"],
        echo=said.append,
        echo_error=said.append,
    )
    failure = run.failure(completed_by="change_summary")
    if failure is not None:
        return str(failure), said, {}
    plan = json.loads(terraform.run(["show", "-json", "plan.bin"], capture=True).stdout)
    return None, said, plan


@pytest.mark.slow(seconds=8)
def test_the_usage_blocks_plan(tmp_path, terraform_results):
    workdir = tmp_path / "usage"
    shutil.copytree(
        ROOT / "modules", workdir / "modules", ignore=shutil.ignore_patterns(".terraform*")
    )
    blocks = "\n".join(usage_block(module) for module in MODULES)
    (workdir / "main.tf").write_text(f'provider "aws" {{\n  region = "us-west-1"\n}}\n\n{blocks}')
    terraform = Terraform.for_mode(workdir, OFFLINE)
    # Kept between runs while the modules and their READMEs' blocks are unchanged.
    failure, said, plan = terraform_results(
        "module usage blocks", Project(workdir), lambda: _plan_usage(terraform)
    )
    assert failure is None, "\n".join(said)
    planned = {
        c["address"].split(".")[1]
        for c in plan["resource_changes"]
        if c["address"].startswith("module.")
    }
    assert planned == set(MODULES) - {"conventions"}, planned
