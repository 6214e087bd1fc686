"""User errors are one readable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import pytest

from carcierge_pipeline import cli, environments
from carcierge_pipeline.terraform import has_aws_credentials, resolve_mode


def test_unknown_environment_is_one_line(capsys, project):
    assert cli.main(["plan", "--environment", "dev"]) == 2
    err = capsys.readouterr().err
    assert err == "error: unknown environment 'dev': expected one of staging, qa, uat, prod\n"


def test_bad_offline_flag_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("OFFLINE", "maybe")
    assert cli.main(["plan", "--environment", "qa"]) == 2
    assert capsys.readouterr().err == "error: OFFLINE must be 1, 0 or unset, got 'maybe'\n"


@pytest.mark.parametrize(
    ("branch", "environment", "deployable"),
    [
        ("main", "staging", True),
        ("qa", "qa", True),
        ("uat", "uat", True),
        ("prod", "prod", True),
        ("feature/x", "staging", False),
        (None, "staging", False),
    ],
)
def test_branch_resolution(branch, environment, deployable):
    resolution = environments.resolve_branch(branch)
    assert (resolution.environment, resolution.deployable) == (environment, deployable)


def test_mode_follows_credentials_and_override(tmp_path):
    home = {"HOME": str(tmp_path)}
    assert resolve_mode(home).offline
    assert not resolve_mode({**home, "AWS_ACCESS_KEY_ID": "AKIA"}).offline
    assert resolve_mode({**home, "AWS_ACCESS_KEY_ID": "AKIA", "OFFLINE": "1"}).offline
    assert not resolve_mode({**home, "OFFLINE": "0"}).offline
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[default]\n")
    assert has_aws_credentials(home)
