"""Starting points a steward fills in: ``opendata init`` (a whole catalog repository) and
``opendata new`` (one dataset), and the check that what they left to fill in was filled in.

Scaffolds write placeholders on purpose (a ``TODO:`` description, an example e-mail, a
placeholder portal id), because an empty field would be skipped silently. The same module
therefore says which values are placeholders, so that ``validate`` and ``publish`` refuse
them: a placeholder must never reach a portal.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from opendata._version import __version__
from opendata.catalog.config import CONFIG_FILE, load_config, load_licences, validation_path
from opendata.catalog.i18n import _
from opendata.catalog.issues import Issue
from opendata.catalog.manifests import DATASETS_DIR, MANIFEST, Dataset, load_dataset
from opendata.catalog.yamlio import load_yaml
from opendata.errors import UsageError

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Where a catalog's JSON Schemas are published, under its base URI: ``opendata build``
#: copies them into ``dist/schemas/`` and the site serves ``dist/`` at the base URI.
SCHEMAS_PATH = "schemas/"
#: The JSON Schemas editors use, by the file they describe.
SCHEMA_FILES = {
    "opendata.yaml": "catalog.schema.json",
    "datasets/<name>/dataset.yaml": "dataset.schema.json",
    "datasets/packs/<pack>.yaml": "pack.schema.json",
    "licences/<key>.yaml": "licence.schema.json",
    "harvesters/<target>.yaml": "target.schema.json",
}


def schema_base(base_uri: str) -> str:
    """The stable URL folder of the catalog's JSON Schemas (``<base_uri>schemas/``)."""
    return base_uri + SCHEMAS_PATH


def copy_schemas(root: Path, folder: Path) -> list[Path]:
    """Copy the JSON Schemas editors use (the catalog's own, else opendata's) into
    ``folder`` (``dist/schemas/``), which the site publishes at ``<base_uri>schemas/``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in SCHEMA_FILES.values():
        target = folder / name
        shutil.copyfile(validation_path(root, name), target)
        out.append(target)
    return out


def schema_line(base_uri: str, schema: str) -> str:
    """The first line of a YAML file, telling yaml-language-server which schema checks it."""
    return f"# yaml-language-server: $schema={schema_base(base_uri)}{schema}\n"


# ---------------------------------------------------------------------------------------
# placeholders

#: A text a scaffold left to fill in: it starts with (or holds) an upper-case TODO.
PLACEHOLDER_TEXT = re.compile(r"\b(TODO|FIXME|TBD)\b")
#: Domains reserved for examples (RFC 2606, RFC 6761): no one reads mail sent there.
EXAMPLE_EMAIL = re.compile(r"@(?:[^@\s]+\.)?(?:example\.(?:com|net|org)|[^@\s]+\.(?:example|"
                           r"invalid|test|localhost))$|@(?:example|localhost)$", re.I)
#: Ids a scaffold writes for a portal organisation still to be looked up: zeros, perhaps
#: ending in a counter (``000000000000000000000001``), or a word such as ``TODO``.
PLACEHOLDER_ID = re.compile(r"^(?:0{8,}[0-9a-f]{0,8}|TODO.*|REPLACE.*|CHANGE.*|XXX+)$", re.I)


def is_placeholder_id(value: object) -> bool:
    """True for a portal id that a steward still has to replace."""
    return isinstance(value, str) and bool(PLACEHOLDER_ID.match(value.strip()))


def _strings(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...],
                                                                           str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, path + (i,))
    elif isinstance(data, str):
        yield path, data


def _field(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _placeholders(data: Any) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """(path, message, hint) for each value of ``data`` still a scaffold's placeholder."""
    for path, value in _strings(data):
        where = _field(path)
        last = path[-1] if path else ""
        if PLACEHOLDER_TEXT.search(value):
            yield path, _("{field} is still a placeholder ({value!r})").format(
                field=where, value=textwrap.shorten(value, 60, placeholder=" ...")), \
                _("Write the real text: placeholders are never published.")
        elif last == "email" and EXAMPLE_EMAIL.search(value.strip()):
            yield path, _("{field} is an example address ({value!r})").format(
                field=where, value=value.strip()), \
                _("Give an address someone reads (example.org, .invalid, .test... domains "
                  "receive no mail), or remove the field.")
        elif last == "organization" and is_placeholder_id(value):
            yield path, _("{field} is a placeholder organisation ({value!r})").format(
                field=where, value=value), \
                _("Name a key of `organizations:` in opendata.yaml.")


