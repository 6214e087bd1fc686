"""Real-mode pre-flight (issue 14, item 11): placeholders and a fresh account's gaps are refused
before Terraform starts, one line each; the account is read from moto's server."""

from __future__ import annotations

import hashlib
import re
import shutil
import urllib.request

import boto3
import pytest
from support import environment_values

from carcierge_pipeline import cli, preflight
from carcierge_pipeline.environments import ENVIRONMENTS, PROTECTED_ENVIRONMENTS
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project


@pytest.fixture
def iam(moto_endpoint):
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=60
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
    placeholders = [
        key
        for key, service in environment_values(project.root, environment)["services"].items()
        if service["container_image"].startswith("123456789012.")
    ]
    assert placeholders and len(images) == len(placeholders), problems  # one line per service
    # The environment's own account (issue 22 item 2): each file holds a distinct placeholder.
    [account] = [p for p in problems if p.split(": ", 1)[1].startswith("aws_account_id ")]
    assert re.match(rf"{where}:\d+: aws_account_id is a placeholder account \d{{12}}: ", account)
    assert all(line.count("\n") == 0 for line in problems)


def _real_digests(text: str) -> str:
    """The committed placeholder digests (sha256:000…0N) replaced by digests of real content."""
    return re.sub(
        r"@sha256:0{56}[0-9a-f]{8}",
        lambda m: "@sha256:" + hashlib.sha256(m.group(0).encode()).hexdigest(),
        text,
    )


