"""The pipeline's GitLab variables: defaults, accepted values, one-line errors, and which
environment a job works on."""

from __future__ import annotations

import re

import pytest

from carcierge_pipeline import ci_variables, cli, environments
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode

PIPELINE_VARIABLES = (
    *ci_variables.DEFAULTS,
    "CI_COMMIT_BRANCH",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    "CI_MERGE_REQUEST_IID",
    "CI_PIPELINE_SOURCE",
    "CI_JOB_ID",
    "CI_COMMIT_REF_PROTECTED",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in PIPELINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_spec_values():
    variables = ci_variables.load({})
    assert variables.environments == ("staging",)
    assert variables.modules == ("app",)
    assert variables.app_name == "carcierge"
    assert variables.type == "app"
    assert variables.backend_region == "us-west-1"
    assert (variables.run_security_scan, variables.run_cost_scan) == (False, False)
    assert variables.allow_destroy is False
    assert variables.terraform_test is True
    assert variables.tf_log == ""
    assert [root.path for root in variables.roots] == ["."]


@pytest.mark.parametrize(
    ("value", "expected"), [("TRUE", True), ("true", True), ("True", True), ("FALSE", False)]
)
def test_flags_accept_true_and_false_in_any_case(value, expected):
    variables = ci_variables.load({"RUN_COST_SCAN": value, "ALLOW_DESTROY": value})
    assert variables.run_cost_scan is expected
    assert variables.allow_destroy is expected


# The flags: the settings whose default is TRUE or FALSE.
FLAGS = [name for name, default in ci_variables.DEFAULTS.items() if default in ("TRUE", "FALSE")]


def test_the_flags_include_the_specs_switches():
    assert {"RUN_SECURITY_SCAN", "RUN_COST_SCAN", "ALLOW_DESTROY", "TERRAFORM_TEST"} <= set(FLAGS)


@pytest.mark.parametrize("value", ["maybe", "yes", "1", "no"])
@pytest.mark.parametrize("flag", FLAGS)
def test_a_flag_that_is_neither_true_nor_false_is_one_clear_line(flag, value):
    with pytest.raises(UserError) as raised:
        ci_variables.load({flag: value})
    assert str(raised.value) == f"{flag} must be TRUE or FALSE; got {value!r}"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "ENVIRONMENTS",
            "staging,dev",
            "ENVIRONMENTS must list environments out of staging, qa, uat, prod; got 'dev'",
        ),
        (
            "MODULES",
            "app,network",
            "MODULES must list roots out of app (the platform root); got 'network'",
        ),
        ("TYPE", "library", "TYPE must be one of app; got 'library'"),
        ("APP_NAME", "Carcierge", "APP_NAME must be 2-15 lowercase letters or digits"),
        ("BACKEND_REGION", "california", "BACKEND_REGION must be an AWS region code"),
        ("TF_LOG", "LOUD", "TF_LOG must be empty or one of TRACE, DEBUG, INFO, WARN, ERROR"),
    ],
)
def test_bad_values_are_one_clear_line(name, value, message):
    with pytest.raises(UserError) as raised:
        ci_variables.load({name: value})
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("command", [["plan"], ["validate"], ["analyse", "cost"], ["apply"]])
def test_every_pipeline_command_rejects_a_bad_flag(command, monkeypatch, capsys):
    monkeypatch.setenv("RUN_COST_SCAN", "maybe")
    assert cli.main(command) == 2
    assert capsys.readouterr().err == "error: RUN_COST_SCAN must be TRUE or FALSE; got 'maybe'\n"


def test_environment_lists_and_empty_values():
    variables = ci_variables.load({"ENVIRONMENTS": "qa, uat qa", "MODULES": "", "TF_LOG": "debug"})
    assert variables.environments == ("qa", "uat")
    assert variables.modules == ("app",)  # empty means the default
    assert variables.tf_log == "debug"


