"""Harvest a DCAT catalog with udata's own DCAT backend, print what udata stored, as JSON.

Run with the Python of udata's virtualenv (``.dev/udata/venv/bin/python``), never the
project's: udata's pins clash with ours.  ``tests/integration/datagouv/test_dcat_harvest*.py``
call it by subprocess on a catalog served over HTTP on 127.0.0.1.

What it does is what data.gouv.fr does for a harvest source: a ``HarvestSource`` with the
``dcat`` backend and the source URL, owned by an organisation, then the backend's
``harvest()`` (the body of udata's ``harvest`` task), which follows Hydra paging, maps each
``dcat:Dataset`` with ``dataset_from_rdf`` and saves it through udata's model validation.
The database is mongomock, in this process only (same setup as ``udata_dev_app.py``), so
the running dev server is not touched.

mongomock answers every query by scanning the collection.  Two bookkeeping calls that run
after every item, saving the whole job (its list of items grows with the catalog) and
recounting the organisation's datasets, make a run of n datasets O(n^2) under mongomock
(MongoDB answers them from indexes).  They are deferred: the job is saved once at the end
and the metrics are not computed.  Everything that maps and stores a dataset
(``dataset_from_rdf``, the model's validation and ``save()``, paging, ``store_graphs``)
runs unchanged.

    python udata_dcat_harvest.py URL [--out FILE]

Output: ``{"udata": version, "job": {"status", "errors", "items": [{"remote_id",
"status", "errors"}]}, "datasets": [{"remote_id", "title", ... "resources": [...]}]}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from datetime import date, datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import udata_dev_app  # noqa: E402  (beside this file; udata's venv has no opendata)


def _plain(value):
    """JSON-safe copy of what mongoengine hands back (dates as ISO strings)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _resource(res) -> dict:
    schema = None
    if res.schema:
        schema = {"url": res.schema.url, "name": res.schema.name, "version": res.schema.version}
    checksum = None
    if res.checksum:
        checksum = {"type": res.checksum.type, "value": res.checksum.value}
    return {
        "url": res.url,
        "title": res.title,
        "description": res.description,
        "format": res.format,
        "mime": res.mime,
        "filesize": res.filesize,
        "checksum": checksum,
        "schema": schema,
        "type": res.type,
        "dct_identifier": res.harvest.dct_identifier if res.harvest else None,
    }


def _dataset(ds) -> dict:
    temporal = None
    if ds.temporal_coverage:
        temporal = {"start": _plain(ds.temporal_coverage.start),
                    "end": _plain(ds.temporal_coverage.end)}
    spatial = None
    if ds.spatial:
        spatial = {"geom": _plain(ds.spatial.geom),
                   "zones": [str(z.id) for z in (ds.spatial.zones or [])],
                   "granularity": ds.spatial.granularity}
    quality = ds.quality
    return {
        "remote_id": ds.harvest.dct_identifier if ds.harvest else None,
        "uri": ds.harvest.uri if ds.harvest else None,
        "remote_url": ds.harvest.remote_url if ds.harvest else None,
        "title": ds.title,
        "description": ds.description,
        "license": ds.license.id if ds.license else None,
        "frequency": str(ds.frequency) if ds.frequency else None,
        "temporal_coverage": temporal,
        "spatial": spatial,
        "tags": list(ds.tags),
        "contact_points": [{"name": c.name, "email": c.email, "contact_form": c.contact_form,
                            "role": c.role} for c in ds.contact_points],
        "extras": _plain(dict(ds.extras)),
        "quality": _plain(quality),
        "resources": [_resource(r) for r in ds.resources],
    }


def harvest(url: str) -> dict:
    from importlib.metadata import version

    base = tempfile.mkdtemp(prefix="udata-dcat-harvest-")
    config = udata_dev_app.make_config(base, "127.0.0.1", 7999)

    class HarvestConfig(config):  # type: ignore[misc,valid-type]
        HARVESTER_BACKENDS = ["dcat"]

    os.environ.pop("UDATA_SETTINGS", None)
    os.chdir(base)
    from udata.app import create_app, standalone

    app = create_app(override=HarvestConfig)
    standalone(app)
    app.config["UDATA_DEV_URL"] = "http://127.0.0.1:7999"
    udata_dev_app.seed(app)
    with app.app_context():
        from udata.harvest import backends
        from udata.harvest.models import HarvestSource
        from udata.models import Dataset, Organization

        from udata.harvest.backends.base import BaseBackend

        org = Organization.objects(name=udata_dev_app.ORG_NAME).first()
        source = HarvestSource.objects.create(name="opendata catalog", url=url, backend="dcat",
                                              organization=org)
        BaseBackend.save_job = lambda self: None  # type: ignore[method-assign]
        Organization.count_datasets = lambda self: None  # type: ignore[method-assign]
        job = backends.get_backend("dcat")(source).harvest()
        job.save()
        datasets = [_dataset(d) for d in Dataset.objects(organization=org)]
        return {
            "udata": version("udata"),
            "job": {
                "status": job.status,
                "errors": [e.message for e in job.errors],
                "items": [{"remote_id": i.remote_id, "status": i.status,
                           "errors": [e.message for e in i.errors]} for i in job.items],
            },
            "datasets": sorted(datasets, key=lambda d: d["remote_id"] or ""),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="URL of the catalog (or of its first page)")
    parser.add_argument("--out", help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = harvest(args.url)
    text = json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
