"""Lock inspection: who holds an environment's state lock, in the DynamoDB table and in the S3
backend's lockfile, and the exact commands that release it."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carcierge_pipeline.backend import (
    backend_settings,
)
from carcierge_pipeline.environments import require_environment
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.state.aws import AwsClients, aws_errors, error_code

# What the package publishes (state/__init__.py re-exports it).
__all__ = [
    "DIGEST_SUFFIX",
    "LOCKFILE_SUFFIX",
    "LOCK_FIELDS",
    "LockHolder",
    "LockStatus",
    "lock_status",
    "render_lock_status",
]

LOCKFILE_SUFFIX = ".tflock"  # the S3 backend's native lockfile: <key>.tflock
DIGEST_SUFFIX = "-md5"  # the S3 backend's state digest item in DynamoDB: <bucket>/<key>-md5
# --- lock inspection --------------------------------------------------------------------------

LOCK_FIELDS = ("ID", "Operation", "Who", "Version", "Created", "Path", "Info")


@dataclass(frozen=True)
class LockHolder:
    source: str  # "dynamodb" or "s3 lockfile"
    location: str
    info: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.info.get("ID", ""))


@dataclass
class LockStatus:
    environment: str
    settings: dict[str, str]
    holders: list[LockHolder]
    digest: str | None

    @property
    def held(self) -> bool:
        return bool(self.holders)

    @property
    def lock_ids(self) -> list[str]:
        return list(dict.fromkeys(holder.id for holder in self.holders if holder.id))

    def init_command(self) -> str:
        configs = " ".join(
            shlex.quote(f"-backend-config={k}={v}") for k, v in self.settings.items()
        )
        return f"terraform init -reconfigure -input=false {configs}"

    def unlock_commands(self) -> list[str]:
        """Commands an operator pastes into a shell: the lock id comes from whoever wrote the
        lock, so it is quoted, never run as shell syntax (review 2026-12-07 L7)."""
        return [f"terraform force-unlock {shlex.quote(lock_id)}" for lock_id in self.lock_ids]


def _parse_info(raw: str | bytes, where: str) -> dict[str, Any]:
    try:
        info = json.loads(raw)
    except (ValueError, TypeError):
        return {"ID": "", "Info": f"unreadable lock info at {where}"}
    return info if isinstance(info, dict) else {"ID": "", "Info": f"unexpected lock info {info!r}"}


def lock_status(
    environment: str,
    *,
    environ: Mapping[str, str] = os.environ,
    endpoint_url: str | None = None,
    clients: AwsClients | None = None,
    echo: Callable[[str], None] | None = print,
) -> LockStatus:
    """Who holds the ``environment`` state lock, in DynamoDB and in the S3 lockfile."""
    from botocore.exceptions import ClientError

    require_environment(environment)
    settings = backend_settings(environment, environ)
    bucket, key, table = settings["bucket"], settings["key"], settings["dynamodb_table"]
    aws = clients or AwsClients(settings["region"], endpoint_url)
    lock_path = f"{bucket}/{key}"
    holders: list[LockHolder] = []

    with aws_errors(f"reading lock {lock_path} from table {table}"):
        try:
            item = aws.dynamodb.get_item(
                TableName=table, Key={"LockID": {"S": lock_path}}, ConsistentRead=True
            ).get("Item")
            digest_item = aws.dynamodb.get_item(
                TableName=table,
                Key={"LockID": {"S": lock_path + DIGEST_SUFFIX}},
                ConsistentRead=True,
            ).get("Item")
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise UserError(
                    f"lock table {table} not found in {settings['region']}: create it with "
                    "`carcierge state bootstrap` or set TF_LOCK_TABLE"
                ) from error
            raise
    if item and "Info" in item:
        where = f"table {table}, LockID {lock_path}"
        holders.append(LockHolder("dynamodb", where, _parse_info(item["Info"]["S"], where)))
    digest = (digest_item or {}).get("Digest", {}).get("S")

    lockfile = key + LOCKFILE_SUFFIX
    with aws_errors(f"reading lockfile s3://{bucket}/{lockfile}"):
        try:
            body = aws.s3.get_object(Bucket=bucket, Key=lockfile)["Body"].read()
        except ClientError as error:
            if error_code(error) == "NoSuchBucket":
                raise UserError(
                    f"state bucket {bucket} not found in {settings['region']}: create it with "
                    "`carcierge state bootstrap` or set TF_STATE_BUCKET"
                ) from error
            if error_code(error) not in ("NoSuchKey", "404"):
                raise
            body = None
    if body:
        where = f"s3://{bucket}/{lockfile}"
        holders.append(LockHolder("s3 lockfile", where, _parse_info(body, where)))

    status = LockStatus(environment, settings, holders, digest)
    if echo:
        for line in render_lock_status(status):
            echo(line)
    return status


def render_lock_status(status: LockStatus) -> list[str]:
    settings = status.settings
    lines = [
        f"{status.environment} state: s3://{settings['bucket']}/{settings['key']} "
        f"({settings['region']}); locks: DynamoDB table {settings['dynamodb_table']} and "
        f"S3 lockfile {settings['key']}{LOCKFILE_SUFFIX}"
    ]
    if not status.held:
        lines.append(f"no lock held on the {status.environment} state")
    for holder in status.holders:
        lines.append(f"held in {holder.source} ({holder.location}):")
        for name in LOCK_FIELDS:
            if holder.info.get(name):
                lines.append(f"  {name + ':':<10} {holder.info[name]}")
    if status.digest:
        lines.append(f"state digest (md5, {DIGEST_SUFFIX} item): {status.digest}")
    if status.held:
        lines.append(
            "to release it, only once the holder (Who/Created above) is surely no longer "
            "running, from the project root:"
        )
        lines.append(f"  {status.init_command()}")
        lines.extend(f"  {command}" for command in status.unlock_commands())
        sources = {holder.source for holder in status.holders}
        if len(sources) == 1:
            lines.append(
                f"  (only the {next(iter(sources))} holds it: force-unlock releases it and "
                "reports the other lock as missing; that error is expected)"
            )
    return lines
