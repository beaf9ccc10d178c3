"""Foreign keys in the columnar engine: DuckDB anti-joins over keys kept on disk.

Frictionless builds a Python set of every referenced key, then looks each row's key up in
it.  Here the row keys (with their row numbers and raw cells) and the referenced keys go,
batch by batch, into DuckDB tables on disk (:class:`~opendata.validation.engine.keys.
DiskTables`, shared with the key checks: a memory limit, spilled to the temporary folder
past it), and one anti-join per foreign key gives the rows whose key has no match: memory
stays bounded whatever the sizes of both files.

Keys compare as Frictionless compares them, Python's ``==`` on typed values: a key is
the canonical text of the value the field's own cell reader gives (``n:`` numbers, so
``1``, ``1.0`` and ``true`` match as they do in Python; ``s:`` text, ``d:`` dates...),
``z:`` for no value.  A row whose key cells are all empty is not checked, and a
referenced row whose key cells are all empty is not a key, as there.  Self-references
(``resource: ""``) read their keys from the same batches as the rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from opendata.validation.engine.handback import HandBack
from opendata.validation.engine.keys import DiskTables
from opendata.validation.references import (
    UNHASHABLE_TYPES,
    Reference,
    foreign_key_issue_text,
    readable,
)
from opendata.validation.report import Issue

#: the token of a missing value (or one that does not parse) in a key
NONE = "z:"
#: distinct cells remembered per field
MEMO_LIMIT = 200_000
#: the finding kind after the cell, unique and primary-key findings of a row
KIND = 3


class _Unhashable(Exception):
    """A list or dict value: Frictionless cannot key it."""


def canonical(value: Any, nan: str = "x:nan") -> str:
    """The key text of a typed value: equal texts exactly when Python's ``==`` holds."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return f"n:{value}"
    if isinstance(value, float):
        if value != value:
            return nan
        value = Decimal(value)
    if isinstance(value, Decimal):
        if value.is_nan():
            return nan  # NaN equals nothing, not even another NaN
        if value.is_infinite():
            return f"n:{value}"
        if value == value.to_integral_value():
            return f"n:{int(value)}"
        return f"n:{value.normalize()}"
    if isinstance(value, str):
        return "s:" + value
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        if offset is not None:  # aware datetimes compare as instants
            return "T:" + (value.replace(tzinfo=None) - offset).isoformat()
        return "t:" + value.isoformat()
    if isinstance(value, datetime.date):
        return "d:" + value.isoformat()
    if isinstance(value, datetime.time):
        return "h:" + value.isoformat()
    if isinstance(value, tuple):
        return "(" + "|".join(canonical(v, nan) for v in value) + ")"
    if isinstance(value, list | dict):
        raise _Unhashable(type(value).__name__)
    return f"r:{type(value).__name__}:{value!r}"


@dataclass
class _Keyer:
    """Key texts of one field's cells (a column of the file being read)."""

    chk: Any
    nan: str = "x:nan"
    memo: dict[str, str] = field(default_factory=dict)

    def keys(self, col: Any) -> Any:
        import polars as pl

        chk = self.chk
        if chk.missing == [""]:
            miss = col.str.len_bytes() == 0
        else:
            miss = col.is_in(chk.missing) if chk.missing else pl.repeat(False, col.len(),
                                                                       eager=True)
        if chk.type == "string" and chk.notes.get(1) == 'type is "string/default"':
            # a default string reads as itself, whatever its constraints say
            return pl.select(pl.when(miss).then(pl.lit(NONE)).otherwise(pl.lit("s:") + col)
                             ).to_series()
        if chk.type == "integer" and chk.mode == "cast":
            # the cells polars reads as int64 Python's int() reads the same
            ints = col.cast(pl.Int64, strict=False)
            fast = ints.is_not_null() & ~miss
            out = pl.select(pl.when(fast).then(pl.lit("n:") + ints.cast(pl.String))
                            .otherwise(None)).to_series()
        else:
            fast = pl.repeat(False, col.len(), eager=True)
            out = pl.Series([None] * col.len(), dtype=pl.String)
        slow = ~miss & ~fast
        if slow.any():
            values = col.filter(slow).unique()
            texts = [self._exact(v) for v in values.to_list()]
            found = col.replace_strict(values, pl.Series(texts, dtype=pl.String),
                                       default=None, return_dtype=pl.String)
            out = found.zip_with(slow, out)
        return out.fill_null(NONE)

    def _exact(self, cell: str) -> str:
        hit = self.memo.get(cell)
        if hit is None:
            target, _ = self.chk.reader(cell)
            hit = canonical(target, self.nan)
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            self.memo[cell] = hit
        return hit