@pytest.mark.parametrize(
    ("environ", "environments_", "reason"),
    [
        ({"CI_COMMIT_BRANCH": "main"}, ("staging",), "deploys the staging environment"),
        ({"CI_COMMIT_BRANCH": "prod", "ENVIRONMENTS": "qa"}, ("prod",), "'prod' deploys"),
        ({"CI_COMMIT_BRANCH": "feature/x"}, ("staging",), "not an environment branch"),
        ({"CI_COMMIT_BRANCH": "feature/x", "ENVIRONMENTS": "qa,prod"}, ("qa", "prod"), "qa,prod"),
        ({"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "uat"}, ("uat",), "merge request into 'uat'"),
        ({"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "feature/base"}, ("staging",), "ENVIRONMENTS"),
        ({}, ("staging",), "no CI branch"),
    ],
)
def test_environment_selection(environ, environments_, reason):
    selection = ci_variables.select_environments(None, environ)
    assert selection.environments == environments_
    assert reason in selection.reason


def test_explicit_environment_wins_and_is_checked():
    assert ci_variables.select_environments("qa", {"CI_COMMIT_BRANCH": "prod"}).environments == (
        "qa",
    )
    with pytest.raises(UserError, match="unknown environment 'dev'"):
        ci_variables.select_environments("dev", {})


@pytest.mark.parametrize(
    ("explicit", "environ", "error"),
    [
        (None, {"CI_COMMIT_BRANCH": "feature/x"}, "apply runs only on the environment branches"),
        ("staging", {"CI_MERGE_REQUEST_IID": "7"}, "never runs in a merge request pipeline"),
        (
            None,
            {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_BRANCH": "main"},
            "merge request",
        ),
        ("prod", {"CI_COMMIT_BRANCH": "main"}, "branch 'main' deploys staging, not 'prod'"),
        (None, {}, "apply needs --environment outside a CI branch pipeline"),
    ],
)
def test_apply_environment_refusals(explicit, environ, error):
    with pytest.raises(UserError, match=error):
        ci_variables.deploy_environment(explicit, environ)


def test_apply_environment_from_branch_or_flag():
    assert ci_variables.deploy_environment(None, {"CI_COMMIT_BRANCH": "main"}) == "staging"
    assert ci_variables.deploy_environment("uat", {"CI_COMMIT_BRANCH": "uat"}) == "uat"
    assert ci_variables.deploy_environment("prod", {}) == "prod"  # a local run names it


def test_env_command_explains(monkeypatch, capsys):
    monkeypatch.setenv("CI_COMMIT_BRANCH", "qa")
    monkeypatch.setenv("OFFLINE", "1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["env"]) == 0
    assert capsys.readouterr().out == (
        "qa  (branch 'qa' deploys the qa environment)\nmode: offline preview (OFFLINE=1)\n"
        "credentials: none found\n"
    )
    assert cli.main(["env", "--branch", "feature/y"]) == 0
    assert capsys.readouterr().out.startswith("staging  ('feature/y' is not an environment branch")


# --- the mode of a plan/apply job: decided by the ref (issue 14, items 1, 3, 10) -------------

JOB = {"CI_JOB_ID": "7", "HOME": "/nonexistent"}
KEYS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}


def _branch(branch: str, *, protected: bool, **extra: str) -> dict[str, str]:
    return {
        **JOB,
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": branch,
        "CI_COMMIT_REF_NAME": branch,
        "CI_COMMIT_REF_PROTECTED": "true" if protected else "false",
        **extra,
    }


def test_environment_branch_plans_for_real_with_its_credentials():
    mode = ci_variables.stage_mode(_branch("prod", protected=True, **KEYS))
    assert not mode.offline and mode.reason == "branch 'prod' deploys prod"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        # Item 1: no credential reached the job: fail, never an offline preview.
        (
            _branch("qa", protected=True),
            "no AWS credentials for qa on branch 'qa': the job must declare environment qa",
        ),
        (
            _branch("main", protected=True, OFFLINE="1", **KEYS),
            "OFFLINE=1 on branch 'main': the environment branches plan and apply for real",
        ),
        # Item 10: an environment branch that is not protected gets no real run at all.
        (
            _branch("prod", protected=False, **KEYS),
            "branch 'prod' deploys prod but is not a protected branch",
        ),
        (
            _branch("feature/x", protected=False, OFFLINE="0", **KEYS),
            "OFFLINE=0 on 'feature/x': real plans run only on protected refs",
        ),
    ],
)
def test_environment_branch_refuses_anything_but_a_real_run(environ, message):
    with pytest.raises(UserError, match=re.escape(message)):
        ci_variables.stage_mode(environ)


def test_runner_credentials_are_declared_with_offline_0():
    # An instance-profile runner shows no credential variable: OFFLINE=0 says it has one.
    mode = ci_variables.stage_mode(_branch("uat", protected=True, OFFLINE="0"))
    assert not mode.offline


def test_unprotected_refs_preview_even_with_credentials():
    # Items 3 and 10: a feature branch or an MR from one is a preview, whatever reached it.
    feature = ci_variables.stage_mode(_branch("feature/x", protected=False, **KEYS))
    assert feature.offline and feature.reason == "'feature/x' is not a protected ref"
    merge_request = {
        **JOB,
        **KEYS,
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_COMMIT_REF_NAME": "feature/x",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "qa",
        "CI_COMMIT_REF_PROTECTED": "false",
    }
    assert ci_variables.stage_mode(merge_request).offline
    # Issue 22 item 3: a merge request that is not a promotion stays a preview even when GitLab
    # marks its pipeline protected.
    protected = {**merge_request, "CI_COMMIT_REF_PROTECTED": "true"}
    assert ci_variables.stage_mode(protected).offline


def _merge_request(source: str, target: str, *, protected: bool, **extra: str) -> dict[str, str]:
    return {
        **JOB,
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_COMMIT_REF_NAME": source,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": source,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": target,
        "CI_COMMIT_REF_PROTECTED": "true" if protected else "false",
        **extra,
    }


@pytest.mark.parametrize(
    ("source", "target", "environment"),
    [(source, target, environments.BRANCH_ENVIRONMENTS[target])
     for target, source in environments.PROMOTIONS.items()],
)  # fmt: skip
def test_a_promotion_merge_request_plans_for_real_without_the_state_lock(
    source, target, environment
):
    # Issue 22 item 3 / issue 25 item 2: main -> qa, qa -> uat, uat -> prod.
    mode = ci_variables.stage_mode(_merge_request(source, target, protected=True, **KEYS))
    assert not mode.offline and not mode.state_lock
    assert mode.reason == (
        f"promotion merge request {source!r} -> {target!r}: read-only plan of {environment}"
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (_merge_request("main", "qa", protected=False, **KEYS), "runs in an unprotected pipeline"),
        (_merge_request("qa", "uat", protected=True), "no AWS credentials for the promotion"),
        (_merge_request("uat", "prod", protected=True, OFFLINE="1", **KEYS), "OFFLINE=1 in a"),
        (_merge_request("main", "prod", protected=True, OFFLINE="0", **KEYS), "only promotions"),
    ],
)
def test_promotions_are_real_and_nothing_else_is(environ, message):
    with pytest.raises(UserError, match=re.escape(message)):
        ci_variables.stage_mode(environ)
    # Skipping a stage (main -> prod) is not a promotion: a preview, never prod's plan role.
    skip = _merge_request("main", "prod", protected=True, **KEYS)
    assert ci_variables.stage_mode(skip).offline


def test_outside_ci_the_credentials_decide():
    assert ci_variables.stage_mode({"HOME": "/nonexistent"}).offline
    assert not ci_variables.stage_mode({"HOME": "/nonexistent", **KEYS}).offline


# --- MODULES, TYPE and APP_NAME select and name what is planned (issue 14, item 9) ------------


def test_app_name_and_type_name_the_state_key(monkeypatch):
    from carcierge_pipeline.backend import backend_settings

    bucket = {"TF_STATE_BUCKET": "b"}
    assert backend_settings("prod", bucket)["key"] == "carcierge/prod/terraform.tfstate"
    assert backend_settings("prod", {**bucket, "APP_NAME": "shop"})["key"] == (
        "shop/prod/terraform.tfstate"
    )
    monkeypatch.setitem(
        ci_variables.TYPES, "shared", ci_variables.RootType("test", "{app}/shared/{environment}")
    )
    monkeypatch.setitem(
        ci_variables.ROOTS, "dns", ci_variables.Root("dns", "dns", "shared", "dns", "test")
    )
    chosen = {**bucket, "MODULES": "dns", "TYPE": "shared"}
    assert backend_settings("qa", chosen)["key"] == "carcierge/shared/qa"


def test_app_name_is_checked_before_terraform_starts(project, monkeypatch, capsys):
    monkeypatch.setenv("APP_NAME", "shop")
    monkeypatch.setenv("OFFLINE", "1")
    monkeypatch.setattr(Project, "find", classmethod(lambda cls, start=None: project))
    assert cli.main(["plan", "-e", "qa"]) == 2
    assert capsys.readouterr().err == (
        "error: APP_NAME is 'shop' but project_name in terraform.tfvars is 'carcierge'; they "
        "must match (APP_NAME also names the state key)\n"
    )


def test_modules_selects_the_root_that_is_planned(tmp_path, monkeypatch, offline_cache):
    import shutil

    from support import FIXTURES

    shutil.copytree(FIXTURES / "tiny-project", tmp_path / "dns")
    monkeypatch.setitem(
        ci_variables.ROOTS, "dns", ci_variables.Root("dns", "dns", "app", "dns", "test root")
    )
    monkeypatch.setattr(Project, "find", classmethod(lambda cls, start=None: Project(tmp_path)))
    monkeypatch.setenv("OFFLINE", "1")
    monkeypatch.setenv("MODULES", "dns")
    assert cli.main(["plan", "-e", "staging"]) == 0
    assert (tmp_path / "dns" / "build" / "staging" / "plan.json").is_file()
    assert not (tmp_path / "build").exists(), "the platform root was not selected"


@pytest.mark.parametrize("name", ci_variables.LOG_VARIABLES)
def test_real_jobs_of_uat_and_prod_refuse_logs_with_request_bodies(name):
    # Issue 22 item 3 (security review M1): TF_LOG_PROVIDER and TF_LOG_CORE log on their own.
    real, preview = Mode(False, "real"), Mode(True, "preview")
    for environment in environments.ENVIRONMENTS:
        for level in ci_variables.VERBOSE_LOG_LEVELS:
            environ = {name: level.lower()}
            if environment in environments.PROTECTED_ENVIRONMENTS:
                with pytest.raises(UserError, match=f"^{name}={level} is refused on every real"):
                    ci_variables.refuse_verbose_logs(environment, real, environ)
            else:
                ci_variables.refuse_verbose_logs(environment, real, environ)
            ci_variables.refuse_verbose_logs(environment, preview, environ)  # no AWS, no secret
        ci_variables.refuse_verbose_logs(environment, real, {name: "INFO"})
    assert set(environments.PROTECTED_ENVIRONMENTS) == {"uat", "prod"}  # policy
