"""api-comments under hostile input, on its real server with each store: every client mistake
is a JSON 4xx that says what is wrong, never a 5xx (Traefik's circuit breaker would open for
everyone), and nothing refused is stored. Targeted cases first, then a property-based fuzz of
methods, paths, queries, headers and bodies (hypothesis)."""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from ops.observability.dashboards import TRAEFIK_ACCESS_FIELDS
from ops.perf.slowclients import probe
from ops.server import BackgroundProcess, free_port, serve_in_background
from ops.terraform.layers import INFRA, parse_hcl
from ops.tools import require
from tests.conftest import RedisServer

MAX_ID = 2**63 - 1


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(base URL, store URL) of a real server on a fresh store, for the module."""
    directory = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        store = f"sqlite:///{directory / 'comments.db'}"
        server: RedisServer | None = None
    else:
        server = RedisServer(directory / "redis").start()
        store = server.url
    process, base = serve_in_background(store=store, log_path=directory / "server.log")
    with process:
        yield base, store
    if server:
        server.stop()


def stored(store: str) -> int:
    """Comments in the store, counted in the store itself."""
    if store.startswith("sqlite"):
        with sqlite3.connect(store.removeprefix("sqlite:///")) as db:
            return int(db.execute("SELECT count(*) FROM comments").fetchone()[0])
    client = redis.Redis.from_url(store)
    return sum(int(client.xlen(key)) for key in client.scan_iter("comments:*"))


def raw(base: str, request: bytes, *, close_after_send: bool = False) -> tuple[int, dict[str, object] | None]:
    """Send bytes as they are; the status and the JSON body of the answer."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(request)
        if close_after_send:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"content-length" not in answer.lower():
                break
            head, _, body = answer.partition(b"\r\n\r\n")
            length = [
                int(line.split(b":")[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length")
            ]
            if length and len(body) >= length[0]:
                break
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, (json.loads(body) if body.strip() else None)


def post(body: bytes, headers: str = "Content-Type: application/json\r\n") -> bytes:
    return (
        b"POST /api/comment/new HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + headers.encode()
        + (b"Content-Length: %d\r\n\r\n" % len(body))
        + body
    )


VALID = b'{"email": "a@example.com", "comment": "hello", "content_id": 7}'


@pytest.mark.parametrize(
    ("name", "request_bytes", "status", "message"),
    [
        ("deeply nested JSON", post(b"[" * 5000 + b"]" * 5000), 400, "not valid JSON: depth limit exceeded"),
        ("a lone surrogate", post(b'{"email": "a@example.com", "comment": "\\ud800", "content_id": 7}'), 400, "surrogate"),
        ("NaN", post(b'{"email": "a@example.com", "comment": "x", "content_id": NaN}'), 400, "not valid JSON"),
        ("an id past 64 bits", post(b'{"email": "a@example.com", "comment": "x", "content_id": 9223372036854775808}'), 400, "up to 9223372036854775807"),
        ("an id past the int conversion limit", post(b'{"email": "a@example.com", "comment": "x", "content_id": "' + b"9" * 5000 + b'"}'), 400, "positive integer"),
        ("a superscript digit id", post('{"email": "a@example.com", "comment": "x", "content_id": "²"}'.encode()), 400, "positive integer"),
        ("UTF-16", post('{"email": "a@example.com", "comment": "x", "content_id": 7}'.encode("utf-16")), 400, "not valid JSON"),
        ("a latin-1 charset", post(VALID, "Content-Type: application/json; charset=latin-1\r\n"), 415, "charset latin-1"),
        ("an invalid chunk size", b"POST /api/comment/new HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n" + VALID + b"\r\n0\r\n\r\n", 400, ""),
        ("a body shorter than its Content-Length", b"POST /api/comment/new HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" + VALID, 400, "ended after 63 of the 500 bytes"),
        ("an Arabic-Indic id in the path", "GET /api/comment/list/\u0663 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(), 400, "positive integer"),
        ("an Arabic-Indic cursor", "GET /api/comment/list/7?cursor=\u0661\u0662-\u0663 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(), 400, "cursor is not valid"),
        ("a cursor past 64 bits", b"GET /api/comment/list/7?cursor=99999999999999999999999 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400, "cursor is not valid"),
        ("a limit past the int conversion limit", b"GET /api/comment/list/7?limit=" + b"9" * 5000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400, "limit must be"),
    ],
)  # fmt: skip
def test_a_client_mistake_is_a_json_4xx_and_stores_nothing(
    served: tuple[str, str], name: str, request_bytes: bytes, status: int, message: str
) -> None:
    base, store = served
    before = stored(store)
    answer_status, body = raw(base, request_bytes, close_after_send="shorter" in name)
    assert answer_status == status, (name, body)
    assert body is not None, f"{name}: an empty answer"
    assert message in str(body["message"]), (name, body)
    assert stored(store) == before, f"{name} stored something"


def test_a_chunked_body_past_the_limit_is_refused_even_when_its_start_is_valid_json(
    served: tuple[str, str],
) -> None:
    base, store = served
    body = VALID + b" " * 20_000
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 4096]), body[i : i + 4096]) for i in range(0, len(body), 4096)
    )
    request = (b"POST /api/comment/new HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")  # fmt: skip
    before = stored(store)
    status, answer = raw(base, request)
    assert (status, answer) == (413, {"status": "REQUEST-ENTITY-TOO-LARGE",
                                      "message": "request body is larger than 16384 bytes"})  # fmt: skip
    assert stored(store) == before


def test_duplicate_keys_keep_the_last_as_the_original_did(served: tuple[str, str]) -> None:
    base, _ = served
    body = b'{"email": "a@example.com", "comment": "first", "comment": "last", "content_id": 8}'
    assert raw(base, post(body))[0] == 200
    assert [c["comment"] for c in requests.get(f"{base}/api/comment/list/8", timeout=5).json()][-1] == "last"


def series(base: str, name: str) -> int:
    families = text_string_to_metric_families(requests.get(f"{base}/metrics", timeout=5).text)
    return sum(1 for family in families for sample in family.samples if sample.name == name)


def test_invented_methods_add_no_metric_series_and_ready_names_no_address(served: tuple[str, str]) -> None:
    base, _ = served
    requests.request("BREW", f"{base}/api/comment/new", timeout=5)  # one "OTHER" series
    before = series(base, "flask_http_request_total")
    for n in range(30):
        answer = requests.request(f"INVENT{n}", f"{base}/api/comment/new", timeout=5)
        assert answer.status_code == 405
        assert answer.json()["message"].startswith(f"method INVENT{n} is not allowed")
    assert series(base, "flask_http_request_total") == before
    ready = requests.get(f"{base}/ready", timeout=5).json()
    assert "127.0.0.1" not in json.dumps(ready)
    assert ":" not in ready["message"]


def test_slow_headers_do_not_pin_the_workers(served: tuple[str, str]) -> None:
    """Twenty connections sending their headers a byte a second; /health keeps answering:
    the server parses HTTP outside the Python threads."""
    result = probe(served[0], kind="headers", connections=20, seconds=4)
    assert result.timed_out == 0, result


@pytest.fixture(scope="module")
def behind_traefik(
    served: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """(base URL, access log) of real Traefik in front, with the buffering middleware, the
    entry-point timeouts and the access log the layers configure (02-traefik's read timeout
    and access-log flags, the module's request_body_limit), here from Traefik's file provider."""
    directory = tmp_path_factory.mktemp("traefik")
    backend = served[0]
    (directory / "dynamic.yml").write_text(json.dumps({"http": {
        "routers": {"api": {"rule": "PathPrefix(`/`)", "entryPoints": ["web"], "service": "api",
                            "middlewares": ["buffering"]}},
        "middlewares": {"buffering": {"buffering": {"maxRequestBodyBytes": 16384, "memRequestBodyBytes": 16384}}},
        "services": {"api": {"loadBalancer": {"servers": [{"url": backend}]}}},
    }}))  # fmt: skip
    port = free_port()
    argv = [require("traefik"), f"--entrypoints.web.address=127.0.0.1:{port}",
            "--entrypoints.web.transport.respondingtimeouts.readtimeout=15s",
            f"--providers.file.filename={directory / 'dynamic.yml'}", "--log.level=ERROR",
            *ACCESS_LOG_FLAGS, f"--accesslog.filepath={directory / 'access.log'}"]  # fmt: skip
    with BackgroundProcess(
        argv, ready_url=f"http://127.0.0.1:{port}/health", log_path=directory / "traefik.log"
    ):
        yield f"http://127.0.0.1:{port}", directory / "access.log"


# The access log as 02-traefik configures it (its flags as written there).
ACCESS_LOG_FLAGS = [
    flag for flag in parse_hcl((INFRA / "02-traefik" / "main.tf").read_text())["locals"][0]["traefik_flags"]
    if flag.startswith("--accesslog")
]  # fmt: skip


def test_traefiks_access_log_has_every_field_the_log_panels_read(behind_traefik: tuple[str, Path]) -> None:
    """One line per request in real Traefik's access log (ADR 0016), carrying the request id
    the service answered and the one the client sent, and every field the Logs dashboard's
    Traefik queries name."""
    base, log = behind_traefik
    sent = requests.get(f"{base}/api/comment/list/1", headers={"X-Request-ID": "from-client"}, timeout=5)
    generated = requests.get(f"{base}/api/comment/list/2", timeout=5).headers["X-Request-ID"]
    lines = {}
    for _ in range(50):  # Traefik writes the line once the response is sent
        lines = {line["RequestPath"]: line for line in map(json.loads, log.read_text().splitlines())}
        if {"/api/comment/list/1", "/api/comment/list/2"} <= set(lines):
            break
        time.sleep(0.1)
    assert lines["/api/comment/list/1"]["request_X-Request-Id"] == "from-client"
    assert (
        lines["/api/comment/list/1"]["downstream_X-Request-Id"]
        == sent.headers["X-Request-ID"]
        == "from-client"
    )
    assert lines["/api/comment/list/2"]["downstream_X-Request-Id"] == generated
    assert set(TRAEFIK_ACCESS_FIELDS) <= set(lines["/api/comment/list/2"])
    assert "request_User-Agent" not in lines["/api/comment/list/2"]  # other headers stay out


def test_slow_bodies_are_absorbed_by_traefik_in_front(behind_traefik: tuple[str, Path]) -> None:
    """Twenty connections sending a body a byte a second through Traefik's buffering: the
    server never sees them (directly, each would hold one of its Python threads)."""
    result = probe(behind_traefik[0], kind="body", connections=20, seconds=4)
    assert result.timed_out == 0, result


# The property-based part: any method, path, query, header and body a client may send.
TOKENS = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='()<>@,;:\\"/[]?={} '), min_size=1, max_size=12)  # fmt: skip
ID_TEXT = st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str), st.text(max_size=30),
                    st.sampled_from(["\u00b2", "\u0663", "\uff17", "07", "1e3", "0x10", " 7", "7 ", "9" * 5000]))  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)  # fmt: skip
