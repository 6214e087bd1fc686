# modules/security_groups with a mocked AWS provider. Each group's id is pinned at plan time so
# rules can be traced to the group they belong to and the group they reference.
mock_provider "aws" {
  override_during = plan
}

override_resource {
  override_during = plan
  target          = aws_security_group.role["alb"]
  values          = { id = "sg-alb" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.role["ops"]
  values          = { id = "sg-ops" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.service["service1"]
  values          = { id = "sg-service1" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.service["service2"]
  values          = { id = "sg-service2" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.service["service3"]
  values          = { id = "sg-service3" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.role["redis"]
  values          = { id = "sg-redis" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.role["opensearch"]
  values          = { id = "sg-opensearch" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.role["rds"]
  values          = { id = "sg-rds" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.role["log-delivery"]
  values          = { id = "sg-log-delivery" }
}

# service1 public, called by service2; service2 public; service3 internal, called by service1
# and service2.
variables {
  name_prefix      = "staging-carcierge"
  vpc_id           = "vpc-0123456789abcdef0"
  vpc_cidr_block   = "10.10.0.0/16"
  data_store_ports = { redis = 6379, opensearch = 443, rds = 5432 }
  services = {
    service1 = { port = 3001, callers = ["service2"] }
    service2 = { port = 3002 }
    service3 = { port = 3003, public = false, callers = ["service1", "service2"] }
  }
}

run "groups_and_rules" {
  command = plan

  assert {
    condition = (
      aws_security_group.role["alb"].name == "staging-carcierge-alb-sg" &&
      aws_security_group.role["ops"].name == "staging-carcierge-ops-sg" &&
      { for key, sg in aws_security_group.service : key => sg.name } == { service1 = "staging-carcierge-service1-sg", service2 = "staging-carcierge-service2-sg", service3 = "staging-carcierge-service3-sg" } &&
      aws_security_group.role["redis"].name == "staging-carcierge-redis-sg" &&
      aws_security_group.role["opensearch"].name == "staging-carcierge-opensearch-sg" &&
      aws_security_group.role["rds"].name == "staging-carcierge-rds-sg" &&
      alltrue([for sg in concat([aws_security_group.role["alb"], aws_security_group.role["ops"], aws_security_group.role["redis"], aws_security_group.role["opensearch"], aws_security_group.role["rds"]], values(aws_security_group.service)) :
      sg.tags["Name"] == sg.name && sg.vpc_id == var.vpc_id])
    )
    error_message = "one group per role and per service, named <env>-carcierge-<role|service>-sg, in the VPC, with its Name tag"
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_ingress_rule.alb : "${r.from_port}/${r.cidr_ipv4}"]) == toset(["443/0.0.0.0/0", "80/0.0.0.0/0"]) && alltrue([
      for r in aws_vpc_security_group_ingress_rule.alb : r.security_group_id == "sg-alb" && r.ip_protocol == "tcp" && r.from_port == r.to_port
    ])
    error_message = "the ALB accepts 443 and 80 from alb_ingress_cidrs (default 0.0.0.0/0)"
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_egress_rule.alb_to_service : "${r.security_group_id}:${r.from_port}-${r.to_port}->${r.referenced_security_group_id}"]) == toset([
      "sg-alb:3001-3001->sg-service1", "sg-alb:3002-3002->sg-service2",
    ])
    error_message = "ALB egress: only to the public services' groups, only on their container ports (not to the internal service3)"
  }

  # Ingress to a service's group, all of it: the ALB (public services) and its callers, on its port.
  assert {
    condition = toset(concat(
      [for r in aws_vpc_security_group_ingress_rule.service_from_alb : "${r.security_group_id}:${r.from_port}-${r.to_port}<-${r.referenced_security_group_id}"],
      [for r in aws_vpc_security_group_ingress_rule.service_from_caller : "${r.security_group_id}:${r.from_port}-${r.to_port}<-${r.referenced_security_group_id}"],
      )) == toset([
      "sg-service1:3001-3001<-sg-alb", "sg-service2:3002-3002<-sg-alb",
      "sg-service1:3001-3001<-sg-service2",
      "sg-service3:3003-3003<-sg-service1", "sg-service3:3003-3003<-sg-service2",
    ])
    error_message = "a service admits the ALB (if public) and the services listed as its callers, nothing else"
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_egress_rule.caller_to_service : "${r.security_group_id}:${r.from_port}->${r.referenced_security_group_id}"]) == toset([
      "sg-service2:3001->sg-service1", "sg-service1:3003->sg-service3", "sg-service2:3003->sg-service3",
    ])
    error_message = "a caller's group may send to its callees' ports only"
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_egress_rule.task_to_store : "${r.security_group_id}:${r.from_port}->${r.referenced_security_group_id}"]) == toset([
      "sg-service1:6379->sg-redis", "sg-service1:443->sg-opensearch", "sg-service1:5432->sg-rds",
      "sg-service2:6379->sg-redis", "sg-service2:443->sg-opensearch", "sg-service2:5432->sg-rds",
      "sg-service3:6379->sg-redis", "sg-service3:443->sg-opensearch", "sg-service3:5432->sg-rds",
      "sg-ops:443->sg-opensearch", "sg-ops:5432->sg-rds",
    ]) && alltrue([for r in aws_vpc_security_group_egress_rule.task_to_store : r.from_port == r.to_port])
    error_message = "every service reaches Redis 6379, OpenSearch 443 and RDS 5432; the operator task only OpenSearch and RDS"
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_ingress_rule.store_from_task : "${r.security_group_id}:${r.from_port}<-${r.referenced_security_group_id}"]) == toset([
      "sg-redis:6379<-sg-service1", "sg-opensearch:443<-sg-service1", "sg-rds:5432<-sg-service1",
      "sg-redis:6379<-sg-service2", "sg-opensearch:443<-sg-service2", "sg-rds:5432<-sg-service2",
      "sg-redis:6379<-sg-service3", "sg-opensearch:443<-sg-service3", "sg-rds:5432<-sg-service3",
      "sg-opensearch:443<-sg-ops", "sg-rds:5432<-sg-ops",
    ]) && alltrue([for r in aws_vpc_security_group_ingress_rule.store_from_task : r.from_port == r.to_port])
    error_message = "each data store admits the tasks' groups only, only on its port"
  }

  assert {
    condition = (
      toset([for r in aws_vpc_security_group_egress_rule.task_https_internet : "${r.security_group_id}:${r.from_port}-${r.to_port}/${r.cidr_ipv4}"]) == toset(["sg-service1:443-443/0.0.0.0/0", "sg-service2:443-443/0.0.0.0/0", "sg-service3:443-443/0.0.0.0/0", "sg-ops:443-443/0.0.0.0/0"]) &&
      toset([for r in aws_vpc_security_group_egress_rule.task_https_vpc : "${r.security_group_id}:${r.from_port}-${r.to_port}/${r.cidr_ipv4}"]) == toset(["sg-service1:443-443/10.10.0.0/16", "sg-service2:443-443/10.10.0.0/16", "sg-service3:443-443/10.10.0.0/16", "sg-ops:443-443/10.10.0.0/16"]) &&
      alltrue([for r in concat(values(aws_vpc_security_group_egress_rule.task_https_internet), values(aws_vpc_security_group_egress_rule.task_https_vpc)) : r.ip_protocol == "tcp"])
    )
    error_message = "task egress to addresses is HTTPS only"
  }

  # Global properties over every rule of the module.
  assert {
    condition = alltrue([
      for r in concat(
        values(aws_vpc_security_group_ingress_rule.alb), values(aws_vpc_security_group_ingress_rule.service_from_alb),
        values(aws_vpc_security_group_ingress_rule.service_from_caller), values(aws_vpc_security_group_ingress_rule.store_from_task),
      ) : r.cidr_ipv4 == null || r.security_group_id == "sg-alb"
    ])
    error_message = "no ingress from an address range except on the ALB group"
  }

  assert {
    condition = alltrue([
      for r in concat(
        values(aws_vpc_security_group_ingress_rule.service_from_alb), values(aws_vpc_security_group_ingress_rule.service_from_caller), values(aws_vpc_security_group_ingress_rule.store_from_task),
      ) : r.security_group_id != "sg-ops"
    ])
    error_message = "nothing may connect to the operator task"
  }

  assert {
    condition = alltrue([
      for r in concat(
        values(aws_vpc_security_group_egress_rule.alb_to_service), values(aws_vpc_security_group_egress_rule.caller_to_service), values(aws_vpc_security_group_egress_rule.task_to_store),
        values(aws_vpc_security_group_egress_rule.task_https_internet), values(aws_vpc_security_group_egress_rule.task_https_vpc),
      ) : !contains(["sg-redis", "sg-opensearch", "sg-rds"], r.security_group_id) && r.ip_protocol == "tcp"
    ])
    error_message = "data stores have no egress; every egress rule is a TCP rule"
  }

  assert {
    condition = alltrue([
      for r in concat(
        values(aws_vpc_security_group_ingress_rule.alb), values(aws_vpc_security_group_ingress_rule.service_from_alb),
        values(aws_vpc_security_group_ingress_rule.service_from_caller), values(aws_vpc_security_group_ingress_rule.store_from_task),
        values(aws_vpc_security_group_egress_rule.alb_to_service), values(aws_vpc_security_group_egress_rule.caller_to_service), values(aws_vpc_security_group_egress_rule.task_to_store),
        values(aws_vpc_security_group_egress_rule.task_https_internet), values(aws_vpc_security_group_egress_rule.task_https_vpc),
      ) : length(r.description) > 0 && length(r.description) <= 255 && can(regex("^[a-zA-Z0-9 ._:/()#,@\\[\\]+=&;{}!$*-]+$", r.description)) && startswith(r.tags["Name"], "staging-carcierge-")
    ])
    error_message = "every rule has a description in AWS's allowed characters and a <env>-carcierge-… Name"
  }

  assert {
    condition     = output.service_security_group_ids == { service1 = "sg-service1", service2 = "sg-service2", service3 = "sg-service3" } && output.ops_security_group_id == "sg-ops"
    error_message = "the outputs hand each service its own group and the operator task its own"
  }
}

