# One security group per role and one per ECS service (least privilege between services), with
# one rule per resource (aws_vpc_security_group_*_rule):
#   clients -> ALB (443, 80) -> each public service's container port;
#   a service's container port from the services listed as its callers only;
#   every service -> Redis, OpenSearch, RDS on their ports; the operator task -> RDS, OpenSearch;
#   services and the operator task -> 443 (AWS APIs, image pulls, allow-listed HTTPS).
# Data stores have no egress. AWS's default allow-all egress rule is removed by Terraform when
# it creates a group, so a group without egress rules allows none.

# The project's conventions: checks name_prefix and data_store_ports and gives the port range the
# validations read.
module "conventions" {
  source = "../conventions"

  # The shared inputs, checked there once.
  inputs           = { name_prefix = var.name_prefix }
  data_store_ports = var.data_store_ports
}

locals {
  # The tasks with a group of their own: every service, and the operator task under the key
  # "ops" (variables.tf refuses a service keyed "ops", or keyed like another role's group).
  public_services = { for key, service in var.services : key => service if service.public }

  # One rule per (callee, caller): the callee admits the caller's group on its container port,
  # and the caller's group may send there. Both keyed "<callee>-from-<caller>".
  calls = merge([
    for callee, service in var.services : {
      for caller in distinct(service.callers) : "${callee}-from-${caller}" => {
        callee = callee
        caller = caller
        port   = service.port
      }
    }
  ]...)

  alb_ingress = merge(
    { for cidr in var.alb_ingress_cidrs : "https-${cidr}" => { port = 443, cidr = cidr, what = "HTTPS" } },
    { for cidr in var.alb_ingress_cidrs : "http-${cidr}" => { port = 80, cidr = cidr, what = "HTTP, redirected to HTTPS" } },
  )
}

# --- groups ----------------------------------------------------------------------------------

resource "aws_security_group" "service" {
  # checkov:skip=CKV2_AWS_5:attached to its Fargate service by the ECS module, which consumes service_security_group_ids
  for_each = var.services

  name = "${var.name_prefix}-${each.key}-sg"
  # Static: a group's description cannot change without replacing the group (ForceNew).
  description = "ECS service ${each.key}: container port from the ALB (public) and its callers only; HTTPS out, data stores"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-sg" })
}

# The groups of the roles, each consumed by the module that attaches it: the ALB (modules/ecs,
# alb_security_group_id), the operator task (`aws ecs run-task`, the root output ops_run_task),
# the data stores (modules/elasticache, modules/opensearch, modules/rds) and, with log delivery,
# its OpenSearch Ingestion pipeline (modules/log_delivery). Their descriptions are static text
# per role: a group's description cannot change without replacing the group (ForceNew).
locals {
  # Every role's group, whether or not this environment creates it: variables.tf refuses a
  # service keyed like any of them (its group would take the role group's name).
  role_descriptions = {
    alb            = "Application Load Balancer: HTTP(S) from alb_ingress_cidrs, container ports to the public services"
    ops            = "Operator task: no ingress; HTTPS out, PostgreSQL to RDS, HTTPS to OpenSearch"
    redis          = "ElastiCache Redis: ${var.data_store_ports.redis} from ECS services only; no egress"
    opensearch     = "OpenSearch: HTTPS ${var.data_store_ports.opensearch} from ECS services only; no egress"
    rds            = "RDS PostgreSQL: ${var.data_store_ports.rds} from ECS services only; no egress"
    "log-delivery" = "OpenSearch Ingestion log pipeline: HTTPS ${var.data_store_ports.opensearch} to OpenSearch only"
  }
  role_groups = { for role, description in local.role_descriptions : role => description if role != "log-delivery" || var.log_delivery }
}

resource "aws_security_group" "role" {
  # checkov:skip=CKV2_AWS_5:each is attached by its consumer named above (the ALB, data store and log delivery modules; the operator task at run time), which consumes the matching *_security_group_id output
  for_each = local.role_groups

  name        = "${var.name_prefix}-${each.key}-sg"
  description = each.value
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-sg" })
}

# The role groups were one resource each until 2026-12-08.
moved {
  from = aws_security_group.alb
  to   = aws_security_group.role["alb"]
}

moved {
  from = aws_security_group.ops
  to   = aws_security_group.role["ops"]
}

moved {
  from = aws_security_group.redis
  to   = aws_security_group.role["redis"]
}

moved {
  from = aws_security_group.opensearch
  to   = aws_security_group.role["opensearch"]
}

moved {
  from = aws_security_group.rds
  to   = aws_security_group.role["rds"]
}

moved {
  from = aws_security_group.log_delivery[0]
  to   = aws_security_group.role["log-delivery"]
}

# --- ALB -------------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "alb" {
  # checkov:skip=CKV_AWS_260:the internet-facing ALB must accept HTTP on 80 to redirect it to HTTPS; alb_ingress_cidrs narrows it
  for_each = local.alb_ingress

  security_group_id = aws_security_group.role["alb"].id
  description       = "${each.value.what} to the ALB from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr

  tags = merge(var.tags, { Name = "${var.name_prefix}-alb-sg-in-${each.key}" })
}

# Only the public services (those with an ALB route) are reachable from the ALB.
resource "aws_vpc_security_group_egress_rule" "alb_to_service" {
  for_each = local.public_services

  security_group_id            = aws_security_group.role["alb"].id
  description                  = "ALB to ${each.key} on container port ${each.value.port}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.service[each.key].id

  tags = merge(var.tags, { Name = "${var.name_prefix}-alb-sg-out-${each.key}" })
}

