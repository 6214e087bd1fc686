"""Data stores of each environment, read from its offline plan (modules elasticache, opensearch
and rds wired through the root with the real environment files), plus the secret hygiene of the
plans and the variable files."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from support import ROOT, environment_values

from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.policy import PROTECTED_ENVIRONMENTS

# Protected (policy, carcierge_pipeline/policy.py): Multi-AZ Redis and RDS, zone-aware
# OpenSearch, deletion protection, final snapshots. Sizes and counts come from the files.
UPPER = PROTECTED_ENVIRONMENTS
PROJECT_ROOT = ROOT

# Attributes that would hold a secret value. Every one must be null in every planned resource:
# RDS generates its master password itself, the Redis users' passwords only travel through
# write-only arguments (which Terraform keeps out of plans and state).
SECRET_ATTRIBUTES = {
    "password",
    "password_wo",
    "passwords",
    "passwords_wo",
    "master_user_password",
    "auth_token",
    "auth_token_wo",
    "secret_string",
    "secret_string_wo",
    "secret_binary",
}


def _changes(plan: dict) -> list[dict]:
    return [rc for rc in plan["resource_changes"] if rc["change"].get("after") is not None]


def _one(plan: dict, address: str) -> tuple[dict, dict]:
    """Planned values and the unknown-after-apply markers of a single resource instance."""
    matches = [rc for rc in _changes(plan) if rc["address"] == address]
    assert len(matches) == 1, f"{address} is not planned exactly once"
    change = matches[0]["change"]
    return change["after"], change["after_unknown"]


def _instances(plan: dict, address: str) -> dict[str, tuple[dict, dict]]:
    """Each instance of the for_each resource ``address`` by its key: planned values and
    unknown-after-apply markers."""
    return {
        rc["index"]: (rc["change"]["after"], rc["change"]["after_unknown"])
        for rc in _changes(plan)
        if rc["address"].startswith(f"{address}[")
    }


def _per_service(plan: dict, address: str) -> dict[str, tuple[dict, dict]]:
    """The instances of ``address``, made once per service: exactly one per service of the
    environment file (asserted), by service key."""
    instances = _instances(plan, address)
    assert sorted(instances) == sorted(plan["variables"]["services"]["value"]), address
    return instances


def _output(plan: dict, name: str) -> tuple[Any, Any]:
    """An output's known value and its unknown markers (plan JSON, shaped like the output)."""
    change = plan["output_changes"][name]
    return change["after"], change["after_unknown"]


def _stand_in_opens_ephemeral_resources() -> bool:
    from carcierge_pipeline.offline.server import OfflineProvider

    return hasattr(OfflineProvider, "OpenEphemeralResource")


def _redis(plan: dict) -> tuple[dict, dict]:
    """The replication group. The users' passwords come from ephemeral resources, which the offline
    stand-in must be able to open before modules/elasticache can be planned from the root."""
    if not _stand_in_opens_ephemeral_resources():
        pytest.skip("the offline stand-in cannot open ephemeral resources yet (issue 5)")
    return _one(plan, "module.elasticache.aws_elasticache_replication_group.this")


def _redis_wired() -> bool:
    return _stand_in_opens_ephemeral_resources()


# --- topology per environment -------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_redis_topology(environment_plans, environment):
    group, _ = _redis(environment_plans(environment))
    wanted = environment_values(ROOT, environment)["redis_config"]
    assert group["num_cache_clusters"] == wanted["num_cache_nodes"]
    assert group["node_type"] == wanted["node_type"]
    replicated = wanted["num_cache_nodes"] >= 2  # a replica in the other AZ, promoted itself
    assert group["automatic_failover_enabled"] is replicated
    assert group["multi_az_enabled"] is replicated
    if wanted.get("skip_final_snapshot", False):  # lost on destroy by explicit choice
        assert group["final_snapshot_identifier"] is None
    else:
        assert group["final_snapshot_identifier"] == f"{environment}-carcierge-redis-final"
    if environment in UPPER:
        assert replicated and group["final_snapshot_identifier"], "policy: protected"
    if environment == "prod":
        assert group["apply_immediately"] is False


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_opensearch_topology(environment_plans, environment):
    domain, _ = _one(environment_plans(environment), "module.opensearch.aws_opensearch_domain.this")
    wanted = environment_values(ROOT, environment)["opensearch_config"]
    cluster = domain["cluster_config"][0]
    subnets = domain["vpc_options"][0]["subnet_ids"]
    assert cluster["instance_count"] == wanted["instance_count"]
    assert cluster["instance_type"] == wanted["instance_type"]
    if wanted["instance_count"] >= 2:  # data nodes spread over both AZs
        assert cluster["zone_awareness_enabled"] is True
        assert cluster["zone_awareness_config"] == [{"availability_zone_count": 2}]
    else:  # one data node in one subnet
        assert cluster["zone_awareness_enabled"] is False
    # subnet ids are unknown offline; one per AZ in use
    assert len(subnets) == (2 if wanted["instance_count"] >= 2 else 1)
    if environment in UPPER:
        assert cluster["zone_awareness_enabled"] is True, "policy: protected"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_rds_topology_and_protection(environment_plans, environment):
    db, _ = _one(environment_plans(environment), "module.rds.aws_db_instance.this")
    values = environment_values(ROOT, environment)
    wanted = values["rds_config"]
    assert db["multi_az"] is wanted["multi_az"]
    assert db["instance_class"] == wanted["instance_class"]
    assert db["deletion_protection"] is values["deletion_protection"]
    skipped = wanted.get("skip_final_snapshot", False)
    assert db["skip_final_snapshot"] is skipped
    if skipped:  # the file says the data may be lost on destroy
        assert db["final_snapshot_identifier"] is None
    else:
        assert db["final_snapshot_identifier"] == f"{environment}-carcierge-rds-postgres-final"
    if environment in UPPER:  # policy (carcierge_pipeline/policy.py)
        assert db["multi_az"] and db["deletion_protection"] and not skipped


