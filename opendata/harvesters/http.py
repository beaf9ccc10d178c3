"""The one HTTP client every harvester uses: timeouts, retries, counting, masking.

Rules it enforces so that adapters cannot get them wrong:

* every request has a timeout;
* 429 (honouring ``Retry-After``), 502/503/504, timeouts and connection errors are retried
  with exponential backoff, **only for idempotent calls** — a create is never blindly
  retried (the adapter checks whether the first attempt landed, see ``Portal.find_created``);
* a dry run records write requests instead of sending them;
* the secret header is masked everywhere it could be printed, and never appears in
  exception messages.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from opendata.errors import PortalError

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MASK = "***"


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
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.secret_header = secret_header
        self._secret = secret
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
            session = requests.Session()
            session.headers["User-Agent"] = self._user_agent
            if self.secret_header and self._secret:
                session.headers[self.secret_header] = self._secret
            self._local.session = session
        return session

    def mask(self, text: str) -> str:
        """``text`` with the secret replaced: used on every message we build."""
        if self._secret and self._secret in text:
            text = text.replace(self._secret, MASK)
        return text

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
        for attempt in range(attempts):
            if attempt:
                self._count(action, write, retry=True)
            else:
                self._count(action, write)
            try:
                if files is not None:
                    for value in files.values():  # rewind uploads before a retry
                        fh = value[1] if isinstance(value, tuple) else value
                        if hasattr(fh, "seek"):
                            fh.seek(0)
                resp = self.session.request(method, url, json=json_body, data=data,
                                            files=files, params=params, headers=headers,
                                            timeout=timeout or self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                last = f"{method} {url} {kind}"
                if attempt + 1 < attempts:
                    self.sleep(min(self.max_wait, self.backoff * 2 ** attempt))
                    continue
                hint = _retry_hint(idempotent)
                if not isinstance(exc, requests.Timeout):
                    hint = (f"Nothing answered at {self.base_url}: check that the portal is up "
                            "and that `url:` in the target file is right. " + hint)
                raise TransientError(self.mask(last), hint) from None
            if resp.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                wait = self.backoff * 2 ** attempt
                if resp.status_code == 429 or "Retry-After" in resp.headers:
                    wait = parse_retry_after(resp.headers.get("Retry-After"), wait)
                last = f"{method} {url} answered {resp.status_code}"
                self.sleep(min(self.max_wait, wait))
                continue
            if resp.status_code in RETRY_STATUSES:
                raise TransientError(self.mask(f"{method} {url} answered {resp.status_code}"
                                               + (f" after {attempts} attempts" if attempts > 1
                                                  else "")),
                                     _retry_hint(idempotent), status=resp.status_code)
            return resp
        raise TransientError(self.mask(last or f"{method} {url} failed"))  # pragma: no cover

    def json(self, resp: requests.Response) -> Any:
        """Parse a JSON reply, turning a malformed one into a clear :class:`PortalError`."""
        try:
            return resp.json()
        except ValueError:
            snippet = resp.text[:200].replace("\n", " ")
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