COMMENTS = st.fixed_dictionaries(
    {},
    optional={
        "email": st.one_of(st.emails(), JSON_VALUES),
        "comment": st.one_of(st.text(max_size=3000), JSON_VALUES),
        "content_id": st.one_of(st.integers(min_value=-5, max_value=2**64 + 5), ID_TEXT, JSON_VALUES),
        "extra": JSON_VALUES,
    },
)
BODIES = st.one_of(
    COMMENTS.map(lambda value: json.dumps(value).encode()),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    st.sampled_from([b"[" * 3000, b'{"comment": "\\udc80"}', b'{"content_id": NaN}', b"\xef\xbb\xbf{}", b""]),
)
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "application/json; charset=utf-16",
                                 "text/plain", "application/x-www-form-urlencoded", "", "application/json;;;", "*/*"])  # fmt: skip
HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200)
PATHS = st.one_of(
    ID_TEXT.map(lambda cid: "/api/comment/list/" + cid),
    st.just("/api/comment/new"),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x10FFFF, exclude_categories=("Cs",)), max_size=40).map(lambda p: "/" + p),
)  # fmt: skip
QUERIES = st.dictionaries(st.sampled_from(["limit", "cursor", "x"]), ID_TEXT, max_size=2)


def send(
    base: str, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
) -> int:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        url = requests.Request("GET", base + path, params=query).prepare().path_url
        connection.request(method, url, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


VALID_COMMENTS = st.fixed_dictionaries(
    {"email": st.emails(), "comment": st.text(min_size=1, max_size=200), "content_id": st.integers(1, 50)}
).map(lambda value: json.dumps(value).encode())
ANY_REQUEST = st.tuples(
    st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]), TOKENS),
    PATHS, QUERIES, CONTENT_TYPES, BODIES,
)  # fmt: skip
COMMENT_POSTS = st.tuples(
    st.just("POST"), st.just("/api/comment/new"), st.just({}),
    st.sampled_from(["application/json", "application/json; charset=utf-8", "application/json; charset=latin-1"]),
    st.one_of(VALID_COMMENTS, BODIES),
)  # fmt: skip


