"""data.gouv.fr's quality score of a dataset, predicted from its manifest before publishing.

udata 17 scores every dataset out of 9 criteria (``Dataset.compute_quality`` and
``compute_quality_score`` in ``udata/core/dataset/models.py``) and data.gouv.fr shows the
score on the dataset's page.  This module applies the same rules to what opendata will put
on the portal, so a steward sees the criteria a dataset would miss while fixing is still a
commit away.  Two ways in, as udata sees them:

``publish`` (``opendata publish`` to a datagouv target): the licence's ``datagouv_id``, the
frequency mapped to udata's ids (``unknown`` when absent), the temporal coverage when it has
a start, a spatial coverage object always (granularity ``other`` when the manifest has none:
udata 17.18 counts any coverage object as met), resources with the manifest's format,
description and type (``main`` unless the manifest says otherwise).

``harvest`` (udata's DCAT harvester on ``catalog-datagouv.ttl``): the licence found by URL,
the EU frequency, the temporal coverage, a spatial coverage only from a geometry (a manifest
``spatial.bbox``; an INSEE code alone gives none), formats from the EU file type, no resource
type (a ``type: documentation`` resource documents nothing there: descriptions do), and the
last update taken from ``dct:modified`` (the git date of the dataset's files).

"Update on time" compares the last update plus the frequency's period with today, one day
of grace, as udata does.  The last update is the last change of the dataset's files in git
(``opendata publish`` uploads a changed file right away, so the portal's date follows it).
"Resources available" is udata's link checker's verdict, unknown before publishing, and
udata counts unknown as available: it is predicted met.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from opendata.catalog.manifests import Catalog, Dataset
from opendata.catalog.vocab import FORMATS, FREQUENCIES
from opendata.gitinfo import FileDates
from opendata.validation.messages import N_, _
from opendata.validation.report import Issue, ValidationReport

Channel = Literal["publish", "harvest"]

#: udata 17's ``QUALITY_DESCRIPTION_LENGTH`` (the description must be longer than this)
DESCRIPTION_LENGTH = 100
#: udata 17's ``CLOSED_FORMATS``
CLOSED_FORMATS = frozenset({"pdf", "doc", "docx", "word", "xls", "excel", "xlsx"})
#: ``Dataset.normalize_score``: the number of criteria
MAX_SCORE = 9

_DAY, _WEEK, _MONTH, _YEAR = timedelta(days=1), timedelta(weeks=1), timedelta(days=31), \
    timedelta(days=365)
#: udata id -> ``UpdateFrequency`` delta (None: no regular update expected, always on time)
UDATA_DELTAS: dict[str, timedelta | None] = {
    "continuous": None, "hourly": timedelta(hours=1), "semidaily": _DAY, "daily": _DAY,
    "threeTimesAWeek": _WEEK, "semiweekly": _WEEK, "weekly": _WEEK, "biweekly": 2 * _WEEK,
    "threeTimesAMonth": _MONTH, "semimonthly": _MONTH, "monthly": _MONTH,
    "bimonthly": 2 * _MONTH, "quarterly": 3 * _MONTH, "threeTimesAYear": _YEAR,
    "semiannual": _YEAR, "annual": _YEAR, "biennial": 2 * _YEAR, "triennial": 3 * _YEAR,
    "quinquennial": 5 * _YEAR, "irregular": None, "never": None, "other": None,
}

#: criterion -> (manifest field to point at, what to do about it: a template, braces doubled)
CRITERIA: dict[str, tuple[str, str]] = {
    "license": ("licence", N_("Set `licence:` to a key of the licence registry.")),
    "temporal_coverage": ("temporal", N_("Add `temporal: {{start: YYYY-MM-DD, end: "
                                         "YYYY-MM-DD}}`, the period the data describes.")),
    "spatial": ("spatial", N_("Add `spatial.bbox: [minlon, minlat, maxlon, maxlat]`: udata's "
                              "DCAT harvester keeps geometries only, not INSEE codes.")),
    "update_frequency": ("frequency", N_("Set `frequency:` (ANNUAL, MONTHLY, IRREG, NEVER for "
                                         "a one-off snapshot...); UNKNOWN scores nothing.")),
    "update_fulfilled_in_time": ("frequency", N_("The data has not changed for longer than "
                                                 "its `frequency:` promises: update it, or "
                                                 "state the real frequency (IRREG, NEVER).")),
    "dataset_description_quality": ("description", N_("Describe the dataset in more than "
                                                      "{length} characters: what it is, units, "
                                                      "caveats.")),
    "has_open_format": ("resources", N_("Publish at least one resource in an open format "
                                        "(csv, json, geojson...), not only pdf/doc/xls.")),
    "all_resources_available": ("resources", N_("A resource URL does not answer.")),
    "resources_documentation": ("resources", N_("Give a resource a `description:`, or add a "
                                                "resource of `type: documentation`.")),
}


@dataclass
class QualityPrediction:
    """udata's ``quality`` object for one dataset: every criterion met or not, the score."""

    dataset: str
    channel: Channel
    criteria: dict[str, bool] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """``compute_quality_score``: one point per criterion met, out of 9."""
        return sum(1 for name in CRITERIA if self.criteria.get(name)) / MAX_SCORE

    @property
    def missed(self) -> list[str]:
        """Criteria not met (including those udata leaves out, which score nothing)."""
        return [name for name in CRITERIA if not self.criteria.get(name, False)]

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "score": round(self.score, 4),
                "criteria": dict(self.criteria), "missed": self.missed}


