"""The security gate (issue 8): checkov, pinned and offline, finds nothing in any environment,
neither in the code scanned with the environment's variable file nor in its offline plan.

Every exception is an inline `# checkov:skip=<check>:<reason>` in the resource it concerns; the
plan scans honour the same skips (no skip list in the scanner call). The eight scans share one
checkov import and run two at a time (security.scan_environments, then require_clean: the
gate `carcierge analyse security` runs); the plans are the session's
(`environment_plans`)."""

from __future__ import annotations

import json
import re
import resource
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.stages.analyse import security

SKIP = re.compile(r"#\s*checkov:skip=([^:\s]*)(?::(.*))?")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _security_gate(
    project_copy,
) -> tuple[list[str], dict[str, security.SecurityReport], dict[str, str]]:
    """The gate the CLI runs (`carcierge analyse security`, it raises on any finding): what it
    said, its reports, and the JUnit file it wrote for each environment."""
    said: list[str] = []
    started, cpu = time.monotonic(), _children_cpu()
    try:
        scanned = security.scan_environments(project_copy, ENVIRONMENTS, echo=said.append)
        reports = security.require_clean(scanned)
    except StageFailed as error:  # the tables name every failed check
        pytest.fail(f"{error}\n" + "\n".join(said))
    print(
        f"security gate: {2 * len(ENVIRONMENTS)} checkov scans in "
        f"{time.monotonic() - started:.1f} s ({_children_cpu() - cpu:.1f} s CPU)"
    )
    junit = {
        environment: (project_copy.build_dir(environment) / "checkov-junit.xml").read_text()
        for environment in ENVIRONMENTS
    }
    return said, reports, junit


@pytest.mark.slow(seconds=40)
def test_checkov_passes_every_environment_in_code_and_plan(
    project, project_copy, environment_plans, terraform_results
):
    for path, _ in security.REPOSITORY_SCANS:  # the copy holds the Terraform only
        (project_copy.root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project.root / path, project_copy.root / path)
    for environment in ENVIRONMENTS:
        build = project_copy.build_dir(environment)
        build.mkdir(parents=True)
        (build / "plan.json").write_text(json.dumps(environment_plans(environment)))

    # Kept between runs while the Terraform, the plans (made from it), the package, the
    # scanned pipeline files and the installed checkov are unchanged (terraform_results).
    installed = security.find_checkov(project_copy).parents[1]  # its venv, stamped per version
    checkov = sorted(p.name for p in installed.glob(".installed-*"))
    said, reports, junit_of = terraform_results(
        "security gate",
        project_copy,
        lambda: _security_gate(project_copy),
        *(f"{path}\0" + (project.root / path).read_text() for path, _ in security.REPOSITORY_SCANS),
        *checkov,
    )

    for environment, report in reports.items():
        code, plan, dockerfile, gitlab_ci = report.scans
        assert code.label == f"terraform code with environments/{environment}.tfvars"
        assert plan.label == f"plan build/{environment}/plan.json"
        # The pipeline's own files (review 2026-12-07 L5), scanned once, in every report.
        assert dockerfile.label == "dockerfile ci/Dockerfile"
        assert gitlab_ci.label == "gitlab_ci .gitlab-ci.yml"
        for scan in report.scans:
            assert (scan.failed, scan.parsing_errors) == (0, 0), (environment, scan)
        for scan in (code, plan):
            assert scan.passed > 200, f"{environment} / {scan.label} ran too few checks"
        assert dockerfile.passed > 50 and gitlab_ci.passed > 10, (dockerfile, gitlab_ci)
        # The plan scan read the inline skips from the code: without them it fails.
        assert plan.skipped > 0, f"{environment}: the plan scan did not see the inline skips"
        junit = ET.fromstring(junit_of[environment])
        assert junit.tag == "testsuites"
        assert int(junit.attrib["tests"]) > 400 and int(junit.attrib["failures"]) == 0
        suites = [suite.attrib["name"] for suite in junit.findall("testsuite")]
        assert any(f"environments/{environment}.tfvars" in name for name in suites)
        assert any(f"build/{environment}/plan.json" in name for name in suites)
        assert sum(name.startswith("checkov dockerfile ci/Dockerfile") for name in suites) == 1
        assert f"checkov {security.CHECKOV_VERSION} on {environment}: " in "\n".join(said)
    assert sum(line.startswith("scan ") for line in said) == len(ENVIRONMENTS)  # one table each


