"""data.gouv.fr quality prediction: the rules, and how ``opendata validate`` reports them.

The prediction itself is checked against udata's own computation in
``tests/integration/datagouv/test_dcat_harvest_quality.py``.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from opendata.catalog.manifests import load_catalog
from opendata.cli import main
from opendata.validation.quality import predict_quality
from opendata.validation.validator import validate

FIXTURE = Path(__file__).parent / "fixtures" / "catalog"


def _catalog(tmp_path: Path, manifest: str, files: dict[str, bytes] | None = None) -> Path:
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    d = root / "datasets" / "pauvre"
    d.mkdir(parents=True)
    (d / "dataset.yaml").write_text(manifest, encoding="utf-8")
    for name, data in (files or {"rapport.pdf": b"%PDF-1.4\n%%EOF\n"}).items():
        (d / name).write_bytes(data)
    (root / "harvesters").mkdir()
    (root / "harvesters" / "dg.yaml").write_text(
        "type: datagouv  # the score matters only to a catalog publishing there\n"
        "url: https://demo.data.gouv.fr\ntoken_env: DG_KEY\n", encoding="utf-8")
    return root


POOR = """name: pauvre
title: Presque rien
description: Trop court.
organization: region-poitou-charentes
licence: etalab-2.0
resources:
  - name: rapport
    title: Rapport
    path: rapport.pdf
    format: pdf
"""


def test_validate_warns_per_missed_criterion_at_the_field_with_a_hint(tmp_path: Path) -> None:
    root = _catalog(tmp_path, POOR)
    report = validate(root, ["pauvre"], use_cache=False)
    assert report.valid  # warnings only: a low score never blocks a build
    warnings = {i.code: i for i in report.issues if i.code.startswith("datagouv-quality-")}
    assert set(warnings) == {
        "datagouv-quality-temporal-coverage", "datagouv-quality-update-frequency",
        "datagouv-quality-dataset-description-quality", "datagouv-quality-has-open-format",
        "datagouv-quality-resources-documentation"}
    desc = warnings["datagouv-quality-dataset-description-quality"]
    assert (desc.file, desc.line, desc.field, desc.severity) == (
        "datasets/pauvre/dataset.yaml", 3, "description", "warning")
    assert "100 characters" in (desc.hint or "")
    assert "3/9" in desc.message
    # a field the manifest lacks is pointed at the dataset's name line
    assert warnings["datagouv-quality-temporal-coverage"].line == 1
    assert report.datasets["pauvre"].quality["score"] == round(3 / 9, 4)


def test_no_score_for_a_catalog_that_does_not_publish_to_datagouv(tmp_path: Path) -> None:
    root = _catalog(tmp_path, POOR)
    (root / "harvesters" / "dg.yaml").write_text("type: ckan\nurl: https://ckan.example\n",
                                                 encoding="utf-8")
    report = validate(root, ["pauvre"], use_cache=False)
    assert report.datasets["pauvre"].quality is None
    assert not [i for i in report.issues if i.code.startswith("datagouv-quality-")]
    assert "quality" not in report.to_dict()["datasets"][0]


def test_json_report_carries_score_and_criteria(tmp_path: Path) -> None:
    root = _catalog(tmp_path, POOR)
    result = CliRunner().invoke(main, ["--root", str(root), "validate", "--format", "json",
                                       "pauvre"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    quality = data["datasets"][0]["quality"]
    assert quality["channel"] == "publish"
    assert quality["criteria"]["license"] is True
    assert quality["criteria"]["temporal_coverage"] is False
    assert "has_open_format" in quality["missed"]


def test_update_on_time_follows_the_frequency_period(tmp_path: Path) -> None:
    root = _catalog(tmp_path, POOR.replace("resources:", "frequency: MONTHLY\nresources:"))
    catalog = load_catalog(root)
    ds = catalog.dataset("pauvre")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    on_time = predict_quality(catalog, ds, last_update=now - timedelta(days=31), now=now)
    late = predict_quality(catalog, ds, last_update=now - timedelta(days=34), now=now)
    assert on_time.criteria["update_fulfilled_in_time"] is True  # one day of grace
    assert late.criteria["update_fulfilled_in_time"] is False
    assert "update_fulfilled_in_time" in late.missed
    never = load_catalog(_catalog(tmp_path / "n", POOR.replace(
        "resources:", "frequency: NEVER\nresources:")))
    assert predict_quality(never, never.dataset("pauvre"), last_update=now - timedelta(
        days=3650), now=now).criteria["update_fulfilled_in_time"] is True


def test_publish_and_harvest_channels_differ_where_udata_does(tmp_path: Path) -> None:
    manifest = POOR.replace("resources:", """spatial: {level: region, code: "54"}
resources:""") + """  - name: notice
    title: Notice
    type: documentation
    url: https://example.fr/notice.html
    format: html
"""
    catalog = load_catalog(_catalog(tmp_path, manifest))
    ds = catalog.dataset("pauvre")
    published = predict_quality(catalog, ds, "publish")
    harvested = predict_quality(catalog, ds, "harvest")
    assert published.criteria["spatial"] is True  # a coverage object is always sent
    assert harvested.criteria["spatial"] is False  # an INSEE code alone is no geometry
    assert published.criteria["resources_documentation"] is True
    assert harvested.criteria["resources_documentation"] is False
    assert published.criteria["has_open_format"] is True  # html is not a closed format


def test_bundled_catalog_scores_full_when_published() -> None:
    root = Path(__file__).resolve().parent.parent
    report = validate(root, use_cache=False)
    assert {d.quality["score"] for d in report.datasets.values() if d.quality} == {1.0}
    assert not [i for i in report.issues if i.code.startswith("datagouv-quality-")]
