"""``opendata serve``: the site, the DCAT files and CKAN's read actions, from ``dist/``.

A plain WSGI application with no state but what it reads at start (``dist/api/`` and the
site folder), so any number of processes can serve the same ``dist/`` behind a reverse
proxy.  Answers follow CKAN 2.12: the ``{"help", "success", "result"}`` envelope, errors
as ``{"error": {"__type": ...}}`` with CKAN's status codes (400 for an unknown action or
a bad search, 404 ``Not Found Error``, 409 ``Validation Error`` naming the parameter),
GET parameters or a JSON body (POST) alike.
"""

from __future__ import annotations

import json
import mimetypes
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from opendata._version import __version__
from opendata.api.ckan_json import API_DIR, LICENSES, ORGANIZATIONS, PACKAGES, SITE
from opendata.api.search import (
    WORD_FIELDS,
    Doc,
    SearchError,
    _values,
    index,
    matches,
    parse_clauses,
    parse_sort,
    sort_key,
    words,
)
from opendata.errors import UsageError

StartResponse = Callable[..., Any]
#: Types the site serves; DCAT in particular needs its charset (accents) and RDF types.
TYPES = {
    ".ttl": "text/turtle; charset=utf-8",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".atom": "application/atom+xml",
    ".xml": "application/xml",
    ".csv": "text/csv",
    ".sha256": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".zip": "application/zip",
}
MAX_ROWS = 1000


class ActionError(Exception):
    def __init__(self, status: str, error: dict[str, Any]):
        super().__init__(error)
        self.status = status
        self.error = error


def not_found() -> ActionError:
    return ActionError("404 Not Found", {"__type": "Not Found Error", "message": "Not found"})


def invalid(**fields: list[str]) -> ActionError:
    return ActionError("409 Conflict", {**fields, "__type": "Validation Error"})


