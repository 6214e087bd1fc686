variable "name_prefix" {
  description = "Prefix of every resource name, <environment>-<project> (e.g. prod-carcierge)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-40 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (e.g. prod-carcierge); got \"${var.name_prefix}\"."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the security groups belong to (modules/vpc output vpc_id)."
  type        = string

  validation {
    condition     = length(var.vpc_id) > 0
    error_message = "vpc_id must be the ID of the VPC (modules/vpc output vpc_id); got an empty string."
  }
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC (modules/vpc output vpc_cidr_block); ECS tasks may reach HTTPS services (interface endpoints) inside it."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr_block))
    error_message = "vpc_cidr_block must be an IPv4 CIDR block such as 10.10.0.0/16; got \"${var.vpc_cidr_block}\"."
  }
}

variable "alb_ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the ALB on 443 and 80. The default, 0.0.0.0/0, is a public ALB; narrow it for an internal or restricted one."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidrs) > 0
    error_message = "alb_ingress_cidrs must list at least one IPv4 CIDR block (use [\"0.0.0.0/0\"] for a public ALB); got an empty list."
  }

  validation {
    condition     = alltrue([for cidr in var.alb_ingress_cidrs : can(cidrnetmask(cidr)) && try(cidrsubnet(cidr, 0, 0) == cidr, false)])
    error_message = "alb_ingress_cidrs must contain IPv4 network addresses in CIDR notation without host bits, such as 0.0.0.0/0 or 203.0.113.0/24; got [${join(", ", var.alb_ingress_cidrs)}]."
  }
}

variable "service_ports" {
  description = "Container port of each ECS service, keyed by service name (root: { for name, service in var.services : name => service.container_port })."
  type        = map(number)

  validation {
    condition     = alltrue([for name in keys(var.service_ports) : can(regex("^[a-z][a-z0-9-]{0,31}$", name))])
    error_message = "service_ports keys must be service names of 1-32 lowercase letters, digits or hyphens, starting with a letter (they appear in rule descriptions and names); got [${join(", ", keys(var.service_ports))}]."
  }

  validation {
    condition     = alltrue([for port in values(var.service_ports) : port == floor(port) && port >= 1024 && port <= 65535])
    error_message = "service_ports values must be whole port numbers from 1024 to 65535 (unprivileged ports; the VPC's network ACLs pass only 1024-65535 between the public and private tiers); got ${jsonencode(var.service_ports)}."
  }
}

variable "data_store_ports" {
  description = "Port each data store listens on, from its own module (root: module.elasticache.port, module.opensearch.port, module.rds.port, which follow redis_config.port and rds_config.port). The only source of these ports: the stores' ingress rules and the ECS egress rules open exactly these."
  type = object({
    redis      = number
    opensearch = number
    rds        = number
  })

  validation {
    # The private tier's network ACL sends to 443 (HTTPS) and 1024-65535 (modules/vpc); RDS and
    # ElastiCache validate their own ranges (1150-65535, 1024-65535).
    condition     = alltrue([for port in values(var.data_store_ports) : port == floor(port) && (port == 443 || (port >= 1024 && port <= 65535))])
    error_message = "data_store_ports values must be whole port numbers, 443 or 1024-65535 (the ports the private tier's network ACL sends to); got ${jsonencode(var.data_store_ports)}."
  }
}

variable "tags" {
  description = "Extra tags for every resource of the module (the provider's default_tags add Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "log_delivery" {
  description = "Create the log delivery pipeline's security group (HTTPS to OpenSearch) and OpenSearch's rule admitting it."
  type        = bool
  default     = false
}
