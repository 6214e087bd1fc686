"""Compute (module ecs) of each environment, read from its offline plan: the services its
environment file lists, behind the ALB with their routes and scaling policies, protection per
environment, names within AWS limits; and the `services` validations (modules/ecs), read from
Terraform's diagnostics. What a file may change (services, ports, routes, task counts, Spot
shares, retention) is read from that file; only policy is fixed here."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from support import OFFLINE, ROOT, environment_values, services_of, task_counts

from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.policy import PROTECTED_ENVIRONMENTS as PROTECTED
from carcierge_pipeline.workdir import prepare

ECS = "module.ecs"


def _public(environment: str) -> dict[str, dict]:
    """The services of the environment file that the ALB routes to."""
    return {k: s for k, s in services_of(ROOT, environment).items() if s.get("public", True)}


def _of(plan: dict, resource: str) -> dict:
    """Planned values of every instance of module.ecs.<resource>, keyed by instance key."""
    kind, name = resource.split(".")
    return {
        rc.get("index"): rc["change"]["after"]
        for rc in plan["resource_changes"]
        if rc.get("module_address") == ECS and (rc["type"], rc["name"]) == (kind, name)
    }


def _unknown(plan: dict, resource: str, attribute: str) -> dict:
    """Whether an attribute of each instance is known only after apply, by instance key."""
    kind, name = resource.split(".")
    return {
        rc.get("index"): rc["change"]["after_unknown"].get(attribute, False)
        for rc in plan["resource_changes"]
        if rc.get("module_address") == ECS and (rc["type"], rc["name"]) == (kind, name)
    }


def _one(plan: dict, resource: str) -> dict:
    (values,) = _of(plan, resource).values()
    return values


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_files_services_behind_the_alb_with_routes(environment_plans, environment):
    plan = environment_plans(environment)
    wanted = services_of(ROOT, environment)
    public = _public(environment)
    services = _of(plan, "aws_ecs_service.service")
    groups = _of(plan, "aws_lb_target_group.service")
    rules = _of(plan, "aws_lb_listener_rule.service")
    assert set(services) == set(wanted)
    assert set(groups) == set(rules) == set(public)

    for key, service in services.items():
        assert service["name"] == f"{environment}-carcierge-{key}"
        assert service["desired_count"] == wanted[key]["desired_count"]
        assert service["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
        assert service["enable_execute_command"] is (environment not in PROTECTED)
        assert service["network_configuration"][0]["assign_public_ip"] is False
        for balancer in service["load_balancer"]:
            assert (balancer["container_name"], balancer["container_port"]) == (
                key,
                wanted[key]["container_port"],
            )
        assert bool(service["load_balancer"]) is (key in public)

    def values(rule: dict, condition: str) -> list[str]:
        found = [c[condition][0]["values"] for c in rule["condition"] if c.get(condition)]
        return sorted(found[0]) if found else []

    default = [key for key, entry in public.items() if entry.get("default_route")]
    for key, rule in rules.items():
        entry = public[key]
        if key in default:
            assert values(rule, "path_pattern") == ["/*"], f"{key} is the default route"
            continue
        paths, hosts = entry.get("path_patterns", []), entry.get("host_headers", [])
        if not paths and not hosts:
            paths = [f"/{key}", f"/{key}/*"]
        assert values(rule, "path_pattern") == sorted(paths), key
        assert values(rule, "host_header") == sorted(hosts), key
        if "priority" in entry:
            assert rule["priority"] == entry["priority"], key
    priorities = [rule["priority"] for rule in rules.values()]
    assert len(set(priorities)) == len(priorities)
    for key in default:  # evaluated last: every other rule comes first
        assert max(priorities) == rules[key]["priority"]
    assert all(rule["action"][0]["type"] == "forward" for rule in rules.values())


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_service_scales_on_cpu_and_memory(environment_plans, environment):
    plan = environment_plans(environment)
    targets = _of(plan, "aws_appautoscaling_target.service")
    policies = [*_of(plan, "aws_appautoscaling_policy.cpu").values()]
    policies += _of(plan, "aws_appautoscaling_policy.memory").values()
    wanted = services_of(ROOT, environment)
    assert set(targets) == set(wanted)

    for key, target in targets.items():
        minimum, _, maximum = task_counts(wanted[key])
        assert (
            target["resource_id"]
            == f"service/{environment}-carcierge-ecs-cluster/{environment}-carcierge-{key}"
        )
        assert (target["min_capacity"], target["max_capacity"]) == (minimum, maximum)
        own = [p for p in policies if p["resource_id"] == target["resource_id"]]
        metrics = sorted(
            p["target_tracking_scaling_policy_configuration"][0]["predefined_metric_specification"][
                0
            ]["predefined_metric_type"]
            for p in own
        )
        assert metrics == ["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"]
        assert all(p["policy_type"] == "TargetTrackingScaling" for p in own)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_alb_protection_and_tls(environment_plans, environment):
    plan = environment_plans(environment)
    alb = _one(plan, "aws_lb.main")
    assert alb["name"] == f"{environment}-carcierge-alb-main"
    assert alb["enable_deletion_protection"] is (environment in PROTECTED)
    assert alb["internal"] is False and alb["drop_invalid_header_fields"] is True
    assert alb["access_logs"][0]["enabled"] is True
    bucket = _one(plan, "aws_s3_bucket.alb_logs")
    assert bucket["force_destroy"] is (environment not in PROTECTED)

    https = _one(plan, "aws_lb_listener.https")
    assert https["protocol"] == "HTTPS" and https["certificate_arn"].startswith(
        "arn:aws:acm:us-west-1:"
    )
    assert https["ssl_policy"].startswith("ELBSecurityPolicy-TLS13-1-2-")
    http = _one(plan, "aws_lb_listener.http")
    assert http["default_action"][0]["redirect"][0] | {"host": None} == {
        "host": None,
        "path": None,
        "port": "443",
        "protocol": "HTTPS",
        "query": None,
        "status_code": "HTTP_301",
    }


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_spot_share_and_log_retention_follow_the_file(environment_plans, environment):
    plan = environment_plans(environment)
    wanted = services_of(ROOT, environment)
    for key, service in _of(plan, "aws_ecs_service.service").items():
        spot = wanted[key].get("spot", 0)
        strategy = {s["capacity_provider"]: s for s in service["capacity_provider_strategy"]}
        if spot == 0:
            assert set(strategy) == {"FARGATE"}
        elif spot == 100:
            assert set(strategy) == {"FARGATE_SPOT"}
        else:  # partial: the first task on FARGATE, the rest split by weight
            assert strategy["FARGATE"]["base"] == 1
            assert (strategy["FARGATE"]["weight"], strategy["FARGATE_SPOT"]["weight"]) == (
                100 - spot,
                spot,
            )
    for group in _of(plan, "aws_cloudwatch_log_group.service").values():
        assert (
            group["retention_in_days"]
            == environment_values(ROOT, environment)["log_retention_days"]
        )
    # encrypted with the environment key, whose ARN is known only after apply
    assert all(_unknown(plan, "aws_cloudwatch_log_group.service", "kms_key_id").values())


def test_execution_role_is_scoped_to_the_services(environment_plans):
    plan = environment_plans("prod")
    statements = json.loads(_one(plan, "aws_iam_role_policy.execution")["policy"])["Statement"]
    by_sid = {statement["Sid"]: statement for statement in statements}
    # The services' images and the operator task's (ops_image), and their log groups.
    values = environment_values(ROOT, "prod")
    images = [s["container_image"] for s in values["services"].values()] + [values["ops_image"]]
    ecr = re.compile(r"(\d+)\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+)")
    repositories = {match.groups() for match in map(ecr.match, images) if match}
    assert sorted(by_sid["EcrPullServiceImages"]["Resource"]) == sorted(
        f"arn:aws:ecr:{region}:{account}:repository/{name}"
        for account, region, name in repositories
    )
    assert sorted(by_sid["WriteServiceLogs"]["Resource"]) == [
        f"arn:aws:logs:us-west-1:123456789012:log-group:/ecs/prod-carcierge-{key}:log-stream:*"
        for key in sorted(["ops", *values["services"]])
    ]
    star = [s["Action"] for s in statements if s["Resource"] == "*"]
    assert star == ["ecr:GetAuthorizationToken"], star
    # the data stores' secrets (known after apply) get a policy of their own
    assert len(_of(plan, "aws_iam_role_policy.execution_secrets")) == 1


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_names_follow_the_convention_within_aws_limits(environment_plans, environment):
    plan = environment_plans(environment)
    prefix = f"{environment}-carcierge-"
    limited = [_one(plan, "aws_lb.main")["name"]]
    limited += [group["name"] for group in _of(plan, "aws_lb_target_group.service").values()]
    assert all(name.startswith(prefix) and len(name) <= 32 for name in limited), limited

    roles = [role["name"] for role in _of(plan, "aws_iam_role.task").values()]
    roles.append(_one(plan, "aws_iam_role.execution")["name"])
    assert all(name.startswith(prefix) and len(name) <= 64 for name in roles), roles

    bucket = _one(plan, "aws_s3_bucket.alb_logs")["bucket"]
    assert bucket.startswith(prefix + "alb-logs-") and len(bucket) <= 63
    assert _one(plan, "aws_ecs_cluster.main")["name"] == prefix + "ecs-cluster"

    for resource in ("aws_lb.main", "aws_lb_target_group.service", "aws_ecs_service.service"):
        for values in _of(plan, resource).values():
            assert values["tags"]["Name"] == values["name"], resource


# --- the `services` validations (modules/ecs), with the messages a tfvars author reads ------

GOOD = {
    "container_image": "nginx:1.27",
    "container_port": 8080,
    "desired_count": 1,
    "cpu": 256,
    "memory": 512,
}
# Each service breaks exactly one rule; each rule must report it with its own message.
BAD_SERVICES = {
    "pair": GOOD | {"cpu": 512, "memory": 512},
    "port": GOOD | {"container_port": 0},
    "counts": GOOD | {"desired_count": 2, "min_capacity": 3, "max_capacity": 2},
    "abcdefghijklmno": GOOD,
    "image": GOOD | {"container_image": "nginx latest"},
    "arch": GOOD | {"cpu_architecture": "AMD64"},
    "spot": GOOD | {"spot": 101},
    "paths": GOOD | {"path_patterns": ["/a", "/b", "/c", "/d"]},
    "wildcards": GOOD | {"path_patterns": ["/a/*/?/*", "/b/*/?/*"]},
    "pathchars": GOOD | {"path_patterns": ["/items/{id}"]},
    "hosts": GOOD | {"host_headers": ["localhost"]},
    "armspot": GOOD | {"cpu_architecture": "ARM64", "spot": 50},
}
EXPECTED_MESSAGES = {
    "pair": "services.*.cpu/memory must be a Fargate task size",
    "port": "services.*.container_port must be a whole number from 1024 to 65535 (the network "
    "ACLs pass only unprivileged ports to the services); got: port = 0",
    "counts": "min_capacity <= desired_count <= max_capacity",
    "abcdefghijklmno": "services keys must be at most 14 characters",
    "image": "services.*.container_image must be an image reference",
    "arch": "services.*.cpu_architecture must be X86_64 or ARM64; got: arch = AMD64",
    "spot": "services.*.spot (share of tasks on FARGATE_SPOT) must be a whole percentage from 0 "
    "to 100; got: spot = 101",
    "paths": "an ALB listener rule takes at most 3 values per condition (3 path_patterns, 3 "
    "host_headers) and 5 values in all (4 for the default_route, whose rule also matches /*); "
    "got: paths = 4 path_patterns + 0 host_headers",
    "wildcards": "an ALB listener rule takes at most 5 wildcards (* or ?) in all its values (the "
    "default_route's /* counts one); got: wildcards = 6 wildcards",
    "pathchars": "services.*.path_patterns must start with / and be at most 128 characters of A-Z "
    "a-z 0-9 _ - . $ / ~ \" ' @ : + & and the wildcards * ? (what an ALB path condition accepts); "
    'got: pathchars = "/items/{id}"',
    "hosts": "services.*.host_headers must be host names of at most 128 characters: A-Z a-z 0-9 "
    "- . and the wildcards * ?, with at least one . and only letters after the last . (e.g. "
    'api.example.com, *.example.com); got: hosts = "localhost"',
    "armspot": "services.*: cpu_architecture = ARM64 needs spot = 0, because Fargate Spot runs "
    "X86_64 tasks only; set spot = 0 to stay on ARM64, or cpu_architecture = X86_64 to use Spot; "
    "got: armspot = ARM64 with spot = 50",
}


# The rules that the root checked until the ecs module became the one owner of the services
# shape (key length in every environment, ports the network ACLs pass): planned apart as before,
# refused by the module's rules like every other.
ROOT_RULES = {"port", "abcdefghijklmno"}


@pytest.mark.parametrize("group", ["root", "module"])
def test_bad_services_are_rejected_with_their_messages(project_copy, terraform_results, group):
    keys = ROOT_RULES if group == "root" else set(BAD_SERVICES) - ROOT_RULES
    # Each bad service complete in the environment's entry, with an empty catalog entry and
    # no environment defaults, so that nothing but its own values reaches the module.
    bad = json.dumps(
        {
            "services": {k: v for k, v in BAD_SERVICES.items() if k in keys},
            "service_catalog": {key: {} for key in keys},
            "service_defaults": {},
        }
    )

    def plan() -> subprocess.CompletedProcess[str]:
        terraform = prepare(project_copy, "qa", OFFLINE, workdir_name=f"compute-validation-{group}")
        (terraform.workdir / "bad-services.tfvars.json").write_text(bad)
        return terraform.run(
            [
                "plan",
                "-input=false",
                "-lock=false",
                "-json",
                "-var-file=environments/qa.tfvars",
                "-var-file=bad-services.tfvars.json",
            ],
            capture=True,
            check=False,
        )

    # Kept between runs while the project and the bad services are unchanged.
    result = terraform_results("bad services planned", project_copy, plan, bad)
    assert result.returncode != 0
    details = [
        line["diagnostic"]["detail"]
        for line in map(json.loads, result.stdout.splitlines())
        if line.get("type") == "diagnostic" and line["diagnostic"]["severity"] == "error"
    ]
    rule_file = "modules/ecs/variables.tf:"
    for key, message in EXPECTED_MESSAGES.items():
        if key not in keys:
            continue
        matching = [detail for detail in details if message in detail and key in detail]
        assert matching, f"{key}: no error says {message!r}; errors: {details}"
        assert any(f"validation rule at {rule_file}" in d for d in matching), (key, matching)
    said = " ".join(details)
    if group == "root":
        assert "abcdefghijklmno (15)" in said
    else:
        assert "pair = 512/512" in said
        assert 'image = "nginx latest"' in said
        assert "counts = 3/2/2 (min/desired/max)" in said
