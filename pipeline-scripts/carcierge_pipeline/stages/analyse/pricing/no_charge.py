"""Resources with no running cost, named so the report shows they were seen."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    """Resources whose running cost is nil, stated so the report shows they were seen."""
    free = {
        "aws_elasticache_user": "ElastiCache RBAC users and user groups",
        "aws_elasticache_user_group": "ElastiCache RBAC users and user groups",
        "aws_security_group": "security groups and their rules",
        "aws_vpc_security_group_ingress_rule": "security groups and their rules",
        "aws_vpc_security_group_egress_rule": "security groups and their rules",
    }
    seen = sorted({free[r.type] for r in pricer.resources.values() if r.type in free})
    if seen:
        pricer.assumption(
            f"no charge: {', '.join(seen)} (aws.amazon.com/elasticache/pricing and "
            "/vpc/pricing list none); each service's Redis password secret is priced as a "
            "Secrets Manager secret"
        )