@dataclass
class _Group:
    """One foreign key: the row fields (indexes into the run's fields) and the lookup."""

    index: int
    fields: list[int]
    names: list[str]
    source: str
    source_fields: list[str]
    lookup: str


class ForeignKeys:
    """The foreign keys of one run (:class:`opendata.validation.engine._Run`)."""

    def __init__(self, run: Any, references: dict[str, Reference] | None,
                 not_covered: Any = None):
        self.run = run
        #: the engine's own test of what it covers, for the referenced files (handed in:
        #: this module may not import the engine package, which imports it)
        self.not_covered = not_covered
        # an unreadable resource is one the dataset has: the reference path words that
        self.references = readable(references)
        own = run.base["resource"]
        names = run.names
        self.groups: list[_Group] = []
        self.lookups: dict[str, tuple[str, list[str]]] = {}
        for fk in run.fschema.foreign_keys:
            target = list(fk["fields"])
            source = fk["reference"]["resource"]
            sfields = list(fk["reference"]["fields"])
            if not set(target) <= set(names):
                continue  # Frictionless skips a key whose fields have no column
            if any(run.checks[names.index(n)].type in UNHASHABLE_TYPES for n in target):
                raise HandBack("a foreign key over an array, object or geojson field")
            is_self = not source or source == own
            if not is_self and source not in self.references:
                raise HandBack(f"a foreign key to {source!r}, not a resource of the dataset")
            lookup_id = ("" if is_self else source) + "\x00" + "\x00".join(sfields)
            name = self.lookups.setdefault(lookup_id, (f"l{len(self.lookups)}", sfields))[0]
            self.groups.append(_Group(len(self.groups), [names.index(n) for n in target],
                                      target, "" if is_self else source, sfields, name))
        self.keyers = [_Keyer(chk) for chk in run.checks]
        #: self-referenced lookups: (table, indexes of its fields in this file or None)
        self.self_lookups = {
            name: [names.index(f) if f in names else None for f in sfields]
            for lookup_id, (name, sfields) in self.lookups.items()
            if lookup_id.startswith("\x00")}
        self._ref_keyers = {n: _Keyer(run.checks[n], nan="x:nan-ref")
                            for idx in self.self_lookups.values() for n in idx if n is not None}
        self._tables = DiskTables("opendata-fk-")
        #: rows (among the findings kept) by the first foreign key they break
        self.first_miss: dict[int, int] = {}
        self._pk_rows: set[int] | None = None

    @classmethod
    def start(cls, run: Any, references: dict[str, Reference] | None,
              not_covered: Any = None) -> ForeignKeys | None:
        """The run's foreign keys, or None when its schema has none that apply."""
        if not run.fschema.foreign_keys:
            return None
        fks = cls(run, references, not_covered)
        if not fks.groups:
            fks.close()
            return None
        return fks

    # collecting ------------------------------------------------------------------------

    def add(self, df: Any, row_no: Any) -> None:
        """Keep this batch's row keys and, for self-references, its referenced keys."""
        import polars as pl

        try:
            keys = {i: self.keyers[i].keys(df[f"c{i}"])
                    for g in self.groups for i in g.fields}
            for g in self.groups:
                cols = {f"k{j}": keys[i] for j, i in enumerate(g.fields)}
                frame = pl.DataFrame({"row": row_no, **cols, **{
                    f"r{j}": df[f"c{i}"] for j, i in enumerate(g.fields)}})
                self._tables.put(f"g{g.index}", frame.filter(~pl.all_horizontal(
                    [pl.col(c) == NONE for c in cols])))
            for name, idx in self.self_lookups.items():
                self._tables.put(name, self._lookup_frame(df, idx, self._ref_keyers))
        except _Unhashable as exc:
            raise HandBack(f"a foreign key over {exc} values") from exc

    def _lookup_frame(self, df: Any, idx: list[int | None], keyers: dict[int, _Keyer]) -> Any:
        import polars as pl

        cols = {f"k{j}": (keyers[i].keys(df[f"c{i}"]) if i is not None
                          else pl.repeat(NONE, df.height, eager=True, dtype=pl.String))
                for j, i in enumerate(idx)}
        frame = pl.DataFrame(cols)
        return frame.filter(~pl.all_horizontal([pl.col(c) == NONE for c in cols])).unique()

    def _read_reference(self, name: str, source: str, sfields: list[str]) -> None:
        """The referenced keys of another resource, read by the engine batch by batch."""
        import polars as pl

        from opendata.validation.tabular import normalise_encoding, precheck, scan_file

        ref = self.references[source]
        base = {"file": str(ref.file), "dataset": self.run.base["dataset"], "resource": source}
        descriptor = {k: v for k, v in ref.descriptor.items() if k != "foreignKeys"}
        why = self.not_covered(descriptor, ref.dialect, ref.fmt) if self.not_covered else None
        if why:
            raise HandBack(f"the referenced resource {source!r}: {why}")
        facts = scan_file(ref.file, normalise_encoding(ref.dialect.get("encoding")))
        pre, encoding, delimiter = precheck(descriptor, ref.dialect, base, facts, ref.fmt)
        if pre:
            raise HandBack(f"the referenced resource {source!r} cannot be read")
        header = ref.dialect.get("header", True)
        # the referenced file read by the same engine run class as this file
        other = type(self.run)(ref.file, base, descriptor, ref.dialect, encoding, delimiter,
                               self.run.limit, by_name=bool(header), published=False)
        width = len(other.checks)
        if len(other.labels) != width:
            raise HandBack(f"the referenced resource {source!r}: header and schema differ")
        idx = [other.names.index(f) if f in other.names else None for f in sfields]
        keyers = {i: _Keyer(other.checks[i], nan="x:nan-ref") for i in idx if i is not None}
        skip = bool(header)
        batches = other._batches(width)
        try:
            for batch in batches:
                df = pl.from_arrow(batch)
                assert isinstance(df, pl.DataFrame)
                if skip:
                    df, skip = df.slice(1), False
                if df.height:
                    self._tables.put(name, self._lookup_frame(df, idx, keyers))
        finally:
            batches.close()  # its reader thread joined here, not by the collector

    # judging -----------------------------------------------------------------------------

    def finish(self) -> None:
        """Anti-join every foreign key; add its findings and exact count to the run."""
        try:
            for lookup_id, (name, sfields) in self.lookups.items():
                source = lookup_id.split("\x00", 1)[0]
                if source:
                    self._read_reference(name, source, sfields)
        except _Unhashable as exc:
            raise HandBack(f"a referenced key over {exc} values") from exc
        tables = self._tables
        tables.flush()
        run = self.run
        limit = int(run.limit)
        for g in self.groups:
            table = f"g{g.index}"
            if table not in tables.started:
                continue
            ks = range(len(g.fields))
            if g.lookup in tables.started:
                on = " AND ".join(f"t.k{j} = l.k{j}" for j in ks)
                miss = f'SELECT t.* FROM "{table}" t ANTI JOIN "{g.lookup}" l ON {on}'
            else:
                miss = f'SELECT * FROM "{table}"'
            tables.con.execute(f'CREATE TABLE "m{g.index}" AS {miss}')
            total = int(tables.con.execute(f'SELECT count(*) FROM "m{g.index}"').fetchone()[0])
            if not total:
                continue
            fname = ", ".join(g.names)
            run.counts[(fname, "foreign-key")] = run.counts.get((fname, "foreign-key"), 0) \
                + total
            raws = ", ".join(f"r{j}" for j in ks)
            first = tables.con.execute(
                f'SELECT row, {raws} FROM "m{g.index}" ORDER BY row LIMIT {limit}').fetchall()
            for row, *cells in first:
                values = [run.checks[i].reader(c)[0] if c not in run.checks[i].missing
                          else None for i, c in zip(g.fields, cells, strict=True)]
                msg, hint = foreign_key_issue_text(
                    [None if v is None else str(v) for v in values], g.names,
                    g.source, g.source_fields, run.base["resource"])
                run.findings.append((int(row), KIND, g.index, 0, Issue(
                    message=msg, code="foreign-key", hint=hint, row=int(row), field=fname,
                    line=int(row), **run.base)))
                self.first_miss.setdefault(int(row), g.index)

    # ordering ----------------------------------------------------------------------------

    def access(self, row: int) -> tuple[bool, int | None]:
        """What decides the order Frictionless reads a row's cells in after its unique
        and primary-key fields: whether the row breaks the primary key (it then reads
        every field), else the first foreign key it breaks (read up to that key)."""
        if self._pk_rows is None:
            self._pk_rows = {r for r, kind, *_ in self.run.findings if kind == 2}
        return row in self._pk_rows, self.first_miss.get(row)

    def close(self) -> None:
        self._tables.close()
