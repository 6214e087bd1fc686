"""Security scan: checkov (pinned, offline) on the Terraform code with the environment's variable
file, and on the environment's plan.json. Writes one JUnit report for GitLab
(build/<env>/checkov-junit.xml) and the raw results (checkov.json), prints a short table and
fails on any failed check or parse error.

checkov pins libraries that clash with the project's test tools, so it lives in a venv of its
own (``make checkov`` → ``.venv/tools/checkov``); ``$CHECKOV`` points elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from carcierge_pipeline import environments
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.project import Project

CHECKOV_VERSION = "3.3.30"
# Not the platform's Terraform: the Python package and its fixtures, generated output, and the
# `terraform test` files (.tftest.hcl, which checkov cannot parse).
SKIP_PATHS = ("pipeline-scripts/", "build/", "tests/")


def find_checkov(project: Project, environ: Mapping[str, str] = os.environ) -> Path:
    explicit = environ.get("CHECKOV")
    candidates = (
        [Path(explicit)]
        if explicit
        else [
            Path(sys.prefix) / "tools" / "checkov" / "bin" / "checkov",
            project.root / ".venv" / "tools" / "checkov" / "bin" / "checkov",
        ]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    where = explicit or candidates[0]
    raise UserError(
        f"checkov not found at {where}: run `make checkov` (installs checkov=={CHECKOV_VERSION}"
        " into .venv/tools/checkov) or set CHECKOV"
    )


@dataclass
class Finding:
    check_id: str
    name: str
    resource: str
    location: str


@dataclass
class ScanResult:
    label: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    parsing_errors: int = 0
    findings: list[Finding] = field(default_factory=list)
    junit: ET.Element | None = None


@dataclass
class SecurityReport:
    environment: str
    scans: list[ScanResult]

    @property
    def failed(self) -> int:
        return sum(scan.failed for scan in self.scans)

    @property
    def parsing_errors(self) -> int:
        return sum(scan.parsing_errors for scan in self.scans)


def _reports(data: object) -> list[dict]:
    """checkov prints one report object, a list of them, or a bare summary when nothing ran."""
    if isinstance(data, list):
        return [d for d in data if isinstance(d, dict)]
    return [data] if isinstance(data, dict) else []


def parse_results(label: str, data: object) -> ScanResult:
    result = ScanResult(label)
    for report in _reports(data):
        summary = report.get("summary", report)
        result.passed += int(summary.get("passed", 0))
        result.failed += int(summary.get("failed", 0))
        result.skipped += int(summary.get("skipped", 0))
        result.parsing_errors += int(summary.get("parsing_errors", 0))
        for check in (report.get("results") or {}).get("failed_checks") or []:
            lines = check.get("file_line_range") or []
            location = (check.get("file_path") or "").lstrip("/")
            if lines and lines[0]:
                location += f":{lines[0]}"
            result.findings.append(
                Finding(
                    check.get("check_id", "?"),
                    check.get("check_name", ""),
                    check.get("resource", ""),
                    location,
                )
            )
    return result


def _checkov(
    checkov: Path, args: list[str], cwd: Path, output: Path, environ: Mapping[str, str]
) -> subprocess.Popen:
    env = dict(environ)
    env["CKV_PARSE_ERROR_FAIL"] = "true"  # a file checkov cannot read is a failure, not a pass
    env.setdefault("BC_SKIP_MAPPING", "TRUE")  # no network look-ups
    command = [
        str(checkov),
        *args,
        "--skip-download",
        "-o",
        "json",
        "-o",
        "junitxml",
        "--output-file-path",
        str(output),
    ]
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(label: str, process: subprocess.Popen, output: Path) -> ScanResult:
    stdout, stderr = process.communicate()
    results = output / "results_json.json"
    if process.returncode not in (0, 1) or not results.is_file():
        tail = "\n".join((stderr or stdout or "").strip().splitlines()[-5:])
        raise StageFailed(f"checkov ({label}) did not run (exit {process.returncode}): {tail}")
    result = parse_results(label, json.loads(results.read_text() or "{}"))
    junit = output / "results_junitxml.xml"
    if junit.is_file() and junit.stat().st_size:
        result.junit = ET.parse(junit).getroot()
    return result


def merge_junit(scans: list[ScanResult]) -> ET.Element:
    root = ET.Element("testsuites", name="checkov")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for scan in scans:
        if scan.junit is None:
            continue
        suites = [scan.junit] if scan.junit.tag == "testsuite" else scan.junit.findall("testsuite")
        for suite in suites:
            suite.set("name", f"checkov {scan.label}: {suite.get('name', '')}".strip(": "))
            for properties in suite.findall("properties"):
                suite.remove(properties)  # checkov's own command-line arguments: noise
            for key in totals:
                totals[key] += int(suite.get(key, 0) or 0)
            root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def table(report: SecurityReport) -> str:
    lines = [f"{'scan':<44} {'passed':>6} {'failed':>6} {'skipped':>7} {'errors':>6}"]
    for scan in report.scans:
        lines.append(
            f"{scan.label:<44} {scan.passed:>6} {scan.failed:>6} {scan.skipped:>7} "
            f"{scan.parsing_errors:>6}"
        )
    grouped: dict[str, list[Finding]] = {}
    for scan in report.scans:
        for finding in scan.findings:
            grouped.setdefault(finding.check_id, []).append(finding)
    if grouped:
        lines += [
            "",
            f"failed checks ({report.failed}), by check (all of them in the JUnit report):",
        ]
        for check_id, found in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            name = textwrap.shorten(found[0].name, 72, placeholder="...")
            lines.append(f"  {check_id:<12} x{len(found):<3} {name}")
            lines.append(f"  {'':<17} e.g. {found[0].resource} ({found[0].location})")
    return "\n".join(lines)


def run_security(
    project: Project,
    environment: str,
    *,
    echo: Callable[[str], None] = print,
    environ: Mapping[str, str] = os.environ,
) -> SecurityReport:
    build = project.build_dir(environment)
    plan_json = build / "plan.json"
    if not plan_json.is_file():
        raise UserError(
            f"no plan for {environment} at {plan_json.relative_to(project.root)}: "
            f"run `carcierge plan -e {environment}` first"
        )
    var_file = environments.var_file(project.root, environment).relative_to(project.root)
    checkov = find_checkov(project, environ)
    skips = [arg for path in SKIP_PATHS for arg in ("--skip-path", path)]
    hcl_label = f"terraform code with {var_file}"
    plan_label = f"plan {plan_json.relative_to(project.root)}"
    echo(f"checkov {CHECKOV_VERSION} on {environment}: {hcl_label}; {plan_label}")
    with tempfile.TemporaryDirectory(prefix="checkov-") as scratch:
        hcl_out, plan_out = Path(scratch, "hcl"), Path(scratch, "plan")
        # The two scans are independent: run them side by side.
        hcl = _checkov(
            checkov,
            ["-d", ".", "--framework", "terraform", "--var-file", str(var_file), *skips],
            project.root,
            hcl_out,
            environ,
        )
        plan = _checkov(
            checkov,
            ["-f", str(plan_json.relative_to(project.root)), "--framework", "terraform_plan"],
            project.root,
            plan_out,
            environ,
        )
        scans = [_finish(hcl_label, hcl, hcl_out), _finish(plan_label, plan, plan_out)]
    report = SecurityReport(environment, scans)
    build.mkdir(parents=True, exist_ok=True)
    junit = build / "checkov-junit.xml"
    tree = ET.ElementTree(merge_junit(scans))
    ET.indent(tree)
    tree.write(junit, encoding="utf-8", xml_declaration=True)
    (build / "checkov.json").write_text(
        json.dumps(
            {
                "environment": environment,
                "checkov_version": CHECKOV_VERSION,
                "scans": [
                    {
                        "scan": s.label,
                        "passed": s.passed,
                        "failed": s.failed,
                        "skipped": s.skipped,
                        "parsing_errors": s.parsing_errors,
                        "failed_checks": [f.__dict__ for f in s.findings],
                    }
                    for s in scans
                ],
            },
            indent=2,
        )
        + "\n"
    )
    echo(table(report))
    echo(f"JUnit report: {junit.relative_to(project.root)}")
    if report.failed or report.parsing_errors:
        raise StageFailed(
            f"security scan of {environment}: {report.failed} failed check(s), "
            f"{report.parsing_errors} parse error(s)"
        )
    return report
