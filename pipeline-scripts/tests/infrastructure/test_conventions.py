"""The lists the Terraform modules check their inputs against have one owner,
modules/conventions; the Python package's own list of environments must agree with it."""

from __future__ import annotations

import re
from pathlib import Path

from support import PACKAGE, ROOT, TESTS

from carcierge_pipeline import hcl
from carcierge_pipeline.environments import (
    BRANCH_ENVIRONMENTS,
    ENVIRONMENTS,
    PROTECTED_ENVIRONMENTS,
)
from carcierge_pipeline.hcl import plain

CONVENTIONS = ROOT / "modules" / "conventions" / "main.tf"


def _conventions() -> dict:
    parsed = hcl.parsed(CONVENTIONS.read_text())
    return {name: plain(value) for block in parsed["locals"] for name, value in block.items()}


def test_python_and_terraform_name_the_same_environments_in_the_same_order():
    assert tuple(_conventions()["environments"]) == ENVIRONMENTS
    assert set(BRANCH_ENVIRONMENTS.values()) == set(ENVIRONMENTS)


def test_python_and_terraform_protect_the_same_environments():
    # Terraform's validations (digests, WAF) and the pipeline's (artifact access, logs, policy)
    assert tuple(_conventions()["protected_environments"]) == PROTECTED_ENVIRONMENTS


def test_no_configuration_keeps_its_own_copy_of_a_list():
    """Every other .tf file refers to module.conventions instead of repeating a list."""
    retention = re.compile(r"\[1, 3, 5, 7, 14, 30")
    environments = re.compile(r'\["staging", "qa", "uat", "prod"\]')
    kms_key_arn = re.compile(r":kms:\[a-z0-9-\]\+:\[0-9\]\{12\}:key/")
    iam_policy_arn = re.compile(r":iam::\[0-9\]\{12\}:policy/")
    unprivileged = re.compile(r"port >= 1024 &&|from = 1024, to = 65535")
    for path in [*ROOT.glob("*.tf"), *ROOT.glob("modules/*/*.tf")]:
        if path == CONVENTIONS:
            continue
        text = path.read_text()
        assert not retention.search(text), f"{path.relative_to(ROOT)} repeats the retention list"
        assert not environments.search(text), f"{path.relative_to(ROOT)} repeats the environments"
        assert not kms_key_arn.search(text), f"{path.relative_to(ROOT)} repeats the KMS key pattern"
        assert not iam_policy_arn.search(text), f"{path.relative_to(ROOT)} repeats the policy ARN"
        # The unprivileged ports (network ACLs, service and data-store ports); ElastiCache's own
        # limit for a Redis port happens to be the same numbers and stays the module's.
        if path.parent.name != "elasticache":
            assert not unprivileged.search(text), f"{path.relative_to(ROOT)} repeats the port range"


def test_no_configuration_keeps_its_own_name_pattern():
    """Issue 27: modules/conventions owns the name pattern (name_prefix, project_name); a module
    keeps only its maximum length and passes its name_prefix to its conventions call."""
    # regex("<literal>", var.name_prefix) or the like, wherever the literal stands
    literal = re.compile(r'regex\(\s*"[^"]*"\s*,\s*(?:var|local)\.(?:name_prefix|project_name)\b')
    pattern = _conventions()["name_prefix_pattern"]
    copies = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in [*ROOT.glob("*.tf"), *ROOT.glob("modules/*/*.tf")]
        if path.parent.name != "conventions"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line) or pattern in line
    ]
    assert copies == [], "use module.conventions (name_prefix, project_name): " + "; ".join(copies)


def test_python_and_terraform_reserve_the_same_index_families():
    from carcierge_pipeline.opensearch_setup import LOG_INDEX_PATTERN, RESERVED_INDEX_PREFIXES

    reserved = _conventions()["reserved_index_prefixes"]
    assert tuple(reserved) == RESERVED_INDEX_PREFIXES
    assert f"{reserved[0]}-*" == LOG_INDEX_PATTERN  # the log indices' family comes first


def test_retention_values_are_cloudwatchs():
    values = _conventions()["log_retention_days"]
    assert values == sorted(set(values)) and values[0] == 1 and values[-1] == 3653
    assert len(values) == 22


def _python_files() -> list:
    return sorted([*PACKAGE.rglob("*.py"), *TESTS.rglob("*.py")])


def _string_sequences(path) -> list[tuple[int, tuple[str, ...]]]:
    """Every list or tuple literal of strings in a Python file, with its line."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            items = [
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            if len(items) == len(node.elts):
                found.append((node.lineno, tuple(items)))
    return found


def test_no_python_keeps_its_own_copy_of_the_environments():
    # Issue 27: the environments (and the protected ones) have one owner on each side,
    # modules/conventions and carcierge_pipeline/environments.py (tested equal above); the
    # package and the tests import them instead of writing them out again.
    owner = PACKAGE / "environments.py"
    copies = [
        f"{path.relative_to(ROOT)}:{line}: {items}"
        for path in _python_files()
        if path != owner
        for line, items in _string_sequences(path)
        if items in (ENVIRONMENTS, PROTECTED_ENVIRONMENTS)
    ]
    assert copies == [], "import them from carcierge_pipeline.environments: " + "; ".join(copies)


def test_python_and_terraform_pin_images_by_the_same_digest_pattern():
    from carcierge_pipeline.preflight import IMAGE_DIGEST

    assert f"{IMAGE_DIGEST}$" == _conventions()["image_digest_pattern"]


def test_no_python_keeps_its_own_copy_of_a_conventions_pattern():
    # The one Python copy of a pattern is the constant tested equal above (preflight.py).
    from carcierge_pipeline import preflight

    owners = {Path(__file__), Path(preflight.__file__)}
    patterns = {
        name: _conventions()[name] for name in ("image_digest_pattern", "kms_key_arn_pattern")
    }
    retention = ", ".join(str(days) for days in _conventions()["log_retention_days"][:6])
    copies = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _python_files()
        if path not in owners
        for name, pattern in [*patterns.items(), ("log_retention_days", f"[{retention}")]
        if pattern.strip("^$") in path.read_text()
    ]
    assert copies == [], copies
