"""Real-mode pre-flight: what would otherwise fail halfway through an apply, refused before
Terraform starts (or, for what only the plan knows, before it is published), one line each.

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

After the real plan, before anything is published, AWS's own validators read the plan JSON
(``validate_plan``): OpenSearch Ingestion ``ValidatePipeline`` for every pipeline body, IAM
Access Analyzer ``ValidatePolicy`` for every policy document known at plan, and the offerings of
the region for what a person types in an environment file: RDS
``DescribeOrderableDBInstanceOptions`` (instance class x engine version), OpenSearch
``ListInstanceTypeDetails`` (instance type x engine version), ElastiCache
``DescribeCacheEngineVersions`` and ``DescribeReservedCacheNodesOfferings`` (engine version;
node type offered in the region). Errors refuse the plan; Access Analyzer's security warnings
and warnings are listed in the plan's summary.
- An image whose ECR repository lets a tag be moved (``imageTagMutability`` other than
  ``IMMUTABLE``; ECR API Reference, DescribeRepositories, Repository.imageTagMutability: MUTABLE,
  IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION), or that does not exist: whoever
  may push could swap what a tag names (review 2026-12-07 M4). uat and prod also pin every image
  by digest (a variable validation); the repository check holds the tags behind those digests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carcierge_pipeline import environments, hcl
from carcierge_pipeline.errors import StageFailed
from carcierge_pipeline.planmodel import UNKNOWN, Plan, Resource

# Every AWS action the real-mode pre-flight calls, and nothing else: the plan and deploy roles
# (carcierge_pipeline/oidc.py, accounts.py) grant exactly these read actions for it. IAM
# Service Authorization Reference action names (access-analyzer:ValidatePolicy,
# osis:ValidatePipeline, es:ListInstanceTypeDetails, ...; read 2026-12-07).
PREFLIGHT_ACTIONS: tuple[str, ...] = (
    "iam:ListRoles",  # account_problems
    "rds:DescribeSourceRegions",  # backup_region_problems
    "osis:ValidatePipeline",  # pipeline_problems
    "access-analyzer:ValidatePolicy",  # policy_findings
    "rds:DescribeOrderableDBInstanceOptions",  # offering_problems
    "es:ListInstanceTypeDetails",  # offering_problems
    "elasticache:DescribeCacheEngineVersions",  # offering_problems
    "elasticache:DescribeReservedCacheNodesOfferings",  # offering_problems
)

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
# An image pinned by digest ends with this (modules/conventions image_digest_pattern, tested
# equal in test_conventions.py).
IMAGE_DIGEST = r"@sha256:[a-f0-9]{64}"
# An ECR image reference, as the variable validations accept it (variables.tf ops_image):
# <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:<tag>][@sha256:<digest>].
ECR_IMAGE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    rf"(?:{IMAGE_DIGEST})?$"
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
                example = next((a for a in EXAMPLE_ACCOUNTS if a in text), None)
                if example is None:
                    if PLACEHOLDER_DIGEST.search(text):
                        place = f"{path.relative_to(root).as_posix()}{_line(path, text)}"
                        problems.append(
                            f"{place}: {where} is pinned to a placeholder digest (sha256:0000…): "
                            "put the digest ECR reports for the pushed image here (`aws ecr "
                            "describe-images`, imageDigest)"
                        )
                    continue
                place = f"{path.relative_to(root).as_posix()}{_line(path, text)}"
                if where == "aws_account_id":
                    fix = "put this environment's own AWS account id here (docs/setup.md)"
                    what = "is a placeholder account"
                elif where == "ssl_certificate_arn":
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


# --- AWS's own validators over the real plan ------------------------------------------------

# Policy documents in the plan: (resource type, attribute) -> (Access Analyzer policyType,
# validatePolicyResourceType or None). Enums: botocore accessanalyzer 2019-11-01
# service-2.json, PolicyType and ValidatePolicyResourceType (read 2026-12-07).
POLICY_ATTRIBUTES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("aws_iam_role", "assume_role_policy"): (
        "RESOURCE_POLICY",
        "AWS::IAM::AssumeRolePolicyDocument",
    ),
    ("aws_iam_role_policy", "policy"): ("IDENTITY_POLICY", None),
    ("aws_iam_policy", "policy"): ("IDENTITY_POLICY", None),
    ("aws_s3_bucket_policy", "policy"): ("RESOURCE_POLICY", "AWS::S3::Bucket"),
    ("aws_sqs_queue_policy", "policy"): ("RESOURCE_POLICY", None),
    ("aws_sns_topic_policy", "policy"): ("RESOURCE_POLICY", None),
    ("aws_kms_key", "policy"): ("RESOURCE_POLICY", None),
    ("aws_opensearch_domain_policy", "access_policies"): ("RESOURCE_POLICY", None),
    ("aws_cloudwatch_log_resource_policy", "policy_document"): ("RESOURCE_POLICY", None),
    ("aws_secretsmanager_secret_policy", "policy"): ("RESOURCE_POLICY", None),
    ("aws_ecr_repository_policy", "policy"): ("RESOURCE_POLICY", None),
}
# Finding types (ValidatePolicyFindingType): ERROR refuses the plan; these are listed.
LISTED_FINDINGS = ("SECURITY_WARNING", "WARNING")


@dataclass
class Findings:
    """What AWS's validators said about one plan."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # known only after apply

    def markdown(self) -> str:
        lines = ["", "## AWS validators (real-mode pre-flight)", ""]
        lines += [f"- {warning}" for warning in self.warnings] or ["- no warnings"]
        if self.unchecked:
            lines += ["", f"Not validated (known only after apply): {len(self.unchecked)}", ""]
            lines += [f"- {item}" for item in self.unchecked]
        return "\n".join(lines) + "\n"


