# --- naming and placement -------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every name: <environment>-<project>, e.g. prod-carcierge."
  type        = string
}

variable "environment" {
  description = "Deployment environment: staging, qa, uat or prod. Names are checked against the longest (staging)."
  type        = string
}

variable "aws_region" {
  description = "Region of the deployment (awslogs driver, ARNs built from names)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region code such as us-west-1; got \"${var.aws_region}\"."
  }
}

variable "vpc_id" {
  description = "VPC of the target groups."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets of the internet-facing ALB (at least two, in different AZs)."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids must list at least two subnets (an ALB needs two AZs); got ${length(var.public_subnet_ids)}."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in (no public IPs)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids must list at least one subnet; got none."
  }
}

variable "alb_security_group_id" {
  description = "Security group of the ALB (HTTP/HTTPS in from the internet, out to the services' security groups)."
  type        = string
}

variable "service_security_group_ids" {
  description = "Security group of each service, by service key (modules/security_groups: in from the ALB and from the service's callers only)."
  type        = map(string)

  validation {
    condition     = alltrue([for key in keys(var.services) : contains(keys(var.service_security_group_ids), key)])
    error_message = "service_security_group_ids must name a security group for every service; missing: ${join(", ", [for key in keys(var.services) : key if !contains(keys(var.service_security_group_ids), key)])}."
  }
}

variable "kms_key_arn" {
  description = "Environment KMS key: encrypts the log groups, ECS Exec sessions and ECR repositories, and encrypts the secrets the services read."
  type        = string
}

variable "tags" {
  description = "Extra tags on every resource of the module (the provider adds Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}

# --- logging and protection -----------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the service and ECS Exec log groups, in days (a value CloudWatch accepts)."
  type        = number
}

variable "alb_deletion_protection" {
  description = "Deletion protection of the ALB (on in uat and prod). When off, the access-log bucket may also be destroyed with its logs."
  type        = bool
  default     = true
}

variable "alb_access_log_retention_days" {
  description = "Days the ALB access logs are kept in the S3 bucket before they expire."
  type        = number
  default     = 90

  validation {
    condition     = var.alb_access_log_retention_days >= 1 && var.alb_access_log_retention_days <= 3650 && floor(var.alb_access_log_retention_days) == var.alb_access_log_retention_days
    error_message = "alb_access_log_retention_days must be a whole number of days from 1 to 3650; got ${var.alb_access_log_retention_days}."
  }
}

# --- load balancer, TLS, DNS, WAF -----------------------------------------------------

variable "ssl_certificate_arn" {
  description = "ACM certificate of the HTTPS listener, in the deployment region."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$", var.ssl_certificate_arn))
    error_message = "ssl_certificate_arn must be an ACM certificate ARN such as arn:aws:acm:us-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012; got \"${var.ssl_certificate_arn}\"."
  }

  validation {
    condition     = !can(regex("^arn:aws[a-z-]*:acm:", var.ssl_certificate_arn)) || try(split(":", var.ssl_certificate_arn)[3], "") == var.aws_region
    error_message = "ssl_certificate_arn must be a certificate in aws_region (${var.aws_region}), where the ALB is; got one in ${try(split(":", var.ssl_certificate_arn)[3], "?")}."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener: TLS 1.3 and 1.2 only. The default is AWS's recommended policy (restricted ciphers, hybrid post-quantum key exchange)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-TLS13-1-[23]-", var.ssl_policy))
    error_message = "ssl_policy must be an ELB TLS 1.3 policy that allows nothing older than TLS 1.2 (ELBSecurityPolicy-TLS13-1-2-* or ELBSecurityPolicy-TLS13-1-3-*); got \"${var.ssl_policy}\"."
  }
}

variable "domain_name" {
  description = "Optional DNS name for the ALB (an alias A record in route53_zone_id); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as api.example.com; got \"${coalesce(var.domain_name, "null")}\"."
  }

  validation {
    condition     = (var.domain_name == null) == (var.route53_zone_id == null)
    error_message = "domain_name and route53_zone_id must be set together (both or neither)."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.route53_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))
    error_message = "route53_zone_id must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ; got \"${coalesce(var.route53_zone_id, "null")}\"."
  }
}

