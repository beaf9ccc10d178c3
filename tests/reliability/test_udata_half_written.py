"""Every state an interrupted publish can leave on the real local udata is finished by the
next publish: no drift, no duplicate, resources added by hand kept.

A publish killed with SIGKILL stops between two requests: each udata write is atomic on the
server, so what a kill leaves is the portal as it stands after some number of writes.  Two
kinds of test build those states:

* the named states, made directly through udata's API the way opendata's own requests
  make them (a dataset created with nothing else, a file uploaded without its metadata, a
  file replaced without its metadata, metadata without the fingerprint);
* a sweep that stops a real publish after its 1st, 2nd, ... write, for a create and for an
  update that changes a title and a file, until a publish runs to its end.

Then a plan must call the dataset ``create``/``update`` (never ``drifted``), a publish must
finish it, and a second plan must say ``unchanged``.  Reads ``.dev/udata/env`` like the
kill test (marker ``udata``); skipped when the local udata is not running.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from opendata.catalog.manifests import load_catalog
from opendata.harvesters.base import make_portal, plan, publish
from opendata.harvesters.datagouv import RESOURCE_NAME_KEY
from opendata.harvesters.targets import load_target

from .test_kill_rerun import FIXTURE, _portal

pytestmark = pytest.mark.udata
TOKEN_ENV = "OD_HALF_TOKEN"


class _Killed(BaseException):
    """Raised after the n-th write was answered: nothing of the publish runs after it (a
    BaseException, so no ``except Exception`` of the publisher swallows it), like a kill."""


class _Udata(dict):
    """The portal's url, token and organisation; the token never in a repr (pytest prints
    a failing test's arguments, and the suite fails on any test token in its output)."""

    def __repr__(self) -> str:
        return f"udata({self['url']}, organisation {self['org']})"


@pytest.fixture(scope="module")
def udata() -> dict[str, str]:
    """The local udata and a fresh organisation: plans list it, so it stays small."""
    portal = _portal("datagouv")
    resp = requests.post(f"{portal['url']}/api/1/organizations/", timeout=60,
                         headers={"X-API-KEY": portal["token"]},
                         json={"name": f"opendata half-written {uuid.uuid4().hex[:8]}",
                               "description": "interrupted publishes"})
    assert resp.status_code == 201, resp.text
    return _Udata({**portal, "org": resp.json()["id"]})