def test_real_values_pass(project, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(project.root / "environments", root / "environments")
    shutil.copy(project.root / "terraform.tfvars", root / "terraform.tfvars")
    path = root / "environments" / "prod.tfvars"
    path.write_text(_real_digests(path.read_text().replace("123456789012", "210987654321")))
    assert preflight.placeholder_problems(root, "prod") == []


@pytest.mark.parametrize("environment", PROTECTED_ENVIRONMENTS)
def test_placeholder_digests_are_refused_in_a_real_account(project, tmp_path, environment):
    # uat and prod pin their images by digest (a variable validation); the committed digests are
    # well-formed placeholders, refused even once the account is a real one.
    root = tmp_path / "project"
    shutil.copytree(project.root / "environments", root / "environments")
    path = root / "environments" / f"{environment}.tfvars"
    path.write_text(path.read_text().replace("123456789012", "210987654321"))
    problems = preflight.placeholder_problems(root, environment)
    digests = [p for p in problems if "is pinned to a placeholder digest" in p]
    pinned = [i for i in _images(root, environment).values() if PLACEHOLDER_DIGEST.search(i)]
    assert pinned and len(digests) == len(pinned), problems  # each service and the ops task
    assert any(
        re.match(rf"environments/{environment}.tfvars:\d+: ops_image is pinned", p) for p in digests
    )


def test_a_fresh_account_lacks_the_opensearch_role(iam):
    [problem] = preflight.account_problems(iam)
    assert problem.startswith("the account has no OpenSearch service-linked role")
    iam.create_service_linked_role(AWSServiceName="opensearchservice.amazonaws.com")
    assert preflight.account_problems(iam) == []


def _problems(project, environment: str, *, more: int) -> str:
    """The count the pre-flight reports: the environment file's placeholders (one per service
    image, so it follows the file) and ``more`` problems of the account."""
    return f"{len(preflight.placeholder_problems(project.root, environment)) + more} problem(s)"


def test_preflight_reports_every_problem_then_fails(project, iam):
    said: list[str] = []
    found = re.escape(_problems(project, "prod", more=1))  # and the OpenSearch role
    with pytest.raises(StageFailed, match=rf"pre-flight found {found} .* prod apply"):
        preflight.run_preflight(project.root, "prod", iam, echo=said.append)
    placeholders = preflight.placeholder_problems(project.root, "prod")
    assert len(said) == len(placeholders) + 1  # one line each, and the OpenSearch role
    assert all(line.startswith("pre-flight: ") for line in said)
    assert any("ops_image names AWS's example account" in line for line in said)
    assert any("opensearch_admin_principal_arns[0] names AWS's example account" in s for s in said)


@pytest.fixture
def real_mode_cli(project, moto_endpoint, iam, monkeypatch):
    """The CLI in real mode against moto's server, outside CI, on the test's project copy;
    `iam` resets the emulator first."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("OFFLINE", "0")
    monkeypatch.setenv("TF_STATE_BUCKET", "carcierge-state-test")
    for name in ("CI_JOB_ID", "CI_COMMIT_BRANCH", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(Project, "find", classmethod(lambda cls, start=None: project))
    return cli.main


def test_a_real_plan_stops_before_terraform(project, real_mode_cli, capsys):
    # The CLI's real-mode path: placeholders refused before any `terraform init`. `iam` resets
    # the emulator, so the account lacks the OpenSearch role whatever ran before: the
    # placeholders (certificate, each service's image, ops image, admin role) and the role.
    assert real_mode_cli(["plan", "-e", "uat"]) == 1
    captured = capsys.readouterr()
    assert "pre-flight: environments/uat.tfvars:" in captured.out
    found = _problems(project, "uat", more=1)
    assert captured.err.startswith(f"failed: pre-flight found {found}"), captured.err


# --- the backup region: RDS is asked whether it takes automated backups from aws_region -------


class StubbedRds:
    """RDS clients per region whose DescribeSourceRegions answers are stubbed (botocore's
    Stubber: a call without a queued answer fails the test)."""

    def __init__(self, answers: dict[str, list[dict]]) -> None:
        from botocore.stub import Stubber

        self.asked: list[str] = []
        self.stubbers: list[Stubber] = []
        self.answers = answers
        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        self.stubber_type = Stubber

    def __call__(self, region: str):
        self.asked.append(region)
        client = self.session.client("rds", region_name=region)
        stubber = self.stubber_type(client)
        stubber.add_response(
            "describe_source_regions",
            {"SourceRegions": self.answers[region]},
            {"RegionName": "us-west-1"},
        )
        stubber.activate()
        self.stubbers.append(stubber)
        return client


def _line_of(path, key: str) -> int:
    """The line of ``path`` that sets ``key`` (what a refusal names)."""
    lines = path.read_text().splitlines()
    return next(number for number, text in enumerate(lines, start=1) if text.startswith(key))


def _source(region: str, supported: bool) -> dict:
    return {
        "RegionName": region,
        "Endpoint": f"https://rds.{region}.amazonaws.com",
        "Status": "available",
        "SupportsDBInstanceAutomatedBackupsReplication": supported,
    }


def test_a_supported_backup_region_passes(project):
    rds = StubbedRds({"us-east-1": [_source("us-west-1", True)]})
    assert preflight.backup_region_problems(project.root, "prod", rds) == []
    assert rds.asked == ["us-east-1"]  # asked in prod's backup_region, for prod's aws_region
    for stubber in rds.stubbers:
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "answer",
    [[_source("us-west-1", False)], [], [_source("us-east-2", True)]],
    ids=["unsupported", "not-listed", "another-region-only"],
)
def test_an_unsupported_backup_region_is_refused_with_its_line(project, tmp_path, answer):
    root = tmp_path / "project"
    shutil.copytree(project.root / "environments", root / "environments")
    path = root / "environments" / "prod.tfvars"
    path.write_text(path.read_text().replace('"us-east-1"', '"us-west-2"'))
    rds = StubbedRds({"us-west-2": answer})
    [problem] = preflight.backup_region_problems(root, "prod", rds)
    line = _line_of(path, "backup_region")
    assert problem.startswith(
        f"environments/prod.tfvars:{line}: backup_region us-west-2 cannot receive RDS "
        "automated backups from us-west-1 (RDS DescribeSourceRegions in us-west-2)"
    )
    assert "--region-name us-west-1" in problem and "\n" not in problem


@pytest.mark.parametrize("environment", ["staging", "qa", "uat"])
def test_environments_without_cross_region_copies_ask_nothing(project, environment):
    rds = StubbedRds({})
    assert preflight.backup_region_problems(project.root, environment, rds) == []
    assert rds.asked == []


def test_preflight_counts_the_backup_region_with_the_rest(project, iam):
    said: list[str] = []
    rds = StubbedRds({"us-east-1": [_source("us-west-1", False)]})
    found = re.escape(_problems(project, "prod", more=2))  # the role and the backup region
    with pytest.raises(StageFailed, match=rf"pre-flight found {found}"):
        preflight.run_preflight(project.root, "prod", iam, rds_in=rds, echo=said.append)
    assert sum("cannot receive RDS automated backups" in line for line in said) == 1


def test_a_real_prod_plan_asks_rds_in_the_backup_region(
    project, real_mode_cli, monkeypatch, capsys
):
    # The CLI wiring: the pre-flight's RDS client is one of prod's backup_region (moto does not
    # serve DescribeSourceRegions, so the client is the stubbed one).
    from carcierge_pipeline.state.aws import AwsClients

    rds = StubbedRds({"us-east-1": [_source("us-west-1", False)]})
    monkeypatch.setattr(AwsClients, "rds", property(lambda clients: rds(clients.region)))
    assert real_mode_cli(["plan", "-e", "prod"]) == 1
    assert rds.asked == ["us-east-1"]
    captured = capsys.readouterr()
    assert "backup_region us-east-1 cannot receive RDS automated backups" in captured.out
    found = _problems(project, "prod", more=2)  # the role and the backup region
    assert captured.err.startswith(f"failed: pre-flight found {found}"), captured.err


# --- image repositories: tags that cannot be moved (review 2026-12-07 M4) ----------------------


class StubbedEcr:
    """ECR clients per region whose DescribeRepositories answers are stubbed, one per repository
    asked (botocore's Stubber: a call without a queued answer, or with other parameters, fails)."""

    def __init__(self, answers: dict[str, str | None], account: str = "210987654321") -> None:
        from botocore.stub import Stubber

        self.answers = answers  # repository -> imageTagMutability, None: not found
        self.account = account
        self.asked: list[tuple[str, str]] = []
        self.stubbers: list[Stubber] = []
        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing"
        )

    def __call__(self, region: str):
        from botocore.stub import Stubber

        client = self.session.client("ecr", region_name=region)
        stubber = Stubber(client)
        original = client.describe_repositories

        def describe(**kwargs):
            [repository] = kwargs["repositoryNames"]
            self.asked.append((region, repository))
            expected = {"registryId": self.account, "repositoryNames": [repository]}
            mutability = self.answers[repository]
            if mutability is None:
                stubber.add_client_error(
                    "describe_repositories",
                    "RepositoryNotFoundException",
                    "not found",
                    400,
                    expected_params=expected,
                )
            else:
                stubber.add_response(
                    "describe_repositories",
                    {
                        "repositories": [
                            {
                                "repositoryName": repository,
                                "registryId": self.account,
                                "imageTagMutability": mutability,
                            }
                        ]
                    },
                    expected,
                )
            return original(**kwargs)

        stubber.activate()
        client.describe_repositories = describe
        self.stubbers.append(stubber)
        return client


PLACEHOLDER_DIGEST = re.compile(r"@sha256:0{56}[0-9a-f]{8}$")
_REPOSITORY = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/([^:@]+)")


def _images(root, environment: str) -> dict[str, str]:
    """Each image the environment file names, by setting: services.<key>.container_image and
    ops_image (what the pre-flight asks ECR about)."""
    images = {
        f"services.{key}.container_image": service["container_image"]
        for key, service in environment_values(root, environment)["services"].items()
    }
    images["ops_image"] = environment_values(root, environment)["ops_image"]
    return images


def _repositories(root, environment: str) -> list[str]:
    """The ECR repositories of the environment file's images (they follow the file: a service
    added as docs/runbooks/add-service.md says brings its own)."""
    found = (_REPOSITORY.match(image) for image in _images(root, environment).values())
    return sorted({match[1] for match in found if match})


def _real_account(project, tmp_path, environment: str):
    root = tmp_path / "project"
    shutil.copytree(project.root / "environments", root / "environments")
    path = root / "environments" / f"{environment}.tfvars"
    path.write_text(_real_digests(path.read_text().replace("123456789012", "210987654321")))
    return root, path


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_immutable_repositories_pass(project, tmp_path, environment):
    root, _ = _real_account(project, tmp_path, environment)
    repositories = _repositories(root, environment)
    assert "carcierge-ops" in repositories and len(repositories) > 1
    ecr = StubbedEcr(dict.fromkeys(repositories, "IMMUTABLE"))
    assert preflight.image_repository_problems(root, environment, ecr) == []
    # each repository asked once, in the region its image URI names
    assert sorted(ecr.asked) == sorted(("us-west-1", r) for r in repositories)
    for stubber in ecr.stubbers:
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "mutability", ["MUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"]
)
def test_movable_tags_are_refused_with_their_line(project, tmp_path, mutability):
    root, path = _real_account(project, tmp_path, "prod")
    repositories = _repositories(root, "prod")
    ecr = StubbedEcr({**dict.fromkeys(repositories, "IMMUTABLE"), "carcierge-ops": mutability})
    [problem] = preflight.image_repository_problems(root, "prod", ecr)
    line = _line_of(path, "ops_image")
    assert problem.startswith(
        f"environments/prod.tfvars:{line}: ops_image comes from ECR repository carcierge-ops "
        f"(account 210987654321, us-west-1), whose tags are {mutability}: "
    )
    assert "--image-tag-mutability IMMUTABLE`" in problem and "\n" not in problem


