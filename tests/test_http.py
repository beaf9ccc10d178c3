"""HttpClient policy: what a real server cannot show cheaply (responses)."""

from __future__ import annotations

import pytest
import requests
import responses

from opendata.errors import PortalError
from opendata.harvesters.http import DryRunSkip, HttpClient, TransientError, parse_retry_after

URL = "http://portal.test"
SECRET = "tok-abcdef-123456"


def client(**kw) -> tuple[HttpClient, list[float]]:
    waits: list[float] = []
    c = HttpClient(URL, secret_header="Authorization", secret=SECRET, sleep=waits.append,
                   backoff=0.5, **kw)
    return c, waits


@responses.activate
def test_429_honours_retry_after_then_succeeds() -> None:
    responses.get(f"{URL}/x", status=429, headers={"Retry-After": "7"})
    responses.get(f"{URL}/x", json={"ok": True})
    c, waits = client()
    resp = c.request("GET", "/x", action="read", write=False)
    assert resp.json() == {"ok": True}
    assert waits == [7.0]
    assert c.counters.reads == 1 and c.counters.retries == 1


@responses.activate
def test_5xx_burst_backs_off_exponentially() -> None:
    for status in (502, 503, 504):
        responses.get(f"{URL}/x", status=status)
    responses.get(f"{URL}/x", json={})
    c, waits = client()
    assert c.request("GET", "/x", action="read", write=False).status_code == 200
    assert waits == [0.5, 1.0, 2.0]


@responses.activate
def test_5xx_that_never_ends_is_a_clear_transient_error() -> None:
    responses.get(f"{URL}/x", status=503)
    c, waits = client(retries=2)
    with pytest.raises(TransientError, match="answered 503 after 3 attempts"):
        c.request("GET", "/x", action="read", write=False)
    assert len(waits) == 2


@responses.activate
def test_timeouts_are_retried_for_idempotent_calls() -> None:
    responses.get(f"{URL}/x", body=requests.Timeout("slow"))
    responses.get(f"{URL}/x", json={"ok": 1})
    c, waits = client()
    assert c.request("GET", "/x", action="read", write=False).json() == {"ok": 1}
    assert waits == [0.5]


@responses.activate
def test_a_create_is_never_retried_blindly() -> None:
    responses.post(f"{URL}/create", body=requests.ConnectionError("reset"))
    c, waits = client()
    with pytest.raises(TransientError) as exc:
        c.request("POST", "/create", action="create", write=True, json_body={"a": 1})
    assert len(responses.calls) == 1 and waits == []
    assert "not retried automatically" in exc.value.hint


@responses.activate
def test_malformed_reply_is_reported_with_a_snippet_and_no_secret() -> None:
    responses.get(f"{URL}/x", body=f"<html>proxy error {SECRET}</html>", status=200)
    c, _ = client()
    resp = c.request("GET", "/x", action="read", write=False)
    with pytest.raises(PortalError) as exc:
        c.json(resp)
    assert "not JSON" in exc.value.message and "<html>proxy error" in exc.value.message
    assert SECRET not in exc.value.message and "***" in exc.value.message


def test_dry_run_records_writes_masks_secrets_and_sends_nothing() -> None:
    c, _ = client(dry_run=True)
    with responses.RequestsMock() as rsps:  # any request sent would fail: none registered
        with pytest.raises(DryRunSkip):
            c.request("POST", "/create", action="package_create", write=True,
                      json_body={"name": "x", "api_key": "leak"})
        stand_in = c.request("POST", "/create", action="package_create", write=True,
                             json_body={"name": "y"}, dry_result={"id": "fake"})
        assert stand_in.json() == {"id": "fake"}
        assert len(rsps.calls) == 0
    assert [r.payload for r in c.recorded] == [{"name": "x", "api_key": "***"}, {"name": "y"}]
    assert c.counters.writes == 0


@pytest.mark.parametrize(("value", "expected"), [("12", 12.0), ("0", 0.0), (None, 3.0),
                                                 ("garbage", 3.0)])
def test_parse_retry_after(value: str | None, expected: float) -> None:
    assert parse_retry_after(value, 3.0) == expected


def test_parse_retry_after_http_date_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 3.0) == 0.0


@responses.activate
def test_nothing_listening_says_to_check_the_portal_and_url() -> None:
    responses.get(f"{URL}/x", body=requests.ConnectionError("refused"))
    c, _ = client(retries=1)
    with pytest.raises(TransientError) as exc:
        c.request("GET", "/x", action="read", write=False)
    assert "connection failed" in exc.value.message
    assert f"Nothing answered at {URL}" in exc.value.hint and "`url:`" in exc.value.hint
