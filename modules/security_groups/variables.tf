variable "name_prefix" {
  description = "Prefix of every resource name, <environment>-<project> (e.g. prod-carcierge)."
  type        = string
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

variable "services" {
  description = "The ECS services, keyed by service key (root: from module.ecs.services, the owner of their shape): port (the container port), public (false: no ALB route, so no rule from the ALB), callers (keys of the services that may call it on its port; default none). Each service gets a group of its own, <name_prefix>-<key>-sg."
  type = map(object({
    port    = number
    public  = optional(bool, true)
    callers = optional(list(string), [])
  }))

  validation {
    condition     = alltrue([for name in keys(var.services) : can(regex("^[a-z][a-z0-9-]{0,31}$", name))])
    error_message = "services keys must be service names of 1-32 lowercase letters, digits or hyphens, starting with a letter (they appear in group names, rule descriptions and names); got [${join(", ", keys(var.services))}]."
  }

  validation {
    # The module's own groups are <name_prefix>-<role>-sg: a service keyed like a role would
    # get that group's name. The roles are main.tf's role_descriptions.
    condition     = length(setintersection(keys(var.services), keys(local.role_descriptions))) == 0
    error_message = "services keys must not be ${join(", ", keys(local.role_descriptions))}: those name the module's other security groups (<name_prefix>-<role>-sg); rename: ${join(", ", sort(setintersection(keys(var.services), keys(local.role_descriptions))))}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : service.port == floor(service.port) && service.port >= module.conventions.unprivileged_ports.from && service.port <= module.conventions.unprivileged_ports.to])
    error_message = "services.*.port must be a whole port number from ${module.conventions.unprivileged_ports.from} to ${module.conventions.unprivileged_ports.to} (unprivileged ports; the VPC's network ACLs pass only those between the public and private tiers); got ${jsonencode({ for key, service in var.services : key => service.port })}."
  }

  validation {
    condition     = alltrue(flatten([for key, service in var.services : [for caller in service.callers : contains(keys(var.services), caller) && caller != key]]))
    error_message = "services.*.callers must name other services of the map (a service reaches itself without a rule); got: ${join(", ", flatten([for key, service in var.services : [for caller in service.callers : "${key}.callers has \"${caller}\"" if !contains(keys(var.services), caller) || caller == key]]))}."
  }
}

variable "data_store_ports" {
  description = "Port each data store listens on, from its own module (root: module.elasticache.port, module.opensearch.port, module.rds.port, which follow redis_config.port and rds_config.port). The only source of these ports: the stores' ingress rules and the ECS egress rules open exactly these. modules/conventions checks that each is 443 or an unprivileged port."
  type = object({
    redis      = number
    opensearch = number
    rds        = number
  })
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
