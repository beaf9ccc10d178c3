"""The schema's custom checks as a Frictionless check, for the reference path.

Apart from :mod:`opendata.validation.custom_checks` because it subclasses Frictionless'
classes: importing the rules (the columnar engine does) must not import Frictionless.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
from frictionless import Check, errors

from opendata.validation.custom_checks import Rule


@attrs.define(kw_only=True, repr=False)
class CustomCheckError(errors.RowError):
    """A row that fails one custom check; ``code`` is Validata's error type."""

    type = "custom-check"
    title = "Custom check"
    description = "A custom check of the schema failed."
    template = "{note}"
    tags = ["#table", "#row"]

    code: str
    field_name: str | None = None


@attrs.define(kw_only=True, repr=False)
class RulesCheck(Check):
    """Frictionless check running the rules on each row, in the same pass as the types."""

    type = "opendata-custom-checks"
    Errors = [CustomCheckError]
    rules: list[Rule] = attrs.field(factory=list)

    def validate_row(self, row: Any) -> Iterator[errors.Error]:
        present = list(row.field_names)
        cells = [str(v) if v is not None else "" for v in row.cells]
        for rule in self.rules:
            if rule.stopped:
                continue
            if rule.header_check is not None:
                note = rule.header_check(present)
                if note:
                    rule.stopped = True  # once per file, as a header problem
                    yield CustomCheckError(note=note, cells=cells, row_number=1,
                                           code=rule.code, field_name=None)
                    continue
            values = [row.get(c) if c in present else None for c in rule.columns]
            if isinstance(values, list) and rule.skip_missing and any(v is None for v in values):
                continue
            note = rule.judge(values)
            if note:
                yield CustomCheckError(note=note, cells=cells, row_number=row.row_number,
                                       code=rule.code,
                                       field_name=rule.at if rule.at in present else None)