def _format(channel: Channel, fmt: str) -> str | None:
    if channel == "publish":
        return fmt.lower() or None
    return FORMATS[fmt][0].lower() if fmt in FORMATS else None


def predict_quality(catalog: Catalog, ds: Dataset, channel: Channel = "publish", *,
                    last_update: datetime | None = None, now: datetime | None = None,
                    dates: FileDates | None = None) -> QualityPrediction:
    """What udata's ``Dataset.quality`` will say of ``ds`` once published through ``channel``.

    ``last_update``: when the data last changed (default: the git date of the dataset's
    files, from ``dates`` or a fresh :class:`~opendata.gitinfo.FileDates`); ``now``: the
    day of the check (default: now).  Criteria udata leaves out of its
    object (no update frequency: no "on time"; no resource: none of the resource ones) are
    left out here too.
    """
    out = QualityPrediction(ds.name, channel)
    c = out.criteria
    lic = ds.licence
    c["license"] = isinstance(lic, str) and lic in catalog.licences
    temporal = ds.get("temporal")
    c["temporal_coverage"] = isinstance(temporal, dict) and bool(temporal.get("start"))
    spatial = ds.get("spatial")
    if channel == "publish":
        c["spatial"] = True  # opendata always sends a coverage object (see module docstring)
    else:
        c["spatial"] = isinstance(spatial, dict) and isinstance(spatial.get("bbox"), list)
    freq = ds.get("frequency")
    udata_freq = FREQUENCIES[freq][1] if isinstance(freq, str) and freq in FREQUENCIES \
        else "unknown"
    c["update_frequency"] = udata_freq != "unknown"
    if c["update_frequency"]:
        delta = UDATA_DELTAS.get(udata_freq)
        if delta is None:
            c["update_fulfilled_in_time"] = True
        else:
            last = last_update or _last_change(catalog, ds, dates) or datetime.now(UTC)
            today = now or datetime.now(UTC)
            c["update_fulfilled_in_time"] = (last + delta - today).days >= -1
    description = ds.description.strip() if isinstance(ds.description, str) else ""
    c["dataset_description_quality"] = len(description) > DESCRIPTION_LENGTH
    resources = list(ds.resources)
    if resources:
        c["has_resources"] = True
        c["has_open_format"] = not all(
            (f := _format(channel, r.format)) is None or f in CLOSED_FORMATS for r in resources)
        c["all_resources_available"] = True
        # the DCAT has no resource type udata maps to "documentation": descriptions only
        c["resources_documentation"] = any(
            (channel == "publish" and r.type == "documentation")
            or bool((r.description or "").strip()) for r in resources)
    return out


def _last_change(catalog: Catalog, ds: Dataset, dates: FileDates | None) -> datetime | None:
    files = [ds.manifest, *(r.file for r in ds.resources if r.file is not None)]
    span = (dates or FileDates(catalog.root)).span(files)
    return span[1] if span else None


def quality_issues(catalog: Catalog, ds: Dataset, prediction: QualityPrediction
                   ) -> list[Issue]:
    """One warning per criterion missed, located at the manifest field to change."""
    rel = catalog.rel(ds.manifest)
    issues = []
    for name in prediction.missed:
        if name == "update_fulfilled_in_time" and not prediction.criteria.get(
                "update_frequency"):
            continue  # the frequency warning says it all
        where, hint = CRITERIA[name]
        line, col = ds.where(where) if where in ds.raw else ds.where("name")
        issues.append(Issue(
            dataset=ds.name, file=rel, line=line, column=col, field=where,
            code=f"datagouv-quality-{name.replace('_', '-')}", severity="warning",
            message=_("data.gouv.fr quality: criterion '{name}' not met (predicted score "
                      "{score}/{max})").format(name=name,
                                               score=round(prediction.score * MAX_SCORE),
                                               max=MAX_SCORE),
            hint=_(hint).format(length=DESCRIPTION_LENGTH)))
    return issues


def publishes_to_datagouv(catalog: Catalog) -> bool:
    """True if a target ``harvesters/*.yaml`` has ``type: datagouv``: only such a catalog
    gets data.gouv.fr's score (a CKAN-only catalog would get warnings about a portal it
    never reaches).  The target files are read for that one key, not validated here."""
    folder = catalog.root / "harvesters"
    for file in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if re.search(r"^type:\s*['\"]?datagouv['\"]?\s*(#.*)?$", text, re.MULTILINE):
            return True
    return False


class QualityCheck:
    """The validator's one entry point: predict, store on the dataset's result, warn.

    Holds one :class:`~opendata.gitinfo.FileDates` for the whole run (one ``git log``),
    created only if a dataset's frequency needs dates.
    """

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._dates: FileDates | None = None
        self.enabled = publishes_to_datagouv(catalog)

    @property
    def dates(self) -> FileDates:
        if self._dates is None:
            self._dates = FileDates(self.catalog.root)
        return self._dates

    def __call__(self, ds: Dataset, report: ValidationReport) -> None:
        result = report.datasets.get(ds.name)
        if not self.enabled or result is None or not result.valid:
            return  # a broken manifest gets its errors first, not a score
        freq = ds.get("frequency")
        needs_dates = isinstance(freq, str) and freq in FREQUENCIES and \
            UDATA_DELTAS.get(FREQUENCIES[freq][1]) is not None
        prediction = predict_quality(self.catalog, ds,
                                     dates=self.dates if needs_dates else None)
        result.quality = prediction.to_dict()
        for issue in quality_issues(self.catalog, ds, prediction):
            report.add(issue)