# --- ECS services: from the ALB and from their callers only -------------------------------------

resource "aws_vpc_security_group_ingress_rule" "service_from_alb" {
  for_each = local.public_services

  security_group_id            = aws_security_group.service[each.key].id
  description                  = "Container port ${each.value.port} of ${each.key} from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.role["alb"].id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-sg-in-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "service_from_caller" {
  for_each = local.calls

  security_group_id            = aws_security_group.service[each.value.callee].id
  description                  = "Container port ${each.value.port} of ${each.value.callee} from its caller ${each.value.caller}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.service[each.value.caller].id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.value.callee}-sg-in-${each.value.caller}" })
}

resource "aws_vpc_security_group_egress_rule" "caller_to_service" {
  for_each = local.calls

  security_group_id            = aws_security_group.service[each.value.caller].id
  description                  = "${each.value.caller} to ${each.value.callee} on container port ${each.value.port}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.service[each.value.callee].id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.value.caller}-sg-out-${each.value.callee}" })
}

# --- egress of every task (the services and the operator task) --------------------------------

locals {
  task_groups = merge(
    { for key, group in aws_security_group.service : key => group.id },
    { ops = aws_security_group.role["ops"].id },
  )
}

# HTTPS to the internet stays open on the groups: tasks need AWS APIs without interface
# endpoints (ECS Service Connect's control plane, SSM messages for ECS Exec, KMS) and the
# third-party HTTPS APIs the services call, none of which have fixed address ranges. Which
# names the tasks may resolve is limited per environment by the VPC's DNS Firewall
# (egress_allowed_domains, modules/vpc: uat and prod); a DNS allow-list does not stop a
# connection to a literal IP address, which only an SNI-inspecting firewall would (AWS Network
# Firewall, not chosen for its cost: docs/security.md, "Egress").
resource "aws_vpc_security_group_egress_rule" "task_https_internet" {
  for_each = local.task_groups

  security_group_id = each.value
  description       = "HTTPS out through the NAT gateway: image pulls, AWS APIs, allow-listed hosts"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-sg-out-https" })
}

resource "aws_vpc_security_group_egress_rule" "task_https_vpc" {
  for_each = local.task_groups

  security_group_id = each.value
  description       = "HTTPS to interface VPC endpoints inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.vpc_cidr_block

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-sg-out-https-vpc" })
}

# One rule a (task, store) in each direction: the stores differ only in port and security
# group. The ports are the stores' own (data_store_ports), never literals here. Every service
# reaches every store (each authenticates as itself: IAM database role, Redis user, OpenSearch
# role); the operator task reaches only what its commands need (`carcierge db roles`,
# `carcierge opensearch setup`): RDS and OpenSearch.
locals {
  data_stores = {
    redis      = { port = var.data_store_ports.redis, security_group_id = aws_security_group.role["redis"].id, protocol = "Redis ${var.data_store_ports.redis}", service = "ElastiCache" }
    opensearch = { port = var.data_store_ports.opensearch, security_group_id = aws_security_group.role["opensearch"].id, protocol = "HTTPS ${var.data_store_ports.opensearch}", service = "OpenSearch" }
    rds        = { port = var.data_store_ports.rds, security_group_id = aws_security_group.role["rds"].id, protocol = "PostgreSQL ${var.data_store_ports.rds}", service = "RDS" }
  }
  ops_stores = ["opensearch", "rds"]

  store_access = merge(
    merge([
      for key in keys(var.services) : {
        for store, spec in local.data_stores : "${key}-${store}" => merge(spec, { task = key, store = store, task_group = aws_security_group.service[key].id, who = "ECS service ${key}" })
      }
    ]...),
    { for store in local.ops_stores : "ops-${store}" => merge(local.data_stores[store], { task = "ops", store = store, task_group = aws_security_group.role["ops"].id, who = "the operator task" }) },
    # The log delivery pipeline (OpenSearch Ingestion) sends to OpenSearch only. variables.tf
    # refuses a service keyed log-delivery, so this key is never a service's.
    var.log_delivery ? { "log-delivery-opensearch" = merge(local.data_stores.opensearch, { task = "log-delivery", store = "opensearch", task_group = aws_security_group.role["log-delivery"].id, who = "the log delivery pipeline" }) } : {},
  )
}

resource "aws_vpc_security_group_egress_rule" "task_to_store" {
  for_each = local.store_access

  security_group_id            = each.value.task_group
  description                  = "${each.value.protocol} to ${each.value.service}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.security_group_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.value.task}-sg-out-${each.value.store}" })
}

# --- data stores: ingress from the tasks' groups only, no egress ------------------------------

resource "aws_vpc_security_group_ingress_rule" "store_from_task" {
  for_each = local.store_access

  security_group_id            = each.value.security_group_id
  description                  = "${each.value.protocol} from ${each.value.who}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.task_group

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.value.store}-sg-in-${each.value.task}" })
}

# The log delivery pipeline's group and rules were resources of their own until 2026-12-08.
moved {
  from = aws_vpc_security_group_egress_rule.log_delivery_to_opensearch[0]
  to   = aws_vpc_security_group_egress_rule.task_to_store["log-delivery-opensearch"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.opensearch_from_log_delivery[0]
  to   = aws_vpc_security_group_ingress_rule.store_from_task["log-delivery-opensearch"]
}
