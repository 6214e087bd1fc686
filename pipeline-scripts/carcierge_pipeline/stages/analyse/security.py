"""Security scan: checkov (pinned, offline) on the Terraform code with the environment's variable
file, and on the environment's plan.json. Writes one JUnit report for GitLab
(build/<env>/checkov-junit.xml) and the raw results (checkov.json), prints a short table and
fails on any failed check or parse error.

checkov pins libraries that clash with the project's test tools, so it lives in a venv of its
own (``make checkov`` → ``.venv/tools/checkov``); ``$CHECKOV`` points elsewhere. The scans of
one or more environments run from one checkov process (checkov_driver.py: one import, a fork
per scan, several at a time).

Besides the Terraform, the files that build and run the pipeline are scanned once and reported
with every environment (review 2026-12-07 L5): the CI image's ``ci/Dockerfile`` (checkov's
``dockerfile`` framework; the image also runs as every environment's operator task) and
``.gitlab-ci.yml`` (``gitlab_ci``).

Exceptions are inline ``# checkov:skip=<check>:<why>`` comments in the resource they concern,
never a list in the scanner call. The plan scans honour the same comments: checkov reads them
from a clean copy of the Terraform code (``--repo-root-for-plan-enrichment``), and values known
only after apply count as set (``EVAL_TF_PLAN_AFTER_UNKNOWN``) — the code scan has already
checked that they are configured.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carcierge_pipeline import environments as environments_module
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.workdir import PlanFiles

CHECKOV_VERSION = "3.3.30"
# Not the platform's Terraform: the Python package and its fixtures, generated output, and the
# `terraform test` files (.tftest.hcl, which checkov cannot parse).
SKIP_PATHS = ("pipeline-scripts/", "build/", "tests/")
DRIVER = Path(__file__).with_name("checkov_driver.py")
# Files outside the Terraform that the gate scans once for all environments: path, framework.
REPOSITORY_SCANS = (("ci/Dockerfile", "dockerfile"), (".gitlab-ci.yml", "gitlab_ci"))


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


def _reports(data: object) -> list[dict[str, Any]]:
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


@dataclass(frozen=True)
class _Scan:
    environment: str
    label: str
    argv: list[str]
    output: Path


def checkov_python(checkov: Path) -> list[str]:
    """The interpreter of the checkov install: the driver must run where checkov imports."""
    script = checkov.resolve()  # pipx links bin/checkov into its venv
    for name in ("python", "python3"):
        if (script.parent / name).is_file():
            return [str(script.parent / name)]
    first = script.read_bytes()[:512].split(b"\n", 1)[0].decode(errors="replace")
    if first.startswith("#!") and "python" in first:
        return shlex.split(first[2:])
    raise UserError(
        f"{checkov} is not the checkov script of a Python install: set CHECKOV to the checkov "
        "of a pip or pipx install (or run `make checkov`)"
    )


def terraform_sources(project: Project, target: Path) -> Path:
    """Copy the platform's Terraform alone (root and module .tf files; no tests, fixtures, build
    output or scratch copies under .cache) to ``target``: the code the plan scans read inline
    skips from. checkov's plan enrichment walks every .tf below its root, hidden ones too."""
    sources = [*project.root.glob("*.tf"), *(project.root / "modules").rglob("*.tf")]
    for path in sources:
        relative = path.relative_to(project.root)
        if any(part.startswith(".") or part == "tests" for part in relative.parts):
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / relative)
    return target


_RESOURCE = re.compile(r'^resource "([\w-]+)" "([\w-]+)" \{\n(.*?)^\}', re.MULTILINE | re.DOTALL)
_SKIP = re.compile(r"checkov:skip=([A-Za-z0-9_]+)")


def plan_skip_conflicts(sources: Path) -> list[str]:
    """Resources whose inline skips a plan scan cannot tell apart.

    checkov maps a plan resource to its code by ``type.name`` alone, dropping the module path, so
    two modules' ``aws_x.this`` share the skips of whichever it parsed last. That is harmless
    while they carry the same skips; otherwise one borrows the other's, or loses its own.
    """
    found: dict[str, dict[frozenset[str], list[str]]] = {}
    for path in sorted(sources.rglob("*.tf")):
        for block in _RESOURCE.finditer(path.read_text()):
            skips = frozenset(_SKIP.findall(block[3]))
            where = str(path.relative_to(sources))
            found.setdefault(f"{block[1]}.{block[2]}", {}).setdefault(skips, []).append(where)
    return [
        f"{address} ("
        + "; ".join(
            f"{', '.join(files)}: skips {', '.join(sorted(skips)) or 'nothing'}"
            for skips, files in variants.items()
        )
        + ")"
        for address, variants in sorted(found.items())
        if len(variants) > 1
    ]