def test_prod_is_never_weaker_than_uat(environment_plans):
    uat, prod = environment_plans("uat"), environment_plans("prod")
    for address, key in (
        ("module.rds.aws_db_instance.this", "allocated_storage"),
        ("module.opensearch.aws_opensearch_domain.this", "ebs_options"),
    ):
        uat_value, prod_value = _one(uat, address)[0][key], _one(prod, address)[0][key]
        if key == "ebs_options":
            uat_value, prod_value = uat_value[0]["volume_size"], prod_value[0]["volume_size"]
        assert prod_value >= uat_value, (address, key)
    uat_domain = _one(uat, "module.opensearch.aws_opensearch_domain.this")[0]
    prod_domain = _one(prod, "module.opensearch.aws_opensearch_domain.this")[0]
    assert (
        prod_domain["cluster_config"][0]["instance_count"]
        >= uat_domain["cluster_config"][0]["instance_count"]
    )


# --- security in every environment --------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_redis_encrypted_at_rest_and_in_transit_with_users(environment_plans, environment):
    group, unknown = _redis(environment_plans(environment))
    assert group["at_rest_encryption_enabled"] == "true"
    assert unknown.get("kms_key_id") is True  # the environment key's ARN, known after apply
    assert group["transit_encryption_enabled"] is True
    assert group["transit_encryption_mode"] == "required"
    assert group["auth_token"] is None  # no shared token: RBAC users
    assert group["auth_token_wo_version"] is None
    assert group["user_group_ids"] == [f"{environment}-carcierge-redis-users"]


