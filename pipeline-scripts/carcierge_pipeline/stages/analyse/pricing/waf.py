"""AWS WAF: web ACLs, their rules and requests."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer, json_rule_count


def price(pricer: Pricer) -> None:
    waf = pricer.table["waf"]
    requests = pricer.assume["waf_million_requests"]
    for acl in pricer.of_type("aws_wafv2_web_acl"):
        rules = len(acl.values.get("rule") or []) or json_rule_count(acl.values.get("rule_json"))
        pricer.add(
            acl,
            "WAF",
            f"1 web ACL, {rules} rule(s), {requests} M requests",
            waf["web_acl_month"] + rules * waf["rule_month"] + requests * waf["million_requests"],
        )