def _run_scans(
    checkov: Path,
    scans: list[_Scan],
    cwd: Path,
    environ: Mapping[str, str],
    parallel: int,
    preload: list[Path],
) -> None:
    env = dict(environ)
    env["CKV_PARSE_ERROR_FAIL"] = "true"  # a file checkov cannot read is a failure, not a pass
    env.setdefault("BC_SKIP_MAPPING", "TRUE")  # no network look-ups
    # A plan leaves values computed at apply time (KMS key ARNs of keys created in the same
    # apply, for one) "known after apply"; without this checkov reads them as missing and fails
    # every encryption check. Checks of concrete values still fail on an unknown value.
    env["EVAL_TF_PLAN_AFTER_UNKNOWN"] = "true"
    spec = {
        "parallel": parallel,
        "preload": [str(path) for path in preload],  # every scan parses these: parse them once
        "scans": [
            {
                "argv": [
                    *scan.argv,
                    "--skip-download",
                    "-o",
                    "json",
                    "-o",
                    "junitxml",
                    "--output-file-path",
                    str(scan.output),
                ],
                "output": str(scan.output),
            }
            for scan in scans
        ],
    }
    process = subprocess.run(
        [*checkov_python(checkov), str(DRIVER)],
        input=json.dumps(spec),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        tail = "\n".join((process.stderr or process.stdout).strip().splitlines()[-5:])
        raise StageFailed(f"checkov did not start (exit {process.returncode}): {tail}")


def _finish(scan: _Scan) -> ScanResult:
    exit_code = scan.output / "exit-code"
    code = int(exit_code.read_text()) if exit_code.is_file() else None
    results = scan.output / "results_json.json"
    if code not in (0, 1) or not results.is_file():
        console = scan.output / "console.log"
        log = console.read_text(errors="replace") if console.is_file() else ""
        tail = "\n".join(log.strip().splitlines()[-5:])
        raise StageFailed(f"checkov ({scan.label}) did not run (exit {code}): {tail}")
    result = parse_results(scan.label, json.loads(results.read_text() or "{}"))
    junit = scan.output / "results_junitxml.xml"
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
        for original in suites:
            suite = copy.deepcopy(original)  # a repository scan's suites go into every report
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


def scan_environments(
    project: Project,
    environments: Sequence[str],
    *,
    echo: Callable[[str], None] = print,
    environ: Mapping[str, str] = os.environ,
    parallel: int | None = None,
) -> dict[str, SecurityReport]:
    """Both scans of each environment, all from one checkov driver (``parallel`` at a time,
    default one per CPU); writes each environment's reports and prints its table."""
    for environment in environments:
        plan_json = PlanFiles(project.build_dir(environment)).json
        if not plan_json.is_file():
            raise UserError(
                f"no plan for {environment} at {plan_json.relative_to(project.root)}: "
                f"run `carcierge plan -e {environment}` first"
            )
    checkov = find_checkov(project, environ)
    skips = [arg for path in SKIP_PATHS for arg in ("--skip-path", path)]
    with tempfile.TemporaryDirectory(prefix="checkov-") as scratch:
        # The plan scans honour the same inline skips as the code scans: checkov reads them
        # from the code (--repo-root-for-plan-enrichment), here a clean copy of it.
        sources = terraform_sources(project, Path(scratch, "terraform"))
        conflicts = plan_skip_conflicts(sources)
        if conflicts:
            raise StageFailed(
                "checkov matches plan resources to their inline skips by type.name alone; give "
                "these resources distinct names or the same skips: " + "; ".join(conflicts)
            )
        scans: list[_Scan] = []
        for environment in environments:
            var_file = environments_module.var_file(project.root, environment)
            var_file = var_file.relative_to(project.root)
            plan_json = PlanFiles(project.build_dir(environment)).json.relative_to(project.root)
            hcl_label = f"terraform code with {var_file}"
            plan_label = f"plan {plan_json}"
            echo(f"checkov {CHECKOV_VERSION} on {environment}: {hcl_label}; {plan_label}")
            scans += [
                _Scan(
                    environment,
                    hcl_label,
                    ["-d", ".", "--framework", "terraform", "--var-file", str(var_file), *skips],
                    Path(scratch, environment, "hcl"),
                ),
                _Scan(
                    environment,
                    plan_label,
                    _plan_scan(plan_json, sources),
                    Path(scratch, environment, "plan"),
                ),
            ]
        # The pipeline's own files, once; their result is part of every environment's report.
        for path, framework in REPOSITORY_SCANS:
            if (project.root / path).is_file():
                scanned = _scannable(project.root / path, Path(scratch, "files", framework))
                scans.append(
                    _Scan(
                        "",
                        f"{framework} {path}",
                        ["-f", str(scanned), "--framework", framework],
                        Path(scratch, "repository", framework),
                    )
                )
        _run_scans(
            checkov,
            scans,
            project.root,
            environ,
            parallel or os.cpu_count() or 1,
            sorted(sources.rglob("*.tf")),
        )
        results = [(scan.environment, _finish(scan)) for scan in scans]
    reports = {
        environment: SecurityReport(
            environment, [result for owner, result in results if owner in (environment, "")]
        )
        for environment in environments
    }
    for report in reports.values():
        _write(project, report)
        echo(table(report))
        junit = PlanFiles(project.build_dir(report.environment)).checkov_junit
        echo(f"JUnit report: {junit.relative_to(project.root)}")
    return reports


def scan_plan_files(
    project: Project,
    plans: Mapping[str, Path],
    *,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, ScanResult]:
    """checkov's plan scan of each ``plans`` entry (label -> plan JSON) with this project's
    inline skips, from one driver: what the change preview compares before and after."""
    checkov = find_checkov(project, environ)
    with tempfile.TemporaryDirectory(prefix="checkov-") as scratch:
        sources = terraform_sources(project, Path(scratch, "terraform"))
        scans = [
            _Scan(
                label,
                f"plan {label}",
                _plan_scan(plan_json, sources),
                Path(scratch, f"scan-{number}"),
            )
            for number, (label, plan_json) in enumerate(plans.items())
        ]
        _run_scans(checkov, scans, project.root, environ, len(scans), sorted(sources.rglob("*.tf")))
        return {scan.environment: _finish(scan) for scan in scans}


def _plan_scan(plan_json: Path, sources: Path) -> list[str]:
    """checkov's arguments for a plan: its resources traced back to ``sources`` (the
    configuration, for the inline skips)."""
    return [
        "-f",
        str(plan_json),
        "--framework",
        "terraform_plan",
        "--repo-root-for-plan-enrichment",
        str(sources),
    ]


def _scannable(path: Path, directory: Path) -> Path:
    """The file checkov reads for ``path``. A YAML file of several documents (the CI file: its
    ``spec: inputs`` header, then the pipeline) is read by checkov as its first document only,
    which holds no job: the scan gets the last document, verbatim (inline skips included), under
    the same file name."""
    text = path.read_text()
    if path.suffix not in (".yml", ".yaml"):
        return path
    documents = re.split(r"^---[ \t]*$\n?", text, flags=re.MULTILINE)
    if len(documents) < 2:
        return path
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / path.name
    target.write_text(documents[-1])
    return target


def _write(project: Project, report: SecurityReport) -> None:
    files = PlanFiles(project.build_dir(report.environment))
    files.directory.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(merge_junit(report.scans))
    ET.indent(tree)
    tree.write(files.checkov_junit, encoding="utf-8", xml_declaration=True)
    files.checkov_json.write_text(
        json.dumps(
            {
                "environment": report.environment,
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
                    for s in report.scans
                ],
            },
            indent=2,
        )
        + "\n"
    )


def require_clean(reports: dict[str, SecurityReport]) -> dict[str, SecurityReport]:
    """The security gate over ``scan_environments``' reports: fails on any failed check or
    parse error in any environment."""
    failing = [r for r in reports.values() if r.failed or r.parsing_errors]
    if failing:
        raise StageFailed(
            "; ".join(
                f"security scan of {r.environment}: {r.failed} failed check(s), "
                f"{r.parsing_errors} parse error(s)"
                for r in failing
            )
        )
    return reports


def run_security(
    project: Project,
    environment: str,
    *,
    echo: Callable[[str], None] = print,
    environ: Mapping[str, str] = os.environ,
) -> SecurityReport:
    reports = scan_environments(project, [environment], echo=echo, environ=environ)
    return require_clean(reports)[environment]
