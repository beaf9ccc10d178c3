"""Frictionless Data Package descriptors for datasets.

One function builds the descriptor so that ``build`` (dist/datapackages/) and the packs
(zips for app developers) describe a dataset identically.
"""

from __future__ import annotations

from typing import Any

from opendata.catalog.manifests import Catalog, Dataset
from opendata.catalog.schemas import SchemaRefError, resolve_schema
from opendata.checksums import source_sha256
from opendata.validation.normalise import published_file, published_format, published_path


def frictionless_dialect(dialect: dict[str, Any]) -> dict[str, Any]:
    """Manifest dialect -> Data Package (v1) CSV dialect; decimalChar lives on fields."""
    out = {k: v for k, v in dialect.items()
           if k in ("delimiter", "quoteChar", "header", "skipInitialSpace", "commentChar")}
    return out


def resource_descriptor(catalog: Catalog, ds: Dataset, index: int) -> dict[str, Any]:
    """Descriptor of one resource, with hash and size for local files."""
    res = ds.resources[index]
    desc: dict[str, Any] = {"name": res.name, "title": res.title}
    if res.description:
        desc["description"] = res.description
    file = published_file(catalog.root, res)
    if file is not None:
        desc["path"] = published_path(res)  # a sheet published as CSV: NAME.csv
        desc["bytes"] = file.stat().st_size
        desc["hash"] = "sha256:" + source_sha256(file)
    else:
        desc["path"] = res.url
    desc["format"], mediatype = published_format(res)
    if mediatype:
        desc["mediatype"] = mediatype
    # a normalised copy is UTF-8 with `,`: the manifest's dialect described the original
    dialect = {} if file is not None and file != res.file else res.dialect
    if res.is_tabular and desc["format"] in ("csv", "tsv"):
        desc["profile"] = "tabular-data-resource"
        desc["encoding"] = dialect.get("encoding", "utf-8")
        fd = frictionless_dialect(dialect)
        if fd:
            desc["dialect"] = fd
    if res.schema is not None:
        try:
            schema = resolve_schema(res.schema, ds.dir, catalog.root)
        except SchemaRefError:
            schema = None
        if schema is not None:
            descriptor = dict(schema.descriptor)
            descriptor.pop("custom_checks", None)
            for fld in descriptor.get("fields", []):
                if fld.get("type") == "number" and "decimalChar" in dialect:
                    fld.setdefault("decimalChar", dialect["decimalChar"])
            desc["schema"] = descriptor
    return desc


def package_descriptor(catalog: Catalog, ds: Dataset) -> dict[str, Any]:
    """The ``datapackage.json`` of a dataset (Data Package v1, paths relative to it)."""
    lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
    desc: dict[str, Any] = {
        "profile": "tabular-data-package" if ds.resources and all(
            r.is_tabular for r in ds.resources) else "data-package",
        "name": ds.name,
        "id": catalog.config.dataset_uri(ds.name),
        "title": ds.title,
        "description": ds.description,
        "version": ds.version,
        "homepage": ds.get("landing_page") or catalog.config.dataset_uri(ds.name),
        "keywords": ds.keywords,
    }
    if lic:
        desc["licenses"] = [{"name": lic.spdx, "path": lic.url, "title": lic.title}]
    source = ds.get("source")
    if isinstance(source, dict):
        title = source.get("title", "")
        if source.get("section"):
            title += f" — {source['section']}"
        src: dict[str, Any] = {"title": title}
        if source.get("url"):
            src["path"] = source["url"]
        desc["sources"] = [src]
    org = catalog.config.organizations.get(ds.organization or "")
    if org:
        contributor: dict[str, Any] = {"title": org.title, "role": "publisher"}
        if org.homepage:
            contributor["path"] = org.homepage
        desc["contributors"] = [contributor]
    desc["resources"] = [resource_descriptor(catalog, ds, i) for i in range(len(ds.resources))]
    return desc
