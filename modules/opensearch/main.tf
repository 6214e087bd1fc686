# The project's conventions: checks the shared inputs and gives the lists the validations read.
module "conventions" {
  source = "../conventions"

  # The shared inputs, checked there once.
  inputs = { name_prefix = var.name_prefix, environment = var.environment, kms_key_arn = var.kms_key_arn, log_retention_days = var.log_retention_days, permissions_boundary_arn = var.permissions_boundary_arn }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  domain_name = coalesce(var.opensearch_config.domain_name, "${var.name_prefix}-opensearch")
  # A VPC domain serves its endpoint over HTTPS on 443 only (enforce_https); not configurable.
  https_port = 443
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  # Built from its parts: the log resource policy must exist before the domain does.
  domain_arn = "arn:${local.partition}:es:${local.region}:${local.account_id}:domain/${local.domain_name}"

  zone_aware = var.opensearch_config.instance_count >= 2
  az_count   = local.zone_aware ? var.opensearch_config.availability_zone_count : 1
  # One subnet per AZ in use: a single-node domain takes exactly one subnet.
  domain_subnet_ids = slice(var.subnet_ids, 0, min(local.az_count, length(var.subnet_ids)))

  dedicated_masters = var.opensearch_config.dedicated_master_count > 0
  # Burstable (T) instances support neither Auto-Tune nor Multi-AZ with standby.
  burstable = startswith(var.opensearch_config.instance_type, "t")

  create_master_role = var.opensearch_config.master_user_arn == null
  master_user_arn    = local.create_master_role ? aws_iam_role.master[0].arn : var.opensearch_config.master_user_arn

  http_actions = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpPatch", "es:ESHttpDelete"]

  # Error logs are the application logs; audit logs need fine-grained access control (on).
  # A list, not a map: checkov's code scan expands a dynamic block over a list only, and
  # CKV_AWS_317 reads the domain's AUDIT_LOGS option from it.
  log_types = [
    { type = "INDEX_SLOW_LOGS", group = "index-slow" },
    { type = "SEARCH_SLOW_LOGS", group = "search-slow" },
    { type = "ES_APPLICATION_LOGS", group = "application" },
    { type = "AUDIT_LOGS", group = "audit" },
  ]
}

# --- fine-grained access control: an IAM master role, no password anywhere ---------------
#
# The master user is an IAM role (SigV4-signed requests), not an internal user: the provider's
# master_user_password has no write-only variant, so an internal master password would sit in
# state. Only the named admin roles (admin_principal_arns) may assume it. The trust names the
# account as principal and narrows it with aws:PrincipalArn, the pattern AWS documents for
# IAM Identity Center roles, whose names end in a generated suffix (IAM User Guide, "IAM JSON
# policy elements: Principal" and the aws:PrincipalArn condition key); a role ARN as principal
# would also break when that role is recreated.

resource "aws_iam_role" "master" {
  # checkov:skip=CKV_AWS_61:the account principal is narrowed by the ArnLike aws:PrincipalArn condition to the named admin roles (admin_principal_arns); no other principal of the account may assume it
  count = local.create_master_role ? 1 : 0

  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

  name        = "${var.name_prefix}-opensearch-admin"
  description = "Master user of the ${var.environment} OpenSearch domain (fine-grained access control all_access)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "NamedAdminRolesOnly"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "sts:AssumeRole"
      Condition = { ArnLike = { "aws:PrincipalArn" = var.admin_principal_arns } }
    }]
  })
  max_session_duration = 3600

  tags = merge(var.tags, { Name = "${var.name_prefix}-opensearch-admin" })

  lifecycle {
    precondition {
      condition     = length(var.admin_principal_arns) > 0
      error_message = "admin_principal_arns must name at least one admin role when the module creates the master role (opensearch_config.master_user_arn unset)."
    }

    precondition {
      condition     = alltrue([for arn in var.admin_principal_arns : split(":", arn)[4] == local.account_id])
      error_message = "admin_principal_arns must be roles of the deploying account ${local.account_id}; got ${join(", ", [for arn in var.admin_principal_arns : arn if split(":", arn)[4] != local.account_id])}."
    }
  }
}

# The master role registers the snapshot repository, so it passes the repository's role to the
# service; only the roles named, and only to OpenSearch Service.
resource "aws_iam_role_policy" "master_pass_role" {
  count = local.create_master_role && length(var.pass_role_arns) > 0 ? 1 : 0

  name = "${var.name_prefix}-opensearch-admin-pass-role"
  role = aws_iam_role.master[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PassSnapshotRoleToOpenSearch"
      Effect    = "Allow"
      Action    = "iam:PassRole"
      Resource  = var.pass_role_arns
      Condition = { StringEquals = { "iam:PassedToService" = "es.amazonaws.com" } }
    }]
  })
}

# --- logs -----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  for_each = { for log in local.log_types : log.type => log.group }
  # checkov:skip=CKV_AWS_338:retention is the environment's log_retention_days (staging 14, qa 14, uat 30, prod 90 days), under the one year this check asks for in every environment, security logs included: chosen for cost, a year is one value in an environment file

  name              = "/aws/opensearch/${local.domain_name}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = "${local.domain_name}-${each.value}" })
}

# OpenSearch writes to the log groups through this account-level resource policy, limited to
# this domain's groups and to requests made on behalf of this domain.
resource "aws_cloudwatch_log_resource_policy" "this" {
  policy_name = "${var.name_prefix}-opensearch-logs"
  policy_document = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OpenSearchLogPublishing"
      Effect    = "Allow"
      Principal = { Service = "es.amazonaws.com" }
      Action    = ["logs:PutLogEvents", "logs:CreateLogStream"]
      Resource  = [for group in aws_cloudwatch_log_group.this : "${group.arn}:*"]
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = local.domain_arn }
      }
    }]
  })
}

