"""AWS's own validators in real mode (issue 24, item 3), each answered by botocore's Stubber
with AWS's documented response shapes, AWS's refusal included: nothing here reaches AWS."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from carcierge_pipeline import preflight
from carcierge_pipeline.errors import StageFailed

REGION = "us-west-1"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "osis-pipelines.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
IDENTITY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)
BODY = 'version: "2"\nlogs:\n  source:\n    s3: {}\n'


def _change(address: str, kind: str, after: dict, unknown: dict | None = None) -> dict:
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": address.split(".")[-1],
        "change": {"actions": ["create"], "after": after, "after_unknown": unknown or {}},
    }


def _plan(tmp_path: Path, *changes: dict) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps({"variables": {"aws_region": {"value": REGION}}, "resource_changes": changes})
    )
    return path


def _clients() -> dict[str, object]:
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x")
    return {
        service: session.client(service, region_name=REGION)
        for service in ("osis", "accessanalyzer", "rds", "opensearch", "elasticache")
    }


@pytest.fixture
def aws():
    """boto3 clients with a Stubber each, every stubbed call used by the end of the test."""
    clients = _clients()
    stubs = {service: Stubber(client) for service, client in clients.items()}
    for stub in stubs.values():
        stub.activate()
    yield clients, stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()


def _validate(path: Path, clients: dict[str, object], said: list[str]):
    def client(region: str, service: str) -> object:
        assert region == REGION  # the plan's aws_region
        return clients[service]

    return preflight.validate_plan(path, client, echo=said.append)


# --- osis:ValidatePipeline ----------------------------------------------------------------


def test_a_pipeline_body_osis_refuses_fails_the_plan(tmp_path, aws):
    clients, stubs = aws
    stubs["osis"].add_response(
        "validate_pipeline",
        {
            "isValid": False,
            "Errors": [{"Message": "Only one source is allowed per pipeline definition"}],
        },
        {"PipelineConfigurationBody": BODY},
    )
    path = _plan(
        tmp_path,
        _change(
            'module.log_delivery[0].aws_osis_pipeline.this["logs"]',
            "aws_osis_pipeline",
            {"pipeline_configuration_body": BODY},
        ),
    )
    said: list[str] = []
    with pytest.raises(StageFailed, match=r"refused 1 thing\(s\)"):
        _validate(path, clients, said)
    assert said == [
        'pre-flight: module.log_delivery[0].aws_osis_pipeline.this["logs"]: OpenSearch '
        "Ingestion refuses the pipeline body: Only one source is allowed per pipeline definition"
    ]


def test_a_validation_exception_is_a_refusal_too(tmp_path, aws):
    clients, stubs = aws
    stubs["osis"].add_client_error(
        "validate_pipeline", "ValidationException", "Invalid YAML at line 3"
    )
    path = _plan(
        tmp_path,
        _change("aws_osis_pipeline.p", "aws_osis_pipeline", {"pipeline_configuration_body": BODY}),
    )
    with pytest.raises(StageFailed):
        _validate(path, clients, said := list[str]())
    assert said == [
        "pre-flight: aws_osis_pipeline.p: OpenSearch Ingestion refuses the pipeline body: "
        "Invalid YAML at line 3"
    ]


def test_access_denied_is_not_a_verdict_on_the_plan(tmp_path, aws):
    """A missing permission is the pipeline's problem, not the plan's: it propagates (the CLI
    turns it into one line naming the action, state.aws_errors)."""
    clients, stubs = aws
    stubs["osis"].add_client_error("validate_pipeline", "AccessDeniedException", "not allowed")
    path = _plan(
        tmp_path,
        _change("aws_osis_pipeline.p", "aws_osis_pipeline", {"pipeline_configuration_body": BODY}),
    )
    with pytest.raises(Exception, match="AccessDeniedException"):
        _validate(path, clients, [])


def test_a_body_known_only_after_apply_is_listed_unchecked(tmp_path, aws):
    clients, _ = aws
    path = _plan(
        tmp_path,
        _change(
            "aws_osis_pipeline.p",
            "aws_osis_pipeline",
            {},
            {"pipeline_configuration_body": True},
        ),
    )
    findings = _validate(path, clients, said := list[str]())
    assert findings.unchecked == ["aws_osis_pipeline.p pipeline_configuration_body"]
    assert said[-1].startswith("pre-flight: AWS's validators accept the plan (0 warning(s), 1 ")


# --- access-analyzer:ValidatePolicy -------------------------------------------------------


def _finding(kind: str, code: str, details: str) -> dict:
    """An IAM Access Analyzer finding as ValidatePolicy returns it."""
    return {
        "findingDetails": details,
        "findingType": kind,
        "issueCode": code,
        "learnMoreLink": "https://docs.aws.amazon.com/",
        "locations": [],
    }


def test_policy_errors_refuse_and_security_warnings_are_listed(tmp_path, aws):
    clients, stubs = aws
    stubs["accessanalyzer"].add_response(
        "validate_policy",
        {
            "findings": [
                _finding("ERROR", "INVALID_ACTION", "The action s3:GetObjekt does not exist.")
            ]
        },
        {"policyDocument": IDENTITY, "policyType": "IDENTITY_POLICY"},
    )
    stubs["accessanalyzer"].add_response(
        "validate_policy",
        {
            "findings": [
                _finding(
                    "SECURITY_WARNING",
                    "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                    "Using a wildcard in the principal is overly permissive.",
                ),
                _finding("SUGGESTION", "EMPTY_ARRAY_CONDITION", "Add a condition."),
            ]
        },
        {
            "policyDocument": TRUST,
            "policyType": "RESOURCE_POLICY",
            "validatePolicyResourceType": "AWS::IAM::AssumeRolePolicyDocument",
        },
    )
    path = _plan(
        tmp_path,
        _change("aws_iam_role_policy.a", "aws_iam_role_policy", {"policy": IDENTITY}),
        # The same document twice is asked once.
        _change("aws_iam_role_policy.b", "aws_iam_role_policy", {"policy": IDENTITY}),
        _change("aws_iam_role.r", "aws_iam_role", {"assume_role_policy": TRUST}),
    )
    said: list[str] = []
    with pytest.raises(StageFailed, match=r"refused 2 thing\(s\)"):
        _validate(path, clients, said)
    assert said == [
        "pre-flight: IAM Access Analyzer: aws_iam_role_policy.a policy: ERROR INVALID_ACTION: "
        "The action s3:GetObjekt does not exist.",
        "pre-flight: IAM Access Analyzer: aws_iam_role_policy.b policy: ERROR INVALID_ACTION: "
        "The action s3:GetObjekt does not exist.",
        "pre-flight: warning: aws_iam_role.r assume_role_policy: SECURITY_WARNING "
        "PASS_ROLE_WITH_STAR_IN_RESOURCE: Using a wildcard in the principal is overly "
        "permissive.",
    ]


def test_clean_policies_pass_and_warnings_reach_the_summary(tmp_path, aws):
    clients, stubs = aws
    stubs["accessanalyzer"].add_response(
        "validate_policy",
        {
            "findings": [_finding("WARNING", "REDUNDANT_STATEMENT", "Redundant statement.")],
            "nextToken": "page-2",
        },
        {"policyDocument": IDENTITY, "policyType": "IDENTITY_POLICY"},
    )
    stubs["accessanalyzer"].add_response(
        "validate_policy",
        {"findings": []},
        {"policyDocument": IDENTITY, "policyType": "IDENTITY_POLICY", "nextToken": "page-2"},
    )
    path = _plan(tmp_path, _change("aws_iam_policy.p", "aws_iam_policy", {"policy": IDENTITY}))
    findings = _validate(path, clients, said := list[str]())
    assert findings.errors == []
    assert findings.warnings == [
        "aws_iam_policy.p policy: WARNING REDUNDANT_STATEMENT: Redundant statement."
    ]
    assert "## AWS validators" in findings.markdown()
    assert "- aws_iam_policy.p policy: WARNING" in findings.markdown()
    assert said[-1].startswith("pre-flight: AWS's validators accept the plan (1 warning(s)")


# --- offerings of the region --------------------------------------------------------------


def _data_stores(instance_class="db.t4g.micro", os_type="t3.small.search", node="cache.t4g.micro"):
    return (
        _change(
            "module.rds.aws_db_instance.this",
            "aws_db_instance",
            {"engine": "postgres", "engine_version": "16", "instance_class": instance_class},
        ),
        _change(
            "module.opensearch.aws_opensearch_domain.this",
            "aws_opensearch_domain",
            {
                "engine_version": "OpenSearch_2.19",
                "cluster_config": [{"instance_type": os_type, "dedicated_master_enabled": False}],
            },
        ),
        _change(
            "module.elasticache.aws_elasticache_replication_group.this",
            "aws_elasticache_replication_group",
            {"engine": "redis", "engine_version": "7.1", "node_type": node},
        ),
    )


def _offerings(stubs, *, rds_versions, os_types, cache_versions, node_offerings):
    stubs["rds"].add_response(
        "describe_orderable_db_instance_options",
        {"OrderableDBInstanceOptions": [{"EngineVersion": v} for v in rds_versions]},
        {"Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "Vpc": True},
    )
    stubs["opensearch"].add_response(
        "list_instance_type_details",
        {"InstanceTypeDetails": [{"InstanceType": t} for t in os_types]},
        {"EngineVersion": "OpenSearch_2.19", "InstanceType": "t3.small.search"},
    )
    stubs["elasticache"].add_response(
        "describe_cache_engine_versions",
        {"CacheEngineVersions": [{"Engine": "redis", "EngineVersion": v} for v in cache_versions]},
        {"Engine": "redis"},
    )
    stubs["elasticache"].add_response(
        "describe_reserved_cache_nodes_offerings",
        {
            "ReservedCacheNodesOfferings": [
                {"CacheNodeType": "cache.t4g.micro", "ProductDescription": "redis"}
            ][:node_offerings]
        },
        {"CacheNodeType": "cache.t4g.micro"},
    )


def test_offered_data_stores_pass(tmp_path, aws):
    clients, stubs = aws
    _offerings(
        stubs,
        rds_versions=["15.10", "16.4"],  # a major matches its minors
        os_types=["t3.small.search"],
        cache_versions=["6.2.6", "7.1"],
        node_offerings=1,
    )
    findings = _validate(_plan(tmp_path, *_data_stores()), clients, [])
    assert findings.errors == [] and findings.unchecked == []


def test_what_the_region_does_not_offer_is_refused(tmp_path, aws):
    clients, stubs = aws
    _offerings(
        stubs, rds_versions=["15.10"], os_types=[], cache_versions=["6.2.6"], node_offerings=0
    )
    said: list[str] = []
    with pytest.raises(StageFailed, match=r"refused 4 thing\(s\)"):
        _validate(_plan(tmp_path, *_data_stores()), clients, said)
    assert said == [
        "pre-flight: module.rds.aws_db_instance.this: RDS offers no db.t4g.micro for postgres "
        "16 in us-west-1 (DescribeOrderableDBInstanceOptions): choose another instance_class "
        "or engine_version",
        "pre-flight: module.opensearch.aws_opensearch_domain.this: OpenSearch Service offers no "
        "t3.small.search for OpenSearch_2.19 in us-west-1 (ListInstanceTypeDetails): choose "
        "another instance type or engine_version",
        "pre-flight: module.elasticache.aws_elasticache_replication_group.this: ElastiCache "
        "offers no redis 7.1 in us-west-1 (DescribeCacheEngineVersions): choose an offered "
        "engine_version",
        "pre-flight: module.elasticache.aws_elasticache_replication_group.this: ElastiCache "
        "offers no cache.t4g.micro nodes in us-west-1 (DescribeReservedCacheNodesOfferings): "
        "choose another node_type",
    ]


def test_data_stores_known_only_after_apply_are_listed_unchecked(tmp_path, aws):
    clients, _ = aws  # nothing stubbed: a call to AWS would fail the test
    unknown = [
        _change(c["address"], c["type"], {}, dict.fromkeys(c["change"]["after"], True))
        for c in _data_stores()
    ]
    findings = _validate(_plan(tmp_path, *unknown), clients, [])
    assert findings.errors == []
    assert findings.unchecked == [
        "module.rds.aws_db_instance.this instance_class x engine_version",
        "module.opensearch.aws_opensearch_domain.this instance types x engine_version",
        "module.elasticache.aws_elasticache_replication_group.this node_type x engine_version",
    ]


def test_the_actions_called_are_the_declared_ones():
    """PREFLIGHT_ACTIONS is what the plan and deploy roles grant for the pre-flight: each
    operation this module calls, in IAM's spelling, and nothing more."""
    source = Path(preflight.__file__).read_text()
    called = {
        "iam:ListRoles": "list_roles",
        "rds:DescribeSourceRegions": "describe_source_regions",
        "osis:ValidatePipeline": "validate_pipeline",
        "access-analyzer:ValidatePolicy": "validate_policy",
        "rds:DescribeOrderableDBInstanceOptions": "describe_orderable_db_instance_options",
        "es:ListInstanceTypeDetails": "list_instance_type_details",
        "elasticache:DescribeCacheEngineVersions": "describe_cache_engine_versions",
        "elasticache:DescribeReservedCacheNodesOfferings": (
            "describe_reserved_cache_nodes_offerings"
        ),
    }
    assert set(preflight.PREFLIGHT_ACTIONS) == set(called)
    for method in called.values():
        assert f".{method}" in source, method