def test_a_missing_repository_is_refused(project, tmp_path):
    root, _ = _real_account(project, tmp_path, "uat")
    setting, image = next(
        (setting, image)
        for setting, image in _images(root, "uat").items()
        if setting.startswith("services.")
    )
    missing = _REPOSITORY.match(image)[1]  # type: ignore[index]
    ecr = StubbedEcr({**dict.fromkeys(_repositories(root, "uat"), "IMMUTABLE"), missing: None})
    [problem] = preflight.image_repository_problems(root, "uat", ecr)
    said = (
        f"{setting} comes from ECR repository {missing} (account 210987654321, us-west-1), "
        "which does not exist"
    )
    assert re.match(rf"environments/uat\.tfvars:\d+: {re.escape(said)}", problem), problem


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_placeholder_images_ask_nothing(project, environment):
    # The committed files name AWS's example account: placeholder_problems refuses them, and
    # ECR is not asked about an account that is not this one.
    ecr = StubbedEcr({})
    assert preflight.image_repository_problems(project.root, environment, ecr) == []
    assert ecr.asked == []


def test_a_real_plan_asks_ecr_about_every_repository(real_mode_cli, monkeypatch, capsys):
    # The CLI wiring: with the example account taken as a real one (no placeholders), the
    # pre-flight asks ECR about each image's repository and refuses the mutable ones.
    from carcierge_pipeline.state.aws import AwsClients

    monkeypatch.setattr(preflight, "EXAMPLE_ACCOUNT", "000000000000")
    root = Project.find().root
    repositories = _repositories(root, "staging")
    setting, image = [
        (setting, image)
        for setting, image in _images(root, "staging").items()
        if setting.startswith("services.")
    ][-1]
    mutable = _REPOSITORY.match(image)[1]  # type: ignore[index]
    ecr = StubbedEcr(
        {**dict.fromkeys(repositories, "IMMUTABLE"), mutable: "MUTABLE"},
        account="123456789012",
    )
    monkeypatch.setattr(AwsClients, "ecr", property(lambda clients: ecr(clients.region)))
    assert real_mode_cli(["plan", "-e", "staging"]) == 1
    assert sorted(ecr.asked) == sorted(("us-west-1", r) for r in repositories)
    captured = capsys.readouterr()
    assert f"{setting} comes from ECR repository {mutable}" in captured.out
