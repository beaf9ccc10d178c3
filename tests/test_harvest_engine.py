"""The portal-neutral engine (plan/publish) against an in-memory portal.

The real portals are exercised in tests/integration/; here we pin the decision logic:
create / update / unchanged / drifted / orphan / invalid, force, prune, isolation of
failures, and that a no-op publish writes nothing.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from opendata.catalog.manifests import Dataset, load_catalog
from opendata.harvesters.base import (
    Desired,
    Portal,
    Remote,
    RemoteResource,
    plan,
    publish,
)
from opendata.harvesters.http import HttpClient
from opendata.harvesters.targets import Target

FIXTURE = Path(__file__).parent / "fixtures" / "catalog"


class MemoryPortal(Portal):
    """Stores datasets in a dict, counting writes, as a portal adapter would."""

    kind = "memory"

    def __init__(self, *args: Any, store: dict[str, dict[str, Any]] | None = None,
                 fail_on: set[str] | None = None, **kwargs: Any):
        self.store = store if store is not None else {}
        self.writes: list[tuple[str, str]] = []
        self.fail_on = fail_on or set()
        super().__init__(*args, **kwargs)

    def make_http(self, dry_run: bool) -> HttpClient:
        return HttpClient("http://memory.invalid", dry_run=dry_run)

    def list_owned(self) -> dict[str, Remote]:
        self.http.counters.reads += 1
        return {d["identifier"]: self._remote(d) for d in self.store.values()
                if d.get("marker") == self.catalog_id}

    def _remote(self, d: dict[str, Any]) -> Remote:
        return Remote(id=d["id"], name=d["name"], url=f"http://memory/{d['name']}",
                      identifier=d["identifier"], current=copy.deepcopy(d["content"]),
                      stored_state=copy.deepcopy(d.get("state")),
                      stored_fingerprint=d.get("fingerprint"),
                      resources=[RemoteResource(id=r["name"], name=r["name"], sha256=r["sha256"])
                                 for r in d["content"]["resources"]])

    def desired(self, ds: Dataset) -> Desired:
        return Desired(dataset=ds.name, identifier=self.identifier(ds),
                       portal_name=self.portal_name(ds), organization=self.portal_org(ds),
                       fields={"title": ds.title, "notes": ds.description},
                       resources=self.desired_resources(ds))

    def _write(self, kind: str, desired: Desired, id_: str) -> Remote:
        if desired.dataset in self.fail_on:
            from opendata.errors import PortalError

            raise PortalError(f"portal refused {desired.dataset}")
        self.writes.append((kind, desired.dataset))
        self.http.counters.writes += 1
        self.store[id_] = {"id": id_, "name": desired.portal_name, "marker": self.catalog_id,
                           "identifier": desired.identifier, "content": copy.deepcopy(desired.state()),
                           "state": desired.state(), "fingerprint": desired.fingerprint}
        return self._remote(self.store[id_])

    def create(self, desired: Desired) -> Remote:
        return self._write("create", desired, f"id-{desired.portal_name}")

    def update(self, desired: Desired, remote: Remote) -> Remote:
        return self._write("update", desired, remote.id)

    def delete(self, remote: Remote) -> None:
        assert self.store[remote.id]["marker"] == self.catalog_id
        self.writes.append(("delete", remote.name))
        del self.store[remote.id]


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEM_TOKEN", "s3cret-token-value")


@pytest.fixture()
def catalog_root(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(FIXTURE, root)
    second = root / "datasets" / "demo2"
    shutil.copytree(root / "datasets" / "demo", second)
    manifest = second / "dataset.yaml"
    manifest.write_text(manifest.read_text().replace("name: demo", "name: demo2"))
    return root


def _target(root: Path) -> Target:
    return Target(name="mem", kind="ckan", url="http://memory.invalid",
                  file=root / "harvesters" / "mem.yaml", token_env="MEM_TOKEN")


def _portal(root: Path, store: dict, **kw: Any) -> MemoryPortal:
    return MemoryPortal(_target(root), load_catalog(root), store=store, **kw)


def _actions(p) -> dict[str, str]:
    return {i.dataset: i.action for i in p.items}


def test_first_plan_creates_then_publish_then_nothing_to_do(catalog_root: Path) -> None:
    store: dict = {}
    portal = _portal(catalog_root, store)
    first = plan(catalog_root, _target(catalog_root), portal=portal)
    assert _actions(first) == {"demo": "create", "demo2": "create"}
    assert first.items[0].uploads == ["points"]
    report = publish(catalog_root, _target(catalog_root), portal=portal)
    assert report.ok and sorted(portal.writes) == [("create", "demo"), ("create", "demo2")]

    again = _portal(catalog_root, store)
    report = publish(catalog_root, _target(catalog_root), portal=again)
    assert report.ok
    assert again.writes == []
    assert report.requests["writes"] == 0
    assert {r.status for r in report.results} == {"skipped"}


def test_changed_manifest_is_an_update_with_field_diff(catalog_root: Path) -> None:
    store: dict = {}
    publish(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    manifest = catalog_root / "datasets" / "demo" / "dataset.yaml"
    manifest.write_text(manifest.read_text().replace("(démo)", "(version 2)"))
    p = plan(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    assert _actions(p) == {"demo": "update", "demo2": "unchanged"}
    (change,) = p.items[0].changes
    assert change.field == "title" and change.new.endswith("(version 2)")
    assert p.items[0].uploads == []  # the file did not change: never re-uploaded


def test_changed_file_is_uploaded_again(catalog_root: Path) -> None:
    store: dict = {}
    publish(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    csv = catalog_root / "datasets" / "demo" / "points.csv"
    csv.write_text(csv.read_text() + "Thouarsais;3;50;01/09/2006\n")
    p = plan(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    item = next(i for i in p.items if i.dataset == "demo")
    assert item.action == "update" and item.uploads == ["points"]
    assert {c.field for c in item.changes} == {"resources[points].sha256",
                                                "resources[points].size"}


def test_portal_edit_is_drift_refused_unless_forced(catalog_root: Path) -> None:
    store: dict = {}
    publish(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    store["id-demo"]["content"]["fields"]["title"] = "Edited by hand"
    p = plan(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    item = next(i for i in p.items if i.dataset == "demo")
    assert item.action == "drifted"
    assert [(c.field, c.new) for c in item.changes] == [("title", "Edited by hand")]

    portal = _portal(catalog_root, store)
    report = publish(catalog_root, _target(catalog_root), portal=portal)
    assert not report.ok
    refused = next(r for r in report.results if r.dataset == "demo")
    assert refused.status == "refused" and "--force" in (refused.hint or "")
    assert portal.writes == []

    portal = _portal(catalog_root, store)
    report = publish(catalog_root, _target(catalog_root), portal=portal, force=True)
    assert report.ok and portal.writes == [("update", "demo")]
    assert store["id-demo"]["content"]["fields"]["title"].endswith("(démo)")


def test_orphans_are_kept_unless_prune_and_foreign_datasets_never_touched(
        catalog_root: Path) -> None:
    store: dict = {"foreign": {"id": "foreign", "name": "theirs", "marker": None,
                               "identifier": "x", "content": {"fields": {}, "resources": []}}}
    publish(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    shutil.rmtree(catalog_root / "datasets" / "demo2")
    p = plan(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    assert _actions(p) == {"demo": "unchanged", "demo2": "orphan"}

    portal = _portal(catalog_root, store)
    publish(catalog_root, _target(catalog_root), portal=portal)
    assert "id-demo2" in store and portal.writes == []

    portal = _portal(catalog_root, store)
    report = publish(catalog_root, _target(catalog_root), portal=portal, prune=True)
    assert report.ok and portal.writes == [("delete", "demo2")]
    assert "id-demo2" not in store and "foreign" in store


def test_partial_plan_never_reports_orphans(catalog_root: Path) -> None:
    store: dict = {}
    publish(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    p = plan(catalog_root, _target(catalog_root), ["demo"], portal=_portal(catalog_root, store))
    assert _actions(p) == {"demo": "unchanged"} and not p.complete


def test_invalid_dataset_is_not_published_and_fails_the_run(catalog_root: Path) -> None:
    csv = catalog_root / "datasets" / "demo2" / "points.csv"
    csv.write_text(csv.read_text().replace("72,5", "beaucoup"))
    portal = _portal(catalog_root, {})
    report = publish(catalog_root, _target(catalog_root), portal=portal)
    statuses = {r.dataset: r.status for r in report.results}
    assert statuses == {"demo": "ok", "demo2": "failed"}
    assert not report.ok
    assert "opendata validate demo2" in report.results[1].error
    assert portal.writes == [("create", "demo")]


@pytest.mark.parametrize("jobs", [1, 4])
def test_one_failure_does_not_stop_the_others(catalog_root: Path, jobs: int) -> None:
    portal = _portal(catalog_root, {}, fail_on={"demo"})
    report = publish(catalog_root, _target(catalog_root), portal=portal, jobs=jobs)
    statuses = {r.dataset: (r.status, r.error) for r in report.results}
    assert statuses == {"demo": ("failed", "portal refused demo"), "demo2": ("ok", None)}
    assert [r.dataset for r in report.results] == ["demo", "demo2"]  # plan order kept


def test_publish_without_the_token_names_the_variable(catalog_root: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from opendata.errors import ConfigError

    monkeypatch.delenv("MEM_TOKEN")
    with pytest.raises(ConfigError, match="MEM_TOKEN is not set") as exc:
        publish(catalog_root, _target(catalog_root), portal=_portal(catalog_root, {}))
    assert exc.value.exit_code == 3


def test_link_policy_publishes_public_urls_from_the_template(catalog_root: Path) -> None:
    target = Target(name="mem", kind="ckan", url="http://memory.invalid",
                    file=catalog_root / "x.yaml", resources="link",
                    link_template="https://example.org/raw/{ref}/{path}")
    portal = MemoryPortal(target, load_catalog(catalog_root), store={})
    desired = portal.desired(load_catalog(catalog_root).dataset("demo"))
    (res,) = desired.resources
    assert not res.upload
    assert res.url == "https://example.org/raw/main/datasets/demo/points.csv"
    assert len(res.sha256 or "") == 64 and res.size and res.size > 0


def test_a_collection_is_published_as_a_dataset_whose_resource_is_the_bundle(
        catalog_root: Path) -> None:
    packs = catalog_root / "datasets" / "packs"
    packs.mkdir()
    (packs / "concours.yaml").write_text(
        "name: concours\ntitle: Pack du concours\ndescription: Les données du concours.\n"
        'version: "1.0.0"\nselect: {datasets: [demo, demo2]}\n')
    store: dict = {}
    portal = _portal(catalog_root, store)
    p = plan(catalog_root, _target(catalog_root), portal=portal)
    item = next(i for i in p.items if i.dataset == "concours")
    assert item.action == "create" and item.uploads == ["bundle"]
    assert item.identifier == "https://bibliotheque-donnees.fr/pack/concours"
    bundle = item.desired.resources[0]
    assert bundle.file.name == "concours-1.0.0.zip" and len(bundle.sha256) == 64
    assert publish(catalog_root, _target(catalog_root), portal=portal).ok

    # rebuilt from the same inputs: same bytes, nothing to publish, and never an orphan
    again = plan(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    assert {i.dataset: i.action for i in again.items}["concours"] == "unchanged"
    assert "orphan" not in {i.action for i in again.items}

    # an invalid dataset in the collection keeps the collection off the portal
    csv = catalog_root / "datasets" / "demo2" / "points.csv"
    csv.write_text(csv.read_text().replace("72,5", "beaucoup"))
    broken = plan(catalog_root, _target(catalog_root), portal=_portal(catalog_root, store))
    pack_item = next(i for i in broken.items if i.dataset == "concours")
    assert pack_item.action == "invalid" and "demo2" in pack_item.message