variable "waf_web_acl_arn" {
  description = "Bring-your-own regional WAFv2 web ACL to associate with the ALB; null for none. Conflicts with create_waf."
  type        = string
  default     = null

  validation {
    condition     = !(var.create_waf && var.waf_web_acl_arn != null)
    error_message = "waf_web_acl_arn and create_waf conflict: set create_waf = true for the module's own web ACL, or waf_web_acl_arn to associate an existing one, not both."
  }

  validation {
    condition     = var.waf_web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]+/[a-f0-9-]+$", var.waf_web_acl_arn))
    error_message = "waf_web_acl_arn must be a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>); got \"${coalesce(var.waf_web_acl_arn, "null")}\"."
  }
}

variable "create_waf" {
  description = "Create a regional WAFv2 web ACL for the ALB (AWS managed rule groups: IP reputation, core rule set, known bad inputs; a per-IP rate limit) that logs to the CloudWatch log group aws-waf-logs-<name_prefix>. Conflicts with waf_web_acl_arn."
  type        = bool
  default     = false
}

variable "waf_rate_limit" {
  description = "Requests one client IP may send in any 5-minute window before the WAF blocks it (rate-based rule; WAF's range is 10 to 2,000,000,000)."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit
    error_message = "waf_rate_limit must be a whole number of requests per 5 minutes from 10 to 2000000000 (WAF's range); got ${var.waf_rate_limit}."
  }
}

# --- cluster --------------------------------------------------------------------------

variable "container_insights" {
  description = "Container Insights level of the cluster: enabled, enhanced or disabled."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "enhanced", "disabled"], var.container_insights)
    error_message = "container_insights must be one of enabled, enhanced, disabled; got \"${var.container_insights}\"."
  }
}

variable "enable_execute_command" {
  description = "ECS Exec on every service (sessions encrypted with kms_key_arn and logged to CloudWatch). Off by default: a session is a shell in the container with its secrets and task role. When off, services refuse exec and task roles get no ssmmessages permissions."
  type        = bool
  default     = false
}

variable "service_steady_state_timeout_minutes" {
  description = "How long an apply waits for each service to reach a steady state after a create or update (wait_for_steady_state) before it fails, in minutes."
  type        = number
  default     = 20

  validation {
    condition     = var.service_steady_state_timeout_minutes >= 5 && var.service_steady_state_timeout_minutes <= 120 && floor(var.service_steady_state_timeout_minutes) == var.service_steady_state_timeout_minutes
    error_message = "service_steady_state_timeout_minutes must be a whole number of minutes from 5 to 120; got ${var.service_steady_state_timeout_minutes}."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds a new task of a public service may fail ALB health checks before ECS replaces it."
  type        = number
  default     = 60

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 3600
    error_message = "health_check_grace_period_seconds must be between 0 and 3600; got ${var.health_check_grace_period_seconds}."
  }
}

variable "create_ecr_repositories" {
  description = "Create one ECR repository per service (<env>-carcierge-<service>: scan on push, immutable tags, lifecycle policy). Off by default: the images already exist in ECR."
  type        = bool
  default     = false
}

# --- services -------------------------------------------------------------------------

variable "shared_environment" {
  description = "Non-secret settings added to every service's container environment (a service's own environment wins on a clash)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.shared_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))])
    error_message = "shared_environment keys must be environment variable names (letters, digits, underscore; not starting with a digit)."
  }
}

variable "service_environment" {
  description = "Per-service settings, by service key, that win over the service's own environment (e.g. DB_USERNAME: IAM lets the task connect to the database as that role only)."
  type        = map(map(string))
  default     = {}

  validation {
    condition     = alltrue(flatten([for settings in values(var.service_environment) : [for name in keys(settings) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))]]))
    error_message = "service_environment keys must be environment variable names (letters, digits, underscore; not starting with a digit)."
  }
}

variable "shared_secrets" {
  description = "Secrets injected into every service: env var name => Secrets Manager secret ARN, optionally with a JSON key suffix (arn:...:secret:name-AbCdEf:password::)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.shared_secrets) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))])
    error_message = "shared_secrets keys must be environment variable names (letters, digits, underscore; not starting with a digit)."
  }

  validation {
    condition     = alltrue([for ref in values(var.shared_secrets) : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?$", ref))])
    error_message = "shared_secrets values must be full Secrets Manager secret ARNs (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>), optionally followed by :<json-key>:<version-stage>:<version-id>."
  }
}

variable "service_secrets" {
  description = "Per-service secrets, by service key (env var name => Secrets Manager secret ARN), added to that service's container only and winning over its own (e.g. REDIS_PASSWORD: the password of the service's own Redis user)."
  type        = map(map(string))
  default     = {}

  validation {
    condition     = alltrue(flatten([for settings in values(var.service_secrets) : [for name in keys(settings) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))]]))
    error_message = "service_secrets keys must be environment variable names (letters, digits, underscore; not starting with a digit)."
  }
}