@settings(max_examples=10_000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(request=st.one_of(ANY_REQUEST, COMMENT_POSTS), request_id=HEADER_VALUES)
def fuzz(
    base: str,
    outcomes: list[tuple[str, int]],
    request: tuple[str, str, dict[str, str], str, bytes],
    request_id: str,
) -> None:
    method, path, query, content_type, body = request
    headers = {"Content-Type": content_type, "X-Request-ID": request_id}
    status = send(base, method, path, query, headers, body)
    assert status < 500, (method, path, query, headers, body[:200], status)
    outcomes.append((f"{method.upper()} {path.split('?')[0][:20]}", status))


@pytest.mark.timeout(600)
def test_ten_thousand_generated_requests_get_no_5xx_and_only_200s_store(served: tuple[str, str]) -> None:
    base, store = served
    before = stored(store)
    outcomes: list[tuple[str, int]] = []
    fuzz(base, outcomes)
    stored_posts = sum(
        1 for request, status in outcomes if request.startswith("POST /api/comment/new") and status == 200
    )
    assert len(outcomes) >= 10_000
    assert stored(store) - before == stored_posts, "a refused request was stored, or an accepted one was not"
    print(f"{store.split(':')[0]}: {len(outcomes)} requests, statuses {sorted({s for _, s in outcomes})}, "
          f"{stored_posts} comments stored")  # fmt: skip