def _client_error(error: Exception) -> tuple[str, str] | None:
    """(code, message) of a botocore ClientError, else None."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    detail = response.get("Error", {})
    return str(detail.get("Code", "")), " ".join(str(detail.get("Message", "")).split())


def pipeline_problems(plan: Plan, osis: Any, findings: Findings) -> None:
    """``osis:ValidatePipeline`` for each pipeline body known at plan."""
    for pipeline in plan.of_type("aws_osis_pipeline"):
        body = pipeline.get("pipeline_configuration_body")
        if body is UNKNOWN or not isinstance(body, str):
            findings.unchecked.append(f"{pipeline.address} pipeline_configuration_body")
            continue
        try:
            answer = osis.validate_pipeline(PipelineConfigurationBody=body)
        except Exception as error:
            found = _client_error(error)
            if found is None or found[0] != "ValidationException":
                raise
            findings.errors.append(
                f"{pipeline.address}: OpenSearch Ingestion refuses the pipeline body: {found[1]}"
            )
            continue
        if answer.get("isValid") is not True:
            messages = [
                " ".join(str(e.get("Message", "")).split()) for e in answer.get("Errors") or []
            ]
            for message in messages or ["invalid (no message)"]:
                findings.errors.append(
                    f"{pipeline.address}: OpenSearch Ingestion refuses the pipeline body: {message}"
                )


def _policies(plan: Plan, findings: Findings) -> Iterator[tuple[str, str, str, str | None]]:
    """(where, document, policyType, resource type) for each policy document known at plan."""
    types = sorted({kind for kind, _ in POLICY_ATTRIBUTES})
    for resource in plan.of_type(*types):
        for (kind, attribute), (policy_type, resource_type) in POLICY_ATTRIBUTES.items():
            if kind != resource.type:
                continue
            document = resource.get(attribute)
            if document is None:
                continue
            if document is UNKNOWN or resource.is_unknown(attribute):
                findings.unchecked.append(f"{resource.address} {attribute}")
                continue
            yield f"{resource.address} {attribute}", str(document), policy_type, resource_type


def policy_findings(plan: Plan, analyzer: Any, findings: Findings) -> None:
    """IAM Access Analyzer ``ValidatePolicy`` for every policy document known at plan: ERROR
    findings refuse, SECURITY_WARNING and WARNING are listed; identical documents are asked
    once."""
    answers: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
    for where, document, policy_type, resource_type in _policies(plan, findings):
        key = (json.dumps(json.loads(document), sort_keys=True), policy_type, resource_type)
        if key not in answers:
            request: dict[str, Any] = {"policyDocument": document, "policyType": policy_type}
            if resource_type:
                request["validatePolicyResourceType"] = resource_type
            answers[key] = []
            while True:
                page = analyzer.validate_policy(**request)
                answers[key] += page.get("findings") or []
                if not page.get("nextToken"):
                    break
                request["nextToken"] = page["nextToken"]
        for finding in answers[key]:
            kind = finding.get("findingType")
            text = f"{where}: {kind} {finding.get('issueCode', '')}: " + " ".join(
                str(finding.get("findingDetails", "")).split()
            )
            if kind == "ERROR":
                findings.errors.append(f"IAM Access Analyzer: {text}")
            elif kind in LISTED_FINDINGS:
                findings.warnings.append(text)


def _pages(call: Callable[..., Any], key: str, marker: str, **request: Any) -> Iterator[Any]:
    """Every item under ``key`` of a Marker/NextToken-paginated call."""
    while True:
        page = call(**request)
        yield from page.get(key) or []
        token = page.get(marker)
        if not token:
            return
        request[marker] = token


def _known(resource: Resource, paths: tuple[str, ...], findings: Findings) -> list[Any] | None:
    """The values at ``paths``; None, and the resource listed as not checked for what the last
    two paths name, where one is known only after apply."""
    values = [resource.get(path) for path in paths]
    if any(value is UNKNOWN for value in values):
        findings.unchecked.append(f"{resource.address} {paths[-1]} x {paths[-2]}")
        return None
    return values


def _version_matches(offered: str, wanted: str) -> bool:
    """A major ("16") or major.minor ("7.1") matches its patch releases ("16.4", "7.1.0")."""
    return offered == wanted or offered.startswith(f"{wanted}.")


def offering_problems(
    plan: Plan, rds: Any, opensearch: Any, elasticache: Any, region: str, findings: Findings
) -> None:
    """What a person types in an environment file, against what AWS offers in the region."""
    for db in plan.of_type("aws_db_instance"):
        known = _known(db, ("engine", "engine_version", "instance_class"), findings)
        if known is None:
            continue
        engine, version, instance_class = known
        if not (isinstance(engine, str) and isinstance(instance_class, str)):
            continue
        options = _pages(
            rds.describe_orderable_db_instance_options,
            "OrderableDBInstanceOptions",
            "Marker",
            Engine=engine,
            DBInstanceClass=instance_class,
            Vpc=True,
        )
        if not any(
            not isinstance(version, str) or _version_matches(o.get("EngineVersion", ""), version)
            for o in options
        ):
            findings.errors.append(
                f"{db.address}: RDS offers no {instance_class} for {engine} {version or ''} in "
                f"{region} (DescribeOrderableDBInstanceOptions): choose another instance_class "
                "or engine_version".replace("  ", " ")
            )
    for domain in plan.of_type("aws_opensearch_domain"):
        version, cluster = domain.get("engine_version"), domain.get("cluster_config.0")
        if not isinstance(version, str) or not isinstance(cluster, dict):  # or known after apply
            findings.unchecked.append(f"{domain.address} instance types x engine_version")
            continue
        wanted = {cluster.get("instance_type")}
        if cluster.get("dedicated_master_enabled"):
            wanted.add(cluster.get("dedicated_master_type"))
        if cluster.get("warm_enabled"):
            wanted.add(cluster.get("warm_type"))
        for instance_type in sorted(t for t in wanted if isinstance(t, str)):
            details = _pages(
                opensearch.list_instance_type_details,
                "InstanceTypeDetails",
                "NextToken",
                EngineVersion=version,
                InstanceType=instance_type,
            )
            if not any(d.get("InstanceType") == instance_type for d in details):
                findings.errors.append(
                    f"{domain.address}: OpenSearch Service offers no {instance_type} for "
                    f"{version} in {region} (ListInstanceTypeDetails): choose another "
                    "instance type or engine_version"
                )
    for group in plan.of_type("aws_elasticache_replication_group"):
        known = _known(group, ("engine", "engine_version", "node_type"), findings)
        if known is None:
            continue
        engine, version, node_type = known
        engine = engine if isinstance(engine, str) else "redis"
        if isinstance(version, str):
            offered = _pages(
                elasticache.describe_cache_engine_versions,
                "CacheEngineVersions",
                "Marker",
                Engine=engine,
            )
            if not any(_version_matches(v.get("EngineVersion", ""), version) for v in offered):
                findings.errors.append(
                    f"{group.address}: ElastiCache offers no {engine} {version} in {region} "
                    "(DescribeCacheEngineVersions): choose an offered engine_version"
                )
        if isinstance(node_type, str):
            # No API lists node types per engine; a type with no reserved-node offering in the
            # region is not offered there (the API lists every node type it sells).
            offerings = _pages(
                elasticache.describe_reserved_cache_nodes_offerings,
                "ReservedCacheNodesOfferings",
                "Marker",
                CacheNodeType=node_type,
            )
            if next(iter(offerings), None) is None:
                findings.errors.append(
                    f"{group.address}: ElastiCache offers no {node_type} nodes in {region} "
                    "(DescribeReservedCacheNodesOfferings): choose another node_type"
                )


def validate_plan(
    plan_json: Path, client: Callable[[str, str], Any], *, echo: Callable[[str], None] = print
) -> Findings:
    """AWS's validators over a real plan (``client(region, service)`` gives a boto3 client;
    the region is the plan's aws_region): every error on its own line, then one StageFailed;
    the warnings are returned for the plan's summary."""
    plan = Plan.load(plan_json)
    region = str(plan.variables.get("aws_region") or "")
    findings = Findings()
    pipeline_problems(plan, client(region, "osis"), findings)
    policy_findings(plan, client(region, "accessanalyzer"), findings)
    offering_problems(
        plan,
        client(region, "rds"),
        client(region, "opensearch"),
        client(region, "elasticache"),
        region,
        findings,
    )
    for error in findings.errors:
        echo(f"pre-flight: {error}")
    for warning in findings.warnings:
        echo(f"pre-flight: warning: {warning}")
    if findings.errors:
        raise StageFailed(
            f"AWS's validators refused {len(findings.errors)} thing(s) in this plan (lines "
            "above); nothing was published"
        )
    echo(
        f"pre-flight: AWS's validators accept the plan ({len(findings.warnings)} warning(s), "
        f"{len(findings.unchecked)} value(s) known only after apply)"
    )
    return findings
