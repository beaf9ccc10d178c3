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

from opendata.catalog.scaffold import is_placeholder_id
from opendata.catalog.yamlio import load_yaml
from opendata.errors import ConfigError, UsageError

TARGETS_DIR = "harvesters"
KINDS = ("ckan", "datagouv")
POLICIES = ("upload", "link")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_KEY = re.compile(r"(token|api[_-]?key|apikey|secret|password|passwd)$", re.I)
KNOWN_KEYS = {"type", "url", "token_env", "organizations", "resources", "link_template",
              "name_prefix", "marker", "catalog_id", "private", "options", "description",
              "chunk_threshold_mb", "chunk_size_mb", "resource_type"}


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
        """The API token from the environment (None when unset or no variable named)."""
        return os.environ.get(self.token_env) if self.token_env else None

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
        raise fail("type", f"type must be one of {', '.join(KINDS)}, not {kind!r}",
                   "type: ckan  or  type: datagouv")
    url = data.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise fail("url", "url must be the portal's http(s) base URL",
                   "e.g. url: https://demo.data.gouv.fr")
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
