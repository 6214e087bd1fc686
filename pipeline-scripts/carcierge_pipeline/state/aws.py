"""AWS access shared by the state bootstrap, the OIDC bootstrap and lock inspection: boto3
clients for one region (or an emulator such as moto), AWS errors as one readable line, the
partition of a region, and the vocabulary of idempotent set-up: an Item per setting with what a
run did to it, and the essentials two policy statements are compared by."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from carcierge_pipeline.errors import UserError

# What the package publishes (state/__init__.py re-exports it).
__all__ = [
    "CREATED",
    "UNCHANGED",
    "UPDATED",
    "AwsClients",
    "Item",
    "aws_errors",
    "error_code",
    "partition_of",
    "statement_essentials",
]

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


# --- clients and errors ------------------------------------------------------------------------


class _Client:
    """An attribute of AwsClients: the client of the service it is named after, made once."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.service = name

    def __get__(self, clients: AwsClients | None, owner: type | None = None) -> Any:
        return self if clients is None else clients._client(self.service)


class AwsClients:
    """boto3 clients for one region; ``endpoint_url`` (or boto3's own $AWS_ENDPOINT_URL)
    points them at a stand-in such as moto."""

    def __init__(self, region: str, endpoint_url: str | None = None, session: Any = None) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self.session = session  # a boto3 Session; default: a new one from the environment
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                # A custom endpoint (moto, a VPC endpoint URL) has no per-bucket DNS names.
                s3={"addressing_style": "path" if self._custom_endpoint() else "auto"},
            )
            with aws_errors(f"setting up the {service} client"):
                session = self.session or boto3.session.Session()
                self._clients[service] = session.client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=config,
                )
        return self._clients[service]

    def _custom_endpoint(self) -> bool:
        return bool(
            self.endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL")
            or os.environ.get("AWS_ENDPOINT_URL_S3")
        )

    # The clients the set-up commands, the doctor and the pre-flight use by name.
    s3 = _Client()
    dynamodb = _Client()
    kms = _Client()
    iam = _Client()
    sts = _Client()
    rds = _Client()
    acm = _Client()
    ecr = _Client()
    ecs = _Client()

    def client(self, service: str) -> Any:
        """A client of any other service (the pre-flight's validators: osis, accessanalyzer,
        opensearch, elasticache)."""
        return self._client(service)

    def in_region(self, region: str) -> AwsClients:
        """Clients of another region, with the same endpoint and session."""
        return AwsClients(region, self.endpoint_url, self.session)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore failures into one-line :class:`UserError`s naming what was being done."""
    from botocore import exceptions as bx

    try:
        yield
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as error:
        raise UserError(
            f"no AWS credentials while {action}: configure a profile (AWS_PROFILE) or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; state commands talk to real AWS"
        ) from error
    except bx.NoRegionError as error:
        raise UserError(f"no AWS region while {action}: set BACKEND_REGION") from error
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as error:
        raise UserError(f"cannot reach AWS while {action}: {_one_line(error)}") from error
    except bx.ClientError as error:
        detail = error.response.get("Error", {})
        message = detail.get("Message") or error_code(error) or "request failed"
        raise UserError(
            f"AWS refused {action}: {error_code(error)}: {_one_line(message)}"
        ) from error
    except bx.BotoCoreError as error:
        raise UserError(f"AWS error while {action}: {_one_line(error)}") from error


# --- idempotent set-up ---------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One bootstrapped setting and what this run did to it."""

    name: str
    status: str  # created | updated | unchanged
    detail: str


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def as_sorted_list(value: Any) -> list[Any]:
    return sorted(value) if isinstance(value, list) else [value]


def statement_essentials(statement: Mapping[str, Any]) -> tuple[Any, ...]:
    principal = statement.get("Principal")
    if principal == "*":
        principal = {"AWS": "*"}
    if isinstance(principal, dict):
        principal = {k: as_sorted_list(v) for k, v in principal.items()}
    return (
        statement.get("Effect"),
        json.dumps(principal, sort_keys=True),
        as_sorted_list(statement.get("Action")),
        as_sorted_list(statement.get("Resource")),
        json.dumps(statement.get("Condition"), sort_keys=True),
    )
