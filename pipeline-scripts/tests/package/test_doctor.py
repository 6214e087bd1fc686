"""`carcierge doctor` (issue 22 item 5) against moto's server and, for the certificate's
validation status (moto's ACM does not let a test choose it), botocore's Stubber."""

from __future__ import annotations

import json
import re

import boto3
import pytest
import test_state
from botocore.stub import Stubber
from support import copy_project

from carcierge_pipeline import accounts, cli, environments, hcl, oidc, state
from carcierge_pipeline.doctor import render, run_doctor
from carcierge_pipeline.project import Project

moto_clients = test_state.moto_clients
aws = test_state.aws
BUCKET, REGION, TABLE = test_state.BUCKET, test_state.REGION, test_state.TABLE
ENV = "prod"  # its file's placeholder account is moto's own, 123456789012
PROJECT_PATH = "acme/carcierge-infra"


def _settings(project) -> dict:
    return hcl.plain(hcl.load_tfvars(environments.var_file(project.root, ENV)))


def _certificate(project) -> str:
    return str(_settings(project)["ssl_certificate_arn"])


def _environ() -> dict[str, str]:
    return {
        "TF_STATE_BUCKET": BUCKET,
        "BACKEND_REGION": REGION,
        "TF_LOCK_TABLE": TABLE,
        "ALERT_EMAILS": "oncall@example.com",
    }


