"""Real-mode pre-flight: what would otherwise fail halfway through an apply, refused before
Terraform starts, with one line per problem.

- Placeholders in the environment's variables: the account ID of AWS's documentation examples
  (``123456789012``) in an image URI, a certificate ARN or any other value. They pass every
  validation (they are well-formed) and fail only when AWS is asked for them.
- What a fresh account lacks: the OpenSearch service-linked role, which AWS needs before it can
  create a domain inside a VPC (``aws iam create-service-linked-role --aws-service-name
  opensearchservice.amazonaws.com``, once per account).
- A backup region RDS cannot replicate automated backups into from the environment's region
  (``enable_cross_region_backups``): the pairs differ by region and change over time, so RDS
  itself is asked (``DescribeSourceRegions`` in the backup region, RDS API Reference,
  "SourceRegion": ``SupportsDBInstanceAutomatedBackupsReplication``). The RDS User Guide's own
  example ("Finding information about replicated backups") shows us-west-1 -> us-west-2 as
  unsupported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from carcierge_pipeline import environments, hcl
from carcierge_pipeline.errors import StageFailed

EXAMPLE_ACCOUNT = "123456789012"
# The other account ids AWS's documentation uses as examples: the environment files' placeholder
# aws_account_id values (one per environment) come from this set.
EXAMPLE_ACCOUNTS = (EXAMPLE_ACCOUNT, "111122223333", "444455556666", "777788889999")
SHARED_FILE = "terraform.tfvars"
# The OpenSearch service-linked role (AWSServiceRoleForAmazonOpenSearchService) is found by its
# path, which names the service; accounts from the Elasticsearch days may have the older role
# under es.amazonaws.com, which OpenSearch accepts.
OPENSEARCH_ROLE = "AWSServiceRoleForAmazonOpenSearchService"
OPENSEARCH_ROLE_PATHS = (
    "/aws-service-role/opensearchservice.amazonaws.com/",
    "/aws-service-role/es.amazonaws.com/",
)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def _line(path: Path, needle: str) -> str:
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if needle in text and not text.lstrip().startswith("#"):
            return f":{number}"
    return ""


def placeholder_problems(root: Path, environment: str) -> list[str]:
    """One line per value of the environment's variable files that names the example account."""
    problems = []
    for path in (root / SHARED_FILE, environments.var_file(root, environment)):
        if not path.is_file():
            continue
        for key, value in hcl.plain(hcl.load_tfvars(path)).items():
            for where, text in _strings(value, key):
                example = next((a for a in EXAMPLE_ACCOUNTS if a in text), None)
                if example is None:
                    continue
                place = f"{path.relative_to(root).as_posix()}{_line(path, text)}"
                if where == "aws_account_id":
                    fix = "put this environment's own AWS account id here (docs/setup.md)"
                    what = "is a placeholder account"
                elif where == "ssl_certificate_arn":
                    fix = "request an ACM certificate in the deployment region and put its ARN here"
                    what = "is the placeholder certificate"
                elif where.endswith(".container_image"):
                    fix = "push the image to your ECR and put its URI (an immutable tag) here"
                    what = "is an image in AWS's example account"
                else:
                    fix = "replace it with a value of your account"
                    what = "names AWS's example account"
                problems.append(f"{place}: {where} {what} {example}: {fix}")
    return problems


def account_problems(iam: Any) -> list[str]:
    """What a fresh account lacks, read with an IAM client (``iam:ListRoles`` only)."""
    for prefix in OPENSEARCH_ROLE_PATHS:
        if iam.list_roles(PathPrefix=prefix).get("Roles"):
            return []
    return [
        f"the account has no OpenSearch service-linked role ({OPENSEARCH_ROLE}), which a "
        "VPC domain needs: once per account, `aws iam create-service-linked-role "
        "--aws-service-name opensearchservice.amazonaws.com`"
    ]


def backup_region_problems(root: Path, environment: str, rds_in: Callable[[str], Any]) -> list[str]:
    """One line if the environment replicates RDS backups to a region that cannot take them
    from its own; ``rds_in(region)`` gives an RDS client of that region
    (``rds:DescribeSourceRegions`` only)."""
    path = environments.var_file(root, environment)
    settings = hcl.plain(hcl.load_tfvars(path))
    if settings.get("enable_cross_region_backups") is not True:
        return []
    source, target = settings.get("aws_region"), settings.get("backup_region")
    if not isinstance(source, str) or not isinstance(target, str):
        return []  # the input check and the variable validations own missing values
    regions = rds_in(target).describe_source_regions(RegionName=source).get("SourceRegions", [])
    if any(
        region.get("RegionName") == source
        and region.get("SupportsDBInstanceAutomatedBackupsReplication") is True
        for region in regions
    ):
        return []
    place = f"{path.relative_to(root).as_posix()}{_line(path, 'backup_region')}"
    return [
        f"{place}: backup_region {target} cannot receive RDS automated backups from {source} "
        f"(RDS DescribeSourceRegions in {target}): choose a region for which `aws rds "
        f"describe-source-regions --region <region> --region-name {source}` shows "
        "SupportsDBInstanceAutomatedBackupsReplication true"
    ]


def run_preflight(
    root: Path,
    environment: str,
    iam: Any,
    *,
    rds_in: Callable[[str], Any] | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Every problem on its own line, then one StageFailed; nothing if all is well.
    ``rds_in`` (an RDS client per region) checks the backup region; without it, it is not
    checked."""
    problems = placeholder_problems(root, environment) + account_problems(iam)
    if rds_in is not None:
        problems += backup_region_problems(root, environment, rds_in)
    for problem in problems:
        echo(f"pre-flight: {problem}")
    if problems:
        raise StageFailed(
            f"pre-flight found {len(problems)} problem(s) that would fail the {environment} "
            "apply halfway; fix them first (lines above)"
        )
    echo(f"pre-flight: {environment} has no placeholders and the account is ready")