variable "task_role_policy_statements" {
  description = "Extra IAM statements for a service's task role, keyed by service name. Task roles get nothing but ECS Exec otherwise."
  type = map(list(object({
    sid       = optional(string)
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
    condition = optional(map(map(list(string))))
  })))
  default = {}

  validation {
    condition     = alltrue([for service in keys(var.task_role_policy_statements) : contains(keys(var.services), service)])
    error_message = "task_role_policy_statements keys must be service names from services; unknown: ${join(", ", [for service in keys(var.task_role_policy_statements) : service if !contains(keys(var.services), service)])}."
  }

  validation {
    condition = alltrue(flatten([for statements in values(var.task_role_policy_statements) : [
      for statement in statements : contains(["Allow", "Deny"], statement.effect) && length(statement.actions) > 0 && length(statement.resources) > 0
    ]]))
    error_message = "task_role_policy_statements: every statement needs effect Allow or Deny and at least one action and one resource."
  }

  validation {
    condition = alltrue(flatten([for statements in values(var.task_role_policy_statements) : [
      for statement in statements : [for action in statement.actions : !contains(["*", "*:*"], action)]
    ]]))
    error_message = "task_role_policy_statements must not grant the action \"*\"; name the actions the service needs (e.g. s3:GetObject)."
  }
}