# --- the plan stage runs them after the rules gate, before anything is published ----------


@pytest.mark.terraform  # runs the CLI, make or Terraform: not in the fast tier
def test_the_plan_stage_refuses_what_the_validators_refuse_and_publishes_nothing(tmp_path):
    from support import FIXTURES, OFFLINE

    from carcierge_pipeline.project import Project
    from carcierge_pipeline.stages.plan import run_plan

    root = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny-project", root)
    tiny = Project(root)
    seen: list[Path] = []

    def refuse(plan_json: Path) -> str:
        seen.append(plan_json)
        assert plan_json.is_file()  # after the plan and the rules gate
        raise StageFailed("AWS's validators refused 1 thing(s) in this plan")

    with pytest.raises(StageFailed, match="refused 1 thing"):
        run_plan(tiny, "staging", OFFLINE, echo=lambda _: None, environ={}, aws_validators=refuse)
    # Only Terraform's output log stays, to read why (docs/output-and-errors.md).
    built = sorted(p.name for p in tiny.build_dir("staging").iterdir())
    assert seen and built == ["terraform-output.log"]

    def warn(plan_json: Path) -> str:
        return "\n## AWS validators (real-mode pre-flight)\n\n- a warning\n"

    files = run_plan(tiny, "staging", OFFLINE, echo=lambda _: None, environ={}, aws_validators=warn)
    assert files.summary.read_text().endswith("- a warning\n")
    assert files.binary.is_file() and files.meta.is_file()