def placeholder_issues(ds: Dataset, rel: str, *, severity: str = "error") -> list[Issue]:
    """Values of a manifest that are still the scaffold's placeholders: ``TODO`` texts,
    e-mails at reserved example domains, placeholder organisation ids.

    Errors for ``validate`` (hence ``publish``, which publishes valid datasets only);
    ``new`` reports the same as warnings, as a list of what to fill in.
    """
    issues = []
    for path, message, hint in _placeholders(ds.raw):
        line, col = ds.doc.where(path)
        issues.append(Issue(file=rel, message=message, code="placeholder", dataset=ds.name,
                            line=line, column=col, field=_field(path), hint=hint,
                            severity=severity))  # type: ignore[arg-type]
    return issues


def config_placeholder_issues(root: Path) -> list[Issue]:
    """The same placeholders in ``opendata.yaml`` (a ``TODO`` title, an example publisher
    e-mail): what it says is published with every dataset, in DCAT and on the portals,
    so each is an error of the catalog as a whole, and ``plan``/``publish`` refuse it."""
    doc = load_yaml(root / CONFIG_FILE, config=True)
    return [Issue(file=CONFIG_FILE, message=message, code="placeholder", line=line,
                  column=col, field=_field(path), hint=hint, severity="error")
            for path, message, hint in _placeholders(doc.data)
            for line, col in [doc.where(path)]]


def download_url_issue(config_file: str, repository: dict[str, str],
                       has_local_files: bool) -> Issue | None:
    """One warning when local files have no public URL to be downloaded from.

    DCAT's ``downloadURL`` and the site's links need a public address for each file of
    the catalog; without ``repository.raw_url`` there is none, and inventing one under
    the base URI would publish links that answer 404.
    """
    if not has_local_files or repository.get("raw_url"):
        return None
    return Issue(
        file=config_file, code="no-download-url", severity="warning", field="repository.raw_url",
        message=_("local data files have no public download URL: DCAT and the site link to "
                  "each dataset's page instead of the file"),
        hint=_("Set `repository: {example}` in opendata.yaml (`opendata init` fills it from "
               "the git remote).").format(
            example="{raw_url: https://raw.githubusercontent.com/ORG/REPO/{ref}/{path}}"))


# ---------------------------------------------------------------------------------------
# opendata new

TEMPLATE = """\
{schema_line}# Manifest of the dataset {name}. Every field is documented by the JSON Schema named
# on the first line (editors complete and explain fields from it).
name: {name}
title: "{title}"
description: |
  TODO: what the data is, its unit, its caveats and where it comes from (Markdown).
organization: {organization}       # a key of opendata.yaml `organizations:`
licence: {licence}                 # `opendata licences` lists the keys
keywords: []                        # free keywords
themes: []                          # EU data themes: ECON, EDUC, GOVE, SOCI, TECH, ...
frequency: UNKNOWN                  # ANNUAL, MONTHLY, IRREG, NEVER (one-off), UNKNOWN, ...
# temporal: {{start: 2024-01-01, end: 2024-12-31}}
# spatial: {{level: region, code: "75"}}
# contact: {{name: Service données, email: opendata@example.org}}
# source: {{title: "Document de référence", section: "Tableau 2"}}
version: "0.1.0"
language: [{language}]
resources:
  - name: donnees
    title: Données
    path: donnees.csv               # a file in this folder (or `url:` for a remote file)
    format: csv
    # schema: donnees.schema.json   # `opendata infer donnees.csv --write` creates it
    dialect: {{delimiter: ";", encoding: utf-8}}
"""


@dataclass
class NewDataset:
    """What ``new`` wrote, and what is left to fill in before it can be published."""

    manifest: Path
    todo: list[Issue] = field(default_factory=list)


def new_dataset(root: Path, name: str, *, title: str | None = None,
                organization: str | None = None, licence: str = "etalab-2.0") -> NewDataset:
    """Create ``datasets/<name>/dataset.yaml``; refuses bad names and existing folders."""
    if not SLUG.match(name):
        raise UsageError(f"invalid dataset name {name!r}",
                         "Use 2-100 characters of a-z, 0-9, '-' and '_', starting with a "
                         "letter or digit.")
    config = load_config(root)
    licences = load_licences(root)
    if licence not in licences:
        raise UsageError(f"unknown licence {licence!r}", licences.suggest(licence))
    org = organization or next(iter(config.organizations))
    if org not in config.organizations:
        raise UsageError(f"unknown organisation {org!r}",
                         f"Known: {', '.join(config.organizations)}.")
    folder = root / DATASETS_DIR / name
    if folder.exists():
        raise UsageError(f"{folder} already exists", "Pick another name or edit it.")
    folder.mkdir(parents=True)
    manifest = folder / MANIFEST
    manifest.write_text(TEMPLATE.format(
        schema_line=schema_line(config.base_uri, "dataset.schema.json"), name=name,
        title=(title or name.replace("-", " ").capitalize()).replace('"', "'"),
        organization=org, licence=licence, language=config.language), encoding="utf-8")
    rel = manifest.relative_to(root).as_posix()
    return NewDataset(manifest, placeholder_issues(load_dataset(manifest), rel,
                                                   severity="warning"))


