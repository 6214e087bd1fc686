# modules/vpc with a mocked AWS provider. Ids the assertions compare (subnets, route tables,
# NAT gateways, ACLs) are pinned per instance and made known at plan time (override_during =
# plan), so a route can be traced to the NAT gateway and the AZ it uses.
mock_provider "aws" {
  source          = "../conventions/tests/mocks"
  override_during = plan

  mock_resource "aws_vpc" {
    defaults = { id = "vpc-0test", default_network_acl_id = "acl-default", default_route_table_id = "rtb-default" }
  }
  mock_resource "aws_internet_gateway" {
    defaults = { id = "igw-0test" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-west-1:123456789012:log-group:/aws/vpc/test-flow-logs" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/test-flow-logs", id = "test-flow-logs" }
  }
  mock_resource "aws_security_group" {
    defaults = { id = "sg-endpoints" }
  }
}

# Per-instance ids (two us-west-1 zones; the three-AZ run adds us-east-2's).
override_resource {
  override_during = plan
  target          = aws_network_acl.public
  values          = { id = "acl-public" }
}
override_resource {
  override_during = plan
  target          = aws_network_acl.private
  values          = { id = "acl-private" }
}
override_resource {
  override_during = plan
  target          = aws_network_acl.data
  values          = { id = "acl-data" }
}
override_resource {
  override_during = plan
  target          = aws_route_table.public
  values          = { id = "rtb-public" }
}
override_resource {
  override_during = plan
  target          = aws_route_table.data
  values          = { id = "rtb-data" }
}
override_resource {
  override_during = plan
  target          = aws_subnet.public["us-west-1a"]
  values          = { id = "subnet-public-us-west-1a" }
}
override_resource {
  override_during = plan
  target          = aws_subnet.private["us-west-1a"]
  values          = { id = "subnet-private-us-west-1a" }
}
override_resource {
  override_during = plan
  target          = aws_subnet.data["us-west-1a"]
  values          = { id = "subnet-data-us-west-1a" }
}
override_resource {
  override_during = plan
  target          = aws_route_table.private["us-west-1a"]
  values          = { id = "rtb-private-us-west-1a" }
}
override_resource {
  override_during = plan
  target          = aws_eip.nat["us-west-1a"]
  values          = { id = "eipalloc-us-west-1a", allocation_id = "eipalloc-us-west-1a" }
}
override_resource {
  override_during = plan
  target          = aws_nat_gateway.this["us-west-1a"]
  values          = { id = "nat-us-west-1a" }
}
override_resource {
  override_during = plan
  target          = aws_subnet.public["us-west-1c"]
  values          = { id = "subnet-public-us-west-1c" }
}
override_resource {
  override_during = plan
  target          = aws_subnet.private["us-west-1c"]
  values          = { id = "subnet-private-us-west-1c" }
}
override_resource {
  override_during = plan
  target          = aws_subnet.data["us-west-1c"]
  values          = { id = "subnet-data-us-west-1c" }
}
override_resource {
  override_during = plan
  target          = aws_route_table.private["us-west-1c"]
  values          = { id = "rtb-private-us-west-1c" }
}
override_resource {
  override_during = plan
  target          = aws_eip.nat["us-west-1c"]
  values          = { id = "eipalloc-us-west-1c", allocation_id = "eipalloc-us-west-1c" }
}
override_resource {
  override_during = plan
  target          = aws_nat_gateway.this["us-west-1c"]
  values          = { id = "nat-us-west-1c" }
}

variables {
  name_prefix        = "staging-carcierge"
  vpc_cidr           = "10.10.0.0/16"
  kms_key_arn        = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  log_retention_days = 14
  data_store_ports   = { redis = 6379, opensearch = 443, rds = 5432 }
}

# --- topology: two AZs, single NAT (staging/qa shape) ----------------------------------------