run "restricted_alb_and_shared_ports" {
  command = plan

  variables {
    alb_ingress_cidrs = ["203.0.113.0/24", "198.51.100.0/24"]
    services = {
      api    = { port = 8080 }
      worker = { port = 8080, public = false, callers = ["api"] }
      web    = { port = 3000, callers = ["api"] }
    }
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_ingress_rule.alb : "${r.from_port}/${r.cidr_ipv4}"]) == toset([
      "443/203.0.113.0/24", "80/203.0.113.0/24", "443/198.51.100.0/24", "80/198.51.100.0/24",
    ])
    error_message = "alb_ingress_cidrs replaces 0.0.0.0/0 on both ports"
  }

  assert {
    condition = (
      keys(aws_vpc_security_group_ingress_rule.service_from_alb) == ["api", "web"] &&
      keys(aws_vpc_security_group_ingress_rule.service_from_caller) == ["web-from-api", "worker-from-api"] &&
      aws_vpc_security_group_ingress_rule.service_from_caller["worker-from-api"].from_port == 8080
    )
    error_message = "services sharing a port are still separate groups: worker admits api only, and no ALB"
  }
}

run "data_store_ports_come_from_the_stores" {
  command = plan

  variables {
    data_store_ports = { redis = 6380, opensearch = 443, rds = 5433 }
  }

  assert {
    condition = alltrue([for key, rule in aws_vpc_security_group_egress_rule.task_to_store : rule.from_port == var.data_store_ports[split("-", key)[1]] && rule.to_port == rule.from_port]) && alltrue([
      for key, rule in aws_vpc_security_group_ingress_rule.store_from_task : rule.from_port == var.data_store_ports[split("-", key)[1]] && rule.to_port == rule.from_port
    ]) && output.data_store_ports == { redis = 6380, opensearch = 443, rds = 5433 }
    error_message = "task egress and store ingress must open the ports the data stores listen on (data_store_ports), not fixed ones"
  }

  assert {
    condition     = aws_security_group.role["rds"].description == "RDS PostgreSQL: 5433 from ECS services only; no egress" && aws_vpc_security_group_ingress_rule.store_from_task["service1-redis"].description == "Redis 6380 from ECS service service1"
    error_message = "descriptions name the configured ports"
  }
}