# --- the domain -----------------------------------------------------------------------

resource "aws_opensearch_domain" "this" {
  # checkov:skip=CKV_AWS_318:Dedicated master nodes are optional (opensearch_config.dedicated_master_count); the environments run 1-2 data nodes where three masters would cost more than the data tier.
  # checkov:skip=CKV2_AWS_59:Same as CKV_AWS_318: dedicated masters are an option, off by default for small domains.
  domain_name    = local.domain_name
  engine_version = var.opensearch_config.engine_version

  cluster_config {
    instance_type          = var.opensearch_config.instance_type
    instance_count         = var.opensearch_config.instance_count
    zone_awareness_enabled = local.zone_aware

    dynamic "zone_awareness_config" {
      for_each = local.zone_aware ? [1] : []
      content {
        availability_zone_count = local.az_count
      }
    }

    dedicated_master_enabled = local.dedicated_masters
    dedicated_master_count   = local.dedicated_masters ? var.opensearch_config.dedicated_master_count : null
    dedicated_master_type    = local.dedicated_masters ? var.opensearch_config.dedicated_master_type : null

    multi_az_with_standby_enabled = false
  }

  ebs_options {
    ebs_enabled = true
    volume_type = "gp3"
    volume_size = var.opensearch_config.volume_size
    iops        = var.opensearch_config.volume_iops
    throughput  = var.opensearch_config.volume_throughput
  }

  vpc_options {
    subnet_ids         = local.domain_subnet_ids
    security_group_ids = [var.security_group_id]
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = var.kms_key_arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-PFS-2023-10"
  }

  advanced_security_options {
    enabled                        = true
    anonymous_auth_enabled         = false
    internal_user_database_enabled = false

    master_user_options {
      master_user_arn = local.master_user_arn
    }
  }

  auto_tune_options {
    desired_state       = local.burstable ? "DISABLED" : "ENABLED"
    rollback_on_disable = "NO_ROLLBACK"
    use_off_peak_window = !local.burstable
  }

  off_peak_window_options {
    enabled = true

    off_peak_window {
      window_start_time {
        hours   = var.opensearch_config.off_peak_start_hour
        minutes = 0
      }
    }
  }

  software_update_options {
    auto_software_update_enabled = true
  }

  # Every log type of local.log_types into its own group. Audit logs also need audit logging
  # switched on in the security plugin (Dashboards > Security > Audit logs) by the master role;
  # this only routes them.
  dynamic "log_publishing_options" {
    for_each = local.log_types

    content {
      log_type                 = log_publishing_options.value.type
      cloudwatch_log_group_arn = aws_cloudwatch_log_group.this[log_publishing_options.value.type].arn
      enabled                  = true
    }
  }

  tags = merge(var.tags, { Name = local.domain_name })

  depends_on = [aws_cloudwatch_log_resource_policy.this]

  lifecycle {
    # Every environment: no plan may delete or replace the domain. Deleting it deletes all its
    # data, with no final snapshot (a literal; deliberate teardown: README.md, "Deletion safety").
    prevent_destroy = true

    precondition {
      condition     = length(local.domain_name) >= 3 && length(local.domain_name) <= 28
      error_message = "The OpenSearch domain name ${local.domain_name} has ${length(local.domain_name)} characters; AWS allows 3-28. Shorten the project name or set opensearch_config.domain_name."
    }

    precondition {
      condition     = length(var.subnet_ids) >= local.az_count
      error_message = "A zone-aware domain over ${local.az_count} AZs needs ${local.az_count} data subnets (one per AZ); subnet_ids has ${length(var.subnet_ids)}."
    }
  }
}

# Only the principals that need the domain may call it (VPC endpoint + SigV4); what each may do
# inside is decided by fine-grained access control.
resource "aws_opensearch_domain_policy" "this" {
  domain_name = aws_opensearch_domain.this.domain_name
  access_policies = jsonencode({
    Version = "2012-10-17"
    Statement = concat([{
      Sid       = "VpcPrincipalsHttp"
      Effect    = "Allow"
      Principal = { AWS = concat([local.master_user_arn], [for key in sort(keys(var.access_roles)) : var.access_roles[key].arn]) }
      Action    = local.http_actions
      Resource  = "${aws_opensearch_domain.this.arn}/*"
      }], length(var.ingestion_role_arns) == 0 ? [] : [{
      # OpenSearch Service Developer Guide, "Granting Amazon OpenSearch Ingestion pipelines
      # access to domains" (read 2026-12-07): the pipeline role must be in the domain access
      # policy. It writes documents (and describes indices): no PATCH, no DELETE.
      Sid       = "IngestionPipelinesWrite"
      Effect    = "Allow"
      Principal = { AWS = var.ingestion_role_arns }
      Action    = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]
      Resource  = "${aws_opensearch_domain.this.arn}/*"
    }])
  })
}

# The identity side: each calling role may send HTTP requests to this domain and nothing else.
resource "aws_iam_role_policy" "access" {
  for_each = var.access_roles

  name = "${var.name_prefix}-opensearch-access"
  role = each.value.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "OpenSearchHttp"
      Effect   = "Allow"
      Action   = local.http_actions
      Resource = "${aws_opensearch_domain.this.arn}/*"
    }]
  })
}