run "two_azs_single_nat" {
  command = plan

  variables {
    az_count         = 2
    nat_gateway_mode = "single"
  }

  assert {
    condition     = aws_vpc.this.cidr_block == "10.10.0.0/16" && aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "the VPC takes vpc_cidr and has DNS support and hostnames on"
  }

  assert {
    condition     = length(aws_subnet.public) + length(aws_subnet.private) + length(aws_subnet.data) == 3 * 2
    error_message = "3 tiers x az_count subnets expected"
  }

  assert {
    condition = (
      keys(aws_subnet.public) == ["us-west-1a", "us-west-1c"] &&
      keys(aws_subnet.private) == ["us-west-1a", "us-west-1c"] &&
      keys(aws_subnet.data) == ["us-west-1a", "us-west-1c"]
    )
    error_message = "subnets are keyed by the AZ names the data source returns"
  }

  assert {
    condition = alltrue([
      for s in concat(values(aws_subnet.public), values(aws_subnet.private), values(aws_subnet.data)) :
      s.availability_zone == regex("us-west-1[a-z]$", s.tags["Name"]) && !s.map_public_ip_on_launch
    ])
    error_message = "each subnet sits in the AZ of its key and never maps public IPs"
  }

  # Fixed slots: tier t, AZ letter l -> block 8t + l of 32 (/21 in a /16).
  assert {
    condition = (
      output.public_subnet_cidrs == { "us-west-1a" = "10.10.0.0/21", "us-west-1c" = "10.10.16.0/21" } &&
      output.private_subnet_cidrs == { "us-west-1a" = "10.10.64.0/21", "us-west-1c" = "10.10.80.0/21" } &&
      output.data_subnet_cidrs == { "us-west-1a" = "10.10.128.0/21", "us-west-1c" = "10.10.144.0/21" } &&
      aws_subnet.private["us-west-1c"].cidr_block == "10.10.80.0/21"
    )
    error_message = "subnet CIDRs must follow the tier/AZ-letter slots"
  }

  assert {
    condition = alltrue([
      for c in [for s in concat(values(aws_subnet.public), values(aws_subnet.private), values(aws_subnet.data)) : s.cidr_block] :
      tonumber(split("/", c)[1]) >= 16 && cidrhost("${split("/", c)[0]}/16", 0) == "10.10.0.0"
    ])
    error_message = "every subnet CIDR lies inside the VPC CIDR"
  }

  assert {
    condition = alltrue(flatten([
      for i, a in [for s in concat(values(aws_subnet.public), values(aws_subnet.private), values(aws_subnet.data)) : s.cidr_block] : [
        for j, b in [for s in concat(values(aws_subnet.public), values(aws_subnet.private), values(aws_subnet.data)) : s.cidr_block] :
        i == j || (
          cidrhost("${split("/", a)[0]}/${min(tonumber(split("/", a)[1]), tonumber(split("/", b)[1]))}", 0) !=
          cidrhost("${split("/", b)[0]}/${min(tonumber(split("/", a)[1]), tonumber(split("/", b)[1]))}", 0)
        )
      ]
    ]))
    error_message = "subnet CIDRs must be pairwise disjoint"
  }

  assert {
    condition     = keys(aws_nat_gateway.this) == ["us-west-1a"] && keys(aws_eip.nat) == ["us-west-1a"] && output.nat_gateway_ids == { "us-west-1a" = aws_nat_gateway.this["us-west-1a"].id }
    error_message = "single mode: exactly one NAT gateway (and EIP), in the first AZ"
  }

  assert {
    condition = (
      aws_nat_gateway.this["us-west-1a"].subnet_id == aws_subnet.public["us-west-1a"].id &&
      aws_nat_gateway.this["us-west-1a"].allocation_id == aws_eip.nat["us-west-1a"].allocation_id &&
      aws_nat_gateway.this["us-west-1a"].connectivity_type == "public" &&
      aws_eip.nat["us-west-1a"].domain == "vpc"
    )
    error_message = "the NAT gateway sits in the public subnet of its AZ with its own EIP"
  }

  assert {
    condition = alltrue([
      for az, r in aws_route.private_nat :
      r.destination_cidr_block == "0.0.0.0/0" && r.nat_gateway_id == aws_nat_gateway.this["us-west-1a"].id && r.route_table_id == aws_route_table.private[az].id
    ]) && length(aws_route.private_nat) == 2
    error_message = "single mode: every private route table's default route uses the single NAT"
  }

  assert {
    condition = (
      aws_route.public_internet.route_table_id == aws_route_table.public.id &&
      aws_route.public_internet.destination_cidr_block == "0.0.0.0/0" &&
      aws_route.public_internet.gateway_id == aws_internet_gateway.this.id &&
      alltrue([for az, a in aws_route_table_association.public : a.route_table_id == aws_route_table.public.id && a.subnet_id == aws_subnet.public[az].id]) &&
      alltrue([for az, a in aws_route_table_association.private : a.route_table_id == aws_route_table.private[az].id && a.subnet_id == aws_subnet.private[az].id])
    )
    error_message = "public subnets route 0.0.0.0/0 to the IGW; each private subnet uses its AZ's table"
  }

  assert {
    condition = (
      length(aws_route_table.data.route) == 0 &&
      alltrue([for az, a in aws_route_table_association.data : a.route_table_id == aws_route_table.data.id && a.subnet_id == aws_subnet.data[az].id]) &&
      alltrue([for r in concat([aws_route.public_internet], values(aws_route.private_nat)) : r.route_table_id != aws_route_table.data.id]) &&
      !contains(aws_vpc_endpoint.s3.route_table_ids, aws_route_table.data.id)
    )
    error_message = "the data tier has no default route (no inline routes, no aws_route on its table)"
  }

  assert {
    condition     = length(aws_default_route_table.this.route) == 0
    error_message = "the VPC's main route table keeps only the local route"
  }

  assert {
    condition = (
      aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" &&
      aws_vpc_endpoint.s3.service_name == "com.amazonaws.us-west-1.s3" &&
      toset(aws_vpc_endpoint.s3.route_table_ids) == toset([for t in aws_route_table.private : t.id])
    )
    error_message = "the S3 gateway endpoint is always there, on the private route tables"
  }

  assert {
    condition     = length(aws_vpc_endpoint.interface) == 0 && length(aws_security_group.endpoints) == 0 && output.endpoints_security_group_id == null
    error_message = "interface endpoints are off unless enable_interface_endpoints"
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "the default security group has no rules"
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.flow_logs.name == "/aws/vpc/staging-carcierge-vpc-flow-logs" &&
      aws_cloudwatch_log_group.flow_logs.kms_key_id == var.kms_key_arn &&
      aws_cloudwatch_log_group.flow_logs.retention_in_days == 14 &&
      aws_flow_log.this.vpc_id == aws_vpc.this.id &&
      aws_flow_log.this.traffic_type == "ALL" &&
      aws_flow_log.this.log_destination == aws_cloudwatch_log_group.flow_logs.arn &&
      aws_flow_log.this.iam_role_arn == aws_iam_role.flow_logs.arn
    )
    error_message = "flow logs capture ALL traffic into the KMS-encrypted, retention-bound log group"
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.flow_logs.policy).Statement[0].Resource == [aws_cloudwatch_log_group.flow_logs.arn, "${aws_cloudwatch_log_group.flow_logs.arn}:*"] &&
      !strcontains(aws_iam_role_policy.flow_logs.policy, "\"*\"") &&
      jsondecode(aws_iam_role.flow_logs.assume_role_policy).Statement[0].Principal.Service == "vpc-flow-logs.amazonaws.com" &&
      jsondecode(aws_iam_role.flow_logs.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    )
    error_message = "the flow-log role is assumable only by VPC Flow Logs of this account and writes only its log group"
  }

  assert {
    condition = alltrue([
      for name in concat(
        [aws_vpc.this.tags["Name"], aws_internet_gateway.this.tags["Name"], aws_route_table.public.tags["Name"], aws_route_table.data.tags["Name"],
          aws_default_security_group.this.tags["Name"], aws_default_network_acl.this.tags["Name"], aws_default_route_table.this.tags["Name"],
        aws_cloudwatch_log_group.flow_logs.tags["Name"], aws_iam_role.flow_logs.name, aws_flow_log.this.tags["Name"], aws_vpc_endpoint.s3.tags["Name"]],
        [for r in aws_subnet.public : r.tags["Name"]], [for r in aws_subnet.private : r.tags["Name"]], [for r in aws_subnet.data : r.tags["Name"]],
        [for r in aws_nat_gateway.this : r.tags["Name"]], [for r in aws_eip.nat : r.tags["Name"]], [for r in aws_route_table.private : r.tags["Name"]],
        [aws_network_acl.public.tags["Name"], aws_network_acl.private.tags["Name"], aws_network_acl.data.tags["Name"]],
      ) : startswith(name, "staging-carcierge-vpc")
    ])
    error_message = "every Name follows <env>-carcierge-vpc…"
  }

  assert {
    condition = (
      aws_vpc.this.tags["Name"] == "staging-carcierge-vpc" &&
      aws_subnet.public["us-west-1a"].tags["Name"] == "staging-carcierge-vpc-public-subnet-us-west-1a" &&
      aws_subnet.private["us-west-1c"].tags["Name"] == "staging-carcierge-vpc-private-subnet-us-west-1c" &&
      aws_subnet.data["us-west-1c"].tags["Name"] == "staging-carcierge-vpc-data-subnet-us-west-1c" &&
      aws_nat_gateway.this["us-west-1a"].tags["Name"] == "staging-carcierge-vpc-nat-us-west-1a" &&
      aws_internet_gateway.this.tags["Name"] == "staging-carcierge-vpc-igw"
    )
    error_message = "names follow <env>-carcierge-vpc-<tier>-subnet-<az>, -nat-<az>, -igw"
  }
}