def call(udata: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
    resp = requests.request(method, f"{udata['url']}/api/1/{path.lstrip('/')}", timeout=60,
                            headers={"X-API-KEY": udata["token"]}, **kwargs)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


@pytest.fixture
def root(tmp_path: Path, udata: dict[str, str], monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[Path]:
    made = make_root(tmp_path, udata, monkeypatch)
    yield made
    cleanup(udata, made)


def make_root(tmp_path: Path, udata: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture catalog, its dataset titled for this test alone (udata refuses nothing,
    but opendata refuses to create next to a foreign dataset with the same title)."""
    run = uuid.uuid4().hex[:8]
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    manifest = root / "datasets" / "demo" / "dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "title: Points d'accès publics", f"title: Interrompu {run} points d'accès"),
        encoding="utf-8")
    (root / "harvesters").mkdir()
    (root / "harvesters" / "u.yaml").write_text(
        f"type: datagouv\nurl: {udata['url']}\ntoken_env: {TOKEN_ENV}\n"
        f"catalog_id: urn:opendata-half:{run}\n"
        f"organizations: {{region-poitou-charentes: '{udata['org']}'}}\n", encoding="utf-8")
    monkeypatch.setenv(TOKEN_ENV, udata["token"])
    return root


def edit(root: Path, revision: str) -> None:
    """A new title and a new data file, as the kill test's rounds do."""
    manifest = root / "datasets" / "demo" / "dataset.yaml"
    text = manifest.read_text(encoding="utf-8").splitlines()
    text = [f"{ln.split(', révision')[0]}, révision {revision}" if ln.startswith("title:")
            else ln for ln in text]
    manifest.write_text("\n".join(text) + "\n", encoding="utf-8")
    csv = root / "datasets" / "demo" / "points.csv"
    head, first, *rest = csv.read_text(encoding="utf-8").splitlines()
    cells = first.split(";")
    cells[1] = revision
    csv.write_text("\n".join([head, ";".join(cells), *rest]) + "\n", encoding="utf-8")


def owned(udata: dict[str, str], root: Path) -> list[dict[str, Any]]:
    marker = load_target(root, "u").catalog_id
    body = call(udata, "GET", f"organizations/{udata['org']}/datasets/",
                params={"page_size": 100})
    assert not body.get("next_page")
    return [d for d in body["data"] if not d.get("deleted")
            and (d.get("extras") or {}).get("opendata_catalog") == marker]


def cleanup(udata: dict[str, str], root: Path) -> None:
    """The local udata is shared by every test run on the machine: leave nothing behind."""
    for raw in owned(udata, root):
        requests.delete(f"{udata['url']}/api/1/datasets/{raw['id']}/", timeout=60,
                        headers={"X-API-KEY": udata["token"]})


def the_dataset(udata: dict[str, str], root: Path) -> dict[str, Any]:
    (raw,) = owned(udata, root)
    return raw


def by_hand(udata: dict[str, str], ds_id: str) -> dict[str, Any]:
    """A resource someone added on the portal: opendata must neither adopt nor delete it."""
    return call(udata, "POST", f"datasets/{ds_id}/resources/", json={
        "title": "Ajoutée à la main", "filetype": "remote", "type": "documentation",
        "url": f"{udata['url']}/api/1/site/", "format": "json"})


def action(root: Path) -> str:
    (item,) = plan(root, "u").items
    return item.action


def converged(udata: dict[str, str], root: Path, hand: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """One dataset, one resource of ours, the hand-added one intact, a plan unchanged."""
    datasets = owned(udata, root)
    assert len(datasets) == 1, [d["id"] for d in datasets]
    raw = datasets[0]
    names = [(r.get("extras") or {}).get(RESOURCE_NAME_KEY) for r in raw["resources"]]
    assert sorted(names, key=str) == sorted(["points", *([None] if hand else [])], key=str)
    if hand is not None:
        kept = next(r for r in raw["resources"] if r["id"] == hand["id"])
        assert (kept["title"], kept["url"], kept.get("extras") or {}) == (
            hand["title"], hand["url"], hand.get("extras") or {})
    assert action(root) == "unchanged", [str(c) for c in plan(root, "u").items[0].changes]
    return raw


def upload(udata: dict[str, str], path: str, file: Path) -> dict[str, Any]:
    """POST a file as opendata does.  udata stores it under the dataset's slug and the
    current second and refuses a second file of that name there (FileExists, 500): a
    replacement right after the publish that uploaded it waits for the next second."""
    time.sleep(1.05 - time.time() % 1)
    with file.open("rb") as fh:
        return call(udata, "POST", path, files={"file": (file.name, fh)})


def ours(raw: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in raw["resources"]
                if (r.get("extras") or {}).get(RESOURCE_NAME_KEY) == "points")


def points(root: Path) -> Path:
    return root / "datasets" / "demo" / "points.csv"


# -- the named states --------------------------------------------------------------------


def test_dataset_created_with_nothing_else(udata, root):
    """Killed right after the dataset's POST: marker and identifier, no file, no
    fingerprint.  The next publish fills it in instead of creating a second dataset."""
    portal = make_portal(load_target(root, "u"), load_catalog(root))
    desired = portal.desired(load_catalog(root).dataset("demo"))
    payload = {**portal._dataset_payload(desired), "extras": portal._our_extras(desired, None)}
    created = call(udata, "POST", "datasets/", json=payload)
    hand = by_hand(udata, created["id"])
    assert action(root) == "update"
    report = publish(root, "u")
    assert report.ok, report.results[0].error
    assert converged(udata, root, hand)["id"] == created["id"]


def test_file_uploaded_without_its_metadata_is_adopted(udata, root):
    """Killed between the upload of a new file and the write of its name and sha256: the
    upload (udata titled it with the file's name) is taken over, not uploaded again."""
    portal = make_portal(load_target(root, "u"), load_catalog(root))
    desired = portal.desired(load_catalog(root).dataset("demo"))
    payload = {**portal._dataset_payload(desired), "extras": portal._our_extras(desired, None)}
    created = call(udata, "POST", "datasets/", json=payload)
    hand = by_hand(udata, created["id"])
    landed = upload(udata, f"datasets/{created['id']}/upload/", points(root))
    assert landed["title"] == "points.csv"
    report = publish(root, "u")
    assert report.ok, report.results[0].error
    assert "upload_file" not in report.requests["by_action"]
    assert ours(converged(udata, root, hand))["id"] == landed["id"]


def test_a_copy_of_our_file_added_and_titled_by_hand_is_not_taken(udata, root):
    """The same content uploaded by someone who gave it a title of their own is theirs:
    opendata uploads its file beside it and leaves that one as it is."""
    portal = make_portal(load_target(root, "u"), load_catalog(root))
    desired = portal.desired(load_catalog(root).dataset("demo"))
    payload = {**portal._dataset_payload(desired), "extras": portal._our_extras(desired, None)}
    created = call(udata, "POST", "datasets/", json=payload)
    theirs = upload(udata, f"datasets/{created['id']}/upload/", points(root))
    hand = call(udata, "PUT", f"datasets/{created['id']}/resources/{theirs['id']}/",
                json={**theirs, "title": "Copie gardée à la main"})
    time.sleep(1.05 - time.time() % 1)  # see upload()
    report = publish(root, "u")
    assert report.ok, report.results[0].error
    assert report.requests["by_action"].get("upload_file") == 1
    assert ours(converged(udata, root, hand))["id"] != theirs["id"]


def test_file_replaced_without_its_metadata(udata, root):
    """Killed between the replacement of a file and the write of its metadata: udata set
    the resource's title to the file name and the sha256 extra is the old file's.  That is
    our own write, finished by the next publish without uploading the file again."""
    assert publish(root, "u").ok
    raw = the_dataset(udata, root)
    hand = by_hand(udata, raw["id"])
    edit(root, "7")
    rid = ours(raw)["id"]
    replaced = upload(udata, f"datasets/{raw['id']}/resources/{rid}/upload/", points(root))
    assert replaced["title"] == "points.csv"
    assert action(root) == "update"
    report = publish(root, "u")
    assert report.ok, report.results[0].error
    assert "replace_file" not in report.requests["by_action"]
    after = converged(udata, root, hand)
    assert ours(after)["id"] == rid and ours(after)["title"] == "Points d'accès"


def test_metadata_written_but_not_the_fingerprint(udata, root):
    """Killed after the file and its metadata, before the fingerprint: the resource holds
    the new sha256 and title, the dataset the old title and state."""
    assert publish(root, "u").ok
    raw = the_dataset(udata, root)
    hand = by_hand(udata, raw["id"])
    edit(root, "8")
    res = ours(raw)
    upload(udata, f"datasets/{raw['id']}/resources/{res['id']}/upload/", points(root))
    portal = make_portal(load_target(root, "u"), load_catalog(root))
    desired = portal.desired(load_catalog(root).dataset("demo"))
    fresh = ours(call(udata, "GET", f"datasets/{raw['id']}/"))
    call(udata, "PUT", f"datasets/{raw['id']}/resources/{res['id']}/",
         json=portal._resource_payload(desired.resources[0], fresh))
    assert action(root) == "update"
    report = publish(root, "u")
    assert report.ok, report.results[0].error
    assert report.requests["by_action"].get("replace_file") is None
    converged(udata, root, hand)


def test_another_file_uploaded_by_hand_is_still_drift(udata, root):
    """The same shape, but the file on the portal is not the one opendata publishes:
    somebody replaced it by hand.  That is drift: refused, nothing written."""
    assert publish(root, "u").ok
    raw = the_dataset(udata, root)
    other = root / "other.csv"
    other.write_text("pas;les;mêmes\n1;2;3\n", encoding="utf-8")
    upload(udata, f"datasets/{raw['id']}/resources/{ours(raw)['id']}/upload/", other)
    edit(root, "9")
    assert action(root) == "drifted"
    refused = publish(root, "u")
    assert [r.status for r in refused.results] == ["refused"]
    assert refused.requests["writes"] == 0


# -- every write boundary of a real publish ----------------------------------------------


def _publish_killed_after(root: Path, writes: int) -> bool:
    """Publish, stopping right after the ``writes``-th write was answered; True when the
    publish made fewer writes than that (it ran to its end)."""
    portal = make_portal(load_target(root, "u"), load_catalog(root))
    real = portal.http.request
    done = 0

    def request(method: str, path: str, **kwargs: Any) -> requests.Response:
        nonlocal done
        resp = real(method, path, **kwargs)
        if kwargs.get("write"):
            done += 1
            if done == writes:
                raise _Killed
        return resp

    portal.http.request = request  # type: ignore[method-assign]
    try:
        report = publish(root, "u", portal=portal)
    except _Killed:
        return False
    assert report.ok, report.results[0].error
    return True


@pytest.mark.parametrize("kind", ["create", "update"])
def test_publish_stopped_after_each_write_converges(udata, tmp_path, monkeypatch, kind):
    boundaries = 0
    for writes in range(1, 20):
        root = make_root(tmp_path / f"w{writes}", udata, monkeypatch)
        if kind == "update":
            assert publish(root, "u").ok
            hand = by_hand(udata, the_dataset(udata, root)["id"])
            edit(root, str(writes))
        else:
            hand = None
        finished = _publish_killed_after(root, writes)
        if not finished:
            boundaries += 1
            # unchanged: stopped after the fingerprint, the last write
            assert action(root) in ("create", "update", "unchanged"), writes
            report = publish(root, "u")
            assert report.ok, (writes, report.results[0].error)
        converged(udata, root, hand)
        cleanup(udata, root)
        if finished:
            break
    # create: dataset, upload, its metadata, fingerprint; update: dataset, file, its
    # metadata, fingerprint: every one of them was a stopping point
    assert boundaries >= 4, boundaries

