"""Route 53 Resolver DNS Firewall: rule groups' domains and the queries they inspect."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    """Route 53 Resolver DNS Firewall: each listed domain name per month, and the queries
    it filters for each VPC it is associated with (an assumed volume)."""
    domain_month = pricer.third_party("dns_firewall_domain_month")
    for domain_list in pricer.of_type("aws_route53_resolver_firewall_domain_list"):
        domains = domain_list.values.get("domains")
        if domain_month is None or not isinstance(domains, list):
            why = "no dns_firewall_domain_month in the price table"
            pricer.missing(domain_list, why if domain_month is None else "domains unknown")
            continue
        detail = f"{len(domains)} domain name(s) listed (third-party price)"
        pricer.add(domain_list, "DNS Firewall", detail, len(domains) * domain_month)
    millions = pricer.assume["dns_firewall_million_queries_per_vpc"]
    pricer.third_party_each(
        "aws_route53_resolver_firewall_rule_group_association",
        "dns_firewall_million_queries",
        millions,
        "DNS Firewall",
        f"{millions} M queries/month filtered for its VPC (third-party price)",
        assumption=f"the DNS Firewall filters {millions} million queries per month per VPC",
    )
