"""The services' PostgreSQL roles (`carcierge db roles`): one LOGIN role per service, signing in
with IAM database authentication tokens, created after apply as the master user.

Per service, idempotently:

- the role (from the Terraform output ``database_roles``: ``svc_<key>``) with LOGIN and none of
  SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS; attributes that drifted are reset;
- membership in ``rds_iam``: RDS then accepts only IAM tokens for it, never a password; and in
  no other role: a membership found (``rds_superuser``, ``pg_write_all_data``, another service's
  role…) is revoked, as it would lend the service that role's privileges (review 2026-12-07 L9);
- CONNECT on the database;
- a schema of the same name, owned by the master user, with USAGE and CREATE for the role only.
  PostgreSQL's default ``search_path`` (``"$user", public``) finds it without configuration;
  the service owns what it creates there, and no other service can see into it. The schema is
  not owned by the role so that the service cannot grant access to it or drop it.

Roles that this command created for this database (marked by their comment) whose service is
gone are reported, never dropped or changed: their data stays, and without their IAM policy
they cannot sign in.
Every statement is composed with ``psycopg.sql``; identifiers are never formatted into text.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carcierge_pipeline.errors import UserError

MARKER = "carcierge service role of database {}: managed by `carcierge db roles`"
IAM_ROLE = "rds_iam"
# Attributes a service role must not have (pg_roles column => keyword that clears it).
FORBIDDEN_ATTRIBUTES = {
    "rolsuper": "NOSUPERUSER",
    "rolcreatedb": "NOCREATEDB",
    "rolcreaterole": "NOCREATEROLE",
    "rolreplication": "NOREPLICATION",
    "rolbypassrls": "NOBYPASSRLS",
}
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass
class RolesReport:
    changes: list[str] = field(default_factory=list)  # what this run changed, in order
    stale: list[str] = field(default_factory=list)  # marked roles of services no longer listed
    refused: list[str] = field(default_factory=list)  # memberships the master cannot revoke

    def lines(self) -> list[str]:
        out = list(self.changes) or ["no changes"]
        out += [
            f"stale: role {role} belongs to no service any more (kept with its data; drop it "
            "by hand once its schema is no longer needed)"
            for role in self.stale
        ]
        return out


def validate_roles(roles: Mapping[str, str]) -> dict[str, str]:
    """Service => role, checked: lowercase PostgreSQL identifiers, unique, not reserved."""
    if not roles:
        raise UserError("no service roles given")
    for service, role in roles.items():
        if not isinstance(role, str) or not _IDENTIFIER.match(role):
            raise UserError(f"role of service {service!r} is not a lowercase identifier: {role!r}")
        if role.startswith(("pg_", "rds")) or role in ("public", "postgres"):
            raise UserError(f"role of service {service!r} is reserved: {role!r}")
    if len(set(roles.values())) != len(roles):
        raise UserError("two services share a database role")
    return dict(roles)


def sync_roles(conn: Any, roles: Mapping[str, str]) -> RolesReport:
    """Bring the services' roles, grants and schemas to the wanted state on ``conn`` (a psycopg
    connection as the master user, to the services' database). Commits once at the end."""
    import psycopg
    from psycopg import sql

    roles = validate_roles(roles)
    report = RolesReport()
    database = conn.execute("SELECT current_database()").fetchone()[0]
    admin = conn.execute("SELECT current_user").fetchone()[0]
    marker = MARKER.format(database)
    if admin in roles.values():
        raise UserError(f"connected as {admin}, a service role: connect as the master user")
    if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [IAM_ROLE]).fetchone():
        raise UserError(f"role {IAM_ROLE} does not exist: is this an RDS for PostgreSQL instance?")

    def run(change: str, statement: sql.Composable) -> None:
        conn.execute(statement)
        report.changes.append(change)

    for service, role in sorted(roles.items()):
        name = sql.Identifier(role)
        row = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication,"
            " rolbypassrls, shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s",
            [role],
        ).fetchone()
        if row is None:
            run(
                f"created role {role} (service {service})",
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                    " NOBYPASSRLS"
                ).format(name),
            )
            row = (True, False, False, False, False, False, None)
        can_login, *flags, comment = row
        wrong = [
            keyword
            for (column, keyword), value in zip(FORBIDDEN_ATTRIBUTES.items(), flags, strict=True)
            if value
        ]
        if not can_login:
            wrong.insert(0, "LOGIN")
        if wrong:
            run(
                f"reset {role}: {' '.join(wrong)}",
                sql.SQL("ALTER ROLE {} {}").format(name, sql.SQL(" ".join(wrong))),
            )
        if comment != marker:
            run(
                f"marked {role} as a service role",
                sql.SQL("COMMENT ON ROLE {} IS {}").format(name, sql.Literal(marker)),
            )
        member = conn.execute(
            "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
            " JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = %s AND u.rolname = %s",
            [IAM_ROLE, role],
        ).fetchone()
        if not member:
            run(
                f"granted {IAM_ROLE} to {role}",
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(IAM_ROLE), name),
            )
        undeclared = conn.execute(
            "SELECT r.rolname, pg_get_userbyid(m.grantor) FROM pg_auth_members m"
            " JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member"
            " WHERE u.rolname = %s AND r.rolname <> %s ORDER BY r.rolname",
            [role, IAM_ROLE],
        ).fetchall()
        for granted, grantor in undeclared:
            try:
                with conn.transaction():  # a savepoint: a refusal leaves the rest standing
                    conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted), name))
            except psycopg.Error as error:
                report.refused.append(
                    f"{role} is a member of {granted} (granted by {grantor}), which the master "
                    f"user cannot revoke: {' '.join(str(error).split())}"
                )
            else:
                report.changes.append(
                    f"revoked {granted} from {role} (a service role is a member of {IAM_ROLE} only)"
                )
        if not _granted(conn, "pg_database", "datname", "datacl", database, role, "CONNECT"):
            run(
                f"granted CONNECT on database {database} to {role}",
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(database), name
                ),
            )
        schema = conn.execute(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s", [role]
        ).fetchone()
        if schema is None:
            run(
                f"created schema {role}",
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(name, sql.Identifier(admin)),
            )
        for privilege in ("USAGE", "CREATE"):
            if not _granted(conn, "pg_namespace", "nspname", "nspacl", role, role, privilege):
                run(
                    f"granted {privilege} on schema {role} to {role}",
                    sql.SQL("GRANT {} ON SCHEMA {} TO {}").format(sql.SQL(privilege), name, name),
                )

    conn.commit()
    if report.refused:
        raise UserError(
            "undeclared role memberships left (revoke them as their grantor, then run again): "
            + "; ".join(report.refused)
        )
    report.stale = [
        stale
        for (stale,) in conn.execute(
            "SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') = %s"
            " ORDER BY rolname",
            [marker],
        ).fetchall()
        if stale not in roles.values()
    ]
    conn.commit()
    return report


