# Three-tier VPC: public (ALB, NAT), private (ECS tasks, interface endpoints) and data (RDS,
# Redis, OpenSearch; no route out of the VPC), spread over az_count availability zones.

# The project's conventions: checks the shared inputs and gives the lists the validations read.
module "conventions" {
  source = "../conventions"

  # The shared inputs, checked there once.
  inputs           = { name_prefix = var.name_prefix, kms_key_arn = var.kms_key_arn, log_retention_days = var.log_retention_days, permissions_boundary_arn = var.permissions_boundary_arn }
  data_store_ports = var.data_store_ports
}

data "aws_availability_zones" "available" {
  state = "available"

  # Allowlist by zone name: the pinned availability_zones, or else the region's regular zones
  # ("<region>" plus one letter; Local and Wavelength Zones have longer names).
  filter {
    name   = "zone-name"
    values = length(var.availability_zones) > 0 ? var.availability_zones : ["${data.aws_region.current.region}?"]
  }

  # Regular zones only: Local and Wavelength Zones need an opt-in and lack most services.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name = "${var.name_prefix}-vpc"

  # AZs in name order (only the pinned ones when availability_zones is set); the first az_count
  # are used, and the precondition on the VPC reports too few.
  region_azs = sort([
    for az in data.aws_availability_zones.available.names : az
    if length(var.availability_zones) == 0 || contains(var.availability_zones, az)
  ])
  azs = slice(local.region_azs, 0, min(var.az_count, length(local.region_azs)))

  # Subnet CIDRs: the VPC is cut into 32 equal blocks (newbits 5). Tier t owns blocks 8t..8t+7
  # (the tier's aggregate is the quarter cidrsubnet(vpc, 2, t)); inside a tier an AZ takes the
  # block of its letter (a=0 .. h=7). A subnet's CIDR therefore depends only on its tier and its
  # AZ, never on how many AZs are used or which other zones the region lists.
  az_letters  = ["a", "b", "c", "d", "e", "f", "g", "h"]
  az_position = { for az in local.azs : az => try(index(local.az_letters, substr(az, length(az) - 1, 1)), -1) }
  tiers       = { public = 0, private = 1, data = 2 }

  subnet_cidrs = {
    for tier, t in local.tiers : tier => {
      for az in local.azs : az => cidrsubnet(var.vpc_cidr, 5, 8 * t + max(local.az_position[az], 0))
    }
  }
  tier_cidrs = { for tier, t in local.tiers : tier => cidrsubnet(var.vpc_cidr, 2, t) }

  # NAT gateways: one per AZ, or one in the first AZ shared by all private route tables.
  nat_azs    = var.nat_gateway_mode == "per_az" ? local.azs : slice(local.azs, 0, min(1, length(local.azs)))
  nat_az_for = { for az in local.azs : az => var.nat_gateway_mode == "per_az" ? az : local.azs[0] }

  # The AWS APIs the tasks call: image pulls (ecr.api, ecr.dkr; layers through the S3 gateway
  # endpoint), their logs (logs), their secrets (secretsmanager) and role sessions (sts: the
  # operator task assumes the OpenSearch master role; SDKs resolve their identity).
  interface_endpoint_services = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"]
  endpoint_service_prefix     = "${data.aws_partition.current.reverse_dns_prefix}.${data.aws_region.current.region}"

  flow_log_group_name = "/aws/vpc/${local.name}-flow-logs"
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # required for private DNS of interface endpoints

  tags = merge(var.tags, { Name = local.name })

  lifecycle {
    precondition {
      condition     = length(local.region_azs) >= var.az_count
      error_message = "az_count is ${var.az_count} but the region offers only ${length(local.region_azs)} availability zone(s): ${join(", ", local.region_azs)}. Lower az_count."
    }
    precondition {
      condition     = alltrue([for az in local.azs : local.az_position[az] >= 0])
      error_message = "Every availability zone name must end in a letter a-h (its subnet slot); got ${join(", ", local.azs)}."
    }
  }
}

# --- lock down the defaults AWS creates with every VPC ---------------------------------------

# No rules at all: nothing may use the default security group.
resource "aws_default_security_group" "this" {
  vpc_id  = aws_vpc.this.id
  ingress = []
  egress  = []

  tags = merge(var.tags, { Name = "${local.name}-default-sg" })
}

