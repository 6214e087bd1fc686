"""Alert e-mails reach the plan through the ALERT_EMAILS pipeline variable (environment-scoped in
GitLab; test_gitlab_ci.py checks that plan and drift receive it), checked by the CLI and passed
to Terraform as TF_VAR_alert_emails in its environment only: never a tfvars file, an argument or
the job log."""

from __future__ import annotations

import json

import pytest

from carcierge_pipeline import ci_variables, cli
from carcierge_pipeline.errors import StageFailed, UserError
from carcierge_pipeline.stages import plan
from carcierge_pipeline.terraform import Mode

OFFLINE = Mode(offline=True, reason="test")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (*ci_variables.DEFAULTS, "TF_VAR_alert_emails", "CI_JOB_ID", "CI_COMMIT_BRANCH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OFFLINE", "1")


def test_addresses_become_one_terraform_variable():
    variables = ci_variables.load({"ALERT_EMAILS": " oncall@example.com, ops@example.org ,"[:-1]})
    assert variables.alert_emails == ("oncall@example.com", "ops@example.org")
    assert ci_variables.terraform_variables(variables) == {
        "TF_VAR_alert_emails": '["oncall@example.com", "ops@example.org"]'
    }
    # Unset: the root's default (no subscription), and nothing is passed.
    assert ci_variables.terraform_variables(ci_variables.load({})) == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("oncall@example.com,not-an-address", "ALERT_EMAILS entry 2 of 2 is not an e-mail address"),
        (
            "oncall@example.com;ops@example.com",
            "ALERT_EMAILS entry 1 of 1 is not an e-mail address",
        ),
        ("oncall@example.com,,ops@example.com", "ALERT_EMAILS entry 2 of 3 is empty"),
    ],
)
def test_a_malformed_list_fails_the_plan_in_one_line(monkeypatch, capsys, value, message):
    monkeypatch.setenv("ALERT_EMAILS", value)
    assert cli.main(["plan", "-e", "staging"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}: give comma-separated addresses such as ")
    assert err.count("\n") == 1
    # The value itself stays out of the job log.
    assert "not-an-address" not in err and "ops@example.com" not in err


def test_tf_var_alert_emails_has_one_owner():
    with pytest.raises(UserError, match="give the on-call addresses as ALERT_EMAILS"):
        ci_variables.load({"TF_VAR_alert_emails": '["oncall@example.com"]'})


class _StopAtPlan:
    """Stands in for the prepared Terraform: records what `terraform plan` would get."""

    def __init__(self) -> None:
        self.extra_env: dict[str, str] = {}
        self.seen: dict = {}

    def run_json(self, args, echo=print, **options):
        self.seen = {"args": list(args), "env": dict(self.extra_env)}

        class Failed:
            def failure(self, completed_by):
                return "stopped by the test"

        return Failed()


def test_the_plan_receives_the_addresses_in_its_environment(project_copy, monkeypatch):
    fake = _StopAtPlan()
    monkeypatch.setattr(plan, "prepare", lambda *args, **kwargs: fake)
    variables = ci_variables.load({"ALERT_EMAILS": "oncall@example.com"})
    lines: list[str] = []
    with pytest.raises(StageFailed, match="stopped by the test"):
        plan.run_plan(
            project_copy,
            "staging",
            OFFLINE,
            echo=lines.append,
            terraform_variables=ci_variables.terraform_variables(variables),
        )
    assert json.loads(fake.seen["env"]["TF_VAR_alert_emails"]) == ["oncall@example.com"]
    assert not [arg for arg in fake.seen["args"] if "alert" in arg or "example.com" in arg]
    assert "alert e-mails: 1 address(es) from ALERT_EMAILS" in lines
    assert not [line for line in lines if "example.com" in line]
    assert not list(project_copy.root.rglob("*.auto.tfvars*"))


def test_the_cli_hands_alert_emails_to_the_plan(monkeypatch):
    received = {}
    monkeypatch.setenv("ALERT_EMAILS", "oncall@example.com")
    monkeypatch.setattr(plan, "run_plan", lambda *args, **kwargs: received.update(kwargs))
    assert cli.main(["plan", "-e", "staging"]) == 0
    assert received["terraform_variables"] == {"TF_VAR_alert_emails": '["oncall@example.com"]'}