def _int(params: dict[str, Any], name: str, default: int | None, *, natural: bool = True,
         maximum: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(**{name: ["Invalid integer"]}) from None
    if natural and number < 0:
        raise invalid(**{name: ["Must be a natural number"]})
    return min(number, maximum) if maximum is not None else number


def _bool(params: dict[str, Any], name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")


class Library:
    """What ``dist/`` holds, loaded once: packages (with their search index), organisations,
    licences, and the site folder."""

    def __init__(self, dist: Path | str):
        self.dist = Path(dist).resolve()
        api = self.dist / API_DIR
        if not (api / PACKAGES).is_file():
            raise UsageError(f"{self.dist} holds no API data ({API_DIR}/{PACKAGES})",
                             "Run `opendata build` first: it writes the site and the API data.")
        self.site = self.dist / "site"
        self.docs: list[Doc] = []
        with (api / PACKAGES).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    self.docs.append(index(json.loads(line)))
        self.docs.sort(key=lambda d: d.pkg["name"])
        self.by_key: dict[str, Doc] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        for doc in self.docs:
            self.by_key[doc.pkg["name"]] = doc
            self.by_key[doc.pkg["id"]] = doc
            for res in doc.pkg["resources"]:
                self.resources[res["id"]] = res
        self.organizations = json.loads((api / ORGANIZATIONS).read_text(encoding="utf-8"))
        self.licenses = json.loads((api / LICENSES).read_text(encoding="utf-8"))
        self.org_counts = Counter(d.pkg["organization"]["name"] for d in self.docs
                                  if d.pkg.get("organization"))
        self.default_order = sorted(self.docs, key=lambda d: d.pkg.get("metadata_modified") or "",
                                    reverse=True)
        # What package_search needs, computed once: field -> value -> doc numbers (the
        # facets and the exact fq clauses), word -> doc numbers, extra key -> word -> doc
        # numbers (``extras_<key>`` clauses match words, as CKAN's text fields do), and
        # each sort's order.
        self.values: dict[str, dict[str, set[int]]] = {}
        self.words: dict[str, set[int]] = {}
        self.extra_words: dict[str, dict[str, set[int]]] = {}
        self.extra_keys: dict[str, set[int]] = {}
        for n, doc in enumerate(self.docs):
            for key, key_words in doc.extra_words.items():
                self.extra_keys.setdefault(key, set()).add(n)
                key_index = self.extra_words.setdefault(key, {})
                for word in key_words:
                    key_index.setdefault(word, set()).add(n)
            for name, vals in doc.fields.items():
                if name in WORD_FIELDS:
                    continue
                field_index = self.values.setdefault(name, {})
                for value in vals:
                    field_index.setdefault(value, set()).add(n)
            for word in doc.text:
                self.words.setdefault(word, set()).add(n)
        self.orders: dict[str, dict[bool, list[int]]] = {}
        for name in ("name", "title_string", "metadata_modified", "metadata_created", "id"):
            asc = sorted(range(len(self.docs)), key=lambda i, n=name: sort_key(n, self.docs[i], 0))
            self.orders[name] = {False: asc, True: asc[::-1]}

    def select(self, clauses: list[tuple[bool, str, str]], free: list[str]) -> set[int]:
        """Doc numbers matching every clause and every free word: set operations on the
        indexes where a clause is an exact field value, a scan of the candidates left
        for the others (word fields, wildcards)."""
        selected = set(range(len(self.docs)))
        rest = []
        for clause in clauses:
            negated, name, raw = clause
            values, _ = _values(raw)
            if name.startswith("extras_"):
                ids = self._extra_ids(name[len("extras_"):], values)
                selected = selected - ids if negated else selected & ids
            elif name in self.values and "*" not in values:
                ids = set().union(*(self.values[name].get(v, set()) for v in values))
                selected = selected - ids if negated else selected & ids
            elif name == "*" and raw == "*":
                continue
            elif name not in WORD_FIELDS and not name.startswith("extras_") and not negated \
                    and "*" not in values:
                return set()  # a field no package has
            else:
                rest.append(clause)
        for term in free:
            for word in words(term):
                selected &= self.words.get(word, set())
        if rest:
            selected = {i for i in selected if matches(self.docs[i], rest, []) is not None}
        return selected

    def _extra_ids(self, key: str, values: list[str]) -> set[int]:
        """Docs whose extra ``key`` holds every word of one of ``values`` (``*``: docs
        that have the extra at all), from the index: what :func:`matches` decides for
        one doc, for all of them at once."""
        index = self.extra_words.get(key, {})
        ids: set[int] = set()
        for value in values:
            if value == "*":
                ids |= self.extra_keys.get(key, set())
                continue
            wanted = words(value)
            if not wanted:
                continue
            postings = sorted((index.get(w, set()) for w in wanted), key=len)
            ids |= postings[0].intersection(*postings[1:])
        return ids


class App:
    """The WSGI application.  ``site_url`` is the public root (behind a proxy); without
    it, URLs are built from each request's host."""

    def __init__(self, dist: Path | str, site_url: str | None = None):
        self.lib = Library(dist)
        self.site_url = site_url.rstrip("/") if site_url else None
        self.actions: dict[str, Callable[[dict[str, Any], str], Any]] = {
            "status_show": self.status_show, "package_list": self.package_list,
            "package_show": self.package_show, "package_search": self.package_search,
            "current_package_list_with_resources": self.current_package_list_with_resources,
            "organization_list": self.organization_list,
            "organization_show": self.organization_show, "license_list": self.license_list,
            "tag_list": self.tag_list, "resource_show": self.resource_show,
        }

    # -- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        base = self.site_url or _request_root(environ)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path in ("/api/3", "/api/3/", "/api", "/api/"):
            return _json(start_response, "200 OK", {"version": 3})
        for prefix in ("/api/3/action/", "/api/action/"):
            if path.startswith(prefix):
                if method not in ("GET", "POST", "HEAD"):
                    return _json(start_response, "405 Method Not Allowed",
                                 {"success": False, "error": {"__type": "Method Not Allowed",
                                                              "message": "Read-only API"}})
                return self.action(path[len(prefix):].strip("/"), environ, base, start_response)
        if method not in ("GET", "HEAD"):
            return _text(start_response, "405 Method Not Allowed", "read-only\n")
        return self.static(path, method, start_response)

    def action(self, name: str, environ: dict[str, Any], base: str,
               start_response: StartResponse) -> Iterable[bytes]:
        help_url = f"{base}/api/3/action/help_show?name={name}"
        if name not in self.actions:
            return _json(start_response, "400 Bad Request",
                         f"Bad request: Action name not known: {name}")
        try:
            params = _params(environ)
        except ValueError:
            return _json(start_response, "400 Bad Request", {
                "help": help_url, "success": False,
                "error": {"__type": "Bad Request", "message": "JSON Error: invalid body"}})
        try:
            result = self.actions[name](params, base)
        except ActionError as exc:
            return _json(start_response, exc.status,
                         {"help": help_url, "error": exc.error, "success": False})
        except SearchError as exc:
            return _json(start_response, "400 Bad Request", {
                "help": help_url, "success": False,
                "error": {"__type": "Search Query Error", "message": str(exc)}})
        return _json(start_response, "200 OK", {"help": help_url, "success": True,
                                                "result": result})

    def static(self, path: str, method: str, start_response: StartResponse) -> Iterable[bytes]:
        """A file of the site; never one outside it (``..``, absolute, links out)."""
        rel = path.lstrip("/")
        target = (self.lib.site / rel).resolve()
        if not target.is_relative_to(self.lib.site.resolve()):
            return _text(start_response, "404 Not Found", "not found\n")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return _text(start_response, "404 Not Found", "not found\n")
        ctype = TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] \
            or "application/octet-stream"
        size = target.stat().st_size
        start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(size)),
                                  ("X-Content-Type-Options", "nosniff")])
        if method == "HEAD":
            return [b""]
        return _file_chunks(target)

    # -- actions --------------------------------------------------------------------------

    def _pkg(self, doc: Doc, base: str) -> dict[str, Any]:
        """A package as stored, its resource URLs made absolute for this server."""
        pkg = doc.pkg
        if not any(r["url"].startswith(SITE) for r in pkg["resources"]):
            return pkg
        out = dict(pkg)
        out["resources"] = [self._res(r, base) for r in pkg["resources"]]
        return out

    @staticmethod
    def _res(res: dict[str, Any], base: str) -> dict[str, Any]:
        if res["url"].startswith(SITE):
            return {**res, "url": base + res["url"][len(SITE):]}
        return res

    def status_show(self, params: dict[str, Any], base: str) -> dict[str, Any]:
        return {"site_title": "opendata", "site_description": "", "site_url": base,
                "error_emails_to": "", "locale_default": "fr", "extensions": [],
                "ckan_version": "2.12.0", "opendata_version": __version__}

    def package_list(self, params: dict[str, Any], base: str) -> list[str]:
        limit = _int(params, "limit", None)
        offset = _int(params, "offset", 0) or 0
        names = [d.pkg["name"] for d in self.lib.docs]
        return names[offset:offset + limit] if limit is not None else names[offset:]

    def package_show(self, params: dict[str, Any], base: str) -> dict[str, Any]:
        key = params.get("id") or params.get("name_or_id")
        if not key:
            raise invalid(name_or_id=["Missing value"])
        doc = self.lib.by_key.get(str(key))
        if doc is None:
            raise not_found()
        return self._pkg(doc, base)

    def resource_show(self, params: dict[str, Any], base: str) -> dict[str, Any]:
        key = params.get("id")
        if not key:
            raise invalid(id=["Missing value"])
        res = self.lib.resources.get(str(key))
        if res is None:
            raise not_found()
        return self._res(res, base)

    def current_package_list_with_resources(self, params: dict[str, Any],
                                            base: str) -> list[dict[str, Any]]:
        limit = _int(params, "limit", None)
        offset = _int(params, "offset", 0) or 0
        page = _int(params, "page", None)
        if page is not None:
            if page < 1:
                raise invalid(page=["Must be larger than 0"])
            offset = (page - 1) * (limit or 0)
        docs = self.lib.default_order[offset:offset + limit] if limit is not None \
            else self.lib.default_order[offset:]
        return [self._pkg(d, base) for d in docs]

    def organization_list(self, params: dict[str, Any], base: str) -> list[Any]:
        limit = _int(params, "limit", None)
        offset = _int(params, "offset", 0) or 0
        orgs = sorted(self.lib.organizations, key=lambda o: o["name"])
        orgs = orgs[offset:offset + limit] if limit is not None else orgs[offset:]
        if not _bool(params, "all_fields"):
            return [o["name"] for o in orgs]
        return [self._org(o) for o in orgs]

    def _org(self, org: dict[str, Any]) -> dict[str, Any]:
        return {**org, "display_name": org["title"], "image_display_url": "",
                "num_followers": 0, "package_count": self.lib.org_counts.get(org["name"], 0)}

    def organization_show(self, params: dict[str, Any], base: str) -> dict[str, Any]:
        key = params.get("id")
        if not key:
            raise invalid(id=["Missing value"])
        org = next((o for o in self.lib.organizations if key in (o["name"], o["id"])), None)
        if org is None:
            raise not_found()
        out = {**self._org(org), "users": [], "groups": [], "tags": [], "extras": []}
        if _bool(params, "include_datasets"):
            out["packages"] = [self._pkg(d, base) for d in self.lib.docs
                               if d.pkg["organization"]["name"] == org["name"]][:1000]
        return out

    def license_list(self, params: dict[str, Any], base: str) -> list[dict[str, Any]]:
        return self.lib.licenses

    def tag_list(self, params: dict[str, Any], base: str) -> list[Any]:
        query = str(params.get("query") or params.get("q") or "").lower()
        tags: dict[str, dict[str, Any]] = {}
        for doc in self.lib.docs:
            for tag in doc.pkg["tags"]:
                if query in tag["name"].lower():
                    tags.setdefault(tag["name"], tag)
        if not _bool(params, "all_fields"):
            return sorted(tags)
        return [{"id": t["id"], "name": t["name"], "vocabulary_id": None,
                 "display_name": t["display_name"]} for _, t in sorted(tags.items())]

    def package_search(self, params: dict[str, Any], base: str) -> dict[str, Any]:
        rows = _int(params, "rows", 10, maximum=MAX_ROWS)
        start = _int(params, "start", 0) or 0
        sort = str(params.get("sort") or "score desc, metadata_modified desc")
        order = parse_sort(sort)
        facet_fields = params.get("facet.field")
        if facet_fields is not None and not isinstance(facet_fields, list):
            try:
                facet_fields = json.loads(facet_fields)
            except ValueError:
                raise invalid(**{"facet.field": ["Could not parse as valid JSON",
                                                 "Not a list"]}) from None
            if not isinstance(facet_fields, list):
                raise invalid(**{"facet.field": ["Not a list"]})
        facet_limit = _int(params, "facet.limit", 50, natural=False)
        mincount = _int(params, "facet.mincount", 1, natural=False) or 0
        q = str(params.get("q") or "")
        fq = params.get("fq") or ""
        if isinstance(fq, list):
            fq = " ".join(str(x) for x in fq)
        clauses, free = parse_clauses(q)
        fq_clauses, fq_free = parse_clauses(str(fq))
        if fq_free:
            raise SearchError(f"Search Query is invalid: cannot parse fq {fq!r}")
        docs = self.lib.docs
        selected = self.lib.select(clauses + fq_clauses, free)
        keys = [(n, d) for n, d in order if n != "score"]  # every hit has the same score
        ranked: list[int]
        if not keys:
            ranked = sorted(selected)
        elif keys[0][0] in self.lib.orders and len(keys) == 1:
            ranked = [i for i in self.lib.orders[keys[0][0]][keys[0][1]] if i in selected]
        else:
            ranked = sorted(selected)
            for name, descending in reversed(keys):  # stable sorts, last key first
                ranked.sort(key=lambda i, n=name: sort_key(n, docs[i], 0), reverse=descending)
        facets: dict[str, dict[str, int]] = {}
        search_facets: dict[str, Any] = {}
        for fname in facet_fields or []:
            values = self.lib.values.get(str(fname), {})
            counts = Counter({v: len(ids & selected) for v, ids in values.items() if v})
            items = [(v, c) for v, c in counts.most_common() if c >= max(mincount, 1)]
            if facet_limit is not None and facet_limit >= 0:
                items = items[:facet_limit]
            facets[fname] = dict(items)
            search_facets[fname] = {"title": fname, "items": [
                {"name": v, "display_name": self._display(fname, v), "count": c}
                for v, c in sorted(items, key=lambda vc: vc[0])]}
        hits = [(docs[i], 0) for i in ranked]
        page = hits[start:start + (rows or 0)]
        return {"count": len(hits), "facets": facets,
                "results": [self._pkg(d, base) for d, _ in page], "sort": sort,
                "search_facets": search_facets}

    def _display(self, facet: str, value: str) -> str:
        if facet == "organization":
            org = next((o for o in self.lib.organizations if o["name"] == value), None)
            return org["title"] if org else value
        if facet == "license_id":
            lic = next((x for x in self.lib.licenses if x["id"] == value), None)
            return lic["title"] if lic else value
        return value