# Deny-all; every subnet is associated with its tier's ACL instead.
resource "aws_default_network_acl" "this" {
  default_network_acl_id = aws_vpc.this.default_network_acl_id

  tags = merge(var.tags, { Name = "${local.name}-default-nacl" })

  lifecycle {
    ignore_changes = [subnet_ids]
  }
}

# The main route table keeps only the local route; every subnet has its own table.
resource "aws_default_route_table" "this" {
  default_route_table_id = aws_vpc.this.default_route_table_id
  route                  = []

  tags = merge(var.tags, { Name = "${local.name}-default-rt" })
}

# --- subnets -------------------------------------------------------------------------------

resource "aws_subnet" "public" {
  for_each = toset(local.azs)

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = local.subnet_cidrs.public[each.key]
  map_public_ip_on_launch = false # the ALB and the NAT gateways get their addresses explicitly

  tags = merge(var.tags, { Name = "${local.name}-public-subnet-${each.key}", Tier = "public" })
}

resource "aws_subnet" "private" {
  for_each = toset(local.azs)

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = local.subnet_cidrs.private[each.key]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${local.name}-private-subnet-${each.key}", Tier = "private" })
}

resource "aws_subnet" "data" {
  for_each = toset(local.azs)

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = local.subnet_cidrs.data[each.key]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${local.name}-data-subnet-${each.key}", Tier = "data" })
}

locals {
  subnet_ids = {
    public  = [for az in local.azs : aws_subnet.public[az].id]
    private = [for az in local.azs : aws_subnet.private[az].id]
    data    = [for az in local.azs : aws_subnet.data[az].id]
  }
}

# --- internet access: IGW for the public tier, NAT for the private tier ----------------------

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${local.name}-igw" })
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_azs)

  domain = "vpc"

  tags = merge(var.tags, { Name = "${local.name}-nat-eip-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_azs)

  connectivity_type = "public"
  allocation_id     = aws_eip.nat[each.key].allocation_id
  subnet_id         = aws_subnet.public[each.key].id

  tags = merge(var.tags, { Name = "${local.name}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

# --- routing -------------------------------------------------------------------------------

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${local.name}-public-rt" })
}

resource "aws_route" "public_internet" {
  # checkov:skip=CKV2_AWS_35:the default route of the public tier targets the internet gateway, never an instance; a plan reports instance_id (computed) as unknown, which checkov reads as set
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = toset(local.azs)

  subnet_id      = aws_subnet.public[each.key].id
  route_table_id = aws_route_table.public.id
}

# One table per AZ in both NAT modes, so switching mode only changes the routes.
resource "aws_route_table" "private" {
  for_each = toset(local.azs)

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${local.name}-private-rt-${each.key}" })
}

resource "aws_route" "private_nat" {
  # checkov:skip=CKV2_AWS_35:the default route targets a NAT gateway, never a NAT instance; a plan reports instance_id (computed) as unknown, which checkov reads as set
  for_each = toset(local.azs)

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[local.nat_az_for[each.key]].id
}

resource "aws_route_table_association" "private" {
  for_each = toset(local.azs)

  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.key].id
}

# The data tier is isolated: only the implicit local route, never a default route.
resource "aws_route_table" "data" {
  vpc_id = aws_vpc.this.id
  route  = []

  tags = merge(var.tags, { Name = "${local.name}-data-rt" })
}

resource "aws_route_table_association" "data" {
  for_each = toset(local.azs)

  subnet_id      = aws_subnet.data[each.key].id
  route_table_id = aws_route_table.data.id
}

# --- network ACLs: one per tier, explicit rules, ephemeral ports for return traffic ------------

locals {
  ephemeral = module.conventions.unprivileged_ports

  nacl_rules = {
    # public: the ALB (80/443 from clients) and the NAT gateways (443 out, replies back)
    "public-in-https"     = { tier = "public", egress = false, rule_number = 100, from = 443, to = 443, cidr = "0.0.0.0/0" }
    "public-in-http"      = { tier = "public", egress = false, rule_number = 110, from = 80, to = 80, cidr = "0.0.0.0/0" }
    "public-in-ephemeral" = { tier = "public", egress = false, rule_number = 120, from = local.ephemeral.from, to = local.ephemeral.to, cidr = "0.0.0.0/0" }
    "public-out-https"    = { tier = "public", egress = true, rule_number = 100, from = 443, to = 443, cidr = "0.0.0.0/0" }
    # replies to clients and the ALB's connections to container ports in the private tier
    "public-out-ephemeral" = { tier = "public", egress = true, rule_number = 110, from = local.ephemeral.from, to = local.ephemeral.to, cidr = "0.0.0.0/0" }

    # private: ECS tasks and interface endpoints
    "private-in-https-endpoints" = { tier = "private", egress = false, rule_number = 100, from = 443, to = 443, cidr = local.tier_cidrs.private }
    # container ports from the ALB and other tasks, replies from the internet (via NAT) and the data tier
    "private-in-ephemeral" = { tier = "private", egress = false, rule_number = 110, from = local.ephemeral.from, to = local.ephemeral.to, cidr = "0.0.0.0/0" }
    "private-out-https"    = { tier = "private", egress = true, rule_number = 100, from = 443, to = 443, cidr = "0.0.0.0/0" }
    # replies to the ALB, container ports of other tasks, PostgreSQL and Redis in the data tier
    "private-out-ephemeral-vpc" = { tier = "private", egress = true, rule_number = 110, from = local.ephemeral.from, to = local.ephemeral.to, cidr = var.vpc_cidr }

    # data: only the private tier, only on the ports the data stores listen on (data_store_ports)
    "data-in-postgres"   = { tier = "data", egress = false, rule_number = 100, from = var.data_store_ports.rds, to = var.data_store_ports.rds, cidr = local.tier_cidrs.private }
    "data-in-redis"      = { tier = "data", egress = false, rule_number = 110, from = var.data_store_ports.redis, to = var.data_store_ports.redis, cidr = local.tier_cidrs.private }
    "data-in-opensearch" = { tier = "data", egress = false, rule_number = 120, from = var.data_store_ports.opensearch, to = var.data_store_ports.opensearch, cidr = local.tier_cidrs.private }
    "data-out-ephemeral" = { tier = "data", egress = true, rule_number = 100, from = local.ephemeral.from, to = local.ephemeral.to, cidr = local.tier_cidrs.private }
  }
}

locals {
  # The data tier's ingress rule of each data store (output data_tier_ports).
  data_in_rules = { rds = "data-in-postgres", redis = "data-in-redis", opensearch = "data-in-opensearch" }
}

# One resource per tier (not for_each) so checkov's graph sees each ACL attached to its subnets.
resource "aws_network_acl" "public" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = [for az in local.azs : aws_subnet.public[az].id]

  tags = merge(var.tags, { Name = "${local.name}-public-nacl" })
}

resource "aws_network_acl" "private" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = [for az in local.azs : aws_subnet.private[az].id]

  tags = merge(var.tags, { Name = "${local.name}-private-nacl" })
}

