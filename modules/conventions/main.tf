# The project's conventions that several modules check their inputs against: one owner for each
# list. No resources and no provider: a module or the root calls it and uses its outputs in its
# variable validations (Terraform >= 1.9 lets a validation refer to other objects).
# pipeline-scripts/tests/infrastructure/test_conventions.py checks that the Python package agrees.

locals {
  # The environments, in promotion order (carcierge_pipeline/environments.py: ENVIRONMENTS).
  environments = ["staging", "qa", "uat", "prod"]

  # A KMS key ARN in any partition, region and account (the key id after key/), the shape every
  # module's kms_key_arn input must have.
  kms_key_arn_pattern = "^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$"
  # An IAM managed policy ARN (the CI permissions boundary every module's roles carry).
  iam_policy_arn_pattern = "^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$"

  # The values CloudWatch Logs accepts for a log group's retention, in days
  # (PutRetentionPolicy, retentionInDays; botocore logs service model, read 2026-12-01).
  log_retention_days = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

  # The log sources in OpenSearch that are not services: their keys name daily indices
  # logs-<key>-yyyy.MM.dd next to the services' own (modules/log_delivery), so no service key
  # may be one of them (modules/ecs's services validation).
  log_sources = {
    vpc_flow_logs = "vpc-flow-logs"
    alb           = "alb"
  }

  # Names under <name_prefix>-<key> that are not services: the operator task (modules/ecs/ops.tf)
  # takes the log group /ecs/<prefix>-ops, the role <prefix>-ops-task and the task family
  # <prefix>-ops, exactly what a service keyed ops would get; so no service key may be one of
  # these (modules/ecs's services validation).
  reserved_service_keys = {
    ops_task = "ops"
  }

  # The environments that face customers and hold their data: their protections are required
  # by validation, not left to the environment file (images by digest, a WAF in front of the ALB).
  protected_environments = ["uat", "prod"]

  # Index families in OpenSearch that belong to no service: the daily log indices of every
  # source (logs-<source>-yyyy.MM.dd, modules/log_delivery) and the security plugin's audit log
  # (security-auditlog-yyyy.MM.dd). A service's OpenSearch role reads and writes <key>-*
  # (carcierge_pipeline/opensearch_setup.py, which keeps its own copy, tested equal), so no key
  # may be one of these or a hyphen-prefix of one ("security" would reach security-auditlog-*);
  # modules/ecs's services validation refuses them (review 2026-12-07 L1).
  reserved_index_prefixes = ["logs", "security-auditlog"]

  # The unprivileged ports: the range the VPC's network ACLs pass for return traffic and between
  # the tiers (modules/vpc), so the one a service listens on (modules/ecs and
  # modules/security_groups refuse a container port outside it) and a data store's besides 443.
  unprivileged_ports = { from = 1024, to = 65535 }

  # The names: every named resource is <name_prefix>-<resource>[-<subresource>], and the root
  # forms name_prefix as <environment>-<project> (format(name_prefix_format, environment,
  # project_name)). A name_prefix is lowercase letters, digits and single hyphens, starts with a
  # letter and does not end with a hyphen: what every service the modules name accepts (RDS
  # identifiers and ElastiCache replication groups refuse two hyphens in a row and a trailing
  # one; ALB, target group, OpenSearch domain and Ingestion pipeline names want a letter first;
  # CreateDBInstance, CreateReplicationGroup, CreateLoadBalancer, CreateDomain, CreatePipeline
  # API references). Its length is the calling module's fact (var.name_prefix_max_length):
  # the longest name it builds against AWS's limit on that name.
  name_prefix_pattern = "^[a-z](-?[a-z0-9])*$"
  name_prefix_format  = "%s-%s"
  # The project part: lowercase letters and digits, starting with a letter (no hyphen, so the
  # environment is always the prefix's first word); the root limits its length.
  project_name_pattern = "^[a-z][a-z0-9]*$"

  # An image pinned to its content: the registry's manifest digest (OCI image spec,
  # "Digests": sha256 is 64 lowercase hex digits). A tag can be moved to another image by
  # whoever may push to the repository; a digest cannot.
  image_digest_pattern = "@sha256:[a-f0-9]{64}$"
}
