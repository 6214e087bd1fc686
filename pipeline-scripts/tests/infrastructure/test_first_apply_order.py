"""The first apply brings up a working platform in one pass (issue 22 item 4), asserted on each
environment's offline plan: the configuration's references and depends_on (plan JSON
`configuration`, followed across module variables, outputs and module-level depends_on) prove
that every ECS service waits for the operator task's set-up run (`terraform_data.ops_setup`,
ops.tf: `carcierge db roles` and `carcierge opensearch setup` inside the VPC), and that the run
waits for the database instance, the OpenSearch domain, the operator task definition and its
rights, and the private subnets' way out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from carcierge_pipeline.environments import ENVIRONMENTS
from carcierge_pipeline.planmodel import reference_lists

SETUP = "terraform_data.ops_setup"
_INDEX = re.compile(r"\[[^\]]*\]")


def _references(expressions: Any) -> Iterator[str]:
    """Every reference in an expressions tree (nested blocks are lists of such trees)."""
    for references in reference_lists(expressions):
        yield from references


class Graph:
    """What each resource of the configuration waits for: nodes are resources ("<module
    prefix><type>.<name>"), module variables ("<prefix>var.<name>") and module outputs
    ("<prefix>output.<name>"). Locals are not in the plan JSON: an edge through a local is
    not seen (so the chain asserted here must not go through one)."""

    def __init__(self, configuration: Mapping[str, Any]) -> None:
        self.edges: dict[str, set[str]] = {}
        self.resources: set[str] = set()
        self._modules: dict[str, Mapping[str, Any]] = {}
        self._collect("", configuration["root_module"])
        self._link("", configuration["root_module"], inherited=[])

    def _collect(self, prefix: str, module: Mapping[str, Any]) -> None:
        self._modules[prefix] = module
        for resource in module.get("resources", []):
            self.resources.add(prefix + resource["address"])
        for name, call in module.get("module_calls", {}).items():
            self._collect(f"{prefix}module.{name}.", call["module"])

    def _in_module(self, prefix: str) -> set[str]:
        return {r for r in self.resources if r.startswith(prefix)}

    def _targets(self, prefix: str, reference: str, *, depends_on: bool = False) -> set[str]:
        parts = _INDEX.sub("", reference).split(".")
        head = parts[0]
        if head in ("self", "each", "count", "path", "terraform", "local"):
            return set()
        if head == "var":
            return {f"{prefix}var.{parts[1]}"}
        if head == "module":
            if len(parts) == 2:
                # depends_on a whole module: every resource in it. In an expression, the plan
                # lists the module next to the output the expression reads: the output counts.
                return self._in_module(f"{prefix}module.{parts[1]}.") if depends_on else set()
            return {f"{prefix}module.{parts[1]}.output.{parts[2]}"}
        if head == "data":
            return {f"{prefix}data.{parts[1]}.{parts[2]}"}
        return {f"{prefix}{parts[0]}.{parts[1]}"}

    def _add(self, node: str, prefix: str, references: Any, *, depends_on: bool = False) -> None:
        edges = self.edges.setdefault(node, set())
        for reference in references:
            edges |= self._targets(prefix, reference, depends_on=depends_on)

    def _link(self, prefix: str, module: Mapping[str, Any], inherited: list[str]) -> None:
        for resource in module.get("resources", []):
            node = prefix + resource["address"]
            self._add(node, prefix, _references(resource.get("expressions", {})))
            for key in ("count_expression", "for_each_expression"):
                self._add(node, prefix, _references(resource.get(key, {})))
            self._add(node, prefix, resource.get("depends_on", []), depends_on=True)
            self.edges[node] |= set(inherited)
        for name, output in module.get("outputs", {}).items():
            self._add(f"{prefix}output.{name}", prefix, _references(output.get("expression", {})))
        for name, call in module.get("module_calls", {}).items():
            child = f"{prefix}module.{name}."
            for variable, expression in call.get("expressions", {}).items():
                self._add(f"{child}var.{variable}", prefix, _references(expression))
            waits: set[str] = set(inherited)
            for reference in call.get("depends_on", []):
                waits |= self._targets(prefix, reference, depends_on=True)
            self._link(child, call["module"], sorted(waits))

    def waits_for(self, node: str) -> set[str]:
        """Every resource ``node`` waits for, directly or transitively."""
        seen: set[str] = set()
        stack = [node]
        while stack:
            for target in self.edges.get(stack.pop(), set()):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return seen & self.resources


def _config_address(address: str) -> str:
    return _INDEX.sub("", address)


def _changes(plan: Mapping[str, Any], type_: str) -> list[Mapping[str, Any]]:
    return [
        rc for rc in plan["resource_changes"] if rc["type"] == type_ and rc["mode"] == "managed"
    ]


@pytest.fixture(scope="module")
def graphs(environment_plans) -> dict[str, tuple[Mapping[str, Any], Graph]]:
    return {}


def _plan_and_graph(environment_plans, graphs, environment: str) -> tuple[Mapping[str, Any], Graph]:
    if environment not in graphs:
        plan = environment_plans(environment)
        graphs[environment] = (plan, Graph(plan["configuration"]))
    return graphs[environment]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_ecs_service_waits_for_the_operator_task_set_up_run(
    environment_plans, graphs, environment
):
    plan, graph = _plan_and_graph(environment_plans, graphs, environment)
    services = _changes(plan, "aws_ecs_service")
    assert len(services) == len(plan["variables"]["services"]["value"])  # one per service entry

    for service in services:
        assert SETUP in graph.waits_for(_config_address(service["address"])), service["address"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_set_up_run_waits_for_the_database_the_domain_the_task_and_the_network(
    environment_plans, graphs, environment
):
    plan, graph = _plan_and_graph(environment_plans, graphs, environment)
    waits = graph.waits_for(SETUP)

    must = {
        _config_address(rc["address"])
        for type_ in (
            "aws_db_instance",  # the database the roles are created in
            "aws_opensearch_domain",  # the domain the mappings go to
            "aws_ecs_task_definition",  # (the operator task's; the services' are checked below)
            "aws_route",  # the private subnets' way out (image pull, AWS APIs)
            "aws_route_table_association",
            "aws_vpc_security_group_ingress_rule",  # the data stores accept the ECS group
            "aws_network_acl_rule",
        )
        for rc in _changes(plan, type_)
        if type_ != "aws_ecs_task_definition" or rc["address"].endswith(".ops[0]")
    }
    assert {"module.ecs.aws_ecs_task_definition.ops"} <= must
    assert (
        len([m for m in must if m.endswith("aws_db_instance.this") or ".aws_db_instance." in m])
        >= 1
    )
    assert must - waits == set()
    # The task's rights: the execution role's policy (pull, logs) and its own role's policy.
    assert {
        "module.ecs.aws_iam_role_policy.execution",
        "module.ecs.aws_iam_role_policy.ops_task",
    } <= waits
    # And never the other way round: the run does not wait for a service (that would hang).
    assert not any(".aws_ecs_service." in node for node in waits)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_set_up_run_runs_both_commands_and_re_runs_when_the_roles_change(
    environment_plans, environment
):
    plan = environment_plans(environment)
    (setup,) = [rc for rc in plan["resource_changes"] if rc["address"] == SETUP]
    after = setup["change"]["after"]
    services = plan["variables"]["services"]["value"]

    assert json.loads(after["input"]["commands"]) == [
        ["carcierge", "db", "roles", "--environment", environment],
        ["carcierge", "opensearch", "setup", "--environment", environment],
    ]
    assert after["input"]["container"] == "ops"
    assert json.loads(after["triggers_replace"]["database_roles"]) == {
        key: "svc_" + key.replace("-", "_") for key in services
    }
    unknown = setup["change"]["after_unknown"]["triggers_replace"]
    # Known after apply, but there: a replaced database or domain, or new task roles, re-run it.
    assert {"database_instance", "opensearch_domain", "opensearch_roles"} <= set(unknown)

    (config,) = [
        r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == SETUP
    ]
    (provisioner,) = config["provisioners"]
    assert provisioner["type"] == "local-exec"
    assert provisioner["expressions"]["command"]["constant_value"].endswith(" ops run")