# -- WSGI helpers -------------------------------------------------------------------------

def _request_root(environ: dict[str, Any]) -> str:
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST") or \
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '').rstrip('/')}"


def _params(environ: dict[str, Any]) -> dict[str, Any]:
    """GET parameters, overridden by a JSON (or form) body on POST, as CKAN accepts both."""
    params: dict[str, Any] = dict(parse_qsl(environ.get("QUERY_STRING", ""),
                                            keep_blank_values=True))
    if environ.get("REQUEST_METHOD", "GET").upper() == "POST":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(min(length, 1024 * 1024)) if length else b""
        if body:
            ctype = environ.get("CONTENT_TYPE", "")
            if "application/x-www-form-urlencoded" in ctype:
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            else:
                data = json.loads(body.decode("utf-8"))
                if not isinstance(data, dict):
                    raise ValueError("not an object")
                params.update(data)
    return params


def _json(start_response: StartResponse, status: str, data: Any) -> list[bytes]:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    start_response(status, [("Content-Type", "application/json;charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _text(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _file_chunks(path: Path, size: int = 256 * 1024) -> Iterable[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def make_app(dist: Path | str | None = None, site_url: str | None = None) -> App:
    """The WSGI application over ``dist`` (default ``$OPENDATA_DIST``, else ``dist``), for
    any WSGI server: ``waitress-serve --call opendata.api.app:make_app`` or
    ``gunicorn 'opendata.api.app:make_app()'``; ``$OPENDATA_SITE_URL`` sets the public URL."""
    import os

    return App(dist or os.environ.get("OPENDATA_DIST", "dist"),
               site_url or os.environ.get("OPENDATA_SITE_URL") or None)