run "log_delivery_reaches_opensearch_only" {
  command = plan

  variables {
    log_delivery = true
  }

  assert {
    condition = (
      aws_security_group.role["log-delivery"].name == "staging-carcierge-log-delivery-sg" &&
      aws_security_group.role["log-delivery"].description == "OpenSearch Ingestion log pipeline: HTTPS 443 to OpenSearch only" &&
      output.log_delivery_security_group_id == aws_security_group.role["log-delivery"].id
    )
    error_message = "log delivery gets a group of its own, <env>-carcierge-log-delivery-sg, published as log_delivery_security_group_id"
  }

  assert {
    condition = (
      [for key, rule in aws_vpc_security_group_egress_rule.task_to_store : [rule.referenced_security_group_id, rule.from_port, rule.to_port, rule.description, rule.tags["Name"]] if rule.security_group_id == aws_security_group.role["log-delivery"].id] == [["sg-opensearch", 443, 443, "HTTPS 443 to OpenSearch", "staging-carcierge-log-delivery-sg-out-opensearch"]] &&
      [for key, rule in aws_vpc_security_group_ingress_rule.store_from_task : [rule.security_group_id, rule.from_port, rule.to_port, rule.description, rule.tags["Name"]] if rule.referenced_security_group_id == aws_security_group.role["log-delivery"].id] == [["sg-opensearch", 443, 443, "HTTPS 443 from the log delivery pipeline", "staging-carcierge-opensearch-sg-in-log-delivery"]]
    )
    error_message = "the log delivery group sends HTTPS to OpenSearch only, and OpenSearch admits it on its port"
  }
}