# --- network ACLs ------------------------------------------------------------------------------

run "nacl_rules" {
  command = plan

  assert {
    condition = (
      aws_network_acl.public.subnet_ids == toset([for s in aws_subnet.public : s.id]) &&
      aws_network_acl.private.subnet_ids == toset([for s in aws_subnet.private : s.id]) &&
      aws_network_acl.data.subnet_ids == toset([for s in aws_subnet.data : s.id]) &&
      length(aws_network_acl.data.subnet_ids) == 2
    )
    error_message = "each tier's subnets are associated with that tier's network ACL"
  }

  assert {
    condition = toset([
      for r in aws_network_acl_rule.this : "${r.from_port}-${r.to_port}/${r.cidr_block}"
      if r.network_acl_id == aws_network_acl.data.id && !r.egress
    ]) == toset(["5432-5432/10.10.64.0/18", "6379-6379/10.10.64.0/18", "443-443/10.10.64.0/18"])
    error_message = "the data tier admits only the private tier, only on 5432, 6379 and 443"
  }

  assert {
    condition = toset([
      for r in aws_network_acl_rule.this : "${r.from_port}-${r.to_port}/${r.cidr_block}"
      if r.network_acl_id == aws_network_acl.data.id && r.egress
    ]) == toset(["1024-65535/10.10.64.0/18"])
    error_message = "the data tier answers only the private tier, on ephemeral ports"
  }

  assert {
    condition = toset([
      for r in aws_network_acl_rule.this : "${r.egress ? "out" : "in"}:${r.from_port}-${r.to_port}/${r.cidr_block}"
      if r.network_acl_id == aws_network_acl.public.id
      ]) == toset([
      "in:443-443/0.0.0.0/0", "in:80-80/0.0.0.0/0", "in:1024-65535/0.0.0.0/0",
      "out:443-443/0.0.0.0/0", "out:1024-65535/0.0.0.0/0",
    ])
    error_message = "public tier: HTTP(S) in, HTTPS out, ephemeral return traffic both ways"
  }

  assert {
    condition = toset([
      for r in aws_network_acl_rule.this : "${r.egress ? "out" : "in"}:${r.from_port}-${r.to_port}/${r.cidr_block}"
      if r.network_acl_id == aws_network_acl.private.id
      ]) == toset([
      "in:443-443/10.10.64.0/18", "in:1024-65535/0.0.0.0/0",
      "out:443-443/0.0.0.0/0", "out:1024-65535/10.10.0.0/16",
    ])
    error_message = "private tier: HTTPS to endpoints from the tier, ephemeral in, HTTPS out, ephemeral to the VPC"
  }

  assert {
    condition     = alltrue([for r in aws_network_acl_rule.this : r.protocol == "tcp" && r.rule_action == "allow"])
    error_message = "rules are explicit TCP allows (everything else hits the implicit deny)"
  }

  assert {
    condition = length(distinct([
      for r in aws_network_acl_rule.this : "${r.network_acl_id}-${r.egress}-${r.rule_number}"
    ])) == length(aws_network_acl_rule.this)
    error_message = "rule numbers are unique per ACL and direction"
  }

  assert {
    condition     = length(aws_default_network_acl.this.ingress) == 0 && length(aws_default_network_acl.this.egress) == 0
    error_message = "the default network ACL denies everything"
  }
}