def _granted(
    conn: Any, catalog: str, name_column: str, acl_column: str, obj: str, role: str, priv: str
) -> bool:
    """Whether ``role`` holds ``priv`` on ``obj`` by a grant of its own (not through PUBLIC)."""
    from psycopg import sql

    query = sql.SQL(
        "SELECT 1 FROM {catalog} c, aclexplode(c.{acl}) a JOIN pg_roles r ON r.oid = a.grantee"
        " WHERE c.{name} = %s AND r.rolname = %s AND a.privilege_type = %s"
    ).format(
        catalog=sql.Identifier(catalog),
        acl=sql.Identifier(acl_column),
        name=sql.Identifier(name_column),
    )
    return conn.execute(query, [obj, role, priv]).fetchone() is not None


# --- where it runs: settings from the environment of the one-off ECS task ------------------


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    database: str
    master_secret_arn: str
    roles: dict[str, str]
    sslrootcert: str


def settings_from_env(environment: str, env: Mapping[str, str] = os.environ) -> Settings:
    """Settings of the one-off task (docs/operations.md, "Database access"): DB_HOST, DB_PORT,
    DB_NAME, DB_MASTER_SECRET_ARN, DB_SERVICE_ROLES (JSON service => role, the `database_roles`
    output) and PGSSLROOTCERT (the RDS CA bundle). The host must be the environment's instance."""
    missing = [
        name
        for name in ("DB_HOST", "DB_NAME", "DB_MASTER_SECRET_ARN", "DB_SERVICE_ROLES")
        if not env.get(name)
    ]
    if missing:
        raise UserError(
            f"missing settings: {', '.join(missing)} (docs/operations.md, 'Database access')"
        )
    host = env["DB_HOST"]
    if not host.startswith(f"{environment}-carcierge-rds-postgres."):
        raise UserError(f"DB_HOST {host} is not the {environment} instance")
    try:
        roles = json.loads(env["DB_SERVICE_ROLES"])
    except json.JSONDecodeError as error:
        raise UserError(f"DB_SERVICE_ROLES is not JSON: {error}") from None
    if not isinstance(roles, dict):
        raise UserError("DB_SERVICE_ROLES must be a JSON object: service => role")
    return Settings(
        host=host,
        port=int(env.get("DB_PORT") or 5432),
        database=env["DB_NAME"],
        master_secret_arn=env["DB_MASTER_SECRET_ARN"],
        roles=validate_roles(roles),
        sslrootcert=env.get("PGSSLROOTCERT") or "/etc/ssl/certs/rds-global-bundle.pem",
    )


def master_credentials(secret_arn: str) -> tuple[str, str]:
    """Username and password of the RDS-managed master secret (its region is the ARN's)."""
    import boto3

    client = boto3.client("secretsmanager", region_name=secret_arn.split(":")[3])
    value = json.loads(client.get_secret_value(SecretId=secret_arn)["SecretString"])
    return value["username"], value["password"]


def connect_master(settings: Settings, credentials: Callable[[str], tuple[str, str]]) -> Any:
    """A connection as the master user over TLS, the server verified against the RDS CA."""
    import psycopg

    if not os.path.isfile(settings.sslrootcert):
        raise UserError(
            f"RDS CA bundle not found at {settings.sslrootcert} (set PGSSLROOTCERT): "
            "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
        )
    user, password = credentials(settings.master_secret_arn)
    return psycopg.connect(
        host=settings.host,
        port=settings.port,
        dbname=settings.database,
        user=user,
        password=password,
        sslmode="verify-full",
        sslrootcert=settings.sslrootcert,
        connect_timeout=10,
        application_name="carcierge db roles",
    )


def run_roles(
    environment: str,
    *,
    env: Mapping[str, str] = os.environ,
    connect: Callable[[Settings], Any] | None = None,
    echo: Callable[[str], None] = print,
) -> RolesReport:
    """`carcierge db roles -e <env>`: settings from the task's environment, then sync_roles."""
    settings = settings_from_env(environment, env)
    conn = (connect or (lambda s: connect_master(s, master_credentials)))(settings)
    try:
        report = sync_roles(conn, settings.roles)
    finally:
        conn.close()
    for line in report.lines():
        echo(line)
    return report
