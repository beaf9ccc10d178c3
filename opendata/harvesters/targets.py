"""Publishing targets: ``harvesters/<target>.yaml``, one file per portal.

A target names the *environment variable* that holds its API token, never the token: a
literal secret in a file that lives in git is refused before anything else happens.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from opendata.catalog.config import load_json_schema
from opendata.catalog.scaffold import is_placeholder_id
from opendata.catalog.yamlio import load_yaml
from opendata.errors import ConfigError, UsageError, register_secret

TARGETS_DIR = "harvesters"
KINDS = ("ckan", "datagouv")
POLICIES = ("upload", "link")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_KEY = re.compile(r"(token|api[_-]?key|apikey|secret|password|passwd)$", re.I)
KNOWN_KEYS = {"type", "url", "token_env", "organizations", "resources", "link_template",
              "name_prefix", "marker", "catalog_id", "private", "options", "description",
              "chunk_threshold_mb", "chunk_size_mb", "resource_type"}
#: what an API token may contain: visible ASCII, no quote, backslash or separator that
#: would break a header or betray a copy-paste accident (a trailing newline, a space)
TOKEN_CHARS = re.compile(r"^[A-Za-z0-9._~+/=:@!#$%&*^|-]{8,4096}$")


@dataclass(frozen=True)
class Target:
    """One portal opendata publishes to, as configured in git."""

    name: str
    kind: str
    url: str
    file: Path
    token_env: str | None = None
    organizations: dict[str, str] = field(default_factory=dict)
    resources: str = "upload"
    link_template: str | None = None
    name_prefix: str = ""
    marker: str = "opendata_catalog"
    catalog_id: str | None = None
    private: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def token(self) -> str | None:
        """The API token from the environment (None when unset or no variable named).

        It is registered for masking at once, and checked: a token with a newline, a
        space, a control or non-ASCII character is a copy-paste accident that would
        otherwise end in an HTTP library error quoting it (exit 3, never echoed)."""
        token = os.environ.get(self.token_env) if self.token_env else None
        if not token:
            return None
        register_secret(token)
        if not TOKEN_CHARS.fullmatch(token):
            bad = next((i for i, c in enumerate(token) if not TOKEN_CHARS.fullmatch(c * 8)),
                       None)
            what = ("is shorter than 8 characters" if bad is None and len(token) < 8 else
                    "is too long" if bad is None else
                    f"has a forbidden character at position {bad + 1} of {len(token)} "
                    f"({_describe_char(token[bad])})")
            raise ConfigError(
                f"the API token in ${self.token_env} {what}; the value is not shown",
                f"Set it again without it, e.g. `export {self.token_env}=\"$(cat token.txt | "
                "tr -d '[:space:]')\"`; in CI, edit the secret.")
        return token

    def http_settings(self) -> dict[str, Any]:
        """Per-try timeout and total deadline for this portal's HTTP client, from
        ``options: {timeout_s, deadline_s}`` (defaults: 60 s between bytes, 300 s in all)."""
        read = float(self.options.get("timeout_s") or 60.0)
        return {"timeout": (min(10.0, read), read),
                "deadline": float(self.options.get("deadline_s") or 300.0)}

    def require_token(self) -> str:
        """The token, or a :class:`ConfigError` naming the variable to set."""
        token = self.token()
        if not token:
            raise ConfigError(
                f"target {self.name!r} needs an API token: environment variable "
                f"{self.token_env or '(none named)'} is not set",
                f"export {self.token_env or 'VARIABLE'}=... (in CI: a repository secret); "
                f"`token_env:` in {self.file.name} names the variable.")
        return token


def _describe_char(char: str) -> str:
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space",
             '"': "a double quote", "'": "a quote", "\\": "a backslash"}
    if char in names:
        return names[char]
    if ord(char) < 32 or ord(char) == 127:
        return "a control character"
    return "a non-ASCII character" if ord(char) > 127 else "a character tokens never hold"


def check_url(url: Any) -> str | None:
    """Why ``url`` cannot be a portal's base URL, or None.  User-info is refused like a
    literal token (it is a password in git); the value is never quoted back."""
    if not isinstance(url, str):
        return f"url must be text, not {type(url).__name__}"
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "url contains a space or a control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        detail = "port out of range 0-65535" if "port" in str(exc).lower() else str(exc)
        return f"url is malformed ({detail})"
    if parts.scheme not in ("http", "https"):
        return "url must start with http:// or https://"
    if "@" in parts.netloc:
        return ("url holds a user name or password (user:secret@host); secrets never go in "
                "files kept in git (the value is not shown)")
    if not parts.hostname:
        return "url has no host name"
    if port == 0:
        return "url has port 0"
    if parts.query or parts.fragment:
        return "url must be the site root, without ?query or #fragment"
    return None


_SCHEMA: jsonschema.Validator | None = None


def _schema_problem(root: Path, data: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
    """The first JSON Schema problem of a target, worded without quoting the value (a
    value in a target file may be a misplaced secret)."""
    validator = jsonschema.Draft202012Validator(load_json_schema(root, "target.schema.json"))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    err = errors[0]
    path = tuple(err.absolute_path)
    where = ".".join(str(p) for p in path) or "(top level)"
    value = err.instance
    if err.validator == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        got = type(value).__name__
        extra = ""
        if path[:1] == ("organizations",) and isinstance(value, int | float):
            extra = ("; YAML read an unquoted number: quote the id "
                     "(e.g. \"000000000000000000000001\") to keep its leading zeros")
        return path, f"{where} must be {want.replace('string', 'text')}, not {got}{extra}"
    if err.validator == "enum":
        allowed = ", ".join(str(v) for v in err.validator_value)
        return path, f"{where} must be one of {allowed}"
    if err.validator == "pattern":
        return path, f"{where} has the wrong form (expected {err.validator_value})"
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return path, f"{where} is out of range ({err.validator} {err.validator_value})"
    if err.validator in ("minLength", "maxLength"):
        return path, f"{where} is too {'short' if err.validator == 'minLength' else 'long'}"
    return path, f"{where}: {err.validator} {err.validator_value!r} not satisfied"


def list_targets(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / TARGETS_DIR).glob("*.yaml"))


def _find_secrets(data: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = path + (key,)
            if (isinstance(key, str) and SECRET_KEY.search(key) and key != "token_env"
                    and isinstance(value, str) and value.strip()):
                found.append(here)
            found += _find_secrets(value, here)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _find_secrets(value, path + (i,))
    return found


def load_target(root: Path, name: str) -> Target:
    """Read and check ``harvesters/<name>.yaml``; problems are :class:`ConfigError`."""
    file = root / TARGETS_DIR / f"{name}.yaml"
    if not file.is_file():
        known = list_targets(root)
        close = difflib.get_close_matches(name, known, n=2)
        raise UsageError(f"no target {name!r} ({file} not found)",
                         (f"Did you mean {' or '.join(close)}? " if close else "")
                         + f"Targets: {', '.join(known) or 'none'} (harvesters/*.yaml).")
    doc = load_yaml(file, config=True)
    data = doc.data
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: a target must be a mapping of settings")

    def fail(key: str, message: str, hint: str) -> ConfigError:
        line, col = doc.where((key,))
        return ConfigError(f"{file}:{line}:{col}: {message}", hint)

    for secret_path in _find_secrets(data):
        line, col = doc.where(secret_path)
        key = ".".join(str(p) for p in secret_path)
        raise ConfigError(
            f"{file}:{line}:{col}: `{key}` holds a literal secret; secrets never go in files "
            "kept in git (the value is not shown here)",
            "Remove it, rotate that token, and name the environment variable that holds it: "
            "`token_env: MY_PORTAL_TOKEN`.")
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        key = sorted(unknown)[0]
        close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
        raise fail(key, f"unknown setting {key!r}",
                   f"Did you mean {close[0]!r}?" if close else
                   f"Settings: {', '.join(sorted(KNOWN_KEYS))}.")
    kind = data.get("type")
    if kind not in KINDS:
        raise fail("type", f"type must be one of {', '.join(KINDS)}, not {kind!r}"
                   if isinstance(kind, str | None) else
                   f"type must be one of {', '.join(KINDS)}", "type: ckan  or  type: datagouv")
    url = data.get("url")
    url_problem = check_url(url)
    if url_problem:
        raise fail("url", url_problem, "e.g. url: https://demo.data.gouv.fr (give the token "
                   "with token_env, never in the URL)")
    token_env = data.get("token_env")
    if token_env is not None and (not isinstance(token_env, str) or not ENV_NAME.match(token_env)):
        raise fail("token_env", "token_env must be the NAME of an environment variable "
                   "(letters, digits, '_'); this looks like something else, possibly a token "
                   "(the value is not shown)",
                   "Write e.g. `token_env: CKAN_API_TOKEN` and export that variable.")
    policy = data.get("resources", "upload")
    if policy not in POLICIES:
        raise fail("resources", f"resources must be 'upload' or 'link', not {policy!r}",
                   "upload: send local files to the portal; link: point at public URLs built "
                   "from link_template.")
    template = data.get("link_template")
    if policy == "link" and not template:
        raise fail("resources", "resources: link needs a link_template",
                   "e.g. link_template: https://raw.githubusercontent.com/ORG/REPO/{ref}/{path}")
    orgs = data.get("organizations") or {}
    if not isinstance(orgs, dict):
        raise fail("organizations", "organizations must map catalog organisation keys to "
                   "portal organisation ids", "organizations: {region-x: region-x}")
    for org_key, portal_id in orgs.items():
        if isinstance(portal_id, int) or is_placeholder_id(portal_id):
            line, col = doc.where(("organizations", org_key))
            raise ConfigError(
                f"{file}:{line}:{col}: organizations.{org_key}: {portal_id!r} is "
                + ("a number (YAML drops leading zeros): quote ids" if isinstance(portal_id, int)
                   else "a placeholder, not the id of an organisation on the portal"),
                "Write the real id of the portal organisation, quoted: "
                f'`{org_key}: "<id>"`; nothing is published to a placeholder.')
    problem = _schema_problem(root, data)
    if problem is not None:
        line, col = doc.where(problem[0])
        raise ConfigError(f"{file}:{line}:{col}: {problem[1]}",
                          "See validation/target.schema.json for the settings and their types.")
    options = dict(data.get("options") or {})
    for key in ("chunk_threshold_mb", "chunk_size_mb", "resource_type"):
        if key in data:
            options[key] = data[key]
    return Target(name=name, kind=kind, url=url.rstrip("/"), file=file, token_env=token_env,
                  organizations={str(k): str(v) for k, v in orgs.items()}, resources=policy,
                  link_template=template, name_prefix=str(data.get("name_prefix") or ""),
                  marker=str(data.get("marker") or "opendata_catalog"),
                  catalog_id=data.get("catalog_id"), private=bool(data.get("private", False)),
                  options=options)