resource "aws_network_acl" "data" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = [for az in local.azs : aws_subnet.data[az].id]

  tags = merge(var.tags, { Name = "${local.name}-data-nacl" })
}

locals {
  nacl_ids = {
    public  = aws_network_acl.public.id
    private = aws_network_acl.private.id
    data    = aws_network_acl.data.id
  }
}

resource "aws_network_acl_rule" "this" {
  # checkov:skip=CKV_AWS_231:only the ephemeral rules admit 0.0.0.0/0 on 1024-65535: return traffic of the NAT gateways and the ALB, which NACLs (stateless) cannot tell apart from new connections; 3389 is never opened by a security group, and tests/vpc.tftest.hcl pins every tier's rule set
  for_each = local.nacl_rules

  network_acl_id = local.nacl_ids[each.value.tier]
  rule_number    = each.value.rule_number
  egress         = each.value.egress
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = each.value.cidr
  from_port      = each.value.from
  to_port        = each.value.to
}

# --- flow logs -----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "flow_logs" {
  # checkov:skip=CKV_AWS_338:retention is the environment's log_retention_days (staging 14, qa 14, uat 30, prod 90 days), under the one year this check asks for in every environment, security logs included: chosen for cost, a year is one value in an environment file
  name              = local.flow_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = "${local.name}-flow-logs" })
}

resource "aws_iam_role" "flow_logs" {
  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

  name        = "${local.name}-flow-logs"
  description = "Lets VPC Flow Logs write ${local.name} flow records to ${local.flow_log_group_name}."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "VpcFlowLogsOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        ArnLike = {
          "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:vpc-flow-log/*"
        }
      }
    }]
  })

  tags = merge(var.tags, { Name = "${local.name}-flow-logs" })
}

