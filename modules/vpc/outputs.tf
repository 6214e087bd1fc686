output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones in use, in name order."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "Public subnet ids by AZ name (ALB, NAT gateways)."
  value       = { for az, subnet in aws_subnet.public : az => subnet.id }
}

output "private_subnet_ids" {
  description = "Private subnet ids by AZ name (ECS tasks, interface endpoints)."
  value       = { for az, subnet in aws_subnet.private : az => subnet.id }
}

output "data_subnet_ids" {
  description = "Data subnet ids by AZ name (RDS, Redis, OpenSearch); no route out of the VPC."
  value       = { for az, subnet in aws_subnet.data : az => subnet.id }
}

output "public_subnet_id_list" {
  description = "Public subnet ids in availability_zones order."
  value       = local.subnet_ids.public
}

output "private_subnet_id_list" {
  description = "Private subnet ids in availability_zones order."
  value       = local.subnet_ids.private
}

output "data_subnet_id_list" {
  description = "Data subnet ids in availability_zones order."
  value       = local.subnet_ids.data
}

output "public_subnet_cidrs" {
  description = "Public subnet CIDR blocks by AZ name."
  value       = local.subnet_cidrs.public
}

output "private_subnet_cidrs" {
  description = "Private subnet CIDR blocks by AZ name."
  value       = local.subnet_cidrs.private
}

output "data_subnet_cidrs" {
  description = "Data subnet CIDR blocks by AZ name."
  value       = local.subnet_cidrs.data
}

output "tier_cidrs" {
  description = "Aggregate CIDR reserved for each tier (public, private, data); the NACLs use these."
  value       = local.tier_cidrs
}

output "nat_gateway_ids" {
  description = "NAT gateway ids by the AZ they sit in (one entry in single mode)."
  value       = { for az, nat in aws_nat_gateway.this : az => nat.id }
}

output "private_route_nat_azs" {
  description = "For each private subnet's AZ, the AZ of the NAT gateway its default route uses."
  value       = local.nat_az_for
}

output "public_route_table_id" {
  description = "ID of the public route table."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "Private route table ids by AZ name."
  value       = { for az, table in aws_route_table.private : az => table.id }
}

output "data_route_table_id" {
  description = "ID of the data tier's route table (local route only)."
  value       = aws_route_table.data.id
}

output "flow_log_group_name" {
  description = "CloudWatch log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "interface_endpoint_ids" {
  description = "Interface endpoint ids by service (empty when enable_interface_endpoints is false)."
  value       = { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id }
}

output "endpoints_security_group_id" {
  description = "Security group of the interface endpoints (null when they are disabled)."
  value       = one(aws_security_group.endpoints[*].id)
}

output "data_tier_ports" {
  description = "Port the data tier's network ACL admits from the private tier for each data store, read from its rule (redis, opensearch, rds)."
  value       = { for store, key in local.data_in_rules : store => aws_network_acl_rule.this[key].from_port }
}

output "egress_allowed_domains" {
  description = "The names the VPC's DNS Firewall lets the tasks resolve (this region's AWS names and egress_allowed_domains); empty without a DNS Firewall."
  value       = one(aws_route53_resolver_firewall_domain_list.allowed[*].domains)
}
