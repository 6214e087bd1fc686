"""Amazon VPC: NAT gateways, their data processing and public IPv4 addresses, interface
endpoints."""

from __future__ import annotations

from carcierge_pipeline.stages.analyse.pricing.base import Pricer


def price(pricer: Pricer) -> None:
    nat = pricer.table["nat_gateway"]
    gb = pricer.assume["nat_gb_processed_per_gateway"]
    pricer.each(
        "aws_nat_gateway",
        "NAT gateway",
        f"{pricer.hours} h + {gb} GB processed",
        nat["hour"] * pricer.hours + nat["gb_processed"] * gb,
        assumption=f"each NAT gateway processes {gb} GB/month",
    )
    ipv4 = pricer.table["public_ipv4"]["hour"]
    pricer.each("aws_eip", "Public IPv4", "1 address", ipv4 * pricer.hours)
    endpoint = pricer.table["vpc_interface_endpoint"]
    gb = pricer.assume["interface_endpoint_gb_processed_per_endpoint"]
    for vpce in pricer.of_type("aws_vpc_endpoint"):
        if (vpce.values.get("vpc_endpoint_type") or "Gateway") != "Interface":
            continue  # gateway endpoints (S3, DynamoDB) are free
        azs = pricer.count_of(vpce.values.get("subnet_ids"), pricer.az_count, "interface endpoints")
        pricer.add(
            vpce,
            "VPC interface endpoints",
            f"{azs} AZ(s) + {gb} GB",
            endpoint["az_hour"] * azs * pricer.hours + endpoint["gb_processed"] * gb,
        )
        pricer.assumption(f"each interface endpoint processes {gb} GB/month")
