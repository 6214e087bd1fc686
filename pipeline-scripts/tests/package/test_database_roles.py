"""`carcierge db roles` against a real, throw-away PostgreSQL (Debian's `postgresql`, which
`make tools` installs): one cluster per test session, on a unix socket in a private directory,
run as the `postgres` user when the tests run as root (PostgreSQL refuses root)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from carcierge_pipeline import database
from carcierge_pipeline.cli import main
from carcierge_pipeline.errors import UserError

MASTER = "carcierge_user"  # like RDS's master user: CREATEROLE and CREATEDB, not a superuser


def _roles(tag: str) -> dict[str, str]:
    """Roles are cluster-wide: each test has its own (and its own database, see `db`)."""
    return {f"service{i}": f"svc_{tag}_service{i}" for i in range(1, 4)} | {
        "web-app": f"svc_{tag}_web_app"
    }


def _server_bin() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    if not candidates:
        pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql: `make tools`")
    return candidates[-1].parent


@pytest.fixture(scope="session")
def postgres():
    """A started cluster: its socket directory, and a connect(user) for the test's own use."""
    import psycopg

    bin_dir = _server_bin()
    root = Path(tempfile.mkdtemp(prefix="carcierge-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]

    def pg(*args: str, timeout: float = 30) -> None:
        subprocess.run(
            [*as_postgres, *args], check=True, capture_output=True, text=True, timeout=timeout
        )

    data = root / "data"
    started = time.monotonic()
    pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
    options = f"-k {root} -c listen_addresses='' -c fsync=off"
    try:
        pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
           "-w", "-t", "20", "start")  # fmt: skip
    except subprocess.CalledProcessError as error:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        pytest.fail(f"PostgreSQL did not start: {error.stderr}{log}")
    print(f"PostgreSQL {bin_dir.parent.name} up in {time.monotonic() - started:.1f}s")

    def connect(user: str = "postgres", dbname: str = "postgres", **kwargs):
        return psycopg.connect(host=str(root), user=user, dbname=dbname, **kwargs)

    with connect(dbname="postgres", autocommit=True) as conn:
        conn.execute("CREATE ROLE rds_iam NOLOGIN")  # RDS's own role, stood in
        conn.execute(f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB")
        conn.execute(f"GRANT rds_iam TO {MASTER} WITH ADMIN OPTION")
    try:
        yield connect
    finally:
        pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "10", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def db(postgres, request):
    """A fresh database owned by the master user, a tag for this test's roles, and connect()."""
    tag = {"roles": "a", "a": "b", "drift": "c", "memberships": "d"}[
        request.node.name.split("_")[1]
    ]
    name = f"carcierge_{tag}"
    with postgres(autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {MASTER}")
    return tag, name, lambda user="postgres", **kw: postgres(user, dbname=name, **kw)


def _env(roles: dict[str, str], dbname: str = "carcierge") -> dict[str, str]:
    return {
        "DB_HOST": "staging-carcierge-rds-postgres.abcdefghijkl.us-west-1.rds.amazonaws.com",
        "DB_PORT": "5432",
        "DB_NAME": dbname,
        "DB_MASTER_SECRET_ARN": "arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-x",
        "DB_SERVICE_ROLES": json.dumps(roles),
    }


def _run(db, roles: dict[str, str]) -> tuple[database.RolesReport, list[str]]:
    _, name, connect = db
    lines: list[str] = []
    report = database.run_roles(
        "staging", env=_env(roles, name), connect=lambda _: connect(MASTER), echo=lines.append
    )
    return report, lines


def _role(conn, role: str) -> dict:
    dbname = conn.info.dbname
    row = conn.execute(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,"
        " pg_has_role(rolname, 'rds_iam', 'MEMBER'),"
        " has_database_privilege(rolname, %s, 'CONNECT'),"
        " has_database_privilege(rolname, %s, 'CREATE')"
        " FROM pg_roles WHERE rolname = %s",
        [dbname, dbname, role],
    ).fetchone()
    assert row, f"role {role} missing"
    keys = ("login", "super", "createrole", "createdb", "replication", "bypassrls", "rds_iam")
    return dict(zip((*keys, "connect", "create_db_objects"), row, strict=True))


def test_roles_are_created_least_privileged_and_a_second_run_changes_nothing(db):
    tag, _, connect = db
    roles = _roles(tag)
    report, lines = _run(db, roles)
    assert f"created role svc_{tag}_web_app (service web-app)" in lines, lines
    assert report.stale == []

    with connect() as conn:
        for role in roles.values():
            assert _role(conn, role) == {
                "login": True,
                "super": False,
                "createrole": False,
                "createdb": False,
                "replication": False,
                "bypassrls": False,
                "rds_iam": True,
                "connect": True,
                "create_db_objects": False,
            }
            owner, acl = conn.execute(
                "SELECT pg_get_userbyid(nspowner), nspacl::text[] FROM pg_namespace"
                " WHERE nspname = %s",
                [role],
            ).fetchone()
            assert owner == MASTER  # the service cannot drop its schema or grant on it
            assert f"{role}=UC/{MASTER}" in acl, acl
            assert not [entry for entry in acl if entry.startswith("=")], acl  # nothing for PUBLIC

    second, lines = _run(db, roles)
    assert second.changes == [] and lines == ["no changes"]


def test_a_service_works_in_its_own_schema_and_cannot_see_another(db):
    import psycopg

    tag, _, connect = db
    _run(db, _roles(tag))
    with connect() as conn:
        conn.execute(f"SET ROLE svc_{tag}_service1")
        conn.execute("CREATE TABLE orders (id int)")  # search_path "$user": its own schema
        assert conn.execute(f"SELECT to_regclass('svc_{tag}_service1.orders')").fetchone()[0]
        conn.commit()
    with connect() as conn:
        conn.execute(f"SET ROLE svc_{tag}_service2")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT * FROM svc_{tag}_service1.orders")


def test_drift_is_reset_and_gone_services_are_reported_not_dropped(db):
    tag, _, connect = db
    roles = _roles(tag)
    _run(db, roles)
    with connect(autocommit=True) as conn:
        conn.execute(f"ALTER ROLE svc_{tag}_service2 CREATEDB NOLOGIN")
        conn.execute(f"REVOKE rds_iam FROM svc_{tag}_service2")
    remaining = {key: role for key, role in roles.items() if key != "service3"}
    report, lines = _run(db, remaining)
    assert f"reset svc_{tag}_service2: LOGIN NOCREATEDB" in report.changes
    assert f"granted rds_iam to svc_{tag}_service2" in report.changes
    assert report.stale == [f"svc_{tag}_service3"]
    assert any(line.startswith(f"stale: role svc_{tag}_service3") for line in lines)
    with connect() as conn:
        assert _role(conn, f"svc_{tag}_service3")["login"]  # kept as it was, with its schema
        assert conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", [f"svc_{tag}_service3"]
        ).fetchone()
        assert not _role(conn, f"svc_{tag}_service2")["createdb"]


def test_memberships_not_declared_are_revoked(db):
    # Review 2026-12-07 L9: a service role that became a member of another role (a predefined
    # one, another service's) would hold that role's privileges; only rds_iam is declared.
    tag, _, connect = db
    roles = _roles(tag)
    _run(db, roles)
    service1, service2 = f"svc_{tag}_service1", f"svc_{tag}_service2"
    with connect(autocommit=True) as conn:
        conn.execute(f"GRANT pg_read_all_data TO {service1}")
        conn.execute(f"GRANT {service2} TO {service1}")
    report, _ = _run(db, roles)
    assert report.changes == [
        f"revoked pg_read_all_data from {service1} (a service role is a member of rds_iam only)",
        f"revoked {service2} from {service1} (a service role is a member of rds_iam only)",
    ]
    with connect() as conn:
        member_of = conn.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
            " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            [service1],
        ).fetchall()
    assert member_of == [("rds_iam",)]
    assert _run(db, roles)[0].changes == []


def test_settings_refuse_another_environment_and_bad_roles(capsys):
    roles = _roles("x")
    with pytest.raises(UserError, match="not the prod instance"):
        database.settings_from_env("prod", _env(roles))
    with pytest.raises(UserError, match="reserved"):
        database.settings_from_env("staging", _env({"a": "rds_superuser"}))
    with pytest.raises(UserError, match="share"):
        database.settings_from_env("staging", _env({"a": "svc_a", "b": "svc_a"}))
    with pytest.raises(UserError, match="lowercase identifier"):
        database.settings_from_env("staging", _env({"a": 'x"; DROP ROLE y; --'}))
    with pytest.raises(SystemExit) as exit_:
        main(["db", "roles"])  # -e is required: a usage error
    assert exit_.value.code == 2
    assert "--environment" in capsys.readouterr().err