# One Redis user per service of the environment file, on its own key prefix, with data commands
# only; the group's "default" user off. The access string is policy (docs/security.md).
ACCESS = "on ~{key}:* -@all +@read +@write +@transaction +@connection -@dangerous -scan -randomkey"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_redis_one_user_per_service_default_off(environment_plans, environment):
    plan = environment_plans(environment)
    _redis(plan)
    users = _per_service(plan, "module.elasticache.aws_elasticache_user.service")
    engine = plan["variables"]["redis_config"]["value"].get("engine") or "redis"
    for key, (user, _) in users.items():
        assert user["user_id"] == f"{environment}-carcierge-redis-{key}"
        assert user["user_name"] == key
        assert user["engine"] == engine
        assert user["access_string"] == ACCESS.format(key=key)
        assert user["passwords"] is None and user["passwords_wo_version"] >= 1
    default, _ = _one(plan, "module.elasticache.aws_elasticache_user.default")
    assert default["user_name"] == "default"
    assert default["access_string"].split()[0] == "off" and "~" not in default["access_string"]
    group, _ = _one(plan, "module.elasticache.aws_elasticache_user_group.this")
    assert group["user_group_id"] == f"{environment}-carcierge-redis-users"
    assert sorted(group["user_ids"]) == sorted(
        [default["user_id"], *(user["user_id"] for user, _ in users.values())]
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_redis_passwords_live_only_in_their_services_secrets(environment_plans, environment):
    plan = environment_plans(environment)
    _redis(plan)
    secrets = _per_service(plan, "module.elasticache.aws_secretsmanager_secret.user")
    for key, (secret, unknown) in secrets.items():
        assert secret["name"] == f"{environment}-carcierge-redis-{key}"
        assert unknown.get("kms_key_id") is True
    versions = [
        after
        for after, _ in _per_service(
            plan, "module.elasticache.aws_secretsmanager_secret_version.user"
        ).values()
    ]
    assert all(v["secret_string"] is None and v["secret_string_wo_version"] >= 1 for v in versions)
    # the offline stand-in generates "offline-random_password": it must appear nowhere
    assert "offline-random_password" not in json.dumps(plan)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_opensearch_encryption_and_fine_grained_access(environment_plans, environment):
    plan = environment_plans(environment)
    domain, unknown = _one(plan, "module.opensearch.aws_opensearch_domain.this")
    assert domain["encrypt_at_rest"][0]["enabled"] is True
    assert unknown["encrypt_at_rest"][0].get("kms_key_id") is True
    assert domain["node_to_node_encryption"] == [{"enabled": True}]
    endpoint = domain["domain_endpoint_options"][0]
    assert endpoint["enforce_https"] is True
    assert endpoint["tls_security_policy"] == "Policy-Min-TLS-1-2-PFS-2023-10"
    security = domain["advanced_security_options"][0]
    assert security["enabled"] is True
    assert security["anonymous_auth_enabled"] is False
    assert security["internal_user_database_enabled"] is False
    assert security["master_user_options"][0]["master_user_password"] is None
    # automated_snapshot_start_hour only applies to Elasticsearch < 5.3: not set at all.
    assert domain["snapshot_options"] == []
    logged = {option["log_type"] for option in domain["log_publishing_options"]}
    assert logged == {"INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS", "AUDIT_LOGS"}
    assert domain["ebs_options"][0]["volume_type"] == "gp3"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_rds_encrypted_private_backed_up(environment_plans, environment):
    plan = environment_plans(environment)
    db, unknown = _one(plan, "module.rds.aws_db_instance.this")
    assert db["storage_encrypted"] is True
    assert unknown.get("kms_key_id") is True
    assert db["storage_type"] == "gp3"
    assert db["max_allocated_storage"] > db["allocated_storage"]
    assert db["publicly_accessible"] is False
    assert db["backup_retention_period"] == environment_values(ROOT, environment)["rds_config"].get(
        "backup_retention_period", 7
    )
    assert db["backup_retention_period"] >= 7  # policy: MIN_BACKUP_RETENTION_DAYS
    assert db["copy_tags_to_snapshot"] is True
    assert db["iam_database_authentication_enabled"] is True
    assert db["manage_master_user_password"] is True
    assert unknown.get("master_user_secret_kms_key_id") is True
    assert db["performance_insights_enabled"] is True
    assert db["monitoring_interval"] > 0
    assert set(db["enabled_cloudwatch_logs_exports"]) == {"postgresql", "upgrade"}
    params, _ = _one(plan, "module.rds.aws_db_parameter_group.this")
    assert {p["name"]: p["value"] for p in params["parameter"]}["rds.force_ssl"] == "1"
    assert params["family"] == "postgres" + db["engine_version"].split(".")[0]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_data_store_log_groups_are_encrypted(environment_plans, environment):
    plan = environment_plans(environment)
    prefixes = ("/aws/opensearch/", "/aws/rds/", "/aws/elasticache/")
    groups = [
        (rc["change"]["after"], rc["change"]["after_unknown"])
        for rc in _changes(plan)
        if rc["type"] == "aws_cloudwatch_log_group"
        and rc["change"]["after"]["name"].startswith(prefixes)
    ]
    assert len(groups) >= 6 + (2 if _redis_wired() else 0)
    retention = plan["variables"]["log_retention_days"]["value"]
    for group, unknown in groups:
        assert unknown.get("kms_key_id") is True, group["name"]
        assert group["retention_in_days"] == retention, group["name"]


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_names_follow_the_convention_and_aws_limits(environment_plans, environment):
    plan = environment_plans(environment)
    domain, _ = _one(plan, "module.opensearch.aws_opensearch_domain.this")
    assert domain["domain_name"] == f"{environment}-carcierge-opensearch"
    assert 3 <= len(domain["domain_name"]) <= 28
    db, _ = _one(plan, "module.rds.aws_db_instance.this")
    assert db["identifier"] == f"{environment}-carcierge-rds-postgres"
    assert len(db["identifier"]) <= 63
    if _redis_wired():
        group, _ = _redis(plan)
        assert group["replication_group_id"] == f"{environment}-carcierge-redis"
        assert len(group["replication_group_id"]) <= 40


# --- services and secrets ------------------------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_services_get_settings_and_secret_references(environment_plans, environment):
    plan = environment_plans(environment)
    known, unknown = _output(plan, "service_connection_settings")
    environment_names = set(known.get("environment", {})) | set(unknown.get("environment", {}))
    secret_names = set(known.get("secrets", {})) | set(unknown.get("secrets", {}))
    expected_environment = {"OPENSEARCH_ENDPOINT", "DB_HOST", "DB_PORT", "DB_NAME", "DB_IAM_AUTH"}
    if _redis_wired():
        expected_environment |= {"REDIS_HOST", "REDIS_PORT", "REDIS_TLS"}
    assert environment_names == expected_environment
    # Nothing secret is shared: the database takes IAM tokens (test_database_plans.py), each
    # service's Redis password is its own (below).
    assert secret_names == set()

    config = plan["configuration"]["root_module"]["module_calls"]
    ecs = config["ecs"]["expressions"]
    assert "local.service_connection_secrets" in ecs["shared_secrets"]["references"]
    assert "local.service_connection_environment" in ecs["shared_environment"]["references"]
    if not _redis_wired():
        return
    # Each service's container gets its own Redis user and only its own password secret.
    outputs = config["elasticache"]["module"]["outputs"]
    assert "aws_secretsmanager_secret.user" in outputs["user_secrets"]["expression"]["references"]
    assert "local.service_identity_secrets" in ecs["service_secrets"]["references"]
    assert "local.service_identity_environment" in ecs["service_environment"]["references"]
    services = plan["variables"]["services"]["value"]
    definitions = {
        rc["index"]: rc["change"]
        for rc in plan["resource_changes"]
        if rc["address"].startswith("module.ecs.aws_ecs_task_definition.service[")
    }
    assert sorted(definitions) == sorted(services)
    for key, change in definitions.items():
        if change["after_unknown"].get("container_definitions"):
            continue  # secret ARNs are known after apply: the references above carry it
        [container] = json.loads(change["after"]["container_definitions"])
        settings = {item["name"]: item["value"] for item in container["environment"]}
        assert settings["REDIS_USERNAME"] == key
        secrets = {item["name"] for item in container["secrets"]}
        assert "REDIS_PASSWORD" in secrets and "REDIS_AUTH_TOKEN" not in secrets


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_opensearch_access_is_limited_to_the_services(environment_plans, environment):
    plan = environment_plans(environment)
    _per_service(plan, "module.opensearch.aws_iam_role_policy.access")  # one grant each
    _, unknown = _one(plan, "module.opensearch.aws_opensearch_domain_policy.this")
    assert unknown.get("access_policies") is True  # built from role ARNs known after apply


# --- no secret values anywhere -------------------------------------------------------------

_HIGH_ENTROPY = re.compile(r"[A-Za-z0-9+/_=-]{20,}")
_SECRET_ASSIGNMENT = re.compile(
    r"^\s*\"?[A-Za-z0-9_]*(password|passwd|secret|token|auth|api_key|private_key)[A-Za-z0-9_]*\"?"
    r"\s*=\s*\"",
    re.IGNORECASE | re.MULTILINE,
)


def _secret_looking(value: str) -> list[str]:
    """Substrings of ``value`` that look like generated credentials: long runs mixing upper- and
    lowercase letters and digits, outside ARNs, URLs and image references."""
    if value.startswith(("arn:", "https://", "http://")) or ".dkr.ecr." in value:
        return []
    return [
        token
        for token in _HIGH_ENTROPY.findall(value)
        if re.search(r"[a-z]", token) and re.search(r"[A-Z]", token) and re.search(r"\d", token)
    ]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _secret_attributes(value, path: str = "") -> list[str]:
    """Paths of secret-holding attributes that carry a value."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_ATTRIBUTES and item not in (None, "", []):
                found.append(f"{path}.{key}")
            found += _secret_attributes(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _secret_attributes(item, f"{path}[{index}]")
    return found


def test_secret_scanners_catch_what_they_look_for():
    assert _secret_looking("xK9mQ2vL8pR4tW6yZ1aB3cD5")
    assert not _secret_looking("prod-carcierge-redis-service1")
    assert not _secret_looking(
        "arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-1-AbCdEf"
    )
    assert _secret_attributes({"a": [{"auth_token": "x"}]}) == [".a[0].auth_token"]
    assert _SECRET_ASSIGNMENT.search('  db_password = "hunter2"')
    assert not _SECRET_ASSIGNMENT.search("  password_version = 2")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_secret_value_in_outputs_or_resources(environment_plans, environment):
    plan = environment_plans(environment)
    for name, output in plan["planned_values"]["outputs"].items():
        assert output.get("sensitive") is not True, f"output {name} is marked sensitive"
        for text in _strings(output.get("value")):
            assert not _secret_looking(text), (name, text)
        assert not re.search(r"password|secret_string|auth_token", name) or name.endswith("_arn")
    for rc in _changes(plan):
        assert not _secret_attributes(rc["change"]["after"]), rc["address"]


def test_no_secret_value_in_variable_files():
    files = [PROJECT_ROOT / "terraform.tfvars", *sorted(PROJECT_ROOT.glob("environments/*.tfvars"))]
    assert len(files) == 5
    for path in files:
        text = path.read_text()
        assert not _SECRET_ASSIGNMENT.search(text), path.name
        for literal in re.findall(r'"([^"\n]*)"', text):
            assert not _secret_looking(literal), (path.name, literal)