def _clients(
    moto_endpoint: str, certificate_status: str | None, certificate: str = ""
) -> state.AwsClients:
    """Fresh clients on moto; ACM answered by a Stubber when a status is given."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    clients = state.AwsClients(REGION, moto_endpoint, session=session)
    if certificate_status:
        acm = session.client("acm", region_name=REGION, endpoint_url=moto_endpoint)
        stubber = Stubber(acm)
        stubber.add_response(
            "describe_certificate",
            {"Certificate": {"CertificateArn": certificate, "Status": certificate_status}},
            {"CertificateArn": certificate},  # the environment file's certificate is asked
        )
        stubber.activate()
        clients._clients["acm"] = acm
    return clients


@pytest.fixture
def project(project, tmp_path):
    """A copy: uat and prod pin images by digest, which the ready account's images must have
    (ready_account writes the digest ECR gave the pushed image into the copy's file)."""
    return copy_project(project, tmp_path / "project")


_IMAGE = re.compile(
    r"^[^/]+/(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:\S+))?$"
)


@pytest.fixture
def ready_account(aws, moto_endpoint, project, monkeypatch):
    """Everything prod's first pipeline needs, in moto's account."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    test_state._bootstrap(aws)
    oidc.bootstrap(
        ENV, PROJECT_PATH, BUCKET, TABLE, REGION, account_id=accounts.account_id(project.root, ENV),
        root=project.root, kms_key=state.DEFAULT_KMS_ALIAS, clients=aws,
    )  # fmt: skip
    aws.iam.create_service_linked_role(AWSServiceName="opensearchservice.amazonaws.com")
    settings = _settings(project)
    images = [s["container_image"] for s in settings["services"].values()]
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "layers": [],
        }
    )
    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=moto_endpoint)
    digests = set()
    for image in [*images, settings["ops_image"]]:
        match = _IMAGE.match(image)
        assert match, image
        ecr.create_repository(repositoryName=match["repository"])
        pushed = ecr.put_image(
            repositoryName=match["repository"], imageManifest=manifest, imageTag=match["tag"] or "x"
        )
        digests.add(pushed["image"]["imageId"]["imageDigest"])
    [digest] = digests  # one manifest, one digest: the placeholders become it
    var_file = environments.var_file(project.root, ENV)
    var_file.write_text(re.sub(r"sha256:[0-9a-f]{64}", digest, var_file.read_text()))
    aws.iam.create_role(
        Path="/aws-reserved/sso.amazonaws.com/",
        RoleName="AWSReservedSSO_AdministratorAccess_0123456789abcdef",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    return aws


# moto loads AWS's managed policies after its reset (ReadOnlyAccess): a few seconds.
@pytest.mark.slow(seconds=8)
def test_a_ready_account_passes_every_check(ready_account, moto_endpoint, project):
    checks = run_doctor(
        project.root, ENV, _clients(moto_endpoint, "ISSUED", _certificate(project)),
        environ=_environ(),
        project_path=PROJECT_PATH,
    )  # fmt: skip
    assert [c.name for c in checks if not c.ok] == [], render(checks)
    names = [c.name for c in checks]
    assert names[:5] == [
        "credentials and account", "plan role", "deploy role", "state backend",
        "OpenSearch service-linked role",
    ]  # fmt: skip
    assert names[5] == "ACM certificate" and names[-2:] == [
        "alert e-mails",
        "OpenSearch admin roles",
    ]
    services = _settings(project)["services"]
    assert {f"image services.{key}" for key in services} | {"image ops_image"} <= set(names)
    plan = next(c for c in checks if c.name == "plan role")
    assert plan.detail == f"prod-carcierge-ci-plan <- prod, uat of {PROJECT_PATH}"
    assert render(checks)[-1] == f"all {len(checks)} checks passed"


# moto loads AWS's managed policies after its reset (ReadOnlyAccess): a few seconds.
@pytest.mark.slow(seconds=8)
def test_each_miss_has_its_fix(ready_account, moto_endpoint, project):
    # Break what a newcomer gets wrong: a role trusting the wrong branch, an image not pushed,
    # a certificate still pending, no alert e-mails.
    iam = ready_account.iam
    role = accounts.role_name(ENV, accounts.PLAN)
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    trust["Statement"][0]["Condition"]["StringEquals"]["gitlab.com:sub"] = oidc.subject(
        PROJECT_PATH, "main"
    )
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))
    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=moto_endpoint)
    image = _IMAGE.match(_settings(project)["ops_image"])
    assert image, _settings(project)["ops_image"]
    repository = image["repository"]
    ecr.delete_repository(repositoryName=repository, force=True)
    environ = {**_environ(), "ALERT_EMAILS": ""}
    pending = _clients(moto_endpoint, "PENDING_VALIDATION", _certificate(project))
    checks = run_doctor(project.root, ENV, pending, environ=environ, project_path=PROJECT_PATH)
    missed = {c.name: c for c in checks if not c.ok}
    assert set(missed) == {"plan role", "image ops_image", "ACM certificate", "alert e-mails"}
    assert missed["plan role"].detail == (
        "prod-carcierge-ci-plan trusts branches ['main'], expected ['prod', 'uat']"
    )
    assert missed["plan role"].fix.startswith("carcierge oidc bootstrap --environment prod")
    assert missed["ACM certificate"].fix == "complete its DNS validation in ACM"
    assert "RepositoryNotFoundException" in missed["image ops_image"].detail
    assert missed["alert e-mails"].fix.startswith("set ALERT_EMAILS")
    lines = render(checks)
    assert lines[-1] == f"4 of {len(checks)} checks missed"
    assert all(line.startswith(("  [ok  ] ", "  [MISS] ", "         fix: ")) for line in lines[:-1])


def test_cli_in_an_empty_account_lists_every_fix_and_fails(
    aws, moto_endpoint, project, monkeypatch, capsys
):
    monkeypatch.setattr(Project, "find", classmethod(lambda cls, start=None: project))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("TF_STATE_BUCKET", BUCKET)
    monkeypatch.delenv("ALERT_EMAILS", raising=False)
    assert cli.main(["doctor", "-e", ENV]) == 1
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[0] == "doctor: prod" and out[1].startswith("  [ok  ] credentials and account")
    assert (
        sum(line.startswith("  [MISS] ") for line in out)
        == sum(line.startswith("         fix: ") for line in out)
        > 5
    )
    assert captured.err == "failed: doctor: " + out[-1].split(" of ")[0] + (
        " check(s) missed for prod; fixes above\n"
    )
    # Another environment's account: one miss, nothing else is read.
    assert cli.main(["doctor", "-e", "qa"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("  [MISS] credentials and account: the credentials are account ")
    assert out[-1] == "1 of 1 checks missed"