def test_every_inline_skip_names_a_check_and_says_why(project):
    skips = []
    for path in sorted(project.root.glob("*.tf")) + sorted(project.root.glob("modules/*/*.tf")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if match := SKIP.search(line):
                where = f"{path.relative_to(project.root)}:{number}"
                skips.append(where)
                check, reason = match[1], (match[2] or "").strip()
                assert re.fullmatch(r"CKV2?_AWS_\d+", check), f"{where}: skip names no check"
                assert len(reason) >= 30, f"{where}: the skip of {check} must say why"
    assert skips, "no inline skips found: the pattern no longer matches"


def test_the_pipeline_files_skips_name_a_check_and_say_why(project):
    # ci/Dockerfile and .gitlab-ci.yml are scanned too (security.REPOSITORY_SCANS); their skips
    # follow the same rule.
    frameworks = {"dockerfile": r"CKV_DOCKER_\d+", "gitlab_ci": r"CKV_GITLABCI_\d+"}
    assert [framework for _, framework in security.REPOSITORY_SCANS] == list(frameworks)
    for path, framework in security.REPOSITORY_SCANS:
        for number, line in enumerate((project.root / path).read_text().splitlines(), 1):
            if match := SKIP.search(line):
                check, reason = match[1], (match[2] or "").strip()
                assert re.fullmatch(frameworks[framework], check), f"{path}:{number}"
                assert len(reason) >= 30, f"{path}:{number}: the skip of {check} must say why"


def test_plan_skip_conflicts_finds_same_named_resources_with_different_skips(tmp_path: Path):
    def module(name: str, skips: str) -> None:
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            f'resource "aws_cloudwatch_log_group" "this" {{\n{skips}  name = "x"\n}}\n'
        )

    module("a", "  # checkov:skip=CKV_AWS_338:retention chosen per environment\n")
    module("b", "  # checkov:skip=CKV_AWS_338:retention chosen per environment\n")
    assert security.plan_skip_conflicts(tmp_path) == []
    module("c", "")
    assert security.plan_skip_conflicts(tmp_path) == [
        "aws_cloudwatch_log_group.this (a/main.tf, b/main.tf: skips CKV_AWS_338; "
        "c/main.tf: skips nothing)"
    ]


def test_log_retention_skips_state_each_environments_value(project):
    # Review 2026-12-07 L5: a skip's reason must be true in every environment it applies to.
    # The CKV_AWS_338 (a year of log retention) skips name each environment's value, read here
    # from the environment files; where an environment keeps logs a year, the skip must go.
    from carcierge_pipeline.hcl import load_tfvars

    days = {
        env: load_tfvars(project.root / "environments" / f"{env}.tfvars")["log_retention_days"]
        for env in ENVIRONMENTS
    }
    stated = ", ".join(f"{env} {value}" for env, value in days.items())
    found = 0
    for path in sorted(project.root.glob("modules/*/*.tf")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if (match := SKIP.search(line)) and match[1] == "CKV_AWS_338":
                found += 1
                assert f"({stated} days)" in (match[2] or ""), f"{path}:{number}: {line.strip()}"
    assert found > 0
    assert all(value < 365 for value in days.values()), "a year's retention: drop the skips"


def test_the_gate_refuses_any_failed_check_or_parse_error():
    def report(environment: str, failed: int = 0, parsing_errors: int = 0):
        scan = security.ScanResult("plan", failed=failed, parsing_errors=parsing_errors)
        return security.SecurityReport(environment, [scan])

    clean = {"qa": report("qa")}
    assert security.require_clean(clean) is clean
    mixed = {"qa": report("qa"), "uat": report("uat", failed=2), "prod": report("prod", 0, 1)}
    with pytest.raises(StageFailed) as refused:
        security.require_clean(mixed)
    assert str(refused.value) == (
        "security scan of uat: 2 failed check(s), 0 parse error(s); "
        "security scan of prod: 0 failed check(s), 1 parse error(s)"
    )
