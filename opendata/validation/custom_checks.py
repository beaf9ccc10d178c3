"""The ``custom_checks`` of schema.data.gouv.fr schemas, run the way Validata runs them.

National schemas declare checks that plain Table Schema cannot express (a SIRET checksum,
"VOTE_REEL >= VOTE_POUR", "at least one of two columns").  data.gouv.fr judges a resource with
Validata, which runs them; a validator that skipped them would call valid a file that
data.gouv.fr flags.  So each check here follows Validata's semantics (which values it looks
at, when it skips a row, where the error is located, its error code) and uses the libraries
Validata uses (``frformat``/``python-stdnum``, ``phonenumbers``, ``opening-hours-py``), so the
two agree on what a valid SIRET or phone number is.  ``tests/validation/test_validata_differential.py``
holds the two side by side.

A check receives the row's *typed* values (Frictionless has parsed them against the schema);
a cell that is empty or failed its type is ``None``.
"""

from __future__ import annotations

import decimal
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opendata.validation.messages import N_, _

#: Validata's error codes, per check (frformat-based checks all report custom-check-error)
CODES = {
    "french-siret-value": "custom-check-error",
    "french-siren-value": "custom-check-error",
    "nomenclature-actes-value": "custom-check-error",
    "compare-columns-value": "compare-columns-value",
    "cohesive-columns-value": "cohesive-columns-value",
    "year-interval-value": "year-interval-value",
    "sum-columns-value": "sum-columns-value",
    "one-of-required": "one-of-required",
    "opening-hours-value": "opening-hours-value",
    "phone-number-value": "phone-number-value",
}


@dataclass
class CheckProblem:
    """A check that cannot run (unknown, or its parameters are wrong)."""

    name: str
    message: str
    hint: str
    severity: str  # "error" or "warning"
    code: str


class CheckParamError(ValueError):
    """The schema gives a check missing or wrongly typed parameters."""


def _param(params: dict[str, Any], key: str, kind: type, default: Any = ...) -> Any:
    if key not in params:
        if default is ...:
            raise CheckParamError(_("parameter {key!r} is missing").format(key=key))
        return default
    value = params[key]
    if kind is list:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise CheckParamError(_("parameter {key!r} must be a non-empty list of column "
                                    "names, not {value!r}").format(key=key, value=value))
    elif not isinstance(value, kind) or (kind is str and not value):
        raise CheckParamError(_("parameter {key!r} must be a {kind}, not {value!r}").format(
            key=key, kind=kind.__name__, value=value))
    return value


