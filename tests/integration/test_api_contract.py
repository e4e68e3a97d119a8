"""The original service's contract, and what was added, on both stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from api_comments import create_app
from flask import Flask
from flask.testing import FlaskClient


def post(client: FlaskClient, email: str, comment: str, content_id: object) -> dict[str, str]:
    response = client.post(
        "/api/comment/new", json={"email": email, "comment": comment, "content_id": content_id}
    )
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[return-value]


def test_original_curl_sequence_gives_the_same_json(client: FlaskClient) -> None:
    assert post(client, "alice@example.com", "first post!", 1) == {
        "status": "SUCCESS",
        "message": "comment created and associated with content_id 1",
    }
    post(client, "alice@example.com", "ok, now I am gonna say something more useful", 1)
    post(client, "bob@example.com", "I agree", 1)
    post(client, "bob@example.com", "I guess this is a good thing", 2)

    listing = client.get("/api/comment/list/1")
    assert listing.status_code == 200
    assert [{"email": c["email"], "comment": c["comment"]} for c in listing.json] == [
        {"email": "alice@example.com", "comment": "first post!"},
        {"email": "alice@example.com", "comment": "ok, now I am gonna say something more useful"},
        {"email": "bob@example.com", "comment": "I agree"},
    ]
    assert [c["comment"] for c in client.get("/api/comment/list/2").json] == ["I guess this is a good thing"]

    missing = client.get("/api/comment/list/3")
    assert missing.status_code == 404
    assert missing.json == {"status": "NOT-FOUND", "message": "content_id 3 not found"}


def test_digit_string_content_id_is_accepted_like_the_original(client: FlaskClient) -> None:
    assert post(client, "carol@example.com", "hi", "7")["message"].endswith("content_id 7")
    assert client.get("/api/comment/list/7").json[0]["email"] == "carol@example.com"


def test_each_comment_carries_a_utc_timestamp(client: FlaskClient) -> None:
    post(client, "dave@example.com", "timestamped", 4)
    (comment,) = client.get("/api/comment/list/4").json
    assert comment["created_at"].endswith("Z")
    assert datetime.fromisoformat(comment["created_at"]).tzinfo == UTC


def test_listing_is_capped_and_pages_with_a_cursor(store_url: str) -> None:
    client = create_app({"STORE_URL": store_url, "LIST_MAX": 5}).test_client()
    for n in range(12):
        post(client, f"user{n}@example.com", f"comment {n}", 9)

    first = client.get("/api/comment/list/9")
    assert [c["comment"] for c in first.json] == [f"comment {n}" for n in range(5)]
    cursor = first.headers["X-Next-Cursor"]
    assert first.headers["Link"] == f'</api/comment/list/9?limit=5&cursor={cursor}>; rel="next"'

    seen = [c["comment"] for c in first.json]
    page = first
    while "Link" in page.headers:
        page = client.get(page.headers["Link"].split(">")[0].lstrip("<"))
        assert page.status_code == 200
        seen += [c["comment"] for c in page.json]
    assert seen == [f"comment {n}" for n in range(12)]

    small = client.get("/api/comment/list/9?limit=3")
    assert len(small.json) == 3
    assert "X-Next-Cursor" in small.headers


def test_exact_page_size_has_no_next_cursor(client: FlaskClient) -> None:
    for n in range(3):
        post(client, "eve@example.com", f"c{n}", 5)
    page = client.get("/api/comment/list/5?limit=3")
    assert len(page.json) == 3
    assert "X-Next-Cursor" not in page.headers


BAD_ID = "content_id must be a positive integer up to 9223372036854775807"
BAD_POSTS = [
    ("[1, 2]", 400, "request body must be a JSON object"),
    ('"text"', 400, "request body must be a JSON object"),
    ("{}", 400, "missing field(s): email, comment, content_id"),
    ('{"email": "a@example.com", "comment": "x"}', 400, "missing field(s): content_id"),
    ('{"email": 5, "comment": "x", "content_id": 1}', 400, "email must be a string"),
    ('{"email": "not-an-email", "comment": "x", "content_id": 1}', 400,
     "email is not a valid address: An email address must have an @-sign."),
    ('{"email": "a@example.com", "comment": "", "content_id": 1}', 400, "comment must be a non-empty string"),
    ('{"email": "a@example.com", "comment": "   ", "content_id": 1}', 400,
     "comment must be a non-empty string"),
    ('{"email": "a@example.com", "comment": 3, "content_id": 1}', 400, "comment must be a non-empty string"),
    (json.dumps({"email": "a@example.com", "comment": "x" * 2001, "content_id": 1}), 400,
     "comment is 2001 characters long; the limit is 2000"),
    ('{"email": "a@example.com", "comment": "x", "content_id": 0}', 400,
     BAD_ID),
    ('{"email": "a@example.com", "comment": "x", "content_id": -3}', 400,
     BAD_ID),
    ('{"email": "a@example.com", "comment": "x", "content_id": "abc"}', 400,
     BAD_ID),
    ('{"email": "a@example.com", "comment": "x", "content_id": "1.0"}', 400,
     BAD_ID),
    ('{"email": "a@example.com", "comment": "x", "content_id": 1.5}', 400,
     BAD_ID),
    ('{"email": "a@example.com", "comment": "x", "content_id": true}', 400,
     BAD_ID),
    ('{"email": "a@example.com", "comment": "x", "content_id": null}', 400,
     BAD_ID),
    ("{bad json", 400, "request body is not valid JSON: "
     "unexpected character, expected a string key: line 1 column 2 (char 1)"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "status", "message"), BAD_POSTS)
def test_bad_comment_is_rejected_with_a_clear_message(
    client: FlaskClient, body: str, status: int, message: str
) -> None:
    response = client.post("/api/comment/new", data=body, content_type="application/json")
    assert response.status_code == status
    assert response.json == {"status": "BAD-REQUEST", "message": message}


def test_nothing_is_stored_by_rejected_requests(client: FlaskClient) -> None:
    for body, _, _ in BAD_POSTS:
        client.post("/api/comment/new", data=body, content_type="application/json")
    assert client.get("/api/comment/list/1").status_code == 404


BAD_REQUESTS = [
    ("POST", "/api/comment/new", {"data": "email=a", "content_type": "text/plain"}, 415,
     "UNSUPPORTED-MEDIA-TYPE", "Content-Type must be application/json"),
    ("POST", "/api/comment/new", {"data": "x" * 20_000, "content_type": "application/json"}, 413,
     "REQUEST-ENTITY-TOO-LARGE", "request body is larger than 16384 bytes"),
    ("GET", "/api/comment/list/abc", {}, 400, "BAD-REQUEST", BAD_ID),
    ("GET", "/api/comment/list/0", {}, 400, "BAD-REQUEST", BAD_ID),
    ("GET", "/api/comment/list/1?limit=0", {}, 400, "BAD-REQUEST", "limit must be an integer from 1 to 1000"),
    ("GET", "/api/comment/list/1?limit=1001", {}, 400, "BAD-REQUEST",
     "limit must be an integer from 1 to 1000"),
    ("GET", "/api/comment/list/1?limit=ten", {}, 400, "BAD-REQUEST",
     "limit must be an integer from 1 to 1000"),
    ("GET", "/api/comment/list/1?cursor=not-a-cursor", {}, 400, "BAD-REQUEST",
     "cursor is not valid: use the X-Next-Cursor of a previous page"),
    ("GET", "/api/comments", {}, 404, "NOT-FOUND", "no such route: /api/comments"),
    ("PUT", "/api/comment/new", {"json": {}}, 405, "METHOD-NOT-ALLOWED",
     "method PUT is not allowed on /api/comment/new; allowed: POST"),
    ("DELETE", "/api/comment/list/1", {}, 405, "METHOD-NOT-ALLOWED",
     "method DELETE is not allowed on /api/comment/list/1; allowed: GET"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "kwargs", "code", "status", "message"), BAD_REQUESTS)
def test_bad_request_gets_a_json_error(
    client: FlaskClient,
    method: str,
    path: str,
    kwargs: dict[str, object],
    code: int,
    status: str,
    message: str,
) -> None:
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == code
    assert response.json == {"status": status, "message": message}


def test_comment_length_limit_is_configurable(store_url: str) -> None:
    client = create_app({"STORE_URL": store_url, "COMMENT_MAX_LENGTH": 10}).test_client()
    response = client.post(
        "/api/comment/new", json={"email": "a@example.com", "comment": "x" * 11, "content_id": 1}
    )
    assert response.json["message"] == "comment is 11 characters long; the limit is 10"


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch, store_url: str) -> None:
    monkeypatch.setenv("API_COMMENTS_STORE_URL", store_url)
    monkeypatch.setenv("API_COMMENTS_LIST_MAX", "2")
    app = create_app()
    assert app.config["LIST_MAX"] == 2
    assert app.config["STORE_URL"] == store_url


def test_unexpected_failure_is_a_json_500_without_stack_trace(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", view_func=broken)
    response = app.test_client().get("/broken", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.json == {
        "status": "INTERNAL-SERVER-ERROR",
        "message": "unexpected error; the logs have it under request_id req-42",
    }
    assert b"secret internals" not in response.data


def test_health_and_ready(client: FlaskClient) -> None:
    assert client.get("/health").json == {"status": "OK", "message": "process is alive"}
    assert client.get("/ready").json == {"status": "READY", "message": "comment store reachable"}


def test_request_id_is_kept_or_generated(client: FlaskClient) -> None:
    kept = client.get("/api/comment/list/1", headers={"X-Request-ID": "abc-123"})
    generated = client.get("/api/comment/list/1")
    unprintable = client.get("/api/comment/list/1", headers={"X-Request-ID": "x" * 200})
    assert kept.headers["X-Request-ID"] == "abc-123"
    assert len(generated.headers["X-Request-ID"]) == 32
    assert unprintable.headers["X-Request-ID"] != "x" * 200


def test_a_retry_with_the_same_idempotency_key_stores_the_comment_once(client: FlaskClient) -> None:
    comment = {"email": "retry@example.com", "comment": "sent twice", "content_id": 31}
    for _ in range(2):
        answer = client.post("/api/comment/new", json=comment, headers={"Idempotency-Key": "k-31"})
        assert answer.status_code == 200
    assert [c["comment"] for c in client.get("/api/comment/list/31").json] == ["sent twice"]
    other = client.post("/api/comment/new", json={**comment, "comment": "something else"},
                        headers={"Idempotency-Key": "k-31"})  # fmt: skip
    assert other.status_code == 422
    assert other.json["message"].startswith("Idempotency-Key was already used for another comment")
    assert len(client.get("/api/comment/list/31").json) == 1
    for _ in range(2):  # without a key, each request is a new comment
        client.post("/api/comment/new", json=comment)
    assert len(client.get("/api/comment/list/31").json) == 3
