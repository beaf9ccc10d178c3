"""`normalise: true`: an Excel export published as data.gouv.fr expects it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from published_copies import PARKINGS_RESOURCE, excel_french

from opendata.catalog.manifests import load_catalog
from opendata.harvesters.base import Portal
from opendata.harvesters.http import HttpClient
from opendata.harvesters.targets import Target
from opendata.pipeline.build import build
from opendata.validation.normalise import published_file
from opendata.validation.validator import validate

RESOURCE = PARKINGS_RESOURCE


@pytest.fixture
def parkings(catalog: Path, demo: Path) -> Path:
    manifest = demo / "dataset.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[:text.index("resources:")] + "resources:\n" + RESOURCE,
                        encoding="utf-8")
    (demo / "parkings.csv").write_bytes(excel_french())
    (demo / "points.csv").unlink()
    return manifest


def enable(manifest: Path) -> None:
    manifest.write_text(manifest.read_text(encoding="utf-8") + "    normalise: true\n",
                        encoding="utf-8")


def test_dialect_does_not_make_an_excel_export_conformant(catalog, parkings):
    report = validate(catalog, use_cache=False)
    assert not report.valid
    codes = {i.code for i in report.issues}
    assert {"dialect-not-conformant", "type-error"} <= codes
    assert all("data.gouv.fr" in i.hint for i in report.issues if i.code == "type-error")


def test_normalised_copy_is_what_is_checked_and_published(catalog, demo, parkings):
    enable(parkings)
    report = validate(catalog, use_cache=False)
    assert report.valid, [i.message for i in report.issues]
    res = load_catalog(catalog).dataset("demo").resources[0]
    copy = published_file(catalog, res)
    assert copy is not None and copy != res.file and copy.is_relative_to(catalog / ".opendata")
    text = copy.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("id,nom,insee,")
    # numbers are back in the schema's format; the original is untouched in git
    assert ",60.99," in text and "60,99" not in text and (demo / "parkings.csv").read_bytes() \
        == excel_french()

    result = build(catalog, use_cache=False)
    assert result.ok
    shipped = catalog / "dist" / "datapackages" / "demo" / "parkings.csv"
    assert shipped.read_bytes() == copy.read_bytes()
    desc = json.loads((shipped.parent / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = desc["resources"]
    assert resource["encoding"] == "utf-8" and "dialect" not in resource
    assert resource["bytes"] == copy.stat().st_size
    # the same bytes again: the copy is content-addressed, build and publish share it
    assert published_file(catalog, res) == copy


def test_normalised_copy_that_cannot_be_written_is_one_clear_error(catalog, parkings):
    enable(parkings)
    (catalog / ".opendata").mkdir(exist_ok=True)
    (catalog / ".opendata" / "normalised").write_text("not a folder", encoding="utf-8")
    report = validate(catalog, use_cache=False)
    [issue] = [i for i in report.issues if i.severity == "error"]
    assert issue.code == "normalise-failed" and issue.field == "resources[0].normalise"
    assert "cannot write the normalised copy" in issue.message


class _Recorder(Portal):
    """A portal adapter that only computes what it would send: enough to see which file."""

    kind = "memory"

    def make_http(self, dry_run: bool) -> HttpClient:
        return HttpClient("http://memory.invalid", dry_run=dry_run)

    def list_owned(self):  # type: ignore[override]
        return {}

    def desired(self, ds):  # type: ignore[override]
        raise NotImplementedError

    create = update = delete = desired  # type: ignore[assignment]


def test_harvesters_upload_the_normalised_copy(catalog, parkings, monkeypatch):
    enable(parkings)
    monkeypatch.setenv("MEM_TOKEN", "x")
    cat = load_catalog(catalog)
    target = Target(name="mem", kind="ckan", url="http://memory.invalid",
                    file=catalog / "harvesters" / "mem.yaml", token_env="MEM_TOKEN")
    [item] = _Recorder(target, cat).desired_resources(cat.dataset("demo"))
    copy = published_file(catalog, cat.dataset("demo").resources[0])
    assert item.file == copy and item.url is None
    assert item.size == copy.stat().st_size
