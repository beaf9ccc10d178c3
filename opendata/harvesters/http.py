"""The one HTTP client every harvester uses: timeouts, retries, counting, masking.

Rules it enforces so that adapters cannot get them wrong:

* every request has a per-try timeout *and* a total deadline (retries, backoff and a
  slowly trickled body included), with a notice on stderr while it waits;
* 429 (honouring ``Retry-After``), 502/503/504, timeouts and connection errors are retried
  with exponential backoff, **only for idempotent calls** — a create is never blindly
  retried (the adapter checks whether the first attempt landed, see ``Portal.find_created``);
* a dry run records write requests instead of sending them;
* the secret header is masked everywhere it could be printed, and never appears in
  exception messages; it is registered with :func:`opendata.errors.register_secret` so
  that text a portal sends back (an error page echoing our request headers) is masked too;
* a redirect to another host, or from https to http, loses the secret header: requests
  only drops ``Authorization`` there, and udata's key travels in ``X-API-KEY``.
"""

from __future__ import annotations

import email.utils
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3

from opendata.errors import MASK, PortalError, mask_secrets, register_secret

RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: the largest reply body we read into memory (a portal's JSON is far smaller)
MAX_BODY = 256 << 20


def stderr_notice(message: str) -> None:
    """Default waiting notice: one line on stderr (stdout may be a report being piped)."""
    print(f"opendata: {message}", file=sys.stderr, flush=True)


class _Session(requests.Session):
    """A session that strips the secret header whenever requests strips Authorization:
    a redirect to another host or port, or from https to http."""

    secret_header: str | None = None

    def rebuild_auth(self, prepared_request: requests.PreparedRequest,
                     response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)
        if self.secret_header and self.should_strip_auth(response.request.url or "",
                                                         prepared_request.url or ""):
            prepared_request.headers.pop(self.secret_header, None)


@dataclass
class RecordedRequest:
    """A request as it can be shown to a user: secrets masked, files summarised."""

    method: str
    url: str
    action: str
    payload: Any = None
    sent: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "action": self.action,
                "payload": self.payload, "sent": self.sent}


@dataclass
class Counters:
    reads: int = 0
    writes: int = 0
    retries: int = 0
    by_action: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"reads": self.reads, "writes": self.writes, "retries": self.retries,
                "by_action": dict(sorted(self.by_action.items()))}


class TransientError(PortalError):
    """A failure that may go away (timeout, 5xx, connection reset) after retries ran out."""


def parse_retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return default


