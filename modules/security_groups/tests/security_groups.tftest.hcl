# modules/security_groups with a mocked AWS provider. Each group's id is pinned at plan time so
# rules can be traced to the group they belong to and the group they reference.
mock_provider "aws" {
  override_during = plan
}

override_resource {
  override_during = plan
  target          = aws_security_group.alb
  values          = { id = "sg-alb" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.ecs
  values          = { id = "sg-ecs" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.redis
  values          = { id = "sg-redis" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.opensearch
  values          = { id = "sg-opensearch" }
}
override_resource {
  override_during = plan
  target          = aws_security_group.rds
  values          = { id = "sg-rds" }
}

variables {
  name_prefix      = "staging-carcierge"
  vpc_id           = "vpc-0123456789abcdef0"
  vpc_cidr_block   = "10.10.0.0/16"
  data_store_ports = { redis = 6379, opensearch = 443, rds = 5432 }
  service_ports = {
    service1 = 3001
    service2 = 3002
    service3 = 3003
    service4 = 3004
    service5 = 3005
  }
}

run "groups_and_rules" {
  command = plan

  assert {
    condition = (
      aws_security_group.alb.name == "staging-carcierge-alb-sg" &&
      aws_security_group.ecs.name == "staging-carcierge-ecs-sg" &&
      aws_security_group.redis.name == "staging-carcierge-redis-sg" &&
      aws_security_group.opensearch.name == "staging-carcierge-opensearch-sg" &&
      aws_security_group.rds.name == "staging-carcierge-rds-sg" &&
      alltrue([for sg in [aws_security_group.alb, aws_security_group.ecs, aws_security_group.redis, aws_security_group.opensearch, aws_security_group.rds] :
      sg.tags["Name"] == sg.name && sg.vpc_id == var.vpc_id])
    )
    error_message = "one group per role named <env>-carcierge-<role>-sg, in the VPC, with its Name tag"
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_ingress_rule.alb : "${r.from_port}/${r.cidr_ipv4}"]) == toset(["443/0.0.0.0/0", "80/0.0.0.0/0"]) && alltrue([
      for r in aws_vpc_security_group_ingress_rule.alb : r.security_group_id == "sg-alb" && r.ip_protocol == "tcp" && r.from_port == r.to_port
    ])
    error_message = "the ALB accepts 443 and 80 from alb_ingress_cidrs (default 0.0.0.0/0)"
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_egress_rule.alb_to_ecs : "${r.security_group_id}:${r.from_port}-${r.to_port}->${r.referenced_security_group_id}"]) == toset([
      "sg-alb:3001-3001->sg-ecs", "sg-alb:3002-3002->sg-ecs", "sg-alb:3003-3003->sg-ecs", "sg-alb:3004-3004->sg-ecs", "sg-alb:3005-3005->sg-ecs",
    ])
    error_message = "ALB egress: only the container ports, only to the ECS group"
  }

  assert {
    condition = toset([for r in aws_vpc_security_group_ingress_rule.ecs_from_alb : "${r.security_group_id}:${r.from_port}-${r.to_port}<-${r.referenced_security_group_id}"]) == toset([
      "sg-ecs:3001-3001<-sg-alb", "sg-ecs:3002-3002<-sg-alb", "sg-ecs:3003-3003<-sg-alb", "sg-ecs:3004-3004<-sg-alb", "sg-ecs:3005-3005<-sg-alb",
    ])
    error_message = "each container port is open to the ALB group only"
  }

  assert {
    condition = (
      toset([for r in aws_vpc_security_group_ingress_rule.ecs_from_ecs : "${r.security_group_id}:${r.from_port}<-${r.referenced_security_group_id}"]) == toset(["sg-ecs:3001<-sg-ecs", "sg-ecs:3002<-sg-ecs", "sg-ecs:3003<-sg-ecs", "sg-ecs:3004<-sg-ecs", "sg-ecs:3005<-sg-ecs"]) &&
      toset([for r in aws_vpc_security_group_egress_rule.ecs_to_ecs : "${r.security_group_id}:${r.from_port}->${r.referenced_security_group_id}"]) == toset(["sg-ecs:3001->sg-ecs", "sg-ecs:3002->sg-ecs", "sg-ecs:3003->sg-ecs", "sg-ecs:3004->sg-ecs", "sg-ecs:3005->sg-ecs"])
    )
    error_message = "service-to-service traffic on the container ports within the ECS group, both directions"
  }

  assert {
    condition = (
      aws_vpc_security_group_egress_rule.ecs_to_store["redis"].referenced_security_group_id == "sg-redis" && aws_vpc_security_group_egress_rule.ecs_to_store["redis"].from_port == 6379 && aws_vpc_security_group_egress_rule.ecs_to_store["redis"].to_port == 6379 &&
      aws_vpc_security_group_egress_rule.ecs_to_store["opensearch"].referenced_security_group_id == "sg-opensearch" && aws_vpc_security_group_egress_rule.ecs_to_store["opensearch"].from_port == 443 && aws_vpc_security_group_egress_rule.ecs_to_store["opensearch"].to_port == 443 &&
      aws_vpc_security_group_egress_rule.ecs_to_store["rds"].referenced_security_group_id == "sg-rds" && aws_vpc_security_group_egress_rule.ecs_to_store["rds"].from_port == 5432 && aws_vpc_security_group_egress_rule.ecs_to_store["rds"].to_port == 5432 &&
      alltrue([for r in [aws_vpc_security_group_egress_rule.ecs_to_store["redis"], aws_vpc_security_group_egress_rule.ecs_to_store["opensearch"], aws_vpc_security_group_egress_rule.ecs_to_store["rds"]] : r.security_group_id == "sg-ecs"])
    )
    error_message = "ECS reaches Redis 6379, OpenSearch 443 and RDS 5432 through their groups"
  }

  assert {
    condition = (
      aws_vpc_security_group_egress_rule.ecs_https_internet.cidr_ipv4 == "0.0.0.0/0" && aws_vpc_security_group_egress_rule.ecs_https_internet.from_port == 443 && aws_vpc_security_group_egress_rule.ecs_https_internet.to_port == 443 &&
      aws_vpc_security_group_egress_rule.ecs_https_vpc.cidr_ipv4 == "10.10.0.0/16" && aws_vpc_security_group_egress_rule.ecs_https_vpc.from_port == 443 &&
      aws_vpc_security_group_egress_rule.ecs_https_internet.ip_protocol == "tcp" && aws_vpc_security_group_egress_rule.ecs_https_vpc.ip_protocol == "tcp"
    )
    error_message = "ECS egress to addresses is HTTPS only"
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.store_from_ecs["redis"].security_group_id == "sg-redis" && aws_vpc_security_group_ingress_rule.store_from_ecs["redis"].referenced_security_group_id == "sg-ecs" && aws_vpc_security_group_ingress_rule.store_from_ecs["redis"].from_port == 6379 && aws_vpc_security_group_ingress_rule.store_from_ecs["redis"].to_port == 6379 &&
      aws_vpc_security_group_ingress_rule.store_from_ecs["opensearch"].security_group_id == "sg-opensearch" && aws_vpc_security_group_ingress_rule.store_from_ecs["opensearch"].referenced_security_group_id == "sg-ecs" && aws_vpc_security_group_ingress_rule.store_from_ecs["opensearch"].from_port == 443 && aws_vpc_security_group_ingress_rule.store_from_ecs["opensearch"].to_port == 443 &&
      aws_vpc_security_group_ingress_rule.store_from_ecs["rds"].security_group_id == "sg-rds" && aws_vpc_security_group_ingress_rule.store_from_ecs["rds"].referenced_security_group_id == "sg-ecs" && aws_vpc_security_group_ingress_rule.store_from_ecs["rds"].from_port == 5432 && aws_vpc_security_group_ingress_rule.store_from_ecs["rds"].to_port == 5432
    )
    error_message = "each data store admits only the ECS group, only on its port"
  }

  # Every rule of the module, as "<group> <direction> <port> <source>", to check global properties.
  assert {
    condition = alltrue([
      for r in concat(
        values(aws_vpc_security_group_ingress_rule.alb), values(aws_vpc_security_group_ingress_rule.ecs_from_alb), values(aws_vpc_security_group_ingress_rule.ecs_from_ecs),
        [aws_vpc_security_group_ingress_rule.store_from_ecs["redis"], aws_vpc_security_group_ingress_rule.store_from_ecs["opensearch"], aws_vpc_security_group_ingress_rule.store_from_ecs["rds"]],
      ) : r.cidr_ipv4 == null || r.security_group_id == "sg-alb"
    ])
    error_message = "no ingress from an address range except on the ALB group"
  }

  assert {
    condition = alltrue([
      for r in concat(
        values(aws_vpc_security_group_egress_rule.alb_to_ecs), values(aws_vpc_security_group_egress_rule.ecs_to_ecs),
        [aws_vpc_security_group_egress_rule.ecs_https_internet, aws_vpc_security_group_egress_rule.ecs_https_vpc, aws_vpc_security_group_egress_rule.ecs_to_store["redis"], aws_vpc_security_group_egress_rule.ecs_to_store["opensearch"], aws_vpc_security_group_egress_rule.ecs_to_store["rds"]],
      ) : contains(["sg-alb", "sg-ecs"], r.security_group_id) && r.ip_protocol == "tcp"
    ])
    error_message = "data stores have no egress; every egress rule is a TCP rule of the ALB or ECS group"
  }

  assert {
    condition = alltrue([
      for r in concat(
        values(aws_vpc_security_group_ingress_rule.alb), values(aws_vpc_security_group_ingress_rule.ecs_from_alb), values(aws_vpc_security_group_ingress_rule.ecs_from_ecs),
        [aws_vpc_security_group_ingress_rule.store_from_ecs["redis"], aws_vpc_security_group_ingress_rule.store_from_ecs["opensearch"], aws_vpc_security_group_ingress_rule.store_from_ecs["rds"]],
        values(aws_vpc_security_group_egress_rule.alb_to_ecs), values(aws_vpc_security_group_egress_rule.ecs_to_ecs),
        [aws_vpc_security_group_egress_rule.ecs_https_internet, aws_vpc_security_group_egress_rule.ecs_https_vpc, aws_vpc_security_group_egress_rule.ecs_to_store["redis"], aws_vpc_security_group_egress_rule.ecs_to_store["opensearch"], aws_vpc_security_group_egress_rule.ecs_to_store["rds"]],
      ) : length(r.description) > 0 && can(regex("^[a-zA-Z0-9 ._:/()#,@\\[\\]+=&;{}!$*-]+$", r.description)) && startswith(r.tags["Name"], "staging-carcierge-")
    ])
    error_message = "every rule has a description in AWS's allowed characters and a <env>-carcierge-… Name"
  }
}

