"""Real-mode pre-flight (issue 14, item 11): placeholders and a fresh account's gaps are refused
before Terraform starts, one line each; the account is read from moto's server."""

from __future__ import annotations

import re
import shutil
import urllib.request

import boto3
import pytest

from carcierge_pipeline import cli, preflight
from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project


@pytest.fixture
def iam(moto_endpoint):
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=10
    ).close()
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    return session.client("iam", region_name="us-west-1", endpoint_url=moto_endpoint)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_committed_placeholders_are_found(project, environment):
    problems = preflight.placeholder_problems(project.root, environment)
    where = f"environments/{environment}.tfvars"
    certificate = [p for p in problems if "ssl_certificate_arn" in p]
    assert len(certificate) == 1
    assert re.match(
        rf"{where}:\d+: ssl_certificate_arn is the placeholder certificate ", certificate[0]
    )
    images = [p for p in problems if ".container_image is an image in AWS's example" in p]
    assert len(images) == 5, problems  # one line per service
    assert all(line.count("\n") == 0 for line in problems)


def test_real_values_pass(project, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(project.root / "environments", root / "environments")
    shutil.copy(project.root / "terraform.tfvars", root / "terraform.tfvars")
    path = root / "environments" / "prod.tfvars"
    path.write_text(path.read_text().replace("123456789012", "210987654321"))
    assert preflight.placeholder_problems(root, "prod") == []


def test_a_fresh_account_lacks_the_opensearch_role(iam):
    [problem] = preflight.account_problems(iam)
    assert problem.startswith("the account has no OpenSearch service-linked role")
    iam.create_service_linked_role(AWSServiceName="opensearchservice.amazonaws.com")
    assert preflight.account_problems(iam) == []


def test_preflight_reports_every_problem_then_fails(project, iam):
    said: list[str] = []
    with pytest.raises(StageFailed, match=r"pre-flight found 9 problem\(s\) .* prod apply"):
        preflight.run_preflight(project.root, "prod", iam, echo=said.append)
    assert len(said) == 9 and all(line.startswith("pre-flight: ") for line in said)
    assert any("ops_image names AWS's example account" in line for line in said)
    assert any("opensearch_admin_principal_arns[0] names AWS's example account" in s for s in said)


def test_a_real_plan_stops_before_terraform(project, moto_endpoint, iam, monkeypatch, capsys):
    # The CLI's real-mode path: placeholders refused before any `terraform init`. `iam` resets
    # the emulator, so the account lacks the OpenSearch role whatever ran before: 8 placeholders
    # (certificate, five images, ops image, admin role) and the role.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("OFFLINE", "0")
    monkeypatch.setenv("TF_STATE_BUCKET", "carcierge-state-test")
    for name in ("CI_JOB_ID", "CI_COMMIT_BRANCH", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Project, "find", classmethod(lambda cls, start=None: project))
    assert cli.main(["plan", "-e", "uat"]) == 1
    captured = capsys.readouterr()
    assert "pre-flight: environments/uat.tfvars:" in captured.out
    assert captured.err.startswith("failed: pre-flight found 9 problem(s)")
