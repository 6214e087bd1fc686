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
- An image whose ECR repository lets a tag be moved (``imageTagMutability`` other than
  ``IMMUTABLE``; ECR API Reference, DescribeRepositories, Repository.imageTagMutability: MUTABLE,
  IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION), or that does not exist: whoever
  may push could swap what a tag names (review 2026-12-07 M4). uat and prod also pin every image
  by digest (a variable validation); the repository check holds the tags behind those digests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from carcierge_pipeline import environments, hcl
from carcierge_pipeline.errors import StageFailed

EXAMPLE_ACCOUNT = "123456789012"
SHARED_FILE = "terraform.tfvars"
# The OpenSearch service-linked role (AWSServiceRoleForAmazonOpenSearchService) is found by its
# path, which names the service; accounts from the Elasticsearch days may have the older role
# under es.amazonaws.com, which OpenSearch accepts.
OPENSEARCH_ROLE = "AWSServiceRoleForAmazonOpenSearchService"
OPENSEARCH_ROLE_PATHS = (
    "/aws-service-role/opensearchservice.amazonaws.com/",
    "/aws-service-role/es.amazonaws.com/",
)
# An ECR image reference, as the variable validations accept it (variables.tf ops_image):
# <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:<tag>][@sha256:<digest>].
ECR_IMAGE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?$"
)
IMMUTABLE = "IMMUTABLE"
# The digests the committed uat and prod files pin their example images to: well-formed, so they
# pass the variable validations, and never the digest of a real image (56 leading zero digits).
PLACEHOLDER_DIGEST = re.compile(r"@sha256:0{56}")


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
                if EXAMPLE_ACCOUNT not in text:
                    if PLACEHOLDER_DIGEST.search(text):
                        place = f"{path.relative_to(root).as_posix()}{_line(path, text)}"
                        problems.append(
                            f"{place}: {where} is pinned to a placeholder digest (sha256:0000…): "
                            "put the digest ECR reports for the pushed image here (`aws ecr "
                            "describe-images`, imageDigest)"
                        )
                    continue
                place = f"{path.relative_to(root).as_posix()}{_line(path, text)}"
                if where == "ssl_certificate_arn":
                    fix = "request an ACM certificate in the deployment region and put its ARN here"
                    what = "is the placeholder certificate"
                elif where.endswith(".container_image"):
                    fix = (
                        "push the image to your ECR and put its URI here (by digest, "
                        "<repository>@sha256:<digest>; required in uat and prod)"
                    )
                    what = "is an image in AWS's example account"
                else:
                    fix = "replace it with a value of your account"
                    what = "names AWS's example account"
                problems.append(f"{place}: {where} {what} {EXAMPLE_ACCOUNT}: {fix}")
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


def _images(root: Path, environment: str) -> Iterator[tuple[Path, str, str]]:
    """(file, key, image) of every image the environment runs: its services and the operator
    task."""
    for path in (root / SHARED_FILE, environments.var_file(root, environment)):
        if not path.is_file():
            continue
        settings = hcl.plain(hcl.load_tfvars(path))
        services = settings.get("services")
        for key, service in services.items() if isinstance(services, dict) else []:
            image = service.get("container_image") if isinstance(service, dict) else None
            if isinstance(image, str):
                yield path, f"services.{key}.container_image", image
        if isinstance(settings.get("ops_image"), str):
            yield path, "ops_image", settings["ops_image"]


def image_repository_problems(
    root: Path, environment: str, ecr_in: Callable[[str], Any]
) -> list[str]:
    """One line per image of the environment whose ECR repository does not exist or whose tags
    are not IMMUTABLE; ``ecr_in(region)`` gives an ECR client of the repository's region
    (``ecr:DescribeRepositories`` only). Images outside ECR are left to the variable
    validations, images in AWS's example account to :func:`placeholder_problems`."""
    from botocore.exceptions import ClientError

    from carcierge_pipeline.state.aws import error_code

    mutability: dict[tuple[str, str, str], str | None] = {}
    problems = []
    for path, where, image in _images(root, environment):
        match = ECR_IMAGE.match(image)
        if match is None or match["account"] == EXAMPLE_ACCOUNT:
            continue
        region, account, repository = match["region"], match["account"], match["repository"]
        if (region, account, repository) not in mutability:
            try:
                found = ecr_in(region).describe_repositories(
                    registryId=account, repositoryNames=[repository]
                )["repositories"]
            except ClientError as error:
                if error_code(error) != "RepositoryNotFoundException":
                    raise
                found = []
            mutability[region, account, repository] = (
                str(found[0].get("imageTagMutability")) if found else None
            )
        setting = mutability[region, account, repository]
        if setting == IMMUTABLE:
            continue
        place = f"{path.relative_to(root).as_posix()}{_line(path, image)}"
        named = f"ECR repository {repository} (account {account}, {region})"
        if setting is None:
            problems.append(
                f"{place}: {where} comes from {named}, which does not exist: create it with "
                "immutable tags and push the image before the apply"
            )
        else:
            problems.append(
                f"{place}: {where} comes from {named}, whose tags are {setting}: whoever may "
                "push can move a tag to another image; make them immutable: `aws ecr "
                f"put-image-tag-mutability --registry-id {account} --region {region} "
                f"--repository-name {repository} --image-tag-mutability {IMMUTABLE}`"
            )
    return problems


def run_preflight(
    root: Path,
    environment: str,
    iam: Any,
    *,
    rds_in: Callable[[str], Any] | None = None,
    ecr_in: Callable[[str], Any] | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Every problem on its own line, then one StageFailed; nothing if all is well.
    ``rds_in`` (an RDS client per region) checks the backup region, ``ecr_in`` (an ECR client
    per region) the images' repositories; without them, these are not checked."""
    problems = placeholder_problems(root, environment) + account_problems(iam)
    if rds_in is not None:
        problems += backup_region_problems(root, environment, rds_in)
    if ecr_in is not None:
        problems += image_repository_problems(root, environment, ecr_in)
    for problem in problems:
        echo(f"pre-flight: {problem}")
    if problems:
        raise StageFailed(
            f"pre-flight found {len(problems)} problem(s) that would fail the {environment} "
            "apply halfway; fix them first (lines above)"
        )
    echo(f"pre-flight: {environment} has no placeholders and the account is ready")