run "restricted_alb_and_shared_ports" {
  command = plan

  variables {
    alb_ingress_cidrs = ["203.0.113.0/24", "198.51.100.0/24"]
    service_ports = {
      api    = 8080
      worker = 8080
      web    = 3000
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
      keys(aws_vpc_security_group_ingress_rule.ecs_from_alb) == ["3000", "8080"] &&
      keys(aws_vpc_security_group_egress_rule.alb_to_ecs) == ["3000", "8080"] &&
      strcontains(aws_vpc_security_group_ingress_rule.ecs_from_alb["8080"].description, "api, worker")
    )
    error_message = "services sharing a port share one rule per direction (AWS rejects duplicate rules)"
  }
}

run "data_store_ports_come_from_the_stores" {
  command = plan

  variables {
    data_store_ports = { redis = 6380, opensearch = 443, rds = 5433 }
  }

  assert {
    condition = {
      for store in ["redis", "opensearch", "rds"] : store => [
        aws_vpc_security_group_egress_rule.ecs_to_store[store].from_port, aws_vpc_security_group_egress_rule.ecs_to_store[store].to_port,
        aws_vpc_security_group_ingress_rule.store_from_ecs[store].from_port, aws_vpc_security_group_ingress_rule.store_from_ecs[store].to_port,
      ]
    } == { redis = [6380, 6380, 6380, 6380], opensearch = [443, 443, 443, 443], rds = [5433, 5433, 5433, 5433] }
    error_message = "ECS egress and store ingress must open the ports the data stores listen on (data_store_ports), not fixed ones"
  }

  assert {
    condition     = aws_security_group.rds.description == "RDS PostgreSQL: 5433 from ECS services only; no egress" && aws_vpc_security_group_ingress_rule.store_from_ecs["redis"].description == "Redis 6380 from ECS services"
    error_message = "descriptions name the configured ports"
  }
}