resource "aws_iam_role_policy" "flow_logs" {
  name = "${local.name}-flow-logs"
  role = aws_iam_role.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteThisLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = [aws_cloudwatch_log_group.flow_logs.arn, "${aws_cloudwatch_log_group.flow_logs.arn}:*"]
      },
      {
        Sid      = "FindLogGroups"
        Effect   = "Allow"
        Action   = "logs:DescribeLogGroups"
        Resource = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:*"
      },
    ]
  })
}

# Default record format (no log_format): modules/log_delivery parses exactly that format into
# flow.* fields in OpenSearch (pipeline.tf, flow_log_grok); change both together.
resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn

  tags = merge(var.tags, { Name = "${local.name}-flow-log" })
}

# --- VPC endpoints -------------------------------------------------------------------------

# Gateway endpoints are free: S3 traffic (ECR image layers) from the private tier skips the NAT.
# Its policy lets through only this account's buckets (aws:ResourceAccount) and the bucket AWS
# documents for ECR image layers, so a task cannot copy data into another account's bucket in
# this region (the route to S3 goes through the endpoint, not the NAT). Sources: VPC PrivateLink
# guide, "Control access to VPC endpoints using endpoint policies"; Amazon ECR user guide,
# "Amazon ECR interface VPC endpoints", "Minimum Amazon S3 bucket permissions for Amazon ECR"
# (s3:GetObject on arn:aws:s3:::prod-<region>-starport-layer-bucket/*). The layer bucket is
# AWS's, read with a URL ECR signs: no account condition can apply to it.
locals {
  s3_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ThisAccountsBuckets"
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:*"
        Resource  = "*"
        Condition = { StringEquals = { "aws:ResourceAccount" = data.aws_caller_identity.current.account_id } }
      },
      {
        Sid       = "EcrImageLayers"
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:GetObject"
        Resource  = "arn:${data.aws_partition.current.partition}:s3:::prod-${data.aws_region.current.region}-starport-layer-bucket/*"
      },
    ]
  })
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "${local.endpoint_service_prefix}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for az in local.azs : aws_route_table.private[az].id]
  policy            = local.s3_endpoint_policy

  tags = merge(var.tags, { Name = "${local.name}-endpoint-s3" })
}

resource "aws_security_group" "endpoints" {
  count = var.enable_interface_endpoints ? 1 : 0

  name        = "${local.name}-endpoints-sg"
  description = "Interface VPC endpoints of ${local.name}: HTTPS from inside the VPC only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${local.name}-endpoints-sg" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  count = var.enable_interface_endpoints ? 1 : 0

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS to the interface endpoints from the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.vpc_cidr

  tags = merge(var.tags, { Name = "${local.name}-endpoints-sg-in-https" })
}

# Endpoint policies: only principals of this account may use an interface endpoint
# (aws:PrincipalAccount), and for CloudWatch Logs and Secrets Manager only on this account's
# resources (aws:ResourceAccount), so a stolen credential of another account cannot move data
# out through them (VPC PrivateLink guide, "Control access to VPC endpoints using endpoint
# policies"; IAM global condition keys). ECR keeps aws:PrincipalAccount alone: images may come
# from another account's registry (services.*.container_image); so does STS (GetCallerIdentity
# names no resource). The S3 gateway endpoint's policy is above.
locals {
  endpoint_policies = {
    for service in local.interface_endpoint_services : service => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid       = "ThisAccountOnly"
        Effect    = "Allow"
        Principal = "*"
        Action    = "*"
        Resource  = "*"
        Condition = {
          StringEquals = merge(
            { "aws:PrincipalAccount" = data.aws_caller_identity.current.account_id },
            contains(["logs", "secretsmanager"], service) ? { "aws:ResourceAccount" = data.aws_caller_identity.current.account_id } : {},
          )
        }
      }]
    })
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.enable_interface_endpoints ? toset(local.interface_endpoint_services) : toset([])

  vpc_id              = aws_vpc.this.id
  service_name        = "${local.endpoint_service_prefix}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.subnet_ids.private
  security_group_ids  = [aws_security_group.endpoints[0].id]
  policy              = local.endpoint_policies[each.key]

  tags = merge(var.tags, { Name = "${local.name}-endpoint-${replace(each.key, ".", "-")}" })
}
