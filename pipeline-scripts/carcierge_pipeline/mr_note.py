"""One comment per environment on the merge request, created once and updated in place on every
push (python-gitlab).

The job authenticates with a project access token (Reporter role, ``api`` scope) stored as a
masked CI/CD variable ``CARCIERGE_GITLAB_TOKEN``; the job token cannot write notes. The comment
is found again by its marker (``comment.marker``): the newest note carrying it is edited, so a
push never adds a second one. Without a token, or outside a merge request, nothing is posted:
the comment stays in the job's artifacts and the job says so in one line.

After apply there is no merge request pipeline: the comment goes on the merge request that
brought the commit in (GitLab's "merge requests of a commit"), else on the commit itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carcierge_pipeline.comment import marker, shortened
from carcierge_pipeline.errors import UserError

TOKEN_VARIABLE = "CARCIERGE_GITLAB_TOKEN"
# GitLab's limit on a note's body (Note::MAX_NOTE_LENGTH, app/models/note.rb: 1,000,000).
NOTE_LIMIT = 1_000_000


@dataclass(frozen=True)
class Target:
    url: str
    project: str  # CI_PROJECT_ID
    merge_request: int | None  # CI_MERGE_REQUEST_IID
    commit: str | None  # CI_COMMIT_SHA
    artifact_url: str | None


def target_from(environ: Mapping[str, str]) -> Target | None:
    """Where the comment goes in this job, or None outside GitLab."""
    url, project = environ.get("CI_SERVER_URL"), environ.get("CI_PROJECT_ID")
    if not url or not project:
        return None
    iid = environ.get("CI_MERGE_REQUEST_IID")
    job = environ.get("CI_JOB_URL")
    return Target(
        url=url,
        project=project,
        merge_request=int(iid) if iid and iid.isdigit() else None,
        commit=environ.get("CI_COMMIT_SHA"),
        artifact_url=f"{job}/artifacts/browse/build/" if job else None,
    )


def _client(url: str, token: str) -> Any:
    import gitlab  # python-gitlab

    return gitlab.Gitlab(url, private_token=token, timeout=30)


def _find_own(notes: Any, environment: str) -> Any:
    tag = marker(environment)
    found = None
    for note in notes.list(iterator=True, sort="asc", order_by="created_at"):
        if str(getattr(note, "body", "")).startswith(tag):
            found = note
    return found


def upsert(
    environment: str,
    body: str,
    *,
    environ: Mapping[str, str] = os.environ,
    echo: Callable[[str], None] = print,
    client: Callable[[str, str], Any] = _client,
) -> str:
    """Create or update this environment's comment; returns what was done, in one line."""
    target = target_from(environ)
    token = environ.get(TOKEN_VARIABLE, "")
    if target is None:
        message = "comment not posted: not in a GitLab job; it is in build/<env>/change/"
    elif not token:
        message = (
            f"comment not posted: {TOKEN_VARIABLE} is not set (a project access token, masked); "
            "it is in the job's artifacts"
        )
    else:
        message = _post(target, token, environment, body, client)
    echo(message)
    return message


def _post(
    target: Target, token: str, environment: str, body: str, client: Callable[[str, str], Any]
) -> str:
    import gitlab

    body = shortened(body, NOTE_LIMIT, target.artifact_url, environment)
    try:
        project = client(target.url, token).projects.get(target.project, lazy=True)
        if target.merge_request is not None:
            holder = project.mergerequests.get(target.merge_request, lazy=True)
            where = f"merge request !{target.merge_request}"
        else:
            holder, where = _after_merge_holder(project, target)
        own = _find_own(holder.notes, environment)
        if own is None:
            holder.notes.create({"body": body})
            return f"comment created on {where}"
        own.body = body
        own.save()
        return f"comment updated on {where}"
    except gitlab.exceptions.GitlabError as error:
        code = getattr(error, "response_code", None)
        raise UserError(
            f"GitLab refused the comment ({code or 'no response'}): {error.error_message}; "
            f"check {TOKEN_VARIABLE} (a project access token with the api scope, Reporter)"
        ) from error


def _after_merge_holder(project: Any, target: Target) -> tuple[Any, str]:
    """The merge request that brought the commit in, else the commit."""
    if not target.commit:
        raise UserError("no merge request and no commit to comment on (CI_COMMIT_SHA)")
    commit = project.commits.get(target.commit, lazy=True)
    merged = [mr for mr in commit.merge_requests() if mr.get("state") == "merged"]
    if merged:
        iid = int(merged[0]["iid"])
        return project.mergerequests.get(iid, lazy=True), f"merge request !{iid}"
    return _CommitNotes(commit), f"commit {target.commit[:12]}"


class _CommitNotes:
    """A commit's comments shaped like a merge request's notes (list, create, edit)."""

    def __init__(self, commit: Any) -> None:
        self.notes = self
        self._commit = commit

    def list(self, **_options: Any) -> list[Any]:
        return [
            _CommitComment(self._commit, entry) for entry in self._commit.comments.list(all=True)
        ]

    def create(self, data: dict[str, str]) -> None:
        self._commit.comments.create({"note": data["body"]})


class _CommitComment:
    """A commit comment cannot be edited through GitLab's API: saving adds a new one."""

    def __init__(self, commit: Any, entry: Any) -> None:
        self._commit = commit
        self.body = str(getattr(entry, "note", ""))

    def save(self) -> None:
        self._commit.comments.create({"note": self.body})