class HttpClient:
    """A ``requests.Session`` with the policy above.  Thread-safe for ``--jobs``."""

    def __init__(self, base_url: str, *, secret_header: str | None = None,
                 secret: str | None = None, timeout: tuple[float, float] = (10.0, 120.0),
                 retries: int = 4, backoff: float = 1.0, max_wait: float = 120.0,
                 dry_run: bool = False, user_agent: str = "opendata",
                 sleep: Callable[[float], None] = time.sleep, deadline: float = 300.0,
                 notice_after: float = 10.0,
                 notify: Callable[[str], None] | None = stderr_notice):
        self.base_url = base_url.rstrip("/")
        self.secret_header = secret_header
        self._secret = secret
        register_secret(secret)
        #: seconds one request may take in total, every retry and wait included
        self.deadline = deadline
        self.notice_after = min(notice_after, deadline / 3)
        self.notify = notify
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.dry_run = dry_run
        self.sleep = sleep
        self.counters = Counters()
        self.recorded: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._user_agent = user_agent

    @property
    def session(self) -> requests.Session:
        """One session per thread: requests.Session is not guaranteed thread-safe."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = _Session()
            session.secret_header = self.secret_header
            session.headers["User-Agent"] = self._user_agent
            if self.secret_header and self._secret:
                session.headers[self.secret_header] = self._secret
            self._local.session = session
        return session

    def mask(self, text: str) -> str:
        """``text`` with the secret (and any other registered one) replaced: used on
        every message we build, portal replies quoted in it included."""
        if self._secret and self._secret in text:
            text = text.replace(self._secret, MASK)
        return mask_secrets(text)

    def _count(self, action: str, write: bool, retry: bool = False) -> None:
        with self._lock:
            if retry:
                self.counters.retries += 1
                return
            if write:
                self.counters.writes += 1
            else:
                self.counters.reads += 1
            self.counters.by_action[action] = self.counters.by_action.get(action, 0) + 1

    def request(self, method: str, path: str, *, action: str, write: bool,
                idempotent: bool | None = None, json_body: Any = None,
                data: Any = None, files: Any = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, show: Any = None,
                timeout: tuple[float, float] | None = None,
                dry_result: Any = None) -> requests.Response:
        """Send one request with retries; raise :class:`PortalError` on transport failure.

        ``write`` marks calls that change the portal (counted, skipped in dry runs);
        ``idempotent`` (default: true for GET/PUT/DELETE/HEAD) decides whether a transient
        failure may be retried blindly.  ``show`` is what a dry run displays as the
        payload (defaults to ``json_body``); it must never contain a secret.  In a dry run
        a write is recorded, not sent: with ``dry_result`` the caller gets a stand-in reply
        carrying that JSON (so a multi-step create can show all its requests), without it
        :class:`DryRunSkip` ends the operation.
        """
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        if write and self.dry_run:
            payload = show if show is not None else json_body
            with self._lock:
                self.recorded.append(RecordedRequest(method, url, action,
                                                     _mask_payload(payload), sent=False))
            if dry_result is None:
                raise DryRunSkip(action)
            return _dry_response(url, method, dry_result)
        attempts = self.retries + 1 if idempotent else 1
        last: str = ""
        started = time.monotonic()
        connect, read = timeout or self.timeout
        shown = self.mask(f"{method} {url}")
        for attempt in range(attempts):
            remaining = self.deadline - (time.monotonic() - started)
            if remaining <= 0:
                break
            if attempt:
                self._count(action, write, retry=True)
            else:
                self._count(action, write)
            if files is not None:
                for value in files.values():  # rewind uploads before a retry
                    fh = value[1] if isinstance(value, tuple) else value
                    if hasattr(fh, "seek"):
                        fh.seek(0)
            notice = None
            if self.notify is not None and self.notice_after < remaining:
                notice = threading.Timer(self.notice_after, self.notify, args=(
                    f"still waiting for {shown} after {self.notice_after:.0f} s "
                    f"(giving up after {self.deadline:.0f} s in all)",))
                notice.daemon = True
                notice.start()
            try:
                resp = self.session.request(method, url, json=json_body, data=data,
                                            files=files, params=params, headers=headers,
                                            timeout=(min(connect, remaining),
                                                     min(read, remaining)), stream=True)
                self._read_body(resp, started)
            except (requests.Timeout, requests.ConnectionError, _DeadlineExceeded,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                kind = ("timed out" if isinstance(exc, requests.Timeout | _DeadlineExceeded)
                        else "connection failed")
                last = f"{shown} {kind}"
                left = self.deadline - (time.monotonic() - started)
                if attempt + 1 < attempts and left > 0:
                    self.sleep(min(self.max_wait, self.backoff * 2 ** attempt, left))
                    continue
                hint = _retry_hint(idempotent)
                if not isinstance(exc, requests.Timeout | _DeadlineExceeded):
                    hint = (f"Nothing answered at {self.base_url}: check that the portal is up "
                            "and that `url:` in the target file is right. " + hint)
                else:
                    hint = (f"No complete answer within {self.deadline:.0f} s (per try: "
                            f"{connect:.0f} s to connect, {read:.0f} s between bytes). "
                            + hint)
                raise TransientError(self.mask(last), hint) from None
            except requests.RequestException as exc:  # invalid URL, too many redirects...
                raise PortalError(self.mask(f"{shown} failed: {type(exc).__name__}: "
                                            f"{str(exc)[:300]}"),
                                  "Check `url:` in the target file.") from None
            finally:
                if notice is not None:
                    notice.cancel()
            if resp.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                wait = self.backoff * 2 ** attempt
                if resp.status_code == 429 or "Retry-After" in resp.headers:
                    wait = parse_retry_after(resp.headers.get("Retry-After"), wait)
                last = f"{shown} answered {resp.status_code}"
                left = self.deadline - (time.monotonic() - started)
                if wait >= left:
                    break  # the portal asks us to wait beyond the deadline
                self.sleep(min(self.max_wait, wait))
                continue
            if resp.status_code in RETRY_STATUSES:
                raise TransientError(self.mask(f"{shown} answered {resp.status_code}"
                                               + (f" after {attempts} attempts" if attempts > 1
                                                  else "")),
                                     _retry_hint(idempotent), status=resp.status_code)
            return resp
        raise TransientError(self.mask((last or f"{shown} not attempted")
                                       + f"; deadline of {self.deadline:.0f} s reached"),
                             _retry_hint(idempotent))

    def _read_body(self, resp: requests.Response, started: float) -> None:
        """Read a streamed reply whole, within the deadline and the size cap: a server
        trickling one byte per timeout would otherwise keep a request alive forever."""
        chunks = []
        size = 0
        raw = resp.raw
        # read1 returns what has arrived instead of waiting for a full buffer, so the
        # deadline is checked between every few bytes of a trickled reply
        read1 = getattr(raw, "read1", None)

        def pieces():
            if read1 is None or not hasattr(raw, "_fp"):  # not urllib3 (tests' stand-ins)
                yield from resp.iter_content(1 << 16)
                return
            try:
                while chunk := read1(1 << 16, decode_content=True):
                    yield chunk
            except (TimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
                raise requests.Timeout(str(exc)) from None
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError,
                    OSError) as exc:
                raise requests.exceptions.ChunkedEncodingError(str(exc)) from None

        try:
            for chunk in pieces():
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY:
                    raise PortalError(self.mask(f"{resp.request.method} {resp.url}: reply "
                                                f"larger than {MAX_BODY} bytes"),
                                      "The URL may not point at the portal's API.")
                if time.monotonic() - started > self.deadline:
                    raise _DeadlineExceeded()
        finally:
            resp.close()
        resp._content = b"".join(chunks)
        resp._content_consumed = True

    def json(self, resp: requests.Response) -> Any:
        """Parse a JSON reply, turning a malformed one into a clear :class:`PortalError`."""
        try:
            return resp.json()
        except ValueError:
            snippet = self.mask(resp.text[:200].replace("\n", " "))
            raise PortalError(
                self.mask(f"{resp.request.method} {resp.url} answered {resp.status_code} "
                          f"with a body that is not JSON: {snippet!r}"),
                "The URL may not point at the portal's API (check `url:` in the target), or a "
                "proxy answered instead.", status=resp.status_code) from None


def _dry_response(url: str, method: str, body: Any) -> requests.Response:
    resp = requests.Response()
    resp.status_code = 200
    resp.url = url
    resp._content = json.dumps(body).encode()
    resp.headers["Content-Type"] = "application/json"
    resp.request = requests.Request(method, url).prepare()
    return resp


class _DeadlineExceeded(Exception):
    """The total deadline passed while a reply was still arriving."""


class DryRunSkip(Exception):
    """Raised instead of sending a write in a dry run; the publisher records and moves on."""


def _retry_hint(idempotent: bool) -> str:
    if idempotent:
        return "It failed after several attempts; run the command again later."
    return ("A create was not retried automatically, to avoid duplicates; publish again: it "
            "will see whether the first attempt landed.")


_SECRET_KEYS = ("token", "apikey", "api_key", "password", "secret", "authorization")


def _mask_payload(payload: Any) -> Any:
    if isinstance(payload, dict):
        return {k: (MASK if any(s in k.lower() for s in _SECRET_KEYS) else _mask_payload(v))
                for k, v in payload.items()}
    if isinstance(payload, list):
        return [_mask_payload(v) for v in payload]
    return payload


def compact(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)