variable "services" {
  description = <<-EOT
    The containerised services, keyed by a short service name (lowercase letters, digits, hyphens).
    Required: container_image, container_port, desired_count, cpu, memory (the product spec's fields).
    Optional: health_check_path ("/health"); routing on the ALB: path_patterns and/or host_headers
    (at most 3 each and 5 in all, AWS's listener-rule limits; default when both are empty: /<key>
    and /<key>/*), default_route (at most one service: catches every request no other rule
    matches), priority (listener rule priority 1-49999, default from
    the sorted service keys); public (false: no ALB route, reachable only through Service Connect);
    environment; secrets (env var name => Secrets Manager ARN or JSON key ref); min_capacity
    (default desired_count), max_capacity (default 2 x desired_count); cpu_target / memory_target
    (target tracking, %); spot (share of tasks on FARGATE_SPOT, %; X86_64 only); command;
    cpu_architecture (X86_64 | ARM64); read_only_root_fs (default true); user (the container's uid[:gid] or
    user[:group], default "1000:1000"; never root: the image must let that user run the app);
    callers (keys of the other services that may call this one on its container port through
    Service Connect; default none: the root gives each service a security group of its own that
    admits only the ALB and its callers, from the output services).
    This is the one declaration of the shape: the root merges each service from its catalog entry,
    the environment's defaults and its entry (all type any; main.tf local.services), passes the
    result here and reads the attributes, defaults applied, from the output services.
  EOT
  type = map(object({
    container_image   = string
    container_port    = number
    desired_count     = number
    cpu               = number
    memory            = number
    health_check_path = optional(string, "/health")
    path_patterns     = optional(list(string), [])
    host_headers      = optional(list(string), [])
    default_route     = optional(bool, false)
    priority          = optional(number)
    public            = optional(bool, true)
    environment       = optional(map(string), {})
    secrets           = optional(map(string), {})
    min_capacity      = optional(number)
    max_capacity      = optional(number)
    cpu_target        = optional(number, 70)
    memory_target     = optional(number, 75)
    spot              = optional(number, 0)
    command           = optional(list(string))
    cpu_architecture  = optional(string, "X86_64")
    read_only_root_fs = optional(bool, true)
    user              = optional(string, "1000:1000")
    callers           = optional(list(string), [])
  }))

  validation {
    condition     = length(var.services) > 0
    error_message = "services must contain at least one service; got an empty map."
  }

  validation {
    condition     = alltrue([for key in keys(var.services) : can(regex("^[a-z]([a-z0-9-]*[a-z0-9])?$", key))])
    error_message = "services keys must be lowercase letters, digits and hyphens, start with a letter and not end with a hyphen; got: ${join(", ", [for key in keys(var.services) : key if !can(regex("^[a-z]([a-z0-9-]*[a-z0-9])?$", key))])}."
  }

  validation {
    # The operator task's names are <name_prefix>-ops (ops.tf): a service keyed ops would share
    # its log group, role and task family (CreateLogGroup and CreateRole fail at apply).
    condition     = length(setintersection(keys(var.services), values(module.conventions.reserved_service_keys))) == 0
    error_message = "services keys must not be ${join(" or ", values(module.conventions.reserved_service_keys))}: the operator task's log group, role and task family are <name_prefix>-${module.conventions.reserved_service_keys.ops_task}; rename: ${join(", ", sort(setintersection(keys(var.services), values(module.conventions.reserved_service_keys))))}."
  }

  validation {
    # Target groups are named <env>-<project>-<key>; AWS caps them at 32 characters, and the
    # same services map must fit every environment, so check against the longest: staging.
    condition = alltrue([for key in keys(var.services) :
      length("staging-${trimprefix(var.name_prefix, "${var.environment}-")}-${key}") <= 32 && length("${var.name_prefix}-${key}") <= 32
    ])
    error_message = "services keys must be at most ${32 - length("staging-${trimprefix(var.name_prefix, "${var.environment}-")}-")} characters so that target group names staging-${trimprefix(var.name_prefix, "${var.environment}-")}-<key> fit AWS's 32-character limit in every environment; too long: ${join(", ", [for key in keys(var.services) : "${key} (${length(key)})" if length("staging-${trimprefix(var.name_prefix, "${var.environment}-")}-${key}") > 32 || length("${var.name_prefix}-${key}") > 32])}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : length(service.container_image) <= 255 && can(regex("^(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]{1,5})?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$", service.container_image))])
    error_message = "services.*.container_image must be an image reference [registry/]repository[:tag][@sha256:digest] with a lowercase repository, e.g. 123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service1:1.0.0; got: ${join(", ", [for key, service in var.services : "${key} = \"${service.container_image}\"" if !(length(service.container_image) <= 255 && can(regex("^(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]{1,5})?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$", service.container_image)))])}."
  }

  validation {
    # Unprivileged ports only: the VPC's network ACLs pass them between the tiers, and
    # modules/security_groups opens the same range.
    condition     = alltrue([for service in values(var.services) : service.container_port >= module.conventions.unprivileged_ports.from && service.container_port <= module.conventions.unprivileged_ports.to && floor(service.container_port) == service.container_port])
    error_message = "services.*.container_port must be a whole number from ${module.conventions.unprivileged_ports.from} to ${module.conventions.unprivileged_ports.to} (the network ACLs pass only unprivileged ports to the services); got: ${join(", ", [for key, service in var.services : "${key} = ${service.container_port}" if !(service.container_port >= module.conventions.unprivileged_ports.from && service.container_port <= module.conventions.unprivileged_ports.to && floor(service.container_port) == service.container_port)])}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : contains(lookup(local.fargate_task_memory, service.cpu, []), service.memory)])
    error_message = "services.*.cpu/memory must be a Fargate task size: cpu 256 with memory 512, 1024 or 2048; 512 with 1024-4096; 1024 with 2048-8192; 2048 with 4096-16384; 4096 with 8192-30720 (steps of 1024); 8192 with 16384-61440 (steps of 4096); 16384 with 32768-122880 (steps of 8192); got: ${join(", ", [for key, service in var.services : "${key} = ${service.cpu}/${service.memory}" if !contains(lookup(local.fargate_task_memory, service.cpu, []), service.memory)])}."
  }

  validation {
    condition = alltrue([for service in values(var.services) : alltrue([
      for count in [service.desired_count, coalesce(service.min_capacity, service.desired_count), coalesce(service.max_capacity, max(service.desired_count * 2, 1))] :
      count >= 0 && floor(count) == count
      ]) && coalesce(service.min_capacity, service.desired_count) <= service.desired_count
      && service.desired_count <= coalesce(service.max_capacity, max(service.desired_count * 2, 1))
      && coalesce(service.max_capacity, max(service.desired_count * 2, 1)) >= 1
    ])
    error_message = "services.*: task counts must be whole numbers with min_capacity <= desired_count <= max_capacity and max_capacity >= 1 (min defaults to desired, max to 2 x desired); got: ${join(", ", [for key, service in var.services : "${key} = ${coalesce(service.min_capacity, service.desired_count)}/${service.desired_count}/${coalesce(service.max_capacity, max(service.desired_count * 2, 1))} (min/desired/max)" if !(alltrue([for count in [service.desired_count, coalesce(service.min_capacity, service.desired_count), coalesce(service.max_capacity, max(service.desired_count * 2, 1))] : count >= 0 && floor(count) == count]) && coalesce(service.min_capacity, service.desired_count) <= service.desired_count && service.desired_count <= coalesce(service.max_capacity, max(service.desired_count * 2, 1)) && coalesce(service.max_capacity, max(service.desired_count * 2, 1)) >= 1)])}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : contains(["X86_64", "ARM64"], service.cpu_architecture)])
    error_message = "services.*.cpu_architecture must be X86_64 or ARM64; got: ${join(", ", [for key, service in var.services : "${key} = ${service.cpu_architecture}" if !contains(["X86_64", "ARM64"], service.cpu_architecture)])}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : service.spot >= 0 && service.spot <= 100 && floor(service.spot) == service.spot])
    error_message = "services.*.spot (share of tasks on FARGATE_SPOT) must be a whole percentage from 0 to 100; got: ${join(", ", [for key, service in var.services : "${key} = ${service.spot}" if !(service.spot >= 0 && service.spot <= 100 && floor(service.spot) == service.spot)])}."
  }

  validation {
    # "Linux tasks with the ARM64 architecture don't support the Fargate Spot capacity provider.
    # Fargate Spot only supports Linux tasks with the X86_64 architecture." AWS: Amazon ECS
    # developer guide, "AWS Fargate capacity providers" (fargate-capacity-providers.html), read
    # 2026-12-01.
    condition     = alltrue([for service in values(var.services) : service.cpu_architecture != "ARM64" || service.spot == 0])
    error_message = "services.*: cpu_architecture = ARM64 needs spot = 0, because Fargate Spot runs X86_64 tasks only; set spot = 0 to stay on ARM64, or cpu_architecture = X86_64 to use Spot; got: ${join(", ", [for key, service in var.services : "${key} = ARM64 with spot = ${service.spot}" if service.cpu_architecture == "ARM64" && service.spot != 0])}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : service.cpu_target >= 1 && service.cpu_target <= 100 && service.memory_target >= 1 && service.memory_target <= 100])
    error_message = "services.*.cpu_target and memory_target (target tracking, %) must be from 1 to 100; got: ${join(", ", [for key, service in var.services : "${key} = ${service.cpu_target}/${service.memory_target}" if !(service.cpu_target >= 1 && service.cpu_target <= 100 && service.memory_target >= 1 && service.memory_target <= 100)])}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : (length(service.health_check_path) <= 1024 && can(regex("^/[A-Za-z0-9/._~%!$&'()*+,;=:@-]*$", service.health_check_path)))])
    error_message = "services.*.health_check_path must be a URL path starting with / (at most 1024 characters); got: ${join(", ", [for key, service in var.services : "${key} = \"${service.health_check_path}\"" if !(length(service.health_check_path) <= 1024 && can(regex("^/[A-Za-z0-9/._~%!$&'()*+,;=:@-]*$", service.health_check_path)))])}."
  }

  validation {
    condition     = length([for service in values(var.services) : service if service.default_route]) <= 1 && alltrue([for service in values(var.services) : !service.default_route || (service.public && length(service.path_patterns) == 0)])
    error_message = "services: at most one service may be the default_route; it must be public and have no path_patterns (it matches /*, optionally narrowed by host_headers); default routes: ${join(", ", [for key, service in var.services : key if service.default_route])}."
  }

  validation {
    # ALB listener rules take at most 3 values per condition and 5 per rule; the default route
    # spends one on "/*". AWS: Elastic Load Balancing, Application Load Balancers guide,
    # "Condition types for listener rules" (rule-condition-types.html, "Condition basics") and
    # "Quotas for your Application Load Balancers" (condition values per rule: 5), read 2026-12-01.
    # The provider checks only 1-128 characters per value (elbv2/listener_rule.go).
    condition = alltrue([for service in values(var.services) :
      length(service.path_patterns) <= 3 && length(service.host_headers) <= 3
      && length(service.path_patterns) + length(service.host_headers) + (service.default_route ? 1 : 0) <= 5
    ])
    error_message = "services.*.path_patterns and host_headers: an ALB listener rule takes at most 3 values per condition (3 path_patterns, 3 host_headers) and 5 values in all (4 for the default_route, whose rule also matches /*); got: ${join(", ", [for key, service in var.services : "${key} = ${length(service.path_patterns)} path_patterns + ${length(service.host_headers)} host_headers${service.default_route ? " + /*" : ""}" if !(length(service.path_patterns) <= 3 && length(service.host_headers) <= 3 && length(service.path_patterns) + length(service.host_headers) + (service.default_route ? 1 : 0) <= 5)])}."
  }

  validation {
    # At most 5 wildcards (* or ?) per rule (same AWS pages as above: "wildcards per rule").
    condition = alltrue([for service in values(var.services) :
      length(regexall("[*?]", join("", concat(service.path_patterns, service.host_headers)))) + (service.default_route ? 1 : 0) <= 5
    ])
    error_message = "services.*.path_patterns and host_headers: an ALB listener rule takes at most 5 wildcards (* or ?) in all its values (the default_route's /* counts one); got: ${join(", ", [for key, service in var.services : "${key} = ${length(regexall("[*?]", join("", concat(service.path_patterns, service.host_headers)))) + (service.default_route ? 1 : 0)} wildcards" if length(regexall("[*?]", join("", concat(service.path_patterns, service.host_headers)))) + (service.default_route ? 1 : 0) > 5])}."
  }

  validation {
    # Path patterns: case-sensitive, up to 128 characters of letters, digits, _ - . $ / ~ @ : + &,
    # double quote, apostrophe, and the wildcards * ?. AWS: Elastic Load Balancing guide, Condition
    # types for listener rules, Path conditions, and the ELBv2 API reference, RuleCondition.Values;
    # read 2026-12-01.
    condition = alltrue([for service in values(var.services) : alltrue([for pattern in service.path_patterns :
      length(pattern) <= 128 && can(regex("^/[A-Za-z0-9_.$/~\u0022'@:+&*?-]*$", pattern))
    ])])
    error_message = "services.*.path_patterns must start with / and be at most 128 characters of A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & and the wildcards * ? (what an ALB path condition accepts); got: ${join(", ", flatten([for key, service in var.services : [for pattern in service.path_patterns : "${key} = \"${pattern}\"" if !(length(pattern) <= 128 && can(regex("^/[A-Za-z0-9_.$/~\u0022'@:+&*?-]*$", pattern)))]]))}."
  }

  validation {
    # Host names: case-insensitive, up to 128 characters of A-Z a-z 0-9 - . and the wildcards * ?,
    # with at least one dot and only letters after the last one. AWS: ELBv2 API reference,
    # HostHeaderConditionConfig.Values, and the guide's Condition types for listener rules, Host
    # conditions; read 2026-12-01.
    condition = alltrue([for service in values(var.services) : alltrue([for host in service.host_headers :
      length(host) <= 128 && can(regex("^[A-Za-z0-9*?.-]*\\.[A-Za-z]+$", host))
    ])])
    error_message = "services.*.host_headers must be host names of at most 128 characters: A-Z a-z 0-9 - . and the wildcards * ?, with at least one . and only letters after the last . (e.g. api.example.com, *.example.com); got: ${join(", ", flatten([for key, service in var.services : [for host in service.host_headers : "${key} = \"${host}\"" if !(length(host) <= 128 && can(regex("^[A-Za-z0-9*?.-]*\\.[A-Za-z]+$", host)))]]))}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : service.priority == null || try(service.priority >= 1 && service.priority <= 49999 && floor(service.priority) == service.priority, false)])
    error_message = "services.*.priority must be a whole number from 1 to 49999 (50000 is the default route's); got: ${join(", ", [for key, service in var.services : "${key} = ${service.priority}" if !(service.priority == null || try(service.priority >= 1 && service.priority <= 49999 && floor(service.priority) == service.priority, false))])}."
  }

  validation {
    # Effective priorities (explicit, else 10 x position among the sorted routed keys) must be unique.
    condition = length([for key, service in var.services : key if service.public && !service.default_route]) == length(distinct([
      for key, service in var.services : coalesce(service.priority, 10 * (index(sort([for k, s in var.services : k if s.public && !s.default_route]), key) + 1))
      if service.public && !service.default_route
    ]))
    error_message = "services.*.priority: listener rule priorities must be unique (unset priorities are 10, 20, 30, ... in key order); effective priorities: ${join(", ", [for key, service in var.services : "${key} = ${coalesce(service.priority, 10 * (index(sort([for k, s in var.services : k if s.public && !s.default_route]), key) + 1))}" if service.public && !service.default_route])}."
  }

  validation {
    condition = alltrue(flatten([for service in values(var.services) : [
      for name in concat(keys(service.environment), keys(service.secrets)) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))
    ]]))
    error_message = "services.*.environment and secrets keys must be environment variable names (letters, digits, underscore; not starting with a digit)."
  }

  validation {
    condition = alltrue(flatten([for service in values(var.services) : [
      for ref in values(service.secrets) : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?$", ref))
    ]]))
    error_message = "services.*.secrets values must be full Secrets Manager secret ARNs (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>), optionally followed by :<json-key>:<version-stage>:<version-id>; got: ${join(", ", flatten([for key, service in var.services : [for name, ref in service.secrets : "${key}.${name} = \"${ref}\"" if !can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?$", ref))]]))}."
  }

  validation {
    # uid, uid:gid, user or user:group; root (name or uid 0) is refused. The runtime reads the uid
    # as a number, so "00" and "000:1000" are uid 0 too: compared as numbers (review 2026-12-07 L3).
    condition     = alltrue([for service in values(var.services) : can(regex("^([0-9]+|[a-z_][a-z0-9_-]{0,31})(:([0-9]+|[a-z_][a-z0-9_-]{0,31}))?$", service.user)) && split(":", service.user)[0] != "root" && !(can(regex("^[0-9]+$", split(":", service.user)[0])) && try(tonumber(split(":", service.user)[0]) == 0, false))])
    error_message = "services.*.user must be a non-root user: a uid or user name, optionally with :gid or :group (e.g. \"1000:1000\" or \"app\"); root and uid 0 are refused; got: ${join(", ", [for key, service in var.services : "${key} = \"${service.user}\"" if !(can(regex("^([0-9]+|[a-z_][a-z0-9_-]{0,31})(:([0-9]+|[a-z_][a-z0-9_-]{0,31}))?$", service.user)) && split(":", service.user)[0] != "root" && !(can(regex("^[0-9]+$", split(":", service.user)[0])) && try(tonumber(split(":", service.user)[0]) == 0, false)))])}."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : service.command == null || try(length(service.command) > 0, false)])
    error_message = "services.*.command must be null (use the image's default) or a non-empty list of strings."
  }

  validation {
    # A service's logs go to the indices logs-<key>-yyyy.MM.dd, next to those of the log sources
    # that are not services (VPC flow logs, ALB access logs; the root's module "log_delivery"): a
    # service with one of their keys would overwrite a source in the merge and share its indices.
    condition     = length(setintersection(keys(var.services), values(module.conventions.log_sources))) == 0
    error_message = "services keys must not be ${join(" or ", values(module.conventions.log_sources))}: those are the keys of the ALB access logs and the VPC flow logs in OpenSearch (indices logs-<key>-yyyy.MM.dd); rename: ${join(", ", sort(setintersection(keys(var.services), values(module.conventions.log_sources))))}."
  }

  validation {
    # A caller is let through the callee's security group (the root's modules/security_groups,
    # from the output services); a service reaches itself without a rule.
    condition     = alltrue(flatten([for key, service in var.services : [for caller in service.callers : contains(keys(var.services), caller) && caller != key]]))
    error_message = "services.*.callers must name other services of this environment (keys of services, not the service itself); got: ${join(", ", flatten([for key, service in var.services : [for caller in service.callers : "${key}.callers has \"${caller}\"" if !contains(keys(var.services), caller) || caller == key]]))}."
  }

  validation {
    # A service's OpenSearch role reads and writes <key>-* (opensearch_setup.py): a key that is,
    # or hyphen-prefixes, an index family of no service would reach it (review 2026-12-07 L1).
    condition     = length([for key in keys(var.services) : key if anytrue([for prefix in module.conventions.reserved_index_prefixes : prefix == key || startswith(prefix, "${key}-")])]) == 0
    error_message = "services keys must not be ${join(" or ", module.conventions.reserved_index_prefixes)} or a hyphen-prefix of them: a service reads and writes the OpenSearch indices <key>-*, which would include ${join(" and ", [for prefix in module.conventions.reserved_index_prefixes : "${prefix}-*"])}; rename: ${join(", ", sort([for key in keys(var.services) : key if anytrue([for prefix in module.conventions.reserved_index_prefixes : prefix == key || startswith(prefix, "${key}-")])]))}."
  }

  validation {
    # Likewise between services: "api" would reach "api-admin"'s indices api-admin-*.
    condition     = length(flatten([for a in keys(var.services) : [for b in keys(var.services) : b if startswith(b, "${a}-")]])) == 0
    error_message = "services keys must not be a hyphen-prefix of another key: a service reads and writes the OpenSearch indices <key>-*, which would include the other's; rename one of: ${join(", ", flatten([for a in keys(var.services) : [for b in keys(var.services) : "${a} (prefix of ${b})" if startswith(b, "${a}-")]]))}."
  }

  validation {
    # uat and prod run exactly the image that was tested: a tag is a pointer that anyone allowed
    # to push to the repository can move (review 2026-12-07 M4); a digest names the content.
    condition     = !contains(module.conventions.protected_environments, var.environment) || alltrue([for service in values(var.services) : can(regex(module.conventions.image_digest_pattern, service.container_image))])
    error_message = "services.*.container_image must be pinned by digest (<repository>[:<tag>]@sha256:<64 hex digits>) in ${join(" and ", module.conventions.protected_environments)}, where a movable tag could swap the image; by tag in ${var.environment}: ${join(", ", sort([for key, service in var.services : key if !can(regex(module.conventions.image_digest_pattern, service.container_image))]))}."
  }
}

# --- operator task --------------------------------------------------------------------

variable "ops_task" {
  description = "The operator task <name_prefix>-ops: a one-off Fargate task in the private subnets with its own security group (the root's ops_run_task), for post-apply commands that must run inside the VPC (`carcierge db roles`, `carcierge opensearch setup`). image: an ECR image with the carcierge package (the CI image of ci/Dockerfile); environment: its settings (name => value); read_secret_arns: secrets it may read (kms:Decrypt through Secrets Manager only); assume_role_arns: roles it may assume. null: no operator task."
  type = object({
    image            = string
    cpu              = optional(number, 256)
    memory           = optional(number, 512)
    environment      = optional(map(string), {})
    read_secret_arns = optional(list(string), [])
    assume_role_arns = optional(list(string), [])
  })
  default = null

  validation {
    condition     = var.ops_task == null || can(regex("^[0-9]{12}\\.dkr\\.ecr(-fips)?\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$", var.ops_task.image))
    error_message = "ops_task.image must be an ECR image reference <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>[@sha256:<digest>] (the execution role pulls from ECR only)."
  }

  validation {
    condition     = var.ops_task == null || contains([[256, 512], [256, 1024], [512, 1024], [512, 2048], [1024, 2048], [1024, 4096]], [var.ops_task.cpu, var.ops_task.memory])
    error_message = "ops_task cpu/memory (vCPU units/MiB) must be one of the Fargate sizes 256/512, 256/1024, 512/1024, 512/2048, 1024/2048, 1024/4096."
  }

  validation {
    condition     = var.ops_task == null || alltrue([for name in keys(var.ops_task.environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))])
    error_message = "ops_task.environment keys must be environment variable names (letters, digits, underscore; not starting with a digit)."
  }
}

variable "services_after" {
  description = "An id the ECS services wait for (depends_on): the root passes its operator-task run at apply (terraform_data.ops_setup: database roles, OpenSearch mappings), so the services are asked to be steady only once what they need exists. null: nothing to wait for."
  type        = string
  default     = null
}

variable "services_awaiting_images" {
  description = "Keys of services whose ECS service (and auto scaling) is not created yet because their image is not in ECR: with create_ecr_repositories the repository comes from the same apply and holds no image. Their task definitions, target groups, roles and logs are created all the same; remove a key once its image is pushed (docs/first-deployment.md). A key listed here for a running service removes that service."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for key in var.services_awaiting_images : contains(keys(var.services), key)])
    error_message = "services_awaiting_images must list keys of services; unknown: ${join(", ", [for key in var.services_awaiting_images : key if !contains(keys(var.services), key)])}."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the environment's CI boundary (<environment>-carcierge-ci-boundary, `carcierge oidc bootstrap`), without which the CI deploy role may not create a role. null: none."
  type        = string
  default     = null
}
