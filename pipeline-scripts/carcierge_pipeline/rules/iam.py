"""IAM policy documents the project writes inline: least privilege where the document is known.

checkov cannot read most of them in an environment's plan: 19 of 20 inline policies are known
only after apply (they name ARNs of resources created in the same apply), and the security gate
counts an unknown value as set (review 2026-12-07 L5). This rule reads every policy document
of the plan; an unknown one is listed as unchecked (never passed), and the same documents are
checked where they are known: a module planned alone with placeholder ARNs, and the rehearsal's
second plan, after its apply (tests/package/test_rehearsal.py).

What it refuses, from the IAM User Guide, "Security best practices in IAM" ("Apply
least-privilege permissions") and "IAM JSON policy elements" (NotAction, NotResource,
Principal, Condition), read 2026-12-07:

- in an identity policy (a role's, user's or group's, or a managed policy), an ``Allow`` of every
  action (``*``) or of a whole service (``<service>:*``) on every resource (``*``); in a
  resource policy ``Resource: "*"`` means the resource itself (a KMS key policy's root
  statement is AWS's default key policy), so there only the principal is checked;
- an ``Allow`` written with ``NotAction`` or ``NotResource`` (it allows whatever is not listed,
  including actions and resources that do not exist yet);
- ``iam:PassRole`` allowed on every role (the IAM User Guide, "Granting a user permissions to
  pass a role to an AWS service": name the roles);
- a resource or trust policy that allows every principal (``"*"`` or ``{"AWS": "*"}``) without
  a ``Condition``;
- a document whose ``Version`` is not ``2012-10-17``.

A value that is not a JSON document (the rehearsal's emulator answers an unset policy with a
placeholder) is listed as unchecked, like an unknown one: AWS itself refuses a malformed
document at apply.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from carcierge_pipeline.planmodel import UNKNOWN, Plan
from carcierge_pipeline.rules import Rule, Unknown, Violation

SOURCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"
ELEMENTS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html"
READ = "2026-12-07"

# Identity policies: what their principal may do anywhere.
IDENTITY = {"aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"}
# Resource type => its attributes that hold a policy document.
DOCUMENTS = {
    "aws_iam_role_policy": ("policy",),
    "aws_iam_policy": ("policy",),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_group_policy": ("policy",),
    "aws_iam_role": ("assume_role_policy",),
    "aws_s3_bucket_policy": ("policy",),
    "aws_sqs_queue_policy": ("policy",),
    "aws_sns_topic_policy": ("policy",),
    "aws_kms_key": ("policy",),
    "aws_backup_vault_policy": ("policy",),
    "aws_opensearch_domain_policy": ("access_policies",),
    "aws_cloudwatch_log_resource_policy": ("policy_document",),
}
# Not aws_vpc_endpoint: where the configuration sets no policy, AWS's default full-access policy
# comes back after apply (modules/vpc's S3 gateway endpoint), which this rule would refuse in
# every plan after the first apply.


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _every_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _list(principal.get("AWS"))


def statement_problems(
    statement: dict[str, Any], identity: bool = True
) -> Iterator[tuple[str, str]]:
    """(message, source) for each way an Allow statement is broader than least privilege;
    ``identity``: the statement is of an identity policy (else a resource or trust policy)."""
    if statement.get("Effect") != "Allow":
        return
    for element in ("NotAction", "NotResource"):
        if element in statement:
            yield (
                f"an Allow with {element} allows whatever it does not list; name the actions "
                "and resources instead",
                ELEMENTS,
            )
    actions = [str(a) for a in _list(statement.get("Action", []))]
    resources = [str(r) for r in _list(statement.get("Resource", []))]
    everywhere = "*" in resources
    broad = [a for a in actions if a == "*" or a.endswith(":*")]
    if identity and broad and everywhere:
        yield f"allows {', '.join(broad)} on every resource", SOURCE
    passes = any(a.lower() == "iam:passrole" for a in actions)
    if identity and everywhere and passes and not statement.get("Condition"):
        yield "allows iam:PassRole on every role: name the roles it may pass", SOURCE
    if _every_principal(statement.get("Principal")) and not statement.get("Condition"):
        yield "allows every principal without a Condition", ELEMENTS


def parse(text: Any) -> dict[str, Any] | None:
    """The policy document, or None if ``text`` is not one."""
    try:
        document = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def document_problems(document: dict[str, Any], identity: bool = True) -> Iterator[tuple[str, str]]:
    if document.get("Version") != "2012-10-17":
        yield "Version must be 2012-10-17 (the current policy language)", ELEMENTS
    for statement in _list(document.get("Statement", [])):
        if isinstance(statement, dict):
            yield from statement_problems(statement, identity)


def check(plan: Plan) -> Iterator[Violation | Unknown]:
    for resource_type, attributes in DOCUMENTS.items():
        for resource in plan.of_type(resource_type):
            for attribute in attributes:
                text = resource.get(attribute)
                if text is UNKNOWN:
                    yield Unknown(resource.address, attribute)
                    continue
                if text in (None, ""):
                    continue
                document = parse(text)
                if document is None:
                    yield Unknown(resource.address, f"{attribute} (not a JSON document)")
                    continue
                identity = resource_type in IDENTITY
                for message, source in document_problems(document, identity):
                    yield Violation(resource.address, text, f"{attribute}: {message}", source)


RULE = Rule(
    "aws-iam-least-privilege",
    "IAM policy documents allow named actions on named resources to named principals",
    SOURCE,
    check,
    READ,
)
