"""Drift detection: a scheduled, read-only plan of one environment with ``-detailed-exitcode``.

No changes: the job passes. Changes (someone edited AWS by hand, or the code moved on without an
apply): the job fails with exit code 3 and publishes the plan's summary and the MR widget
report, so the pipeline turns red and the differences are one click away. It never applies:
the plan file is removed once it has been read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from carcierge_pipeline import environments, report
from carcierge_pipeline.errors import DriftFound, StageFailed, UserError
from carcierge_pipeline.project import Project
from carcierge_pipeline.terraform import Mode
from carcierge_pipeline.workdir import LOCK_TIMEOUT, PlanFiles, pass_variables, prepare

CHANGES = 2  # terraform plan -detailed-exitcode: 0 no changes, 1 error, 2 changes


def run_drift(
    project: Project,
    environment: str,
    mode: Mode,
    *,
    echo: Callable[[str], None] = print,
    terraform_variables: Mapping[str, str] | None = None,
) -> None:
    """Real plan with -detailed-exitcode; ``terraform_variables`` as for the plan (the same
    ALERT_EMAILS, else the subscriptions would show as drift)."""
    environments.require_environment(environment)
    if mode.offline:
        raise UserError(
            f"drift detection compares the real {environment} with its code: it needs AWS "
            f"credentials ({mode.reason})"
        )
    var_file = environments.var_file(project.root, environment)
    with project.exclusive(f"plan-{environment}"):
        files = PlanFiles(project.build_dir(environment))
        files.directory.mkdir(parents=True, exist_ok=True)
        files.clear()
        terraform = prepare(project, environment, mode)
        pass_variables(terraform, terraform_variables, echo)
        run = terraform.run_json(
            [
                "plan",
                "-input=false",
                "-detailed-exitcode",
                f"-lock-timeout={LOCK_TIMEOUT}",
                f"-var-file={var_file.relative_to(project.root)}",
                f"-out={files.binary}",
            ],
            echo=echo,
        )
        drifted = run.returncode == CHANGES
        judged = dataclasses.replace(run, returncode=0) if drifted else run
        failure = judged.failure(completed_by="change_summary")
        if failure:
            files.clear()
            raise StageFailed(f"drift check of {environment} failed: {failure}")
        try:
            files.json.write_text(
                terraform.run(["show", "-json", str(files.binary)], capture=True).stdout
            )
        finally:
            files.binary.unlink(missing_ok=True)  # a drift check is never applied
        summary = report.publish(
            files,
            environment,
            context=f"scheduled drift check ({mode.reason}): what applying the code would change",
        )
        if drifted:
            raise DriftFound(f"DRIFT in {environment}: {summary.headline}; see {files.summary}")
        echo(f"no drift in {environment}: the real environment matches its code")
