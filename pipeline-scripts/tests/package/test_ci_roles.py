"""Issue 22 item 2: per environment a plan role and a deploy role in the environment's own
account, created by `carcierge oidc bootstrap --environment` on moto's server (127.0.0.1).

moto 5.2.5 stores IAM documents but does not evaluate them: its AssumeRoleWithWebIdentity
assumes any role for any token (moto/sts/models.py: ``assume_role_with_web_identity`` calls
``assume_role``), and it has no policy simulator. So the documents the bootstrap stored in moto
are read back and evaluated with principalmapper (NCC Group's IAM evaluator: conditions,
explicit denies, permissions boundaries) with GitLab's real claims. What this does not
exercise: AWS's own evaluation and STS's token signature checks (no account here).
"""

from __future__ import annotations

import importlib
import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
import test_state

from carcierge_pipeline import accounts, ci_policies, cli, environments, oidc, state
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.project import Project

# The moto fixtures of test_state.py: an empty account per test, clients pointed at it.
moto_clients = test_state.moto_clients
aws = test_state.aws
BUCKET, REGION, TABLE = test_state.BUCKET, test_state.REGION, test_state.TABLE


def _principalmapper() -> Any:
    """principalmapper 1.1.5 (its last release) imports Mapping and MutableMapping from
    `collections`, which Python 3.10 moved to `collections.abc` (the same classes)."""
    import collections
    import collections.abc

    for name in ("Mapping", "MutableMapping"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    common = importlib.import_module("principalmapper.common")
    simulation = importlib.import_module("principalmapper.querying.local_policy_simulation")
    query = importlib.import_module("principalmapper.querying.query_interface")
    context = importlib.import_module("principalmapper.util.case_insensitive_dict")
    return SimpleNamespace(
        Node=common.Node,
        Policy=common.Policy,
        matches=simulation.policy_has_matching_statement,
        authorized=query.local_check_authorization_full,
        Context=context.CaseInsensitiveDict,
    )


pm = _principalmapper()
PROJECT_PATH = "acme/carcierge-infra"
HOST = "gitlab.com"
MOTO_ACCOUNT = "123456789012"  # moto's default account


def gitlab_claims(branch: str, project_path: str = PROJECT_PATH) -> Any:
    """The condition keys AWS derives from a GitLab ID token of a job on ``branch`` (GitLab
    docs, "OpenID Connect (OIDC) Authentication Using ID Tokens": ``sub`` is
    ``project_path:{group}/{project}:ref_type:{type}:ref:{branch_name}``; a merge request
    pipeline's ``ref`` is its source branch)."""
    return pm.Context(
        {
            f"{HOST}:aud": "https://gitlab.com",
            f"{HOST}:sub": f"project_path:{project_path}:ref_type:branch:ref:{branch}",
        }
    )


@pytest.fixture
def bootstrapped(aws, project, monkeypatch):
    """The state backend, then the OIDC bootstrap of every environment into moto's account
    (the shared-account layout: all four side by side), with the results of each run. moto
    holds AWS's managed policies (ReadOnlyAccess among them) only when asked, in the IAM
    backend it creates after the reset."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    test_state._bootstrap(aws)
    runs = {}
    for environment in environments.ENVIRONMENTS:
        runs[environment] = oidc.bootstrap(
            environment,
            PROJECT_PATH,
            BUCKET,
            TABLE,
            REGION,
            account_id=MOTO_ACCOUNT,
            root=project.root,
            kms_key=state.DEFAULT_KMS_ALIAS,
            clients=aws,
        )
    return runs


def _role(aws, environment: str, kind: str) -> dict:
    return aws.iam.get_role(RoleName=accounts.role_name(environment, kind))["Role"]


def _trust(aws, environment: str, kind: str) -> dict:
    document = _role(aws, environment, kind)["AssumeRolePolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


def may_assume(aws, environment: str, kind: str, branch: str) -> bool:
    """Whether the role's stored trust lets a GitLab job on ``branch`` in (and only through
    this instance's OIDC provider)."""
    trust = _trust(aws, environment, kind)
    [provider] = aws.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert all(s["Principal"] == {"Federated": provider["Arn"]} for s in trust["Statement"])
    return pm.matches(
        trust,
        "Allow",
        "sts:AssumeRoleWithWebIdentity",
        _role(aws, environment, kind)["Arn"],
        gitlab_claims(branch),
    )


# moto loads AWS's managed policies after its reset (ReadOnlyAccess): a few seconds.
@pytest.mark.slow(seconds=8)
def test_bootstrap_creates_one_environment_then_changes_nothing(bootstrapped, aws, project):
    first = bootstrapped["qa"]
    assert [(item.name, item.status) for item in first] == [
        ("OIDC provider gitlab.com", "unchanged"),  # staging's run created it
        ("policy qa-carcierge-ci-boundary", "created"),
        ("role qa-carcierge-ci-plan", "created"),
        ("role qa-carcierge-ci-deploy", "created"),
        ("bucket policy: state isolation", "created"),  # qa's statement, beside staging's
    ]
    again = oidc.bootstrap(
        "qa", PROJECT_PATH, BUCKET, TABLE, REGION, account_id=MOTO_ACCOUNT, root=project.root,
        kms_key=state.DEFAULT_KMS_ALIAS, clients=aws,
    )  # fmt: skip
    assert all(item.status == "unchanged" for item in again), again
    # Only that environment's roles exist per run: 2 per environment, nothing shared.
    names = {
        r["RoleName"] for r in aws.iam.list_roles()["Roles"] if "-carcierge-ci-" in r["RoleName"]
    }
    assert names == {
        accounts.role_name(env, kind)
        for env in environments.ENVIRONMENTS
        for kind in accounts.KINDS
    }


# moto loads AWS's managed policies after its reset (ReadOnlyAccess): a few seconds.
@pytest.mark.slow(seconds=8)
def test_trust_follows_gitlab_claims(bootstrapped, aws):
    # The brief's three cases: qa's deploy role refuses main, qa's plan role accepts main (the
    # promotion MR main -> qa carries the source branch), prod's plan role refuses main.
    assert not may_assume(aws, "qa", accounts.DEPLOY, "main")
    assert may_assume(aws, "qa", accounts.PLAN, "main")
    assert not may_assume(aws, "prod", accounts.PLAN, "main")
    for target, source in environments.PROMOTIONS.items():
        environment = environments.BRANCH_ENVIRONMENTS[target]
        assert may_assume(aws, environment, accounts.DEPLOY, target)
        assert may_assume(aws, environment, accounts.PLAN, target)
        assert may_assume(aws, environment, accounts.PLAN, source)
        assert not may_assume(aws, environment, accounts.DEPLOY, source)
    # staging: main only; a feature branch or a tag-like ref gets nothing anywhere.
    assert may_assume(aws, "staging", accounts.PLAN, "main")
    assert may_assume(aws, "staging", accounts.DEPLOY, "main")
    for environment in environments.ENVIRONMENTS:
        for kind in accounts.KINDS:
            assert not may_assume(aws, environment, kind, "feature/x")
    # Another project with the same branch names gets nothing.
    trust = _trust(aws, "qa", accounts.PLAN)
    other = gitlab_claims("main", "evil/carcierge-infra")
    arn = _role(aws, "qa", accounts.PLAN)["Arn"]
    assert not pm.matches(trust, "Allow", "sts:AssumeRoleWithWebIdentity", arn, other)


def _managed(aws, arn: str) -> Any:
    version = aws.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = aws.iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    text = document["Document"]
    return pm.Policy(
        arn, arn.rsplit("/", 1)[1], json.loads(text) if isinstance(text, str) else text
    )


def _node(aws, environment: str, kind: str) -> Any:
    """The role as principalmapper evaluates it: its inline and managed policies (read back
    from moto, ReadOnlyAccess as moto ships AWS's document) and its permissions boundary."""
    role = _role(aws, environment, kind)
    name = role["RoleName"]
    policies = []
    for policy_name in aws.iam.list_role_policies(RoleName=name)["PolicyNames"]:
        document = aws.iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        policies.append(pm.Policy(role["Arn"], policy_name, document))
    for attached in aws.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        policies.append(_managed(aws, attached["PolicyArn"]))
    boundary = None
    if "PermissionsBoundary" in role:
        boundary = _managed(aws, role["PermissionsBoundary"]["PermissionsBoundaryArn"])
    return pm.Node(role["Arn"], role["RoleId"], policies, [], _trust(aws, environment, kind), None,
                0, False, False, boundary, False, None)  # fmt: skip


# moto loads AWS's managed policies after its reset (ReadOnlyAccess): a few seconds.
@pytest.mark.slow(seconds=8)
def test_the_deploy_role_cannot_escalate_or_erase_backups(bootstrapped, aws):
    node = _node(aws, "qa", accounts.DEPLOY)
    boundary = f"arn:aws:iam::{MOTO_ACCOUNT}:policy/qa-carcierge-ci-boundary"

    def allowed(action: str, resource: str, **context: str) -> bool:
        return pm.authorized(node, action, resource, pm.Context(context))

    own_role = f"arn:aws:iam::{MOTO_ACCOUNT}:role/qa-carcierge-ecs-task"
    assert node.permissions_boundary is not None
    # A role of its own environment only with the boundary.
    assert allowed("iam:CreateRole", own_role, **{"iam:PermissionsBoundary": boundary})
    assert not allowed("iam:CreateRole", own_role)
    other = f"arn:aws:iam::{MOTO_ACCOUNT}:policy/prod-carcierge-ci-boundary"
    assert not allowed("iam:CreateRole", own_role, **{"iam:PermissionsBoundary": other})
    assert not allowed("iam:PutRolePolicy", own_role)
    assert not allowed("iam:AttachRolePolicy", own_role)
    # Nothing outside its names, nothing to loosen the boundary.
    prod_role = f"arn:aws:iam::{MOTO_ACCOUNT}:role/prod-carcierge-ecs-task"
    assert not allowed("iam:CreateRole", prod_role, **{"iam:PermissionsBoundary": boundary})
    assert not allowed("iam:PassRole", prod_role)
    assert allowed("iam:PassRole", own_role)
    assert not allowed("iam:DeleteRolePermissionsBoundary", node.arn)
    assert not allowed("iam:CreatePolicyVersion", boundary)
    assert not allowed("iam:DeletePolicy", boundary)
    assert not allowed("iam:CreateUser", f"arn:aws:iam::{MOTO_ACCOUNT}:user/backdoor")
    # Its own environment's resources yes, another environment's no.
    assert allowed(
        "ecs:UpdateService",
        f"arn:aws:ecs:{REGION}:{MOTO_ACCOUNT}:service/qa-carcierge-ecs-cluster/qa-carcierge-api",
    )
    assert not allowed(
        "ecs:UpdateService",
        f"arn:aws:ecs:{REGION}:{MOTO_ACCOUNT}:service/prod-carcierge-ecs-cluster/prod-carcierge-api",
    )
    assert allowed(
        "rds:ModifyDBInstance", f"arn:aws:rds:{REGION}:{MOTO_ACCOUNT}:db:qa-carcierge-rds"
    )
    assert not allowed(
        "rds:ModifyDBInstance", f"arn:aws:rds:{REGION}:{MOTO_ACCOUNT}:db:prod-carcierge-rds"
    )
    # Backups survive (issue 26 item 5), even its own.
    here = f"{REGION}:{MOTO_ACCOUNT}"
    for action, resource in (
        ("rds:DeleteDBSnapshot", f"arn:aws:rds:{here}:snapshot:qa-carcierge-rds-final"),
        ("rds:DeleteDBInstanceAutomatedBackup", f"arn:aws:rds:{here}:auto-backup:ab-x"),
        ("backup:DeleteRecoveryPoint", f"arn:aws:backup:{here}:recovery-point:x"),
        ("backup:DeleteBackupVault", f"arn:aws:backup:{here}:backup-vault:qa-carcierge-vault"),
        ("s3:DeleteObjectVersion", "arn:aws:s3:::qa-carcierge-snapshots/x"),
        ("s3:BypassGovernanceRetention", "arn:aws:s3:::qa-carcierge-snapshots/x"),
        ("s3:PutLifecycleConfiguration", f"arn:aws:s3:::{BUCKET}"),
    ):  # fmt: skip
        assert not allowed(action, resource), action
    assert allowed("s3:PutLifecycleConfiguration", "arn:aws:s3:::qa-carcierge-alb-logs")


# moto loads AWS's managed policies after its reset (ReadOnlyAccess): a few seconds.
@pytest.mark.slow(seconds=8)
def test_the_plan_role_reads_and_never_writes(bootstrapped, aws):
    role = _role(aws, "qa", accounts.PLAN)
    attached = aws.iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    node = _node(aws, "qa", accounts.PLAN)
    bucket_policy = json.loads(aws.s3.get_bucket_policy(Bucket=BUCKET)["Policy"])

    def allowed(action: str, resource: str) -> bool:
        # Over TLS 1.3, as the S3 backend calls; the state bucket's policy takes part.
        context = pm.Context({"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"})
        extra = {}
        if resource.startswith(f"arn:aws:s3:::{BUCKET}"):
            extra = {"resource_policy": bucket_policy, "resource_owner": MOTO_ACCOUNT}
        return pm.authorized(node, action, resource, context, **extra)

    state_object = f"arn:aws:s3:::{BUCKET}/carcierge/qa/terraform.tfstate"
    assert allowed("s3:GetObject", state_object)
    assert not allowed("s3:PutObject", state_object)
    assert not allowed("s3:DeleteObject", state_object)
    assert allowed("s3:PutObject", state_object + ".tflock")  # the state lock
    # ReadOnlyAccess reads every bucket; the state bucket's deny keeps prod's state from qa.
    assert not allowed("s3:GetObject", f"arn:aws:s3:::{BUCKET}/carcierge/prod/terraform.tfstate")
    assert allowed("ec2:DescribeVpcs", "*") and allowed("ecs:DescribeServices", "*")
    assert not allowed("ec2:CreateVpc", "*") and not allowed("ecs:UpdateService", "*")
    assert allowed(
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:{REGION}:{MOTO_ACCOUNT}:secret:qa-carcierge-redis-auth-AbCdEf",
    )
    assert not allowed(
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:{REGION}:{MOTO_ACCOUNT}:secret:prod-carcierge-redis-auth-AbCdEf",
    )
    # The bucket denies qa's state to every other environment's CI role (shared account).
    deny = {s["Sid"]: s for s in bucket_policy["Statement"]}["OnlyCiRolesOfQa"]
    for environment in environments.ENVIRONMENTS:
        for kind in accounts.KINDS:
            context = pm.Context({"aws:PrincipalArn": _role(aws, environment, kind)["Arn"]})
            denied = pm.matches(
                {"Statement": [deny]}, "Deny", "s3:GetObject", state_object, context
            )
            assert denied == (environment != "qa"), (environment, kind)


def test_bootstrap_refuses_another_account_in_one_line(
    aws,
    moto_endpoint,
    monkeypatch,
    capsys,
    project,
):
    # moto's account is 123456789012; qa's file names 444455556666 (a placeholder of its own).
    monkeypatch.setattr(Project, "find", classmethod(lambda cls, start=None: project))
    test_state._bootstrap(aws)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    code = cli.main(
        ["oidc", "bootstrap", "-e", "qa", "--project-path", PROJECT_PATH, "--bucket", BUCKET]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    qa_account = accounts.account_id(project.root, "qa")
    assert err == (
        f"error: these credentials are account {MOTO_ACCOUNT}, but environments/qa.tfvars "
        f"names account {qa_account} (aws_account_id): run the bootstrap with qa's account "
        "credentials, or correct the file\n"
    )
    assert not [r for r in aws.iam.list_roles()["Roles"] if r["RoleName"].startswith("qa-")]


def test_every_resource_type_has_its_service(project):
    services = ci_policies.services(project.root)
    assert {"ecs", "rds", "iam", "s3", "ec2"} <= set(services)
    with pytest.raises(UserError, match="resource type aws_foo_bar has no IAM service"):
        ci_policies.service_of("aws_foo_bar")
    assert ci_policies.service_of("aws_route_table") == "ec2"
    assert ci_policies.service_of("aws_route53_record") == "route53"  # the longer prefix


def test_roles_are_derived_from_the_environment_file(project, tmp_path):
    for environment in environments.ENVIRONMENTS:
        account = accounts.account_id(project.root, environment)
        assert re.fullmatch(r"[0-9]{12}", account)
        assert accounts.stage_role_arn(project.root, environment, "drift") == (
            f"arn:aws:iam::{account}:role/{environment}-carcierge-ci-plan"
        )
        assert accounts.stage_role_arn(project.root, environment, "apply").endswith(
            f":role/{environment}-carcierge-ci-deploy"
        )
    # Distinct accounts: the documented default is one account per environment.
    assert len({accounts.account_id(project.root, e) for e in environments.ENVIRONMENTS}) == 4
    environ = {oidc.TOKEN_VARIABLE: "eyJ.token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/other"}
    with pytest.raises(UserError, match="AWS_ROLE_ARN is arn:aws:iam::1:role/other but plan of qa"):
        accounts.use_stage_role(project.root, "qa", "plan", environ)
    environ.pop("AWS_ROLE_ARN")
    assert accounts.use_stage_role(project.root, "qa", "plan", environ) == environ["AWS_ROLE_ARN"]
    assert accounts.use_stage_role(project.root, "qa", "plan", {}) is None  # no ID token
    # A bad value names the file and line.
    root = tmp_path / "p"
    (root / "environments").mkdir(parents=True)
    (root / "environments" / "qa.tfvars").write_text('environment = "qa"\naws_account_id = "12"\n')
    with pytest.raises(
        UserError, match=r"^environments/qa.tfvars:2: aws_account_id must be a 12-digit"
    ):
        accounts.account_id(root, "qa")
