# Egress allow-list by name (uat, prod): Route 53 Resolver DNS Firewall on the VPC. The VPC's
# resolver answers only the names of the allow-list (this region's AWS service names, the data
# stores' endpoints, and egress_allowed_domains); every other query gets NXDOMAIN. Chosen over
# AWS Network Firewall for cost (docs/security.md, "Egress"): DNS Firewall is priced per query
# and per listed domain, Network Firewall per endpoint-hour in each AZ plus per GB.
#
# What it does not do: a task that connects to a literal IP address needs no DNS query, so the
# security groups' HTTPS egress to 0.0.0.0/0 stays reachable that way; DNS tunnelling through
# an allowed name's authoritative servers is not possible (those are AWS's or the listed
# third parties'), but an allowed third party's own services remain reachable.

locals {
  dns_firewall = var.egress_allowed_domains != null

  # Names the tasks need whatever the services do: this region's AWS APIs (ECR, CloudWatch Logs,
  # Secrets Manager, STS, ECS, S3 with the ECR layer bucket; their interface endpoints' private
  # DNS names are the same names), the global STS name, and the data stores' endpoints, whose
  # names do not end in <region>.amazonaws.com (RDS <id>.<hash>.<region>.rds.amazonaws.com,
  # OpenSearch vpc-<domain>-<hash>.<region>.es.amazonaws.com, ElastiCache
  # <id>.<hash>.<short region>.cache.amazonaws.com), and the VPC's own host names.
  aws_domains = [
    "*.${data.aws_region.current.region}.amazonaws.com",
    "*.${data.aws_region.current.region}.api.aws",
    "sts.amazonaws.com",
    "*.${data.aws_region.current.region}.rds.amazonaws.com",
    "*.${data.aws_region.current.region}.es.amazonaws.com",
    "*.cache.amazonaws.com",
    "*.${data.aws_region.current.region}.compute.internal",
  ]
  egress_allowed = local.dns_firewall ? sort(distinct(concat(local.aws_domains, var.egress_allowed_domains))) : []
}

resource "aws_route53_resolver_firewall_domain_list" "allowed" {
  count = local.dns_firewall ? 1 : 0

  name    = "${local.name}-egress-allowed"
  domains = local.egress_allowed

  tags = merge(var.tags, { Name = "${local.name}-egress-allowed" })
}

# "*" matches every name: the rule after the allow rule blocks whatever the allow-list misses.
resource "aws_route53_resolver_firewall_domain_list" "everything" {
  count = local.dns_firewall ? 1 : 0

  name    = "${local.name}-egress-everything"
  domains = ["*"]

  tags = merge(var.tags, { Name = "${local.name}-egress-everything" })
}

resource "aws_route53_resolver_firewall_rule_group" "egress" {
  count = local.dns_firewall ? 1 : 0

  name = "${local.name}-egress"

  tags = merge(var.tags, { Name = "${local.name}-egress" })
}

# Rules run from the lowest priority: allow the listed names, then block the rest.
resource "aws_route53_resolver_firewall_rule" "allow" {
  count = local.dns_firewall ? 1 : 0

  name                    = "${local.name}-egress-allow-listed"
  firewall_rule_group_id  = aws_route53_resolver_firewall_rule_group.egress[0].id
  firewall_domain_list_id = aws_route53_resolver_firewall_domain_list.allowed[0].id
  priority                = 100
  action                  = "ALLOW"
}

resource "aws_route53_resolver_firewall_rule" "block" {
  count = local.dns_firewall ? 1 : 0

  name                    = "${local.name}-egress-block-the-rest"
  firewall_rule_group_id  = aws_route53_resolver_firewall_rule_group.egress[0].id
  firewall_domain_list_id = aws_route53_resolver_firewall_domain_list.everything[0].id
  priority                = 200
  action                  = "BLOCK"
  block_response          = "NXDOMAIN"
}

resource "aws_route53_resolver_firewall_rule_group_association" "egress" {
  count = local.dns_firewall ? 1 : 0

  name                   = "${local.name}-egress"
  firewall_rule_group_id = aws_route53_resolver_firewall_rule_group.egress[0].id
  vpc_id                 = aws_vpc.this.id
  # AssociateFirewallRuleGroup: 100-9900, lowest first.
  priority = 200
  # No one removes the filtering by mistake: the association cannot change until this is off.
  mutation_protection = "ENABLED"

  tags = merge(var.tags, { Name = "${local.name}-egress" })

  # Both rules exist before queries are filtered: never the block rule without the allow rule.
  depends_on = [aws_route53_resolver_firewall_rule.allow, aws_route53_resolver_firewall_rule.block]
}

# Fail closed: if DNS Firewall cannot answer, the resolver refuses the query rather than letting
# it through unfiltered (UpdateFirewallConfig FirewallFailOpen; DISABLED is AWS's default, set
# here so a console change shows up as drift).
resource "aws_route53_resolver_firewall_config" "this" {
  count = local.dns_firewall ? 1 : 0

  resource_id        = aws_vpc.this.id
  firewall_fail_open = "DISABLED"
}
