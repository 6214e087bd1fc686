variable "name_prefix" {
  description = "Prefix of every resource name, <environment>-<project> (e.g. prod-carcierge)."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC, /16 to /20. It is split into 32 equal blocks: public, private and data tiers get 8 each (one per AZ letter a-h); the last 8 are spare."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && try(cidrsubnet(var.vpc_cidr, 0, 0) == var.vpc_cidr, false)
    error_message = "vpc_cidr must be an IPv4 network address in CIDR notation without host bits, such as 10.10.0.0/16; got \"${var.vpc_cidr}\"."
  }

  validation {
    condition     = try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must have a prefix length from /16 to /20; got \"${var.vpc_cidr}\" (a /20 still gives every subnet 128 addresses)."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread the subnets over: 2 or 3 (us-west-1 offers 2 in most accounts)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count == floor(var.az_count) && var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (us-west-1 offers only 2 in most accounts); got ${var.az_count}. High availability needs two."
  }
}

variable "availability_zones" {
  description = "Optional allowlist of AZ names (e.g. [\"us-west-1a\", \"us-west-1c\"]). Empty: the region's available zones, in name order. Pin it where a newly opened zone must never change which zones the subnets use."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for az in var.availability_zones : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-h]$", az))]) && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must be distinct AZ names of the form <region><letter a-h>, such as us-west-1a; got [${join(", ", var.availability_zones)}]."
  }
}

variable "nat_gateway_mode" {
  description = "NAT gateways: \"single\" (one NAT in the first AZ, shared; cheaper) or \"per_az\" (one NAT per AZ; survives the loss of an AZ)."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "per_az"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be one of \"single\", \"per_az\"; got \"${var.nat_gateway_mode}\"."
  }
}

variable "enable_interface_endpoints" {
  description = "Create interface VPC endpoints (ecr.api, ecr.dkr, logs, secretsmanager, sts) in the private subnets. They cost money per AZ and hour; the S3 gateway endpoint is always created."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the VPC flow log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 14
}

variable "kms_key_arn" {
  description = "ARN of the environment's KMS key; encrypts the flow log group. Its key policy must let CloudWatch Logs use it."
  type        = string
}

variable "data_store_ports" {
  description = "Port each data store listens on, from its own module (root: module.elasticache.port, module.opensearch.port, module.rds.port, which follow redis_config.port and rds_config.port). The only source of these ports: the data tier's network ACL admits exactly these from the private tier. modules/conventions checks that each is 443 or an unprivileged port."
  type = object({
    redis      = number
    opensearch = number
    rds        = number
  })
}

variable "egress_allowed_domains" {
  description = "DNS allow-list of the VPC (Route 53 Resolver DNS Firewall): the internet names the tasks may resolve besides this region's AWS service names, which are always allowed; every other name is answered NXDOMAIN. Names like api.example.com, or *.example.com for every name below it. null: no DNS Firewall (staging, qa). A DNS allow-list does not stop connections to literal IP addresses (docs/security.md, \"Egress\")."
  type        = list(string)
  default     = null

  validation {
    # DNS Firewall domains: an optional leading "*" and then letters, digits, hyphens and dots,
    # 1-255 characters (Route 53 Resolver API, UpdateFirewallDomains, Domains). A bare "*" or
    # "*." would allow every name.
    condition     = var.egress_allowed_domains == null || alltrue([for domain in(var.egress_allowed_domains == null ? [] : var.egress_allowed_domains) : length(domain) <= 255 && can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", domain))])
    error_message = "egress_allowed_domains must be lowercase DNS names such as api.example.com or *.example.com (a leading *. allows every name below it; a bare * is refused); got: ${join(", ", [for domain in(var.egress_allowed_domains == null ? [] : var.egress_allowed_domains) : "\"${domain}\"" if !(length(domain) <= 255 && can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", domain)))])}."
  }
}

variable "tags" {
  description = "Extra tags for every resource of the module (the provider's default_tags add Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the environment's CI boundary (<environment>-carcierge-ci-boundary, `carcierge oidc bootstrap`), without which the CI deploy role may not create a role. null: none."
  type        = string
  default     = null
}
