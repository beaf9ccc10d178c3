"""Finding what opendata published on a portal: the bundle of a collection (pack).

This belongs to the harvesters, not to the packages stage, because it needs a portal
client; the download code receives it as a plain callable.
"""

from __future__ import annotations

from pathlib import Path

from opendata.catalog import load_catalog
from opendata.errors import UsageError
from opendata.harvesters import base
from opendata.harvesters.targets import load_target
from opendata.packages.packs import pack_identifier


def resolve_portal_source(root: Path | str, target: str, pack: str) -> str:
    """URL of collection ``pack`` as published on portal ``target`` (``TARGET:PACK``).

    ``opendata download TARGET:PACK`` passes this to :func:`opendata.packages.download.
    download` as its portal resolver (the packages stage cannot import the harvesters,
    which come after it).  It reads the target from ``harvesters/<target>.yaml``, lists the datasets
    opendata owns there (``Portal.list_owned()``, in bulk) and returns the ``.zip``
    resource of the one whose identifier is :func:`pack_identifier` (or whose portal name
    is the pack's name); harvesters publish collections under that identifier with the
    bundle as a ``.zip`` resource, which is what makes this lookup work.
    """
    root = Path(root)
    if not (root / "harvesters" / f"{target}.yaml").is_file():
        raise UsageError(
            f"cannot look up collection {pack!r} on portal {target!r}: portal lookup needs the "
            f"harvester's target configuration harvesters/{target}.yaml, not found in {root}",
            "Run from the catalog repository (or pass --root), or download the pack by its "
            "URL or the path of a zip.")
    catalog = load_catalog(root)
    portal = base.make_portal(load_target(catalog.root, target), catalog)
    owned = portal.list_owned()
    wanted = pack_identifier(catalog, pack)
    for ident, remote in sorted(owned.items()):
        if ident == wanted or remote.name == pack:
            zips = sorted((r.url for r in remote.resources
                           if r.url and r.url.split("?")[0].endswith(".zip")), reverse=True)
            if zips:
                return zips[0]
            raise UsageError(f"collection {pack!r} on {target!r} ({remote.url}) has no .zip "
                             "resource", "Publish the pack again.")
    raise UsageError(f"collection {pack!r} is not published on portal {target!r}",
                     f"Publish it first, or download it by URL (its identifier would be "
                     f"{wanted}).")
