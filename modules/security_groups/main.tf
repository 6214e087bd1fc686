# One security group per role, with one rule per resource (aws_vpc_security_group_*_rule):
#   clients -> ALB (443, 80) -> ECS container ports; ECS <-> ECS on container ports;
#   ECS -> Redis 6379, OpenSearch 443, RDS 5432; ECS -> 443 (image pulls, AWS APIs).
# Data stores have no egress. AWS's default allow-all egress rule is removed by Terraform when
# it creates a group, so a group without egress rules allows none.

locals {
  # Rules are per distinct port: two services on one port share a rule (AWS rejects duplicates).
  ports            = { for port in distinct(values(var.service_ports)) : tostring(port) => port }
  services_on_port = { for key, port in local.ports : key => sort([for name, p in var.service_ports : name if p == port]) }

  alb_ingress = merge(
    { for cidr in var.alb_ingress_cidrs : "https-${cidr}" => { port = 443, cidr = cidr, what = "HTTPS" } },
    { for cidr in var.alb_ingress_cidrs : "http-${cidr}" => { port = 80, cidr = cidr, what = "HTTP, redirected to HTTPS" } },
  )
}

# --- groups ----------------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  # checkov:skip=CKV2_AWS_5:attached to the load balancer by the ALB module, which consumes alb_security_group_id
  name        = "${var.name_prefix}-alb-sg"
  description = "Application Load Balancer: HTTP(S) from alb_ingress_cidrs, container ports to ECS"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-alb-sg" })
}

resource "aws_security_group" "ecs" {
  # checkov:skip=CKV2_AWS_5:attached to the Fargate services by the ECS module, which consumes ecs_security_group_id
  name        = "${var.name_prefix}-ecs-sg"
  description = "ECS services: container ports from the ALB and each other; HTTPS out and data stores"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-sg" })
}

resource "aws_security_group" "redis" {
  # checkov:skip=CKV2_AWS_5:attached to the replication group by the ElastiCache module, which consumes redis_security_group_id
  name        = "${var.name_prefix}-redis-sg"
  description = "ElastiCache Redis: ${var.data_store_ports.redis} from ECS services only; no egress"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-redis-sg" })
}

resource "aws_security_group" "opensearch" {
  # checkov:skip=CKV2_AWS_5:attached to the domain by the OpenSearch module, which consumes opensearch_security_group_id
  name        = "${var.name_prefix}-opensearch-sg"
  description = "OpenSearch: HTTPS ${var.data_store_ports.opensearch} from ECS services only; no egress"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-opensearch-sg" })
}

resource "aws_security_group" "rds" {
  # checkov:skip=CKV2_AWS_5:attached to the DB instance by the RDS module, which consumes rds_security_group_id
  name        = "${var.name_prefix}-rds-sg"
  description = "RDS PostgreSQL: ${var.data_store_ports.rds} from ECS services only; no egress"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-rds-sg" })
}

# --- ALB -------------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "alb" {
  # checkov:skip=CKV_AWS_260:the internet-facing ALB must accept HTTP on 80 to redirect it to HTTPS; alb_ingress_cidrs narrows it
  for_each = local.alb_ingress

  security_group_id = aws_security_group.alb.id
  description       = "${each.value.what} to the ALB from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr

  tags = merge(var.tags, { Name = "${var.name_prefix}-alb-sg-in-${each.key}" })
}

resource "aws_vpc_security_group_egress_rule" "alb_to_ecs" {
  for_each = local.ports

  security_group_id            = aws_security_group.alb.id
  description                  = "ALB to ECS container port ${each.value} (${join(", ", local.services_on_port[each.key])})"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.ecs.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-alb-sg-out-ecs-${each.key}" })
}

# --- ECS services ----------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "ecs_from_alb" {
  for_each = local.ports

  security_group_id            = aws_security_group.ecs.id
  description                  = "Container port ${each.value} (${join(", ", local.services_on_port[each.key])}) from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.alb.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-sg-in-alb-${each.key}" })
}

resource "aws_vpc_security_group_ingress_rule" "ecs_from_ecs" {
  for_each = local.ports

  security_group_id            = aws_security_group.ecs.id
  description                  = "Container port ${each.value} (${join(", ", local.services_on_port[each.key])}) from other ECS services"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.ecs.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-sg-in-ecs-${each.key}" })
}