run "data_tier_opens_the_ports_the_stores_listen_on" {
  command = plan

  variables {
    data_store_ports = { redis = 6380, opensearch = 443, rds = 5433 }
  }

  assert {
    condition = toset([
      for r in aws_network_acl_rule.this : "${r.from_port}-${r.to_port}/${r.cidr_block}"
      if r.network_acl_id == aws_network_acl.data.id && !r.egress
    ]) == toset(["5433-5433/10.10.64.0/18", "6380-6380/10.10.64.0/18", "443-443/10.10.64.0/18"])
    error_message = "the data tier's ingress follows data_store_ports (RDS 5433, Redis 6380 here), not fixed ports"
  }
}

# A data store port the private tier cannot send to: modules/conventions refuses it
# (tests/conventions.tftest.hcl, refuses_a_data_store_port_the_private_tier_cannot_send_to).

# --- topology: three AZs, NAT per AZ, interface endpoints (prod shape) --------------------------

run "three_azs_per_az_nat_with_endpoints" {
  command = plan

  variables {
    name_prefix                = "prod-carcierge"
    vpc_cidr                   = "10.40.0.0/16"
    az_count                   = 3
    nat_gateway_mode           = "per_az"
    enable_interface_endpoints = true
  }

  override_data {

    override_during = plan
    target          = data.aws_availability_zones.available
    values          = { names = ["us-east-2a", "us-east-2b", "us-east-2c"] }
  }
  override_data {
    override_during = plan
    target          = data.aws_region.current
    values          = { region = "us-east-2" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.public["us-east-2a"]
    values          = { id = "subnet-public-us-east-2a" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.private["us-east-2a"]
    values          = { id = "subnet-private-us-east-2a" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.data["us-east-2a"]
    values          = { id = "subnet-data-us-east-2a" }
  }
  override_resource {
    override_during = plan
    target          = aws_route_table.private["us-east-2a"]
    values          = { id = "rtb-private-us-east-2a" }
  }
  override_resource {
    override_during = plan
    target          = aws_eip.nat["us-east-2a"]
    values          = { id = "eipalloc-us-east-2a", allocation_id = "eipalloc-us-east-2a" }
  }
  override_resource {
    override_during = plan
    target          = aws_nat_gateway.this["us-east-2a"]
    values          = { id = "nat-us-east-2a" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.public["us-east-2b"]
    values          = { id = "subnet-public-us-east-2b" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.private["us-east-2b"]
    values          = { id = "subnet-private-us-east-2b" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.data["us-east-2b"]
    values          = { id = "subnet-data-us-east-2b" }
  }
  override_resource {
    override_during = plan
    target          = aws_route_table.private["us-east-2b"]
    values          = { id = "rtb-private-us-east-2b" }
  }
  override_resource {
    override_during = plan
    target          = aws_eip.nat["us-east-2b"]
    values          = { id = "eipalloc-us-east-2b", allocation_id = "eipalloc-us-east-2b" }
  }
  override_resource {
    override_during = plan
    target          = aws_nat_gateway.this["us-east-2b"]
    values          = { id = "nat-us-east-2b" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.public["us-east-2c"]
    values          = { id = "subnet-public-us-east-2c" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.private["us-east-2c"]
    values          = { id = "subnet-private-us-east-2c" }
  }
  override_resource {
    override_during = plan
    target          = aws_subnet.data["us-east-2c"]
    values          = { id = "subnet-data-us-east-2c" }
  }
  override_resource {
    override_during = plan
    target          = aws_route_table.private["us-east-2c"]
    values          = { id = "rtb-private-us-east-2c" }
  }
  override_resource {
    override_during = plan
    target          = aws_eip.nat["us-east-2c"]
    values          = { id = "eipalloc-us-east-2c", allocation_id = "eipalloc-us-east-2c" }
  }
  override_resource {
    override_during = plan
    target          = aws_nat_gateway.this["us-east-2c"]
    values          = { id = "nat-us-east-2c" }
  }

  assert {
    condition     = length(aws_subnet.public) + length(aws_subnet.private) + length(aws_subnet.data) == 3 * 3
    error_message = "3 tiers x az_count subnets expected"
  }

  assert {
    condition     = keys(aws_nat_gateway.this) == ["us-east-2a", "us-east-2b", "us-east-2c"] && length(aws_eip.nat) == 3
    error_message = "per_az mode: one NAT gateway (and EIP) per AZ"
  }

  assert {
    condition = alltrue([
      for az, r in aws_route.private_nat :
      r.nat_gateway_id == aws_nat_gateway.this[az].id && aws_nat_gateway.this[az].subnet_id == aws_subnet.public[az].id && r.route_table_id == aws_route_table.private[az].id
    ]) && length(aws_route.private_nat) == 3
    error_message = "per_az mode: each private route table's default route uses the NAT of its own AZ"
  }

  assert {
    condition     = output.private_route_nat_azs == { "us-east-2a" = "us-east-2a", "us-east-2b" = "us-east-2b", "us-east-2c" = "us-east-2c" }
    error_message = "the route map output reflects per-AZ NAT"
  }

  assert {
    condition = (
      toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"]) &&
      alltrue([
        for svc, e in aws_vpc_endpoint.interface :
        e.service_name == "com.amazonaws.us-east-2.${svc}" && e.vpc_endpoint_type == "Interface" && e.private_dns_enabled &&
        toset(e.subnet_ids) == toset([for s in aws_subnet.private : s.id]) &&
        e.security_group_ids == toset([aws_security_group.endpoints[0].id])
      ])
    )
    error_message = "interface endpoints for ecr.api, ecr.dkr, logs, secretsmanager, sts in every private subnet with private DNS"
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.endpoints_https[0].security_group_id == aws_security_group.endpoints[0].id &&
      aws_vpc_security_group_ingress_rule.endpoints_https[0].cidr_ipv4 == "10.40.0.0/16" &&
      aws_vpc_security_group_ingress_rule.endpoints_https[0].from_port == 443 &&
      aws_vpc_security_group_ingress_rule.endpoints_https[0].to_port == 443 &&
      aws_vpc_security_group_ingress_rule.endpoints_https[0].ip_protocol == "tcp" &&
      aws_security_group.endpoints[0].tags["Name"] == "prod-carcierge-vpc-endpoints-sg"
    )
    error_message = "the endpoints' security group admits only HTTPS from the VPC"
  }

  assert {
    condition = alltrue([
      for e in aws_vpc_endpoint.interface : startswith(e.tags["Name"], "prod-carcierge-vpc-endpoint-")
    ]) && aws_vpc_endpoint.interface["ecr.api"].tags["Name"] == "prod-carcierge-vpc-endpoint-ecr-api"
    error_message = "endpoint names follow <env>-carcierge-vpc-endpoint-<service>"
  }
}

# --- egress: the S3 gateway endpoint and the DNS allow-list -------------------------------------

run "s3_endpoint_admits_this_accounts_buckets_and_ecr_layers_only" {
  command = plan

  assert {
    condition = jsondecode(aws_vpc_endpoint.s3.policy).Statement == [
      {
        Sid       = "ThisAccountsBuckets", Effect = "Allow", Principal = "*", Action = "s3:*", Resource = "*"
        Condition = { StringEquals = { "aws:ResourceAccount" = "123456789012" } }
      },
      {
        Sid      = "EcrImageLayers", Effect = "Allow", Principal = "*", Action = "s3:GetObject"
        Resource = "arn:aws:s3:::prod-us-west-1-starport-layer-bucket/*"
      },
    ]
    error_message = "the S3 gateway endpoint lets through this account's buckets and the region's ECR layer bucket (GetObject), nothing else"
  }

  assert {
    condition     = length(aws_route53_resolver_firewall_rule_group_association.egress) == 0 && length(aws_route53_resolver_firewall_domain_list.allowed) == 0 && output.egress_allowed_domains == null
    error_message = "without egress_allowed_domains (staging, qa) there is no DNS Firewall"
  }
}

run "dns_firewall_allows_listed_names_and_blocks_the_rest" {
  command = plan

  # Distinct ids, known at plan, so each rule can be traced to its list and group.
  override_resource {
    target          = aws_route53_resolver_firewall_domain_list.allowed
    override_during = plan
    values          = { id = "rslvr-fdl-allowed" }
  }
  override_resource {
    target          = aws_route53_resolver_firewall_domain_list.everything
    override_during = plan
    values          = { id = "rslvr-fdl-everything" }
  }
  override_resource {
    target          = aws_route53_resolver_firewall_rule_group.egress
    override_during = plan
    values          = { id = "rslvr-frg-egress" }
  }

  variables {
    egress_allowed_domains = ["api.example.com", "*.partner.example.org"]
  }

  assert {
    condition = aws_route53_resolver_firewall_domain_list.allowed[0].domains == toset([
      "*.us-west-1.amazonaws.com", "*.us-west-1.api.aws", "sts.amazonaws.com", "*.us-west-1.rds.amazonaws.com",
      "*.us-west-1.es.amazonaws.com", "*.cache.amazonaws.com", "*.us-west-1.compute.internal",
      "api.example.com", "*.partner.example.org",
    ]) && aws_route53_resolver_firewall_domain_list.allowed[0].name == "staging-carcierge-vpc-egress-allowed"
    error_message = "the allow-list holds this region's AWS names, the data stores' names and egress_allowed_domains, nothing else"
  }

  assert {
    condition = (
      aws_route53_resolver_firewall_domain_list.everything[0].domains == toset(["*"]) &&
      aws_route53_resolver_firewall_rule.allow[0].action == "ALLOW" &&
      aws_route53_resolver_firewall_rule.allow[0].firewall_domain_list_id == aws_route53_resolver_firewall_domain_list.allowed[0].id &&
      aws_route53_resolver_firewall_rule.block[0].action == "BLOCK" && aws_route53_resolver_firewall_rule.block[0].block_response == "NXDOMAIN" &&
      aws_route53_resolver_firewall_rule.block[0].firewall_domain_list_id == aws_route53_resolver_firewall_domain_list.everything[0].id &&
      aws_route53_resolver_firewall_rule.allow[0].priority < aws_route53_resolver_firewall_rule.block[0].priority &&
      aws_route53_resolver_firewall_rule.allow[0].firewall_rule_group_id == aws_route53_resolver_firewall_rule_group.egress[0].id &&
      aws_route53_resolver_firewall_rule.block[0].firewall_rule_group_id == aws_route53_resolver_firewall_rule_group.egress[0].id
    )
    error_message = "listed names are allowed first; every other name is blocked with NXDOMAIN"
  }

  assert {
    condition = (
      aws_route53_resolver_firewall_rule_group_association.egress[0].vpc_id == aws_vpc.this.id &&
      aws_route53_resolver_firewall_rule_group_association.egress[0].firewall_rule_group_id == aws_route53_resolver_firewall_rule_group.egress[0].id &&
      aws_route53_resolver_firewall_rule_group_association.egress[0].priority >= 100 && aws_route53_resolver_firewall_rule_group_association.egress[0].priority <= 9900 &&
      aws_route53_resolver_firewall_rule_group_association.egress[0].mutation_protection == "ENABLED" &&
      aws_route53_resolver_firewall_config.this[0].resource_id == aws_vpc.this.id && aws_route53_resolver_firewall_config.this[0].firewall_fail_open == "DISABLED"
    )
    error_message = "the rule group filters this VPC, cannot be detached by mistake, and fails closed"
  }
}

run "a_bare_wildcard_allow_list_entry_is_rejected" {
  command = plan
  variables {
    egress_allowed_domains = ["*"]
  }
  expect_failures = [var.egress_allowed_domains]
}

run "an_uppercase_or_schemed_allow_list_entry_is_rejected" {
  command = plan
  variables {
    egress_allowed_domains = ["https://api.example.com"]
  }
  expect_failures = [var.egress_allowed_domains]
}

# --- CIDR stability -----------------------------------------------------------------------------

run "fewer_azs_keep_their_cidrs" {
  command = plan

  variables {
    vpc_cidr = "10.40.0.0/16"
    az_count = 2
  }

  override_data {

    override_during = plan
    target          = data.aws_availability_zones.available
    values          = { names = ["us-east-2a", "us-east-2b", "us-east-2c"] }
  }

  assert {
    condition     = keys(aws_subnet.private) == ["us-east-2a", "us-east-2b"]
    error_message = "az_count 2 takes the first two AZs"
  }

  assert {
    condition = alltrue(flatten([
      for az in ["us-east-2a", "us-east-2b"] : [
        output.public_subnet_cidrs[az] == run.three_azs_per_az_nat_with_endpoints.public_subnet_cidrs[az],
        output.private_subnet_cidrs[az] == run.three_azs_per_az_nat_with_endpoints.private_subnet_cidrs[az],
        output.data_subnet_cidrs[az] == run.three_azs_per_az_nat_with_endpoints.data_subnet_cidrs[az],
      ]
    ]))
    error_message = "changing az_count must not move the CIDR of any remaining subnet"
  }
}

run "an_unavailable_az_does_not_shift_the_others" {
  command = plan

  variables {
    vpc_cidr = "10.40.0.0/16"
    az_count = 2
  }

  # us-east-2b is impaired: the data source (state = available) no longer lists it.
  override_data {
    override_during = plan
    target          = data.aws_availability_zones.available
    values          = { names = ["us-east-2a", "us-east-2c"] }
  }

  assert {
    condition = (
      output.private_subnet_cidrs["us-east-2c"] == run.three_azs_per_az_nat_with_endpoints.private_subnet_cidrs["us-east-2c"] &&
      output.data_subnet_cidrs["us-east-2c"] == run.three_azs_per_az_nat_with_endpoints.data_subnet_cidrs["us-east-2c"]
    )
    error_message = "a subnet's CIDR depends on its AZ letter, not its position in the list"
  }
}

run "pinned_zones_are_the_only_candidates" {
  command = plan

  variables {
    vpc_cidr           = "10.40.0.0/16"
    availability_zones = ["us-east-2b", "us-east-2c"]
  }

  # the region has since opened us-east-2a (and 2d): the pinned subnets must not move
  override_data {
    override_during = plan
    target          = data.aws_availability_zones.available
    values          = { names = ["us-east-2a", "us-east-2b", "us-east-2c", "us-east-2d"] }
  }

  assert {
    condition     = join(",", output.availability_zones) == "us-east-2b,us-east-2c" && keys(aws_subnet.data) == ["us-east-2b", "us-east-2c"]
    error_message = "with availability_zones set, only the pinned zones are used"
  }

  assert {
    condition     = output.private_subnet_cidrs["us-east-2c"] == run.three_azs_per_az_nat_with_endpoints.private_subnet_cidrs["us-east-2c"]
    error_message = "pinned zones keep their letter slots"
  }
}

run "pinned_zones_fewer_than_az_count_are_rejected" {
  command = plan
  variables {
    availability_zones = ["us-west-1c"]
  }
  expect_failures = [aws_vpc.this]
}

run "malformed_pinned_zone_is_rejected" {
  command = plan
  variables {
    availability_zones = ["us-west-1a", "usw1-az3"]
  }
  expect_failures = [var.availability_zones]
}

run "small_vpc_still_fits" {
  command = plan

  variables {
    vpc_cidr = "172.16.16.0/20"
  }

  assert {
    condition     = output.private_subnet_cidrs == { "us-west-1a" = "172.16.20.0/25", "us-west-1c" = "172.16.21.0/25" }
    error_message = "a /20 VPC gives /25 subnets in the same slots"
  }
}

# --- bad inputs ---------------------------------------------------------------------------------

run "az_count_1_is_rejected" {
  command = plan
  variables {
    az_count = 1
  }
  expect_failures = [var.az_count]
}

run "az_count_4_is_rejected" {
  command = plan
  variables {
    az_count = 4
  }
  expect_failures = [var.az_count]
}

run "fractional_az_count_is_rejected" {
  command = plan
  variables {
    az_count = 2.5
  }
  expect_failures = [var.az_count]
}

run "more_azs_than_the_region_has_is_rejected" {
  command = plan
  variables {
    az_count = 3
  }
  # the default mock region (us-west-1) lists two zones
  expect_failures = [aws_vpc.this]
}

run "invalid_cidr_is_rejected" {
  command = plan
  variables {
    vpc_cidr = "10.10.0.0/33"
  }
  expect_failures = [var.vpc_cidr]
}

run "non_cidr_is_rejected" {
  command = plan
  variables {
    vpc_cidr = "my-vpc"
  }
  expect_failures = [var.vpc_cidr]
}

run "cidr_with_host_bits_is_rejected" {
  command = plan
  variables {
    vpc_cidr = "10.10.1.0/16"
  }
  expect_failures = [var.vpc_cidr]
}

run "too_small_cidr_is_rejected" {
  command = plan
  variables {
    vpc_cidr = "10.10.0.0/24"
  }
  expect_failures = [var.vpc_cidr]
}

run "too_large_cidr_is_rejected" {
  command = plan
  variables {
    vpc_cidr = "10.0.0.0/8"
  }
  expect_failures = [var.vpc_cidr]
}

run "unknown_nat_mode_is_rejected" {
  command = plan
  variables {
    nat_gateway_mode = "multi"
  }
  expect_failures = [var.nat_gateway_mode]
}

# The CI deploy role creates roles only under the environment's boundary (ci_policies.py).
run "roles_carry_the_permissions_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/qa-carcierge-ci-boundary"
  }

  assert {
    condition     = alltrue([for boundary in [aws_iam_role.flow_logs.permissions_boundary] : boundary == "arn:aws:iam::123456789012:policy/qa-carcierge-ci-boundary"])
    error_message = "every IAM role of the module must carry permissions_boundary_arn"
  }
}
