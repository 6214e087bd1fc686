"""Data-store ports agree with the security groups and network ACLs in front of them.

A store listens on its port (RDS ``port``, ElastiCache ``port``, OpenSearch HTTPS 443); AWS
accepts a different port at create, and the store is then unreachable. Sources, read
2026-12-01:

- security groups: "You must specify ingress rules to allow inbound traffic. By default, no
  inbound traffic is allowed." (CloudFormation Template Reference, AWS::EC2::SecurityGroup);
  an ``ip_protocol`` of -1 means all protocols (botocore ec2/2016-11-15 service-2.json,
  AuthorizeSecurityGroupIngress IpProtocol: "To specify all protocols, use -1").
- network ACLs: "When determining whether a packet should be allowed in or out of a subnet
  associated with the ACL, we process the entries in the ACL according to the rule numbers, in
  ascending order" (EC2 API Reference, CreateNetworkAclEntry; RuleNumber: "ACL entries are
  processed in ascending order by rule number"); protocol "-1" means all protocols (same).
- not verified: that an OpenSearch domain in a VPC is reached on 443 only (the rule assumes
  HTTPS); the VPC User Guide pages on security groups and network ACLs were not read.

Links come from the configuration's references (store -> security group, store -> subnet group
-> subnets -> network ACL). Where a rule's link goes through a ``local`` or ``each.value`` (the
plan JSON does not record those), two project conventions stand in: a security group rule's
``Name`` tag starts with its group's name, and a network ACL rule's for_each key starts with
its ACL's resource name (``data-in-postgres`` -> ``aws_network_acl.data``). A link that neither
finds makes the check unchecked, never passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from carcierge_pipeline.planmodel import UNKNOWN, Plan, Resource
from carcierge_pipeline.rules import Rule, Unknown, Violation

SOURCE = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
    'aws-resource-ec2-securitygroup.html ("By default, no inbound traffic is allowed")'
)
NACL_SOURCE = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html "
    "(entries processed in ascending order by rule number)"
)

# store type -> (port attribute or fixed port, security group attributes, subnet attributes)
STORES: dict[str, tuple[str | int, tuple[str, ...], tuple[str, ...]]] = {
    "aws_db_instance": ("port", ("vpc_security_group_ids",), ("db_subnet_group_name",)),
    "aws_elasticache_replication_group": (
        "port",
        ("security_group_ids",),
        ("subnet_group_name",),
    ),
    "aws_opensearch_domain": (
        443,
        ("vpc_options.0.security_group_ids",),
        ("vpc_options.0.subnet_ids",),
    ),
}
TCP = ("tcp", "6", "-1", "all")


def _covers(rule: Resource, port: int) -> bool | None:
    protocol = rule.get("ip_protocol") or rule.get("protocol")
    low, high = rule.get("from_port"), rule.get("to_port")
    if UNKNOWN in (protocol, low, high):
        return None
    if str(protocol) in ("-1", "all"):
        return True
    return (
        str(protocol) in TCP
        and isinstance(low, int)
        and isinstance(high, int)
        and (low <= port <= high)
    )


def _group_of(plan: Plan, rule: Resource, groups: list[Resource]) -> list[Resource] | None:
    linked = plan.resolve(rule, "security_group_id")
    if linked is not None:
        return linked
    tags = rule.get("tags")
    name = tags.get("Name") if isinstance(tags, dict) else None
    if isinstance(name, str):
        named = [
            g
            for g in groups
            if isinstance(g.get("name"), str) and name.startswith(g.get("name") + "-")
        ]
        return named or None
    return None


def _acl_of(plan: Plan, rule: Resource, acls: list[Resource]) -> list[Resource] | None:
    linked = plan.resolve(rule, "network_acl_id")
    if linked is not None:
        return linked
    if isinstance(rule.index, str):
        named = [a for a in acls if a.module == rule.module and rule.index.startswith(a.name + "-")]
        return named or None
    return None


# owner type -> (its standalone rule types, which of them are inbound, a rule's owners)
_STANDALONE: dict[
    str,
    tuple[
        tuple[str, ...],
        Callable[[Resource], bool],
        Callable[[Plan, Resource, list[Resource]], list[Resource] | None],
    ],
] = {
    "aws_security_group": (
        ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule"),
        lambda rule: rule.type != "aws_security_group_rule" or rule.get("type") == "ingress",
        _group_of,
    ),
    "aws_network_acl": (
        ("aws_network_acl_rule",),
        lambda rule: rule.get("egress") is not True,
        _acl_of,
    ),
}


def _standalone_rules(plan: Plan, owner: Resource, port: int) -> tuple[list[Resource], bool]:
    """The inbound rules of their own resources that ``owner`` (a security group or network
    ACL) has for ``port``, and whether some rule's owner could not be told."""
    rule_types, inbound, owners_of = _STANDALONE[owner.type]
    every_owner = plan.of_type(owner.type)
    covering: list[Resource] = []
    unlinked = False
    for rule in plan.of_type(*rule_types):
        if not inbound(rule):
            continue
        owners = owners_of(plan, rule, every_owner)
        if owners is None:
            unlinked = True
        elif owner.address in {o.address for o in owners} and _covers(rule, port):
            covering.append(rule)
    return covering, unlinked