def _is_number(value: Any) -> bool:
    """A number, or text that reads as one (Validata compares such text as numbers)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | decimal.Decimal):
        return True
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


_OPS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    ">": (operator.gt, N_("greater than")),
    ">=": (operator.ge, N_("greater than or equal to")),
    "==": (operator.eq, N_("equal to")),
    "<=": (operator.le, N_("less than or equal to")),
    "<": (operator.lt, N_("less than")),
}

_YEAR_INTERVAL = re.compile(r"^(\d{4})/(\d{4})$")
_YEAR = re.compile(r"^\d{4}$")


@dataclass
class Rule:
    """One configured custom check: the columns it reads and how it judges a row.

    ``judge`` gets the values of ``columns`` in order and returns an error note or None.
    ``skip_missing``: a row where one of the values is missing is not judged (the
    schema's ``required`` deals with emptiness) — except for checks about emptiness itself.
    ``header_check`` runs once on the file's field names; an error there stops the rule.
    """

    name: str
    columns: list[str]
    judge: Callable[[list[Any]], str | None]
    skip_missing: bool = True
    #: field the error is located on (None: the row as a whole)
    at: str | None = None
    header_check: Callable[[list[str]], str | None] | None = None
    stopped: bool = field(default=False)

    @property
    def code(self) -> str:
        return CODES[self.name]


def _single(params: dict[str, Any], judge: Callable[[Any], str | None], name: str) -> Rule:
    column = _param(params, "column", str)
    return Rule(name, [column], lambda v: judge(v[0]), at=column)


def _frformat(cls_name: str, name: str) -> Callable[[dict[str, Any]], Rule]:
    def build(params: dict[str, Any]) -> Rule:
        import frformat

        fmt = getattr(frformat, cls_name)()
        title = cls_name.replace("Acte", " Acte")

        def judge(value: Any) -> str | None:
            if hasattr(fmt, "is_valid_with_details"):
                ok, details = fmt.is_valid_with_details(value)
                return None if ok else ", ".join(details)
            return None if fmt.is_valid(value) else _(
                "the value does not have the {title} format").format(title=title)
        return _single(params, judge, name)
    return build


def _siret_like(cls_name: str, name: str) -> Callable[[dict[str, Any]], Rule]:
    """SIRET/SIREN: frformat on text; a value typed as a number by the schema is not text."""
    inner = _frformat(cls_name, name)

    def build(params: dict[str, Any]) -> Rule:
        rule = inner(params)
        judge = rule.judge
        rule.judge = lambda v: judge([v[0] if isinstance(v[0], str) else str(v[0])])
        return rule
    return build


def _compare(params: dict[str, Any]) -> Rule:
    column = _param(params, "column", str)
    column2 = _param(params, "column2", str)
    op = _param(params, "op", str)
    if op not in _OPS:
        raise CheckParamError(_("operator {op!r} is not one of {known}").format(
            op=op, known=", ".join(_OPS)))
    fn, label = _OPS[op]

    def judge(values: list[Any]) -> str | None:
        a, b = values
        if _is_number(a) and _is_number(b):
            ok = fn(float(a), float(b))
        elif isinstance(a, str) and isinstance(b, str) or type(a) is type(b):
            ok = fn(str(a), str(b))
        else:
            return _("the value `{a}` of column {column} cannot be compared with the value "
                     "`{b}` of column {column2}").format(a=a, b=b, column=column,
                                                         column2=column2)
        return None if ok else _("the value `{a}` of column {column} should be {op} the value "
                                 "`{b}` of column {column2}").format(
            a=a, b=b, column=column, column2=column2, op=_(label))
    return Rule("compare-columns-value", [column, column2], judge, at=column)


def _cohesive(params: dict[str, Any]) -> Rule:
    column = _param(params, "column", str)
    others = _param(params, "othercolumns", list)
    names = [column, *others]

    def judge(values: list[Any]) -> str | None:
        empty = values[0] is None
        if any((v is None) != empty for v in values[1:]):
            return _("the columns present among {columns} must all have a value or all be "
                     "empty").format(columns=", ".join(names))
        return None

    def header(present: list[str]) -> str | None:
        missing = [n for n in names if n not in present]
        if missing and len(set(missing)) < len(set(names)):
            return _("columns {columns} must be all present or all absent (absent: "
                     "{missing})").format(columns=", ".join(map(repr, names)),
                                          missing=", ".join(map(repr, missing)))
        return None
    return Rule("cohesive-columns-value", names, judge, skip_missing=False, at=column,
                header_check=header)


def _year_interval(params: dict[str, Any]) -> Rule:
    allow = _param(params, "allow-year-only", str, "false") in ("true", "yes")

    def judge(value: Any) -> str | None:
        text = str(value)
        match = _YEAR_INTERVAL.match(text)
        if not match:
            if not allow:
                return _("expected format: YYYY/YYYY")
            return None if _YEAR.match(text) else _(
                "expected format: a year (YYYY) or an interval (YYYY/YYYY)")
        first, second = int(match.group(1)), int(match.group(2))
        if first == second:
            return _("the two years must be different")
        if first > second:
            return _("the second year ({second}) must be after the first ({first})").format(
                first=first, second=second)
        return None
    return _single(params, judge, "year-interval-value")


def _sum(params: dict[str, Any]) -> Rule:
    column = _param(params, "column", str)
    columns = _param(params, "columns", list)

    def judge(values: list[Any]) -> str | None:
        total, parts = values[0], values[1:]
        if not all(_is_number(v) for v in values):
            return None
        computed = sum(decimal.Decimal(str(v)) for v in parts)
        if computed != decimal.Decimal(str(total)):
            return _("the sum of columns {columns} ({computed}) differs from the value of "
                     "column {column} ({total})").format(columns=", ".join(columns),
                                                        computed=computed, column=column,
                                                        total=total)
        return None
    return Rule("sum-columns-value", [column, *columns], judge, at=column)


def _one_of_required(params: dict[str, Any]) -> Rule:
    column1 = _param(params, "column1", str)
    column2 = _param(params, "column2", str)

    def judge(values: list[Any]) -> str | None:
        # Validata tests truthiness: a 0 counts as no value
        if not values[0] and not values[1]:
            return _("at least one of columns {column1!r} or {column2!r} must have a "
                     "value").format(column1=column1, column2=column2)
        return None

    def header(present: list[str]) -> str | None:
        if column1 not in present and column2 not in present:
            both = _(" and ").join(f"'{c}'" for c in sorted({column1, column2}))
            return _("one of two columns is required: {both} are missing").format(both=both)
        return None
    return Rule("one-of-required", [column1, column2], judge, skip_missing=False,
                header_check=header)


def _opening_hours(params: dict[str, Any]) -> Rule:
    import opening_hours

    def judge(value: Any) -> str | None:
        if opening_hours.validate(str(value)):
            return None
        return _("the opening hours are not valid: write them as OpenStreetMap specifies "
                 "(https://wiki.openstreetmap.org/wiki/Key:opening_hours)")
    return _single(params, judge, "opening-hours-value")


def _phone(params: dict[str, Any]) -> Rule:
    import phonenumbers

    def valid(text: str, region: str | None) -> bool:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_valid_number(number) or (
            region is not None and phonenumbers.is_valid_short_number(number))

    def judge(value: Any) -> str | None:
        text = str(value)
        if valid(text, "FR") or valid(text, None):
            return None
        return _("the phone number is not valid: accepted are 10-digit French numbers "
                 "(01 99 00 27 37), international numbers with their country code "
                 "(+33 1 99 00 27 37) and short numbers (115, 3949)")
    return _single(params, judge, "phone-number-value")


BUILDERS: dict[str, Callable[[dict[str, Any]], Rule]] = {
    "french-siret-value": _siret_like("Siret", "french-siret-value"),
    "french-siren-value": _siret_like("Siren", "french-siren-value"),
    "nomenclature-actes-value": _frformat("NomenclatureActe", "nomenclature-actes-value"),
    "compare-columns-value": _compare,
    "cohesive-columns-value": _cohesive,
    "year-interval-value": _year_interval,
    "sum-columns-value": _sum,
    "one-of-required": _one_of_required,
    "opening-hours-value": _opening_hours,
    "phone-number-value": _phone,
}


def build_rules(descriptor: dict[str, Any], schema_label: str) -> tuple[list[Rule],
                                                                        list[CheckProblem]]:
    """The schema's ``custom_checks`` as rules, and the checks that cannot run.

    An unknown check is a warning naming it (the file is checked without it, never
    silently); a known check with missing or wrong parameters is an error naming the schema,
    since the schema as published is then unusable as data.gouv.fr runs it.
    """
    rules: list[Rule] = []
    problems: list[CheckProblem] = []
    declared = descriptor.get("custom_checks") or []
    if not isinstance(declared, list):
        declared = [declared]
    for i, spec in enumerate(declared):
        name = spec.get("name") if isinstance(spec, dict) else None
        where = _("custom_checks[{i}] of schema {schema}").format(i=i, schema=schema_label)
        if not isinstance(name, str):
            problems.append(CheckProblem(str(name), _("{where} has no `name`").format(
                where=where), _("Each custom check needs a name and params."),
                "error", "check-error"))
            continue
        builder = BUILDERS.get(name)
        if builder is None:
            known = ", ".join(sorted(BUILDERS))
            problems.append(CheckProblem(
                name, _("custom check {name!r} ({where}) is unknown to opendata: the file is "
                        "checked without it").format(name=name, where=where),
                _("Known custom checks: {known}.").format(known=known), "warning",
                "unknown-custom-check"))
            continue
        params = spec.get("params", {})
        try:
            if not isinstance(params, dict):
                raise CheckParamError(_("`params` must be a mapping, not {params!r}").format(
                    params=params))
            rules.append(builder(params))
        except CheckParamError as exc:
            problems.append(CheckProblem(
                name, _("custom check {name!r} ({where}) cannot run: {why}").format(
                    name=name, where=where, why=exc),
                _("Fix the check's `params` in the schema {schema}.").format(
                    schema=schema_label), "error",
                "check-error"))
    return rules, problems


def field_names_used(rules: Sequence[Rule]) -> set[str]:
    return {c for r in rules for c in r.columns}
