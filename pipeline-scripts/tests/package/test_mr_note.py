"""The merge-request comment against a GitLab API stand-in on 127.0.0.1 (python-gitlab speaks
real HTTP to it): created once, updated in place on every push, never duplicated; shortened
with a link past GitLab's note size; without a token nothing is posted, in one line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from support import JsonHandler, serving

from carcierge_pipeline import comment, mr_note
from carcierge_pipeline.errors import UserError

TOKEN = "glpat-test-token"


class GitLab:
    """Notes of merge requests and commits, as GitLab's REST API v4 serves them."""

    def __init__(self) -> None:
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []
        self.merged_mrs: dict[str, list[int]] = {}
        self.next_id = 1

    def handler(self) -> type[BaseHTTPRequestHandler]:
        gitlab = self

        class Handler(JsonHandler):
            def _body(self) -> dict[str, Any]:
                raw = self.raw_body().decode() or "{}"
                try:
                    return dict(json.loads(raw))
                except ValueError:
                    from urllib.parse import parse_qs

                    return {k: v[0] for k, v in parse_qs(raw).items()}

            def _route(self, method: str) -> None:
                path = self.path.split("?")[0]
                gitlab.requests.append((method, path))
                if self.headers.get("PRIVATE-TOKEN") != TOKEN:
                    return self.reply(401, {"message": "401 Unauthorized"})
                mr = re.fullmatch(
                    r"/api/v4/projects/(\d+)/merge_requests/(\d+)/notes(?:/(\d+))?", path
                )
                commit_mrs = re.fullmatch(
                    r"/api/v4/projects/(\d+)/repository/commits/(\w+)/merge_requests", path
                )
                if commit_mrs and method == "GET":
                    iids = gitlab.merged_mrs.get(commit_mrs[2], [])
                    return self.reply(200, [{"iid": i, "state": "merged"} for i in iids])
                if not mr:
                    return self.reply(404, {"message": "404 Not Found"})
                notes = gitlab.notes.setdefault(mr[2], [])
                if method == "GET" and not mr[3]:
                    return self.reply(200, notes)
                if method == "POST":
                    note = {"id": gitlab.next_id, "body": self._body()["body"]}
                    gitlab.next_id += 1
                    notes.append(note)
                    return self.reply(201, note)
                if method == "PUT" and mr[3]:
                    for note in notes:
                        if note["id"] == int(mr[3]):
                            note["body"] = self._body()["body"]
                            return self.reply(200, note)
                return self.reply(404, {"message": "404 Not Found"})

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PUT(self) -> None:
                self._route("PUT")

        return Handler


@pytest.fixture
def gitlab() -> Iterator[tuple[GitLab, str]]:
    state = GitLab()
    with serving(state.handler()) as url:
        yield state, url


def _job(url: str, **extra: str) -> dict[str, str]:
    return {
        "CI_SERVER_URL": url,
        "CI_PROJECT_ID": "7",
        "CI_MERGE_REQUEST_IID": "12",
        "CI_JOB_URL": f"{url}/group/project/-/jobs/99",
        mr_note.TOKEN_VARIABLE: TOKEN,
        **extra,
    }


def _body(environment: str, text: str) -> str:
    return f"{comment.marker(environment)}\n{text}"


def test_created_once_then_updated_in_place_per_environment(gitlab):
    state, url = gitlab
    said: list[str] = []
    env = _job(url)
    assert mr_note.upsert("qa", _body("qa", "first push"), environ=env, echo=said.append) == (
        "comment created on merge request !12"
    )
    state.notes["12"].insert(0, {"id": 500, "body": "a reviewer's own comment"})
    mr_note.upsert("qa", _body("qa", "second push"), environ=env, echo=said.append)
    mr_note.upsert("prod", _body("prod", "prod's change"), environ=env, echo=said.append)
    mr_note.upsert("qa", _body("qa", "third push"), environ=env, echo=said.append)
    bodies = [note["body"] for note in state.notes["12"]]
    assert bodies == [
        "a reviewer's own comment",
        _body("qa", "third push"),
        _body("prod", "prod's change"),
    ]
    assert said == [
        "comment created on merge request !12",
        "comment updated on merge request !12",
        "comment created on merge request !12",
        "comment updated on merge request !12",
    ]
    assert [m for m, _ in state.requests].count("POST") == 2


def test_a_body_over_the_note_limit_is_shortened_with_a_link(gitlab, monkeypatch):
    state, url = gitlab
    monkeypatch.setattr(mr_note, "NOTE_LIMIT", 2_000)
    body = _body("qa", "### qa: …\n\n#### Changes by module\n" + "x" * 5_000)
    mr_note.upsert("qa", body, environ=_job(url), echo=lambda _line: None)
    [posted] = state.notes["12"]
    assert len(posted["body"]) <= 2_000
    assert posted["body"].startswith(comment.marker("qa"))
    assert f"{url}/group/project/-/jobs/99/artifacts/browse/build/" in posted["body"]


def test_without_a_token_nothing_is_posted_and_the_job_says_so(gitlab):
    state, url = gitlab
    said: list[str] = []
    env = _job(url)
    del env[mr_note.TOKEN_VARIABLE]
    mr_note.upsert("qa", _body("qa", "x"), environ=env, echo=said.append)
    assert state.requests == []
    assert len(said) == 1 and mr_note.TOKEN_VARIABLE in said[0] and "artifacts" in said[0]


def test_a_refused_token_is_one_line(gitlab):
    _state, url = gitlab
    with pytest.raises(UserError, match=r"GitLab refused the comment \(401\)") as raised:
        mr_note.upsert(
            "qa",
            _body("qa", "x"),
            environ=_job(url, **{mr_note.TOKEN_VARIABLE: "wrong"}),
            echo=lambda _line: None,
        )
    assert "\n" not in str(raised.value)


def test_after_apply_the_comment_goes_on_the_merged_merge_request(gitlab):
    state, url = gitlab
    state.merged_mrs["abc123"] = [34]
    env = _job(url, CI_COMMIT_SHA="abc123")
    del env["CI_MERGE_REQUEST_IID"]
    message = mr_note.upsert("qa", _body("qa", "applied"), environ=env, echo=lambda _line: None)
    assert message == "comment created on merge request !34"
    assert state.notes["34"][0]["body"] == _body("qa", "applied")