resource "aws_vpc_security_group_egress_rule" "ecs_to_ecs" {
  for_each = local.ports

  security_group_id            = aws_security_group.ecs.id
  description                  = "To container port ${each.value} (${join(", ", local.services_on_port[each.key])}) of other ECS services"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.ecs.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-sg-out-ecs-${each.key}" })
}

# HTTPS to the internet stays open, also where interface endpoints exist (uat, prod): tasks
# need AWS APIs without endpoints here (ECS Service Connect's control plane, SSM messages for
# ECS Exec, STS, KMS) and whatever third-party HTTPS APIs the services call; the S3 prefix list
# and the VPC CIDR alone would cut those off. Restricting egress further belongs to an egress
# allowlist (Route 53 Resolver DNS Firewall or a proxy) once the services' destinations are
# known; the interface endpoints' policies limit what passes through them to this account.
resource "aws_vpc_security_group_egress_rule" "ecs_https_internet" {
  security_group_id = aws_security_group.ecs.id
  description       = "HTTPS out through the NAT gateway: image pulls and AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-sg-out-https" })
}

resource "aws_vpc_security_group_egress_rule" "ecs_https_vpc" {
  security_group_id = aws_security_group.ecs.id
  description       = "HTTPS to interface VPC endpoints inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.vpc_cidr_block

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-sg-out-https-vpc" })
}

# One rule a store in each direction: the stores differ only in port and security group. The
# ports are the stores' own (data_store_ports), never literals here.
locals {
  data_stores = {
    redis      = { port = var.data_store_ports.redis, security_group_id = aws_security_group.redis.id, protocol = "Redis ${var.data_store_ports.redis}", service = "ElastiCache" }
    opensearch = { port = var.data_store_ports.opensearch, security_group_id = aws_security_group.opensearch.id, protocol = "HTTPS ${var.data_store_ports.opensearch}", service = "OpenSearch" }
    rds        = { port = var.data_store_ports.rds, security_group_id = aws_security_group.rds.id, protocol = "PostgreSQL ${var.data_store_ports.rds}", service = "RDS" }
  }
}

resource "aws_vpc_security_group_egress_rule" "ecs_to_store" {
  for_each = local.data_stores

  security_group_id            = aws_security_group.ecs.id
  description                  = "${each.value.protocol} to ${each.value.service}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.security_group_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-sg-out-${each.key}" })
}

# --- data stores: ingress from ECS only, no egress --------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "store_from_ecs" {
  for_each = local.data_stores

  security_group_id            = each.value.security_group_id
  description                  = "${each.value.protocol} from ECS services"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.ecs.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-sg-in-ecs" })
}

# --- log delivery (OpenSearch Ingestion pipeline): HTTPS to OpenSearch only ------------------

resource "aws_security_group" "log_delivery" {
  # checkov:skip=CKV2_AWS_5:attached to the OpenSearch Ingestion pipeline by the log_delivery module, which consumes log_delivery_security_group_id
  count = var.log_delivery ? 1 : 0

  name        = "${var.name_prefix}-log-delivery-sg"
  description = "OpenSearch Ingestion log pipeline: HTTPS ${var.data_store_ports.opensearch} to OpenSearch only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-log-delivery-sg" })
}

resource "aws_vpc_security_group_egress_rule" "log_delivery_to_opensearch" {
  count = var.log_delivery ? 1 : 0

  security_group_id            = aws_security_group.log_delivery[0].id
  description                  = "HTTPS ${var.data_store_ports.opensearch} to OpenSearch"
  ip_protocol                  = "tcp"
  from_port                    = var.data_store_ports.opensearch
  to_port                      = var.data_store_ports.opensearch
  referenced_security_group_id = aws_security_group.opensearch.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-log-delivery-sg-out-opensearch" })
}

resource "aws_vpc_security_group_ingress_rule" "opensearch_from_log_delivery" {
  count = var.log_delivery ? 1 : 0

  security_group_id            = aws_security_group.opensearch.id
  description                  = "HTTPS ${var.data_store_ports.opensearch} from the log delivery pipeline"
  ip_protocol                  = "tcp"
  from_port                    = var.data_store_ports.opensearch
  to_port                      = var.data_store_ports.opensearch
  referenced_security_group_id = aws_security_group.log_delivery[0].id

  tags = merge(var.tags, { Name = "${var.name_prefix}-opensearch-sg-in-log-delivery" })
}