# ---------------------------------------------------------------------------------------
# opendata init

LANGUAGES = ("fr", "en", "de", "es", "it", "nl", "pt", "br", "oc", "co", "eu", "ca", "gsw")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class InitOptions:
    """What ``opendata init`` asks; every answer can be given as an option."""

    title: str
    base_uri: str
    publisher: str
    organization: str
    organization_key: str | None = None
    language: str = "fr"
    email: str | None = None
    ckan_url: str | None = None
    datagouv_url: str | None = None
    datagouv_organization: str | None = None
    repository: str | None = None
    #: what the workflows pip-install; None: :func:`installed_spec` works it out
    opendata_spec: str | None = None


@dataclass
class InitResult:
    folder: Path
    files: list[Path]
    targets: list[str]
    repository: dict[str, str]
    #: what the workflows pip-install, and why (or what to check) when it was worked out
    opendata_spec: str = ""
    spec_note: str = ""


def slugify(text: str) -> str:
    """``Région Île-de-France`` -> ``region-ile-de-france`` (a key or dataset name)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


def _yaml_str(value: str) -> str:
    """A YAML double-quoted scalar: titles hold colons, accents and quotes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def git_remote_repository(folder: Path) -> dict[str, str]:
    """``repository`` settings from the git remote ``origin`` of ``folder``, when it is a
    GitHub or GitLab repository: the web URL and the raw-file URL template."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "remote", "get-url", "origin"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    return repository_from_url(out.stdout.strip()) if out.returncode == 0 else {}


def repository_from_url(url: str) -> dict[str, str]:
    """``repository`` settings for a GitHub or GitLab URL (https or ssh form); else {}."""
    url = url.strip().rstrip("/")
    url = url[:-4] if url.endswith(".git") else url
    m = re.match(r"^(?:https?://|ssh://)?(?:[^@/]+@)?(github\.com|gitlab\.com)[:/]"
                 r"([\w.-]+(?:/[\w.-]+)+)$", url)
    if not m:
        return {}
    host, path = m.groups()
    web = f"https://{host}/{path}"
    raw = (f"https://raw.githubusercontent.com/{path}/{{ref}}/{{path}}" if host == "github.com"
           else f"{web}/-/raw/{{ref}}/{{path}}")
    return {"url": web, "raw_url": raw, "ref": "main"}


def _git(folder: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def installed_spec(distribution: str = "opendata") -> tuple[str, str]:
    """What a CI machine should ``pip install`` to get the opendata running here, and a note.

    The workflows ``init`` writes run on GitHub's machines, which reach only public
    sources.  pip records where a package came from (PEP 610 ``direct_url.json``):
    nothing for an index such as PyPI (``opendata==VERSION``), the repository and commit
    for ``pip install git+URL``, and a local folder for a clone, whose ``origin`` remote and
    commit then give a public ``git+https`` spec when it has one.  A local folder with no
    public remote cannot be reached from CI: the spec falls back to the version and the
    note says to pass ``--opendata-spec``.
    """
    import json
    from importlib import metadata
    from urllib.parse import unquote
    from urllib.request import url2pathname

    pinned = f"{distribution}=={__version__}"
    # a source tree's own *.egg-info on sys.path is found too; it records nothing
    raw = next((text for dist in metadata.distributions(name=distribution)
                if (text := dist.read_text("direct_url.json"))), None)
    if not raw:
        return pinned, ""
    try:
        direct = json.loads(raw)
    except ValueError:
        return pinned, ""
    url = str(direct.get("url", ""))
    vcs = direct.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return f"{distribution} @ git+{url}@{vcs['commit_id']}", ""
    if url.startswith(("https://", "http://")):
        return f"{distribution} @ {url}", ""
    if url.startswith("file://"):
        folder = Path(url2pathname(unquote(urlsplit(url).path)))
        remote = repository_from_url(_git(folder, "remote", "get-url", "origin"))
        commit = _git(folder, "rev-parse", "HEAD")
        if remote and commit:
            return (f"{distribution} @ git+{remote['url']}.git@{commit}",
                    f"the workflows install opendata from {remote['url']} at commit "
                    f"{commit[:12]} (this clone's HEAD): push that commit, or pass "
                    "--opendata-spec")
        return pinned, (f"opendata runs here from the folder {folder}, which GitHub's "
                        f"machines cannot reach, and {pinned} may not be on PyPI: pass "
                        "--opendata-spec with what CI should pip-install (a PyPI version, "
                        "or git+https://HOST/ORG/opendata.git@TAG)")
    return pinned, ""


def _check_options(opts: InitOptions) -> InitOptions:
    for label, value in (("title", opts.title), ("publisher", opts.publisher),
                         ("organisation", opts.organization)):
        if not value or not value.strip():
            option = "organization" if label == "organisation" else label
            raise UsageError(f"the catalog needs a {label}", f"Pass --{option}.")
        if PLACEHOLDER_TEXT.search(value):
            raise UsageError(f"{label} {value!r} is a placeholder", "Give the real name.")
    base = opts.base_uri.strip()
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", base):
        raise UsageError(f"base URI {base!r} is not an http(s) URL",
                         "e.g. --base-uri https://data.example.org/ : datasets get the stable "
                         "URIs <base URI>dataset/<name>.")
    opts.base_uri = base if base.endswith("/") else base + "/"
    if opts.language not in LANGUAGES:
        raise UsageError(f"unknown language {opts.language!r}",
                         f"An ISO 639-1 code among {', '.join(LANGUAGES)}.")
    key = opts.organization_key or slugify(opts.organization)
    if not SLUG.match(key) or is_placeholder_id(key):
        raise UsageError(f"organisation key {key!r} is not usable",
                         "Pass --organization-key with 2-100 characters of a-z, 0-9, '-', '_'.")
    opts.organization_key = key
    if opts.email and EXAMPLE_EMAIL.search(opts.email):
        raise UsageError(f"{opts.email!r} is an example address", "Give one someone reads.")
    for label, url in (("--ckan-url", opts.ckan_url), ("--datagouv-url", opts.datagouv_url)):
        if url and not re.match(r"^https?://\S+$", url):
            raise UsageError(f"{label} {url!r} is not an http(s) URL")
    if opts.datagouv_url and not opts.datagouv_organization:
        raise UsageError("a data.gouv.fr target needs the id of your organisation there",
                         "Pass --datagouv-organization ID (24 hex characters, on the "
                         "organisation's admin page or in /api/1/organizations/<slug>/).")
    if opts.datagouv_organization and is_placeholder_id(opts.datagouv_organization):
        raise UsageError(f"{opts.datagouv_organization!r} is a placeholder organisation id",
                         "Give the real id of your data.gouv.fr organisation.")
    if opts.datagouv_organization and not opts.datagouv_url:
        opts.datagouv_url = "https://www.data.gouv.fr"
    if not opts.ckan_url and not opts.datagouv_url:
        raise UsageError("the catalog needs a portal to publish to",
                         "Pass --ckan-url URL (a CKAN site) and/or --datagouv-organization ID "
                         "(data.gouv.fr; --datagouv-url https://demo.data.gouv.fr to try first).")
    return opts


def _render(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"<<{key}>>", value)
    leftover = re.search(r"<<\w+>>", text)
    assert leftover is None, f"{template}: {leftover.group()} not filled"
    return text


def _is_local(url: str) -> bool:
    return urlsplit(url).hostname in LOCAL_HOSTS


def _targets(opts: InitOptions, base: str) -> dict[str, tuple[str, str]]:
    """``harvesters/<name>.yaml`` contents and token variables of the portals asked for."""
    key = opts.organization_key
    out: dict[str, tuple[str, str]] = {}
    if opts.ckan_url:
        out["ckan"] = ("CKAN_API_TOKEN", (
            schema_line(base, "target.schema.json")
            + "# A CKAN portal. Its API token is read from the variable named by token_env "
              "(never\n# written here): export CKAN_API_TOKEN=... (in CI: a repository "
              "secret).\n"
            f"type: ckan\nurl: {opts.ckan_url.rstrip('/')}\ntoken_env: CKAN_API_TOKEN\n"
            "resources: upload                  # send local files to CKAN's FileStore\n"
            "marker: opendata_catalog           # extra marking the datasets opendata manages\n"
            "organizations:                     # catalog organisation -> CKAN organisation "
            "(created if missing)\n"
            f"  {key}: {key}\n"))
    if opts.datagouv_url:
        out["datagouv"] = ("DATAGOUV_API_KEY", (
            schema_line(base, "target.schema.json")
            + "# data.gouv.fr (or its demo instance). The API key is read from the variable "
              "named by\n# token_env (never written here): export DATAGOUV_API_KEY=...\n"
            f"type: datagouv\nurl: {opts.datagouv_url.rstrip('/')}\n"
            "token_env: DATAGOUV_API_KEY\nresources: upload\nmarker: opendata_catalog\n"
            "organizations:                     # catalog organisation -> data.gouv.fr "
            "organisation id\n"
            f"  {key}: {_yaml_str(str(opts.datagouv_organization))}\n"))
    return out


def _matrix(targets: dict[str, tuple[str, str]], urls: dict[str, str]) -> str:
    """The workflows' matrix: the public portals (a local one is only listed when there is
    nothing else, and is then skipped in CI for want of its secret)."""
    public = [t for t in targets if not _is_local(urls[t])] or list(targets)
    lines = ["        include:\n"]
    for name in public:
        lines.append(f"          - target: {name}\n            token_env: {targets[name][0]}\n")
    return "".join(lines)


def init_catalog(folder: Path, opts: InitOptions) -> InitResult:
    """Write a ready catalog repository into ``folder`` (created if missing).

    Refuses to write over anything: ``folder`` must not hold any of the files written
    (an existing folder with other files, such as a fresh git clone, is fine).
    """
    opts = _check_options(opts)
    folder = folder.resolve()
    spec, spec_note = ((opts.opendata_spec, "") if opts.opendata_spec else installed_spec())
    base = opts.base_uri
    key = str(opts.organization_key)
    example = f"regions-{key}" if len(key) < 80 else "regions-exemple"
    targets = _targets(opts, base)
    urls = {"ckan": opts.ckan_url or "", "datagouv": opts.datagouv_url or ""}
    repository = (repository_from_url(opts.repository) if opts.repository
                  else git_remote_repository(folder) if folder.is_dir() else {})
    if opts.repository and not repository:
        raise UsageError(f"--repository {opts.repository!r} is not a GitHub or GitLab URL",
                         "e.g. https://github.com/ORG/REPO; or set repository.raw_url in "
                         "opendata.yaml by hand afterwards.")
    repo_yaml = ""
    if repository:
        repo_yaml = ("repository:                   # public raw URLs of the data files\n"
                     + "".join(f"  {k}: {v}\n" for k, v in repository.items()))
    values = {
        "schema_base": schema_base(base), "title": _yaml_str(opts.title), "base_uri": base,
        "language": opts.language, "publisher": _yaml_str(opts.publisher),
        "publisher_email": f"  email: {opts.email}\n" if opts.email else "",
        "repository": repo_yaml, "org_key": key, "org_title": _yaml_str(opts.organization),
        "example": example, "opendata_spec": spec.replace("'", ""),
        "matrix": _matrix(targets, urls), "first_target": next(iter(targets)),
        "contact": (f"contact: {{name: {_yaml_str(opts.publisher)}, email: {opts.email}}}\n"
                    if opts.email else ""),
    }
    files: dict[str, str] = {
        CONFIG_FILE: _render("opendata.yaml", values),
        ".gitignore": _render("gitignore", values),
        "README.md": _render("README.md", {**values, "title": opts.title,
                                            "publisher": opts.publisher}),
        f"{DATASETS_DIR}/{example}/{MANIFEST}": _render("example/dataset.yaml", values),
        f"{DATASETS_DIR}/{example}/regions.csv": _render("example/regions.csv", {}),
        f"{DATASETS_DIR}/{example}/regions.schema.json": _render("example/regions.schema.json",
                                                                 {}),
    }
    for name in ("validate", "publish", "release"):
        files[f".github/workflows/{name}.yml"] = _render(f"workflows/{name}.yml", values)
    for name, (_env, text) in targets.items():
        files[f"harvesters/{name}.yaml"] = text
    existing = [rel for rel in files if (folder / rel).exists()]
    if existing or (folder / DATASETS_DIR).exists():
        shown = existing or [DATASETS_DIR]
        raise UsageError(f"{folder} already holds {', '.join(shown[:5])}"
                         + (" ..." if len(shown) > 5 else ""),
                         "opendata init never overwrites: pick an empty folder, or add "
                         "datasets to this catalog with `opendata new`.")
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return InitResult(folder=folder, files=written, targets=list(targets),
                      repository=repository, opendata_spec=spec, spec_note=spec_note)
