"""Data safety: the resources that hold data (or the key that reads it) cannot be destroyed by
a plan. Three layers, each proven here or in the module tests:

- ``lifecycle { prevent_destroy = true }`` on the RDS instance, the OpenSearch domain, the Redis
  replication group, its AUTH-token secret and the environment KMS key, in every environment (a
  literal: Terraform allows nothing else). Terraform itself refuses a destroy plan, shown below
  on a state holding those resources; the documented teardown override lifts it.
- per environment: RDS and ALB deletion protection and final snapshots (module tests and
  test_data_plans / test_compute_plans; uat and prod cannot switch them off, test_bad_input).
- the pipeline's destroy guard (report.py) refuses a plan that deletes or replaces any resource
  of a stateful type, checked here on the resources prod actually plans.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import subprocess
import uuid

import pytest
from support import OFFLINE, ROOT

from carcierge_pipeline import hcl, report
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.project import Project
from carcierge_pipeline.workdir import prepare

# (module directory, resource type, name): everything prevent_destroy must guard.
PROTECTED = [
    ("modules/kms", "aws_kms_key", "this"),
    ("modules/rds", "aws_db_instance", "this"),
    ("modules/opensearch", "aws_opensearch_domain", "this"),
    ("modules/elasticache", "aws_elasticache_replication_group", "this"),
    ("modules/elasticache", "aws_secretsmanager_secret", "user"),
]
# Types that hold data with no way back once deleted: any resource of these types must carry
# prevent_destroy (S3 buckets and log groups are covered by the destroy guard instead: the
# ALB log bucket is emptied on purpose in lower environments).
MUST_BE_PROTECTED = {
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_opensearch_domain",
    "aws_elasticsearch_domain",
    "aws_elasticache_replication_group",
    "aws_elasticache_cluster",
    "aws_kms_key",
    "aws_secretsmanager_secret",
    "aws_dynamodb_table",
    "aws_efs_file_system",
}


def _unquote(text: str) -> str:
    return json.loads(text) if text.startswith('"') else text


@functools.cache
def configured_resources() -> dict[tuple[str, str, str], dict]:
    """Every managed resource block of the root and the modules, by (directory, type, name);
    parsed once (python-hcl2 takes seconds; hcl.parsed keeps each parse on disk)."""
    found: dict[tuple[str, str, str], dict] = {}
    directories = [ROOT, *sorted(p for p in (ROOT / "modules").iterdir() if p.is_dir())]
    for directory in directories:
        where = directory.relative_to(ROOT).as_posix()
        for path in sorted(directory.glob("*.tf")):
            text = path.read_text()
            if not re.search(r'^resource "', text, re.MULTILINE):
                continue  # variables.tf and the like: parsing them costs seconds, finds nothing
            for entry in hcl.parsed(text).get("resource", []):
                for kind, named in entry.items():
                    for name, body in named.items():
                        found[(where, _unquote(kind), _unquote(name))] = body
    return found


def prevents_destroy(body: dict) -> bool:
    return any(block.get("prevent_destroy") is True for block in body.get("lifecycle", []))


@pytest.mark.parametrize("resource", PROTECTED, ids=["/".join(r[1:]) for r in PROTECTED])
def test_stateful_resource_has_prevent_destroy(resource):
    resources = configured_resources()
    assert resource in resources, f"{resource} is no longer in the configuration"
    assert prevents_destroy(resources[resource]), f"{resource} lost prevent_destroy = true"


def test_every_resource_of_a_data_type_has_prevent_destroy():
    """A new database, domain, cache, key or secret is protected from its first commit."""
    unprotected = [
        key
        for key, body in configured_resources().items()
        if key[1] in MUST_BE_PROTECTED and not prevents_destroy(body)
    ]
    assert unprotected == []
    assert {kind for _, kind, _ in PROTECTED} <= set(report.STATEFUL_TYPES)


def test_no_override_file_is_committed():
    """Teardown overrides lift prevent_destroy; they live only in a throw-away working copy."""
    patterns = ("override.tf", "*_override.tf", "override.tf.json", "*_override.tf.json")
    found = [
        path.relative_to(ROOT).as_posix()
        for directory in (ROOT, *(ROOT / "modules").iterdir(), ROOT / "tests")
        for pattern in patterns
        for path in directory.glob(pattern)
    ]
    assert found == []


# --- Terraform refuses to destroy them, and the documented override lets it ------------------

ADDRESSES = {
    ("aws_kms_key", "this"): "module.kms",
    ("aws_db_instance", "this"): "module.rds",
    ("aws_opensearch_domain", "this"): "module.opensearch",
    ("aws_elasticache_replication_group", "this"): "module.elasticache",
    # A resource without the guard: destroying it must stay possible.
    ("aws_kms_alias", "this"): "module.kms",
}

TEARDOWN_OVERRIDES = {
    "modules/kms/teardown_override.tf": [("aws_kms_key", "this")],
    "modules/rds/teardown_override.tf": [("aws_db_instance", "this")],
    "modules/opensearch/teardown_override.tf": [("aws_opensearch_domain", "this")],
    "modules/elasticache/teardown_override.tf": [("aws_elasticache_replication_group", "this")],
}


def _address(kind: str, name: str) -> str:
    module = ADDRESSES[(kind, name)]
    return f"{module}.{kind}.{name}" if module else f"{kind}.{name}"


def _state() -> dict:
    """A local state that holds the protected resources (and one unprotected)."""
    resources = []
    for (kind, name), module in ADDRESSES.items():
        resource = {
            "mode": "managed",
            "type": kind,
            "name": name,
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [
                {
                    "schema_version": 0,
                    "attributes": {"id": f"offline-{name}", "region": "us-west-1"},
                    "sensitive_attributes": [],
                }
            ],
        }
        if module:
            resource["module"] = module
        resources.append(resource)
    return {
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": str(uuid.uuid4()),
        "outputs": {},
        "resources": resources,
        "check_results": None,
    }


@pytest.mark.slow(seconds=6)
def test_terraform_refuses_to_destroy_them_until_the_documented_override(
    project_copy, terraform_results
):
    # Kept between runs while the project and the planted state are unchanged.
    refused, allowed = terraform_results(
        "destroy refused, then allowed by the overrides",
        project_copy,
        lambda: _destroy_plans(project_copy),
        json.dumps(_state()),
        json.dumps(TEARDOWN_OVERRIDES, default=list),
    )
    assert refused.returncode != 0
    errors = " ".join(refused.stderr.split())
    for kind, name in ADDRESSES:
        address = _address(kind, name)
        said = f"Resource {address} has lifecycle.prevent_destroy set"
        assert (said in errors) is (kind != "aws_kms_alias"), refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    for kind, name in ADDRESSES:
        assert f"# {_address(kind, name)} will be destroyed" in allowed.stdout


def _destroy_plans(
    project_copy: Project,
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """A destroy plan of staging over a state holding every protected resource, refused; and
    the same with the teardown overrides in place."""
    terraform = prepare(project_copy, "staging", OFFLINE, workdir_name="safety")
    workdir = terraform.workdir
    (workdir / "terraform.tfstate").write_text(json.dumps(_state()))
    destroy = [
        "plan",
        "-destroy",
        "-refresh=false",
        "-input=false",
        "-no-color",
        "-lock=false",
        "-var-file=environments/staging.tfvars",
    ]

    refused = terraform.run(destroy, capture=True, check=False)
    for relative, resources in TEARDOWN_OVERRIDES.items():
        (workdir / relative).write_text(
            "".join(
                f'resource "{kind}" "{name}" {{\n  lifecycle {{\n    prevent_destroy = false\n'
                "  }\n}\n"
                for kind, name in resources
            )
        )
    allowed = terraform.run(destroy, capture=True, check=False)
    return refused, allowed


# --- the destroy guard catches a replace of every stateful resource prod plans ----------------

# The stateful types this project deploys (S3: the ALB log bucket; log groups: services, VPC
# flow logs, data stores; the secrets: the services' Redis passwords).
DEPLOYED_STATEFUL_TYPES = {
    "aws_db_instance",
    "aws_elasticache_replication_group",
    "aws_opensearch_domain",
    "aws_s3_bucket",
    "aws_kms_key",
    "aws_cloudwatch_log_group",
    "aws_secretsmanager_secret",
}


def test_prod_plans_every_stateful_type_the_guard_knows(environment_plans):
    planned = {change["type"] for change in environment_plans("prod")["resource_changes"]}
    assert planned & set(report.STATEFUL_TYPES) == DEPLOYED_STATEFUL_TYPES


@pytest.mark.parametrize("stateful_type", sorted(DEPLOYED_STATEFUL_TYPES))
@pytest.mark.parametrize("actions", [["delete", "create"], ["create", "delete"]])
def test_guard_refuses_replacing_what_prod_deploys(stateful_type, actions, environment_plans):
    """Every resource of the type, in prod's real plan, turned into a replace (either order:
    create_before_destroy replaces create first)."""
    plan = copy.deepcopy(environment_plans("prod"))
    replaced = []
    for change in plan["resource_changes"]:
        if change["type"] == stateful_type:
            change["change"]["actions"] = actions
            replaced.append(change["address"])
    assert replaced
    report.guard(report.analyse(environment_plans("prod"), "prod"), allow_destroy=False)
    with pytest.raises(StageFailed) as raised:
        report.guard(report.analyse(plan, "prod"), allow_destroy=False)
    message = str(raised.value)
    assert message.startswith(f"the prod plan deletes or replaces {len(replaced)} resource(s)")
    for address in replaced:
        assert re.search(re.escape(f"{address} (replace)"), message)
