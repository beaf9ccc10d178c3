"""``opendata infer``: a first Table Schema and dialect for a data file.

Frictionless infers types well for international CSV but reads French decimal commas and
``dd/mm/yyyy`` dates as strings.  We detect encoding and delimiter first, let Frictionless
infer, then refine: columns of French codes (INSEE, postal, SIREN/SIRET, phone numbers,
identifiers) go back to text, since as numbers they lose leading zeros and Corsica's ``2A``;
string columns whose every sampled value is a French number or date get that type.
Constraints such as ``unique`` are only proposed from a sample big enough to mean something,
and the header is compared with the national schemas so a steward learns which one to declare.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata.catalog.schemas import SchemaMatch, match_header
from opendata.errors import UsageError
from opendata.validation.messages import N_, _, ngettext

FR_NUMBER = re.compile(r"^-?\d{1,3}(?:[ \u00a0\u202f]?\d{3})*(?:,\d+)?$|^-?\d+,\d+$")
FR_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
SLUG = re.compile(r"[^a-z0-9_]+")


#: non-empty values a column needs before ``unique`` is inferred: two distinct values say
#: nothing about the next thousand rows
MIN_ROWS_UNIQUE = 20
#: ... and before ``enum`` is: a handful of values seen many times each
MIN_ROWS_ENUM = 50
MAX_ENUM_VALUES = 10


@dataclass
class Inferred:
    dialect: dict[str, Any]
    schema: dict[str, Any]
    #: data rows read to infer (at most ``sample_rows``)
    rows: int = 0
    #: what the inference decided and why, for the steward to check
    notes: list[str] = field(default_factory=list)
    #: national schemas the header matches, best first
    national: list[SchemaMatch] = field(default_factory=list)

    @property
    def proposed(self) -> SchemaMatch | None:
        """The national schema to declare, when the header clearly is one: at least half of
        its columns (and three) are fields of the schema."""
        if not self.national:
            return None
        best = self.national[0]
        header = len(best.matched) + len(best.extra)
        return best if len(best.matched) >= 3 and 2 * len(best.matched) >= header else None

    def national_summary(self) -> list[str]:
        """One line per candidate, then the ``schema:`` line to use if one fits."""
        lines = [(_("{name} {version}: {matched} of {columns} columns are its fields; missing "
                    "required: {missing}") if m.missing_required
                  else _("{name} {version}: {matched} of {columns} columns are its fields"))
                 .format(name=m.schema.name, version=m.version.version, matched=len(m.matched),
                         columns=len(m.matched) + len(m.extra),
                         missing=", ".join(m.missing_required))
                 for m in self.national]
        return lines


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else cp1252: the two French norms."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a multi-byte character cut by the sample end
            return "utf-8"
        return "cp1252"


def detect_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=";,\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) if lines else 0 for d in ";,\t|"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


# -- French codes: text, never numbers --------------------------------------------------------

# what the value must look like for each kind of code; names only pick the kind, values must
# all agree, so a column called "cp" full of amounts stays a number
_CODE_VALUES = {
    "siret": re.compile(r"^\d{3} ?\d{3} ?\d{3} ?\d{5}$"),
    "siren": re.compile(r"^\d{3} ?\d{3} ?\d{3}$"),
    "postal": re.compile(r"^\d{5}$"),
    "commune": re.compile(r"^(?:\d{5}|2[AB]\d{3})$"),
    "department": re.compile(r"^(?:\d{2}|2[AB]|97\d)$"),
    "region": re.compile(r"^\d{2}$"),
    "phone": re.compile(r"^(?:(?:\+|00)33[\s.-]?|0)[1-9](?:[\s.-]?\d{2}){4}$|^\+\d{8,15}$"),
}
#: pattern constraint proposed for a recognised code (with enough rows)
_CODE_PATTERNS = {
    "siret": r"^\d{14}$",
    "siren": r"^\d{9}$",
    "postal": r"^\d{5}$",
    "commune": r"^(?:\d{5}|2[AB]\d{3})$",
    "department": r"^(?:\d{2}|2[AB]|97\d)$",
    "region": r"^\d{2}$",
}
_CODE_LABELS = {
    "siret": N_("SIRET numbers"), "siren": N_("SIREN numbers"), "postal": N_("postal codes"),
    "commune": N_("INSEE commune codes"), "department": N_("department codes"),
    "region": N_("region codes"), "phone": N_("phone numbers"),
    "identifier": N_("identifiers"), "leading-zeros": N_("codes with leading zeros"),
}
# column-name words that say which code a column holds (accents and case folded)
_NAME_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("siret", re.compile(r"siret")),
    ("siren", re.compile(r"siren")),
    ("postal", re.compile(r"(^|_)(cp|code_?postal|postal|codepostal)(_|$)")),
    ("commune", re.compile(r"(^|_)(insee|codgeo|depcom|code_?commune|com|code_?insee)(_|$)")),
    ("department", re.compile(r"(^|_)(dep|dept|departement|code_?dep(artement)?)(_|$)")),
    ("region", re.compile(r"(^|_)(reg|region|code_?reg(ion)?)(_|$)")),
    ("phone", re.compile(r"(^|_)(tel|telephone|phone|portable|mobile|fax)(_|$)")),
    ("identifier", re.compile(r"(^|_)(code|identifiant|uai|finess|rna|ident|matricule)(_|$)"
                              r"|^code|^id_|_id$|^num(ero)?_")),
]


def _slug(name: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFKD", name)
                     if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def code_kind(name: str, values: list[str]) -> str | None:
    """The kind of code a column holds, or None: a column whose values must stay text.

    Numbers would lose what makes a code: leading zeros (``01``, ``07005``), letters (Corsica's
    ``2A``/``2B``), spaces and the ``+`` of phone numbers.  Values decide; the column name
    only picks between kinds whose values look alike (a postal code and a commune code).
    """
    if not values:
        return None
    slug = _slug(name)
    for kind, pattern in _NAME_KINDS:
        if not pattern.search(slug):
            continue
        if kind == "identifier":
            # a code-like name whose values are digits or letters and digits, no decimals
            if all(re.match(r"^[0-9A-Za-z][0-9A-Za-z_./-]*$", v) and not re.match(
                    r"^-?\d+[.,]\d+$", v) for v in values):
                return kind
            continue
        if all(_CODE_VALUES[kind].match(v) for v in values):
            return kind
    if all(_CODE_VALUES["phone"].match(v) for v in values) and any(
            not v.isdigit() or v.startswith("0") for v in values):
        return "phone"
    if all(_CODE_VALUES["commune"].match(v) for v in values) and any(
            v[:2] in ("2A", "2B") for v in values):
        return "commune"
    if all(_CODE_VALUES["department"].match(v) for v in values) and any(
            v in ("2A", "2B") for v in values):
        return "department"
    # whatever the name: digits with a leading zero are a code (a number has none)
    if all(v.isdigit() for v in values) and any(len(v) > 1 and v[0] == "0" for v in values):
        return "leading-zeros"
    for kind in ("siret", "siren"):  # 9 and 14 digits are not quantities
        if all(re.match(_CODE_PATTERNS[kind], v) for v in values):
            return kind
    return None


def infer(file: Path, *, sample_rows: int = 10000, root: Path | None = None) -> Inferred:
    """Infer dialect and Table Schema of a CSV/TSV file from its first ``sample_rows``, and
    the national schemas (``root``'s copy merged with the shipped one) its header matches."""
    from frictionless import Detector, Dialect, Resource, formats

    with file.open("rb") as fh:  # a sample, never the whole (possibly huge) file
        raw = fh.read(1 << 20)
    if not raw.strip():
        raise UsageError(_("{file}: the file is empty, nothing to infer").format(file=file))
    from opendata.validation.tabular import describe_non_text

    odd = describe_non_text(raw[:4096])
    if odd is not None:
        raise UsageError(_("{file}: the file is {what}; nothing to infer").format(
            file=file, what=odd[0]), odd[1])
    encoding = detect_encoding(raw)
    text = raw.decode(encoding, errors="replace")
    delimiter = detect_delimiter(text)
    dialect: dict[str, Any] = {"delimiter": delimiter,
                               "encoding": "utf-8" if encoding == "utf-8-sig" else encoding}
    res = Resource(path=file.name, basepath=str(file.parent), format="csv", encoding=encoding,
                   dialect=Dialect(controls=[formats.CsvControl(delimiter=delimiter)]),
                   detector=Detector(sample_size=sample_rows, field_missing_values=[""]))
    from frictionless import FrictionlessException

    try:
        res.infer()
    except FrictionlessException as exc:
        raise UsageError(_("{file}: cannot infer a schema: {why}").format(
            file=file, why=exc.error.message),
            _("Check that the file is delimited text (CSV).")) from None
    schema = res.schema.to_descriptor()
    columns: dict[str, list[str]] = {f["name"]: [] for f in schema["fields"]}
    rows = 0
    with file.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, [])
        names = [f["name"] for f in schema["fields"]]
        for row in reader:
            if rows >= sample_rows:
                break
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            for name, value in zip(names, row, strict=False):
                value = value.strip()
                if value:
                    columns[name].append(value)
    notes: list[str] = []
    decimal_comma = False
    for index, fld in enumerate(schema["fields"]):
        values = columns.get(fld["name"], [])
        kind = code_kind(fld["name"], values)
        if kind:
            was = fld.get("type")
            fld["type"] = "string"
            fld.pop("format", None)
            if kind in _CODE_PATTERNS and rows >= MIN_ROWS_UNIQUE and all(
                    re.match(_CODE_PATTERNS[kind], v) for v in values):
                fld.setdefault("constraints", {})["pattern"] = _CODE_PATTERNS[kind]
            notes.append((_("{field}: {kind}, kept as text") if was in (None, "string") else
                          _("{field}: {kind}, kept as text (as {type}, leading zeros, letters "
                            "and signs would be lost)")).format(
                field=fld["name"], kind=_(_CODE_LABELS[kind]), type=was))
        # "21,85" alone reads as a geopoint ("lon,lat") to Frictionless
        elif fld.get("type") in ("string", "geopoint") and values:
            grouped = any(re.search(r"\d[ \u00a0\u202f]\d", v) for v in values)
            if all(FR_NUMBER.match(v) for v in values) and (
                    grouped or any("," in v for v in values)):
                fld["type"] = "number"
                fld["decimalChar"] = ","
                if grouped:
                    fld["groupChar"] = " "
                decimal_comma = True
            elif all(FR_DATE.match(v) for v in values):
                fld["type"] = "date"
                fld["format"] = "%d/%m/%Y"
        fld.pop("format", None) if fld.get("format") == "default" else None
        _constraints(fld, values, rows, first=index == 0, code=kind)
    if rows < MIN_ROWS_UNIQUE:
        notes.append(ngettext(
            "{rows} row read: too few to infer unique or enum constraints (unique needs "
            "{unique} rows, enum {enum}); add them by hand if they hold",
            "{rows} rows read: too few to infer unique or enum constraints (unique needs "
            "{unique} rows, enum {enum}); add them by hand if they hold", rows).format(
            rows=rows, unique=MIN_ROWS_UNIQUE, enum=MIN_ROWS_ENUM))
    else:
        inferred = [f"{f['name']}: {', '.join(sorted(f['constraints']))}"
                    for f in schema["fields"] if f.get("constraints")]
        notes.append(_("{rows} rows read; constraints inferred from them: {inferred} (unique "
                       "needs {unique} rows, enum {enum})").format(
            rows=rows, inferred="; ".join(inferred) if inferred else _("none"),
            unique=MIN_ROWS_UNIQUE, enum=MIN_ROWS_ENUM))
    if decimal_comma:
        dialect["decimalChar"] = ","
    schema["missingValues"] = [""]
    national = match_header(root, header)
    return Inferred(dialect=dialect, schema=schema, rows=rows, notes=notes, national=national)


def _constraints(fld: dict[str, Any], values: list[str], rows: int, *, first: bool,
                 code: str | None) -> None:
    """``unique`` and ``enum`` only when the sample is big enough to mean something."""
    if not values:
        return
    constraints = fld.setdefault("constraints", {})
    distinct = set(values)
    identifier = first or code == "identifier" or _slug(fld["name"]) in ("id", "identifiant")
    if (identifier and len(values) >= MIN_ROWS_UNIQUE and len(values) == rows
            and len(distinct) == len(values)):
        constraints["unique"] = True
    elif (fld.get("type") == "string" and code is None and len(values) >= MIN_ROWS_ENUM
          and len(distinct) <= MAX_ENUM_VALUES and len(distinct) * 5 <= len(values)
          and all(len(v) <= 60 for v in distinct)):
        constraints["enum"] = sorted(distinct)
    if not constraints:
        del fld["constraints"]