run "no_log_delivery_group_without_log_delivery" {
  command = plan

  assert {
    condition     = !contains(keys(aws_security_group.role), "log-delivery") && output.log_delivery_security_group_id == null && length([for key in keys(aws_vpc_security_group_ingress_rule.store_from_task) : key if startswith(key, "log-delivery")]) == 0
    error_message = "without log delivery there is no log delivery group or rule"
  }
}

# Bad values, at most one per input in a run, set together: expect_failures lists every input
# set and fails the run if any of them is accepted.
run "bad_inputs_are_rejected" {
  command = plan

  variables {
    alb_ingress_cidrs = []          # at least one CIDR block
    vpc_cidr_block    = "10.10.0.0" # not a CIDR block
    vpc_id            = ""
  }

  # A data store port the private tier cannot send to: modules/conventions refuses it
  # (tests/conventions.tftest.hcl, refuses_a_data_store_port_the_private_tier_cannot_send_to).
  expect_failures = [var.alb_ingress_cidrs, var.vpc_cidr_block, var.vpc_id]
}

run "host_address_and_privileged_port_are_rejected" {
  command = plan

  variables {
    alb_ingress_cidrs = ["203.0.113.7"]              # an address, not a CIDR block
    services          = { service1 = { port = 80 } } # a privileged container port
  }

  expect_failures = [var.alb_ingress_cidrs, var.services]
}

run "out_of_range_container_port_is_rejected" {
  command = plan
  variables {
    services = { service1 = { port = 70000 } }
  }
  expect_failures = [var.services]
}

run "bad_service_name_is_rejected" {
  command = plan
  variables {
    services = { "Service One" = { port = 3001 } }
  }
  expect_failures = [var.services]
}

run "service_keyed_like_a_role_group_is_rejected" {
  command = plan
  variables {
    services = { ops = { port = 3001 } }
  }
  expect_failures = [var.services]
}

# Also where the environment has no log delivery group (this file's default).
run "service_keyed_like_an_absent_role_group_is_rejected" {
  command = plan
  variables {
    services = { "log-delivery" = { port = 3001 } }
  }
  expect_failures = [var.services]
}

run "unknown_caller_is_rejected" {
  command = plan
  variables {
    services = { service1 = { port = 3001, callers = ["service9"] } }
  }
  expect_failures = [var.services]
}

run "service_calling_itself_is_rejected" {
  command = plan
  variables {
    services = { service1 = { port = 3001, callers = ["service1"] } }
  }
  expect_failures = [var.services]
}