run "data_store_port_out_of_range_is_rejected" {
  command = plan

  variables {
    data_store_ports = { redis = 6379, opensearch = 443, rds = 80 }
  }

  expect_failures = [var.data_store_ports]
}

run "alb_ingress_cidrs_must_not_be_empty" {
  command = plan
  variables {
    alb_ingress_cidrs = []
  }
  expect_failures = [var.alb_ingress_cidrs]
}

run "alb_ingress_cidrs_must_be_ipv4_cidrs" {
  command = plan
  variables {
    alb_ingress_cidrs = ["203.0.113.7"]
  }
  expect_failures = [var.alb_ingress_cidrs]
}

run "privileged_container_port_is_rejected" {
  command = plan
  variables {
    service_ports = { service1 = 80 }
  }
  expect_failures = [var.service_ports]
}

run "out_of_range_container_port_is_rejected" {
  command = plan
  variables {
    service_ports = { service1 = 70000 }
  }
  expect_failures = [var.service_ports]
}

run "bad_service_name_is_rejected" {
  command = plan
  variables {
    service_ports = { "Service One" = 3001 }
  }
  expect_failures = [var.service_ports]
}

run "bad_vpc_cidr_block_is_rejected" {
  command = plan
  variables {
    vpc_cidr_block = "10.10.0.0"
  }
  expect_failures = [var.vpc_cidr_block]
}

run "empty_vpc_id_is_rejected" {
  command = plan
  variables {
    vpc_id = ""
  }
  expect_failures = [var.vpc_id]
}

run "bad_name_prefix_is_rejected" {
  command = plan
  variables {
    name_prefix = "-carcierge"
  }
  expect_failures = [var.name_prefix]
}