def _subnets(plan: Plan, store: Resource, attributes: tuple[str, ...]) -> list[Resource] | None:
    found: list[Resource] = []
    for attribute in attributes:
        linked = plan.resolve(store, attribute)
        if linked is None:
            return None
        for item in linked:
            if item.type == "aws_subnet":
                found.append(item)
            else:  # a subnet group
                inner = plan.resolve(item, "subnet_ids")
                if inner is None:
                    return None
                found.extend(r for r in inner if r.type == "aws_subnet")
    return found


def _check_groups(
    plan: Plan, store: Resource, port: int, attributes: tuple[str, ...]
) -> Iterator[Any]:
    groups: list[Resource] = []
    for attribute in attributes:
        linked = plan.resolve(store, attribute)
        if linked is None:
            yield Unknown(store.address, f"{attribute} (its security groups)")
            return
        groups.extend(r for r in linked if r.type == "aws_security_group")
    for group in groups:
        allowed = False
        for inline in group.get("ingress") or []:
            low, high = (inline or {}).get("from_port"), (inline or {}).get("to_port")
            if isinstance(low, int) and isinstance(high, int) and low <= port <= high:
                allowed = True
        covering, unlinked = _standalone_rules(plan, group, port)
        if allowed or covering:
            continue
        if unlinked:
            yield Unknown(store.address, f"ingress rules of {group.address}")
        else:
            yield Violation(
                store.address,
                port,
                f"listens on {port} but no ingress rule of {group.address} allows it",
            )


def _acl_verdict(plan: Plan, acl: Resource, port: int) -> str:
    """'allow', 'deny' (denied first or no inbound rule allows it) or 'unknown'."""
    decisions: list[tuple[int, str]] = []
    for entry in acl.get("ingress") or []:
        entry = entry or {}
        if _covers_entry(entry, port):
            decisions.append((entry.get("rule_no") or 0, entry.get("action") or ""))
    covering, unlinked = _standalone_rules(plan, acl, port)
    for rule in covering:
        decisions.append((rule.get("rule_number") or 0, rule.get("rule_action") or ""))
    decisions.sort()
    if decisions and decisions[0][1] == "allow":
        return "allow"
    return "unknown" if unlinked else "deny"


def _check_acls(
    plan: Plan, store: Resource, port: int, attributes: tuple[str, ...]
) -> Iterator[Any]:
    acls = plan.of_type("aws_network_acl")
    members: dict[str, set[str]] = {}
    for acl in acls:
        linked = plan.resolve(acl, "subnet_ids")
        members[acl.address] = {m.address for m in linked or []}
    subnets = _subnets(plan, store, attributes)
    if subnets is None:
        # The store's subnets are not linked in the plan (a local in between). If every subnet
        # of the plan is in a network ACL and every ACL allows the port, the store's does too.
        every_subnet = {s.address for s in plan.of_type("aws_subnet")}
        covered = set().union(*members.values()) if members else set()
        if every_subnet <= covered and all(
            _acl_verdict(plan, acl, port) == "allow" for acl in acls
        ):
            return
        yield Unknown(store.address, f"{attributes[0]} (its subnets' network ACLs)")
        return
    wanted = {s.address for s in subnets}
    for acl in acls:
        if not wanted & members[acl.address]:
            continue
        verdict = _acl_verdict(plan, acl, port)
        if verdict == "unknown":
            yield Unknown(store.address, f"inbound rules of {acl.address}")
        elif verdict == "deny":
            yield Violation(
                store.address,
                port,
                f"listens on {port} but network ACL {acl.address} of its subnets does not "
                "allow it inbound (first matching rule)",
                NACL_SOURCE,
            )


def _covers_entry(entry: dict[str, Any], port: int) -> bool:
    protocol = str(entry.get("protocol"))
    low, high = entry.get("from_port"), entry.get("to_port")
    if protocol in ("-1", "all"):
        return True
    return (
        protocol in TCP and isinstance(low, int) and isinstance(high, int) and (low <= port <= high)
    )


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for store_type, (port_source, groups, subnets) in STORES.items():
        for store in plan.of_type(store_type):
            port = port_source if isinstance(port_source, int) else store.get(port_source)
            if port is UNKNOWN:
                yield Unknown(store.address, str(port_source))
                continue
            if not isinstance(port, int):
                continue  # the engine's default port, chosen by AWS
            yield from _check_groups(plan, store, port, groups)
            yield from _check_acls(plan, store, port, subnets)


RULE = Rule(
    "aws-store-ports",
    "Data-store ports allowed by their security groups and network ACLs",
    SOURCE,
    check,
)
