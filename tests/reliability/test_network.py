"""Secrets and deadlines against real misbehaving servers on 127.0.0.1.

The token must never be printed, even when a portal quotes it back, and must not follow a
redirect to another host; a portal that never answers, answers garbage or drops the
connection mid-body must fail in bounded time with a clear message (exit 4)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from opendata.harvesters.http import HttpClient, TransientError
from opendata.packages.download import fetch_url

from .servers import (
    TEST_TOKEN,
    Server,
    drop_mid_body,
    echo_headers,
    garbage,
    never_answer,
    reply,
)

ENV = {"OD_TEST_TOKEN": TEST_TOKEN}


def target(catalog: Path, kind: str, url: str, extra: str = "") -> None:
    (catalog / "harvesters").mkdir(exist_ok=True)
    org = "abc" if kind == "ckan" else "5a1b2c3d4e5f60718293a4b5"
    (catalog / "harvesters" / "t.yaml").write_text(
        f"type: {kind}\nurl: {url}\ntoken_env: OD_TEST_TOKEN\n"
        f"organizations: {{region-poitou-charentes: '{org}'}}\n{extra}", encoding="utf-8")


@pytest.fixture
def serve():
    servers: list[Server] = []

    def start(handler, **kw) -> Server:
        server = Server(handler, **kw)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize("kind", ["ckan", "datagouv"])
@pytest.mark.parametrize("command", ["plan", "publish"])
def test_portal_echoing_the_token_is_masked(run, catalog, serve, kind, command):
    server = serve(echo_headers(403))
    target(catalog, kind, server.url)
    result = run(command, "--target", "t", env=ENV)
    assert result.exit_code in (3, 4), result.output
    assert server.requests and any(TEST_TOKEN.encode() in r for r in server.requests)
    assert TEST_TOKEN not in result.output
    assert "***" in result.output or "denied" not in result.output


@pytest.mark.parametrize("kind, header", [("ckan", "Authorization"), ("datagouv", "X-API-KEY")])
def test_redirect_to_another_host_drops_the_token(run, catalog, serve, kind, header):
    def final(conn, _data, _server):
        conn.sendall(reply(200, b'{"success": true, "result": {"count": 0, "results": []},'
                                b' "data": [], "next_page": null, "total": 0}',
                           {"Content-Type": "application/json"}))

    other = serve(final)
    elsewhere = f"http://localhost:{other.port}"

    def redirect(conn, data, _server):
        path = data.split(b" ")[1].decode()
        conn.sendall(reply(307, b"", {"Location": elsewhere + path}))

    first = serve(redirect)
    target(catalog, kind, first.url)
    run("plan", "--target", "t", env=ENV)
    assert first.requests and all(TEST_TOKEN.encode() in r for r in first.requests)
    assert other.requests, "the redirect was not followed"
    for raw in other.requests:
        assert TEST_TOKEN.encode() not in raw and header.lower().encode() not in raw.lower()


def test_same_host_redirect_keeps_the_key(serve):
    def final(conn, data, server):
        conn.sendall(reply(200, b"{}", {"Content-Type": "application/json"}))

    def handler(conn, data, server):
        if b" /old " in data:
            conn.sendall(reply(307, b"", {"Location": f"{server.url}/new"}))
        else:
            final(conn, data, server)

    server = serve(handler)
    client = HttpClient(server.url, secret_header="X-API-KEY", secret=TEST_TOKEN)
    client.request("GET", "/old", action="read", write=False)
    assert len(server.requests) == 2 and TEST_TOKEN.encode() in server.requests[1]


@pytest.mark.parametrize("url, words", [
    (f"https://user:{TEST_TOKEN}@ckan.example.org", "user name or password"),
    (f"https://{TEST_TOKEN}@ckan.example.org", "user name or password"),
    ("http://", "no host"),
    ("https://ckan.example.org:70000", "port out of range"),
    ("https://ckan.example.org:-1", "port"),
    ("https://ckan.example.org/?token=1", "query"),
    ("ftp://ckan.example.org", "http"),
    ("https://exa mple.org", "space"),
    ("[1, 2]", "text"),
], ids=["userinfo", "user-only", "no-host", "port-70000", "port-negative", "query", "ftp",
        "space", "list"])
def test_bad_target_urls_are_config_errors(run, catalog, url, words):
    target(catalog, "ckan", url)
    result = run("plan", "--target", "t", env=ENV)
    assert result.exit_code == 3, result.output
    assert words in result.output and "t.yaml:2:" in result.output
    assert TEST_TOKEN not in result.output


@pytest.mark.parametrize("token", [TEST_TOKEN + "\n", " " + TEST_TOKEN, TEST_TOKEN + "é",
                                   TEST_TOKEN[:10] + "\x07" + TEST_TOKEN[10:], "short",
                                   TEST_TOKEN + '"'],
                         ids=["newline", "leading-space", "non-ascii", "control", "short",
                              "quote"])
def test_token_with_forbidden_characters_exit_3_never_echoed(run, catalog, serve, token):
    server = serve(echo_headers(403))
    target(catalog, "datagouv", server.url)
    result = run("publish", "--target", "t", env={"OD_TEST_TOKEN": token})
    assert result.exit_code == 3, result.output
    assert "OD_TEST_TOKEN" in result.output and "not shown" in result.output
    assert TEST_TOKEN not in result.output and TEST_TOKEN[:10] not in result.output
    assert not server.requests  # refused before anything was sent


@pytest.mark.parametrize("kind", ["ckan", "datagouv"])
def test_organization_id_read_as_a_number_is_explained(run, catalog, kind):
    (catalog / "harvesters").mkdir()
    (catalog / "harvesters" / "t.yaml").write_text(
        f"type: {kind}\nurl: https://x.org\norganizations:\n  region-poitou-charentes: "
        "000000000000000000000001\n", encoding="utf-8")
    result = run("plan", "--target", "t")
    assert result.exit_code == 3 and "quote" in result.output, result.output


def test_shipped_datagouv_demo_target_keeps_its_ids_as_text():
    import yaml

    repo = Path(__file__).resolve().parents[2]
    data = yaml.safe_load((repo / "harvesters" / "datagouv-demo.yaml").read_text("utf-8"))
    ids = list(data["organizations"].values())
    assert ids and all(isinstance(v, str) and len(v) == 24 for v in ids), ids


@pytest.mark.parametrize("kind", ["ckan", "datagouv"])
@pytest.mark.parametrize("behaviour", ["never", "garbage", "drop", "refused"])
def test_misbehaving_portal_fails_in_bounded_time(run, catalog, serve, kind, behaviour):
    if behaviour == "refused":
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        sock.close()  # nothing listens there now
    else:
        handler = {"never": never_answer, "garbage": garbage, "drop": drop_mid_body}[behaviour]
        url = serve(handler).url
    target(catalog, kind, url, "options: {timeout_s: 1, deadline_s: 3}\n")
    started = time.monotonic()
    result = run("plan", "--target", "t", env=ENV)
    elapsed = time.monotonic() - started
    assert elapsed < 20, elapsed
    assert result.exit_code == 4, result.output
    assert "error:" in result.output and TEST_TOKEN not in result.output
    if behaviour == "never":
        assert "still waiting for" in result.output and "timed out" in result.output


def test_http_client_deadline_covers_retries(serve):
    server = serve(never_answer)
    waits: list[float] = []
    client = HttpClient(server.url, timeout=(1, 1), deadline=2.5, retries=10,
                        sleep=waits.append, notify=None)
    started = time.monotonic()
    with pytest.raises(TransientError) as exc:
        client.request("GET", "/x", action="read", write=False)
    assert time.monotonic() - started < 6
    assert "timed out" in exc.value.message and "2 s" in exc.value.hint + " 2 s"


def test_trickling_body_is_cut_at_the_deadline(serve):
    def trickle(conn, _data, server):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100):
            if server._stop.wait(0.5):
                return
            conn.sendall(b"x")

    server = serve(trickle)
    client = HttpClient(server.url, timeout=(1, 2), deadline=2, retries=0, notify=None)
    started = time.monotonic()
    with pytest.raises(TransientError):
        client.request("GET", "/x", action="read", write=False)
    assert time.monotonic() - started < 6


def test_stalled_download_keeps_the_bytes_and_says_how_to_resume(tmp_path, serve):
    def stall(conn, _data, server):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nPK\x03\x04")
        server._stop.wait(30)

    server = serve(stall)
    started = time.monotonic()
    from opendata.errors import IntegrityError

    with pytest.raises(IntegrityError) as exc:
        fetch_url(f"{server.url}/pack-1.0.0.zip", tmp_path, attempts=2, timeout=1,
                  deadline=4)
    assert time.monotonic() - started < 10
    part = tmp_path / "pack-1.0.0.zip.part"
    assert part.read_bytes() == b"PK\x03\x04"
    assert "4 bytes kept" in exc.value.message and str(part) in exc.value.message
    assert "again" in exc.value.hint and "resumes" in exc.value.hint


def test_download_redirect_to_another_host_is_followed_without_credentials(tmp_path, serve):
    got: list[bytes] = []

    def final(conn, data, _server):
        got.append(data)
        conn.sendall(reply(200, b"PK"))

    other = serve(final)
    first = serve(lambda c, d, s: c.sendall(reply(302, b"", {
        "Location": f"http://localhost:{other.port}/p.zip"})))
    path, _ = fetch_url(f"{first.url}/p.zip", tmp_path, attempts=1, timeout=2)
    assert path.read_bytes() == b"PK" and got


def test_report_json_never_holds_the_token(run, catalog, serve, tmp_path):
    server = serve(echo_headers(403))
    target(catalog, "datagouv", server.url)
    report = tmp_path / "report.json"
    result = run("publish", "--target", "t", "--report", str(report), env=ENV)
    assert result.exit_code in (3, 4)
    if report.exists():
        assert TEST_TOKEN not in report.read_text(encoding="utf-8")
        json.loads(report.read_text(encoding="utf-8"))
