"""Per-field cell checks, vectorised where the semantics are simple, exact everywhere.

Each field compiles to a :class:`FieldCheck`.  For a batch of raw cells (strings, as the CSV
holds them) it returns, per row, a bit mask of the failures Frictionless would report: bit 0
is the type error, bit ``k`` the ``k``-th constraint in the order Frictionless checks them
(the field class's ``supported_constraints``), and the parsed value used by keys.

Two tiers keep the findings identical to the reference path:

- *fast*: cells matching a conservative regular expression (``^[+-]?[0-9]{1,18}$`` for an
  integer) parse the same way in polars as in Python, so they are cast and compared in
  columns;
- *exact*: every other distinct cell goes through Frictionless' own cell reader, once per
  distinct value (memoised, bounded), and its notes become bits.  Types without a fast tier
  (dates, durations, geojson, ...) use only this tier; their columns repeat values, so
  distinct values are few.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from opendata.validation.engine.handback import HandBack
from opendata.validation.engine.schema import SUPPORTED

#: distinct values remembered per field before the memo is emptied (bounds memory)
MEMO_LIMIT = 200_000
TYPE_BIT = 1

_BOUNDS = {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"}
_SIG15 = re.compile(r"^[+-]?0*([0-9]*)\.?([0-9]*?)0*$")


def _few_digits(value: Any) -> bool:
    """True when a number bound has at most 15 significant digits: then comparing float64s
    orders the same way as comparing Decimals (both round-trip exactly)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    m = _SIG15.match(format(Decimal(str(value)), "f"))
    return bool(m) and len((m.group(1) + m.group(2)).lstrip("0")) <= 15


@dataclass
class FieldCheck:
    """Compiled checks of one schema field (see the module docstring)."""

    name: str
    type: str
    missing: list[str]
    #: constraint names in the order Frictionless reports them, bit k+1 each
    constraints: list[str]
    #: the note Frictionless writes for a failure, by bit
    notes: dict[int, str]
    reader: Callable[[str], tuple[Any, dict[str, str] | None]]
    required: bool = False
    #: which present cells take the fast tier: "all", "regex" (those matching fast_re),
    #: "cast" (those fast_ok accepts once cast) or "none" (every distinct cell through
    #: Frictionless' reader)
    mode: str = "none"
    fast_re: str | None = None
    fast_cast: Callable[[pl.Expr], pl.Expr] | None = None
    #: a further condition on the cast value for a cell to stay in the fast tier
    fast_ok: Callable[[pl.Expr], pl.Expr] | None = None
    fast_checks: list[tuple[int, Callable[[pl.Expr], pl.Expr]]] = field(default_factory=list)
    #: a string pattern as a Rust regex: a match is a match in Python too (Rust's ``$`` is
    #: stricter); a non-match goes to the exact tier, which decides
    pattern_rust: str | None = None
    key_dtype: Any = pl.String
    memo: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def exact(self, cell: str) -> tuple[int, Any]:
        """Bits and key of one cell through Frictionless' reader (memoised)."""
        hit = self.memo.get(cell)
        if hit is not None:
            return hit
        target, notes = self.reader(cell)
        bits = 0
        if notes:
            if "type" in notes:
                bits |= TYPE_BIT
            for k, name in enumerate(self.constraints, 1):
                if name in notes:
                    bits |= 1 << k
        key = None if target is None else self.canonical(target)
        if len(self.memo) >= MEMO_LIMIT:
            self.memo.clear()
        self.memo[cell] = (bits, key)
        return bits, key

    def canonical(self, target: Any) -> Any:
        """The key value of a parsed cell, comparable with the fast tier's."""
        if self.key_dtype == pl.Float64:
            return float(target)
        if self.key_dtype == pl.Int64:
            if not -(2**63) <= target < 2**63:
                raise HandBack("an integer key beyond 64 bits")
            return target
        if isinstance(target, str):
            return target
        if isinstance(target, int) and not isinstance(target, bool):
            return str(target)
        if isinstance(target, datetime.date | datetime.time):
            return target.isoformat()
        return repr(target)

    def exprs(self, c: str, want_key: bool) -> list[list[pl.Expr]]:
        """The fast tier of column ``c`` as polars expressions, in three stages (each one
        select running every field in parallel, a stage reading the columns of the one
        before): ``{c}_m`` missing and ``{c}_t`` the cast value, then ``{c}_f`` fast, then
        ``{c}_b`` bits and ``{c}_k`` key (keeping ``{c}_m`` and ``{c}_f``).  Each value is
        computed once: polars' common-subexpression elimination missed the repeated casts
        of one expression (a bound cost a second replace-and-cast of the whole column)."""
        col = pl.col(c)
        if self.missing == [""]:
            miss = col.str.len_bytes() == 0  # the usual case, cheaper than is_in
        else:
            miss = col.is_in(self.missing) if self.missing else pl.lit(False)
        req = 1 << (self.constraints.index("required") + 1) if self.required else 0
        typed_needed = self.fast_cast is not None and (
            self.fast_ok is not None or bool(self.fast_checks) or want_key)
        first = [miss.alias(f"{c}_m")]
        if typed_needed:
            assert self.fast_cast is not None
            first.append(self.fast_cast(col).alias(f"{c}_t"))
        m = pl.col(f"{c}_m")
        if self.mode in ("all", "cast"):
            fast = ~m
        elif self.mode == "regex":
            fast = ~m & col.str.contains(self.fast_re or "")
        else:
            fast = pl.lit(False)
        if self.pattern_rust is not None:
            fast = fast & col.str.contains(self.pattern_rust)
        if self.fast_ok is not None and self.fast_cast is not None:
            fast = fast & self.fast_ok(pl.col(f"{c}_t"))
        middle = [fast.fill_null(False).alias(f"{c}_f")]
        f = pl.col(f"{c}_f")
        typed = pl.col(f"{c}_t") if typed_needed else col
        bits: pl.Expr = m.cast(pl.UInt32) * req if req else pl.lit(0, pl.UInt32)
        for bit, fails in self.fast_checks:
            bits = bits | ((f & fails(typed).fill_null(False)).cast(pl.UInt32) * (1 << bit))
        second = [m, f, bits.cast(pl.UInt32).alias(f"{c}_b")]
        if want_key:
            second.append(pl.when(f).then(typed.cast(self.key_dtype)).otherwise(None)
                          .alias(f"{c}_k"))
        return [first, middle, second]

    def slow(self, col: pl.Series, miss: pl.Series, fast: pl.Series, bits: pl.Series,
             key: pl.Series | None) -> tuple[pl.Series, pl.Series | None]:
        """Bits and keys of the cells the fast tier left, through Frictionless' reader."""
        slow = ~miss & ~fast
        if not slow.any():
            return bits, key
        values = col.filter(slow).unique()
        found = [self.exact(v) for v in values.to_list()]
        vbits = pl.Series([b for b, _ in found], dtype=pl.UInt32)
        bits = col.replace_strict(values, vbits, default=0, return_dtype=pl.UInt32
                                  ).zip_with(slow, bits)
        if key is not None:
            vkeys = pl.Series([k for _, k in found], dtype=self.key_dtype)
            key = col.replace_strict(values, vkeys, default=None, return_dtype=self.key_dtype
                                     ).zip_with(slow, key)
        return bits, key

    def check(self, col: pl.Series, want_key: bool,
              ) -> tuple[pl.Series, pl.Series, pl.Series | None]:
        """(missing mask, bits, key) of one column alone (tests, small inputs)."""
        first, middle, last = self.exprs("c", want_key)
        frame = pl.DataFrame({"c": col}).lazy().with_columns(first).with_columns(middle) \
            .select(last).collect()
        key = frame["c_k"] if want_key else None
        bits, key = self.slow(col, frame["c_m"], frame["c_f"], frame["c_b"], key)
        return frame["c_m"], bits, key


def compile_field(ffield: Any, missing: list[str]) -> FieldCheck:
    """Compile a Frictionless ``Field`` (already bound to its schema)."""
    ftype = ffield.type
    constraints = {k: v for k, v in (ffield.constraints or {}).items() if v is not None}
    order = SUPPORTED.get(ftype) or list(ffield.supported_constraints)
    names = [c for c in order if c in constraints]
    notes = {TYPE_BIT: f'type is "{ftype}/{ffield.format}"'}
    for k, name in enumerate(names, 1):
        notes[1 << k] = f'constraint "{name}" is "{constraints[name]}"'
    chk = FieldCheck(name=ffield.name, type=ftype, missing=list(missing), constraints=names,
                     notes=notes, reader=ffield.create_cell_reader(),
                     required=bool(constraints.get("required")))
    value_reader = ffield.create_value_reader()
    bits = {name: k for k, name in enumerate(names, 1)}

    if ftype == "string" and ffield.format in (None, "default"):
        chk.mode = "all"
        for name, op in (("minLength", "ge"), ("maxLength", "le")):
            if name in bits:
                limit = constraints[name]
                if not isinstance(limit, int) or isinstance(limit, bool):
                    return _exact_only(chk)  # Frictionless compares it its own odd way
                chk.fast_checks.append((bits[name], _fails(op, limit, length=True)))
        if "pattern" in bits:
            rust = "^" + str(constraints["pattern"]) + "$"
            if not _rust_regex_compiles(rust):
                return _exact_only(chk)  # e.g. `\–` or a backreference: Python's re only
            chk.pattern_rust = rust
        if "enum" in bits:
            allowed = [v for v in map(value_reader, constraints["enum"]) if isinstance(v, str)]
            chk.fast_checks.append((bits["enum"], lambda s, a=allowed: ~s.is_in(a)))
        return chk
    if ftype == "integer" and ffield.bare_number:
        # polars reads exactly ``[+-]?[0-9]+`` within int64 as an integer, a subset of
        # what Python's int() reads, with the same value: a cell it reads is fast
        chk.mode = "cast"
        chk.fast_cast = lambda s: s.cast(pl.Int64, strict=False)
        chk.fast_ok = lambda t: t.is_not_null()
        chk.key_dtype = pl.Int64  # keys of integers as integers: half the memory of text
        return chk if _numeric_constraints(chk, constraints, bits, value_reader, int) \
            else _exact_only(chk)
    if ftype == "number" and ffield.bare_number and not getattr(ffield, "float_number", False):
        dec, grp = ffield.decimal_char, ffield.group_char
        defined = set(ffield.list_defined()) & {"group_char", "decimal_char", "bare_number"}
        if not defined:
            dec, grp = ".", ""
        if len(dec) != 1 or len(grp) > 1 or dec == grp or not _plain(dec) or \
                (grp and not _plain(grp)):
            return _exact_only(chk)
        digits = f"[0-9{re.escape(grp)}]" if grp else "[0-9]"
        # at most 15 significant digits: float64 then orders exactly like Decimal
        chk.mode = "regex"
        chk.fast_re = f"^[+-]?[0-9]{digits}{{0,13}}(?:{re.escape(dec)}[0-9]{{1,14}})?$"

        def cast(s: pl.Expr, grp: str = grp, dec: str = dec) -> pl.Expr:
            if grp:
                s = s.str.replace_all(grp, "", literal=True)
            if dec != ".":
                s = s.str.replace_all(dec, ".", literal=True)
            return s.cast(pl.Float64, strict=False)

        chk.fast_cast = cast
        chk.key_dtype = pl.Float64
        if grp:  # group chars anywhere may hide more than 15 digits: count the digits
            chk.fast_re = None
            chk.mode = "regex"
            chk.fast_re = (f"^[+-]?(?:[0-9]{re.escape(grp)}?){{1,14}}"
                           f"(?:{re.escape(dec)}[0-9]{{1,14}})?$")
        return chk if _numeric_constraints(chk, constraints, bits, value_reader, float) \
            else _exact_only(chk)
    if ftype == "date" and not names_beyond(names, {"required"}):
        pattern = _date_regex(ffield.format)
        if pattern:
            fmt = "%Y-%m-%d" if ffield.format == "default" else ffield.format
            chk.mode, chk.fast_re = "regex", pattern
            chk.fast_cast = lambda s, f=fmt: s.str.strptime(pl.Date, f, strict=False)
            chk.fast_ok = lambda t: t.is_not_null()
            return chk
    return _exact_only(chk)


def names_beyond(names: list[str], allowed: set[str]) -> bool:
    return bool(set(names) - allowed)


_DATE_PARTS = {"%d": "(?:0[1-9]|[12][0-9]|3[01])", "%m": "(?:0[1-9]|1[0-2])",
               "%Y": "[1-9][0-9]{3}"}


def _date_regex(fmt: str) -> str | None:
    """A regex of the cells that Python's and polars' ``strptime`` read alike: two-digit
    day and month, four-digit year from 1000, literal separators; None for other formats
    (the exact tier then reads them)."""
    if fmt == "default":
        fmt = "%Y-%m-%d"
    out, i = "^", 0
    while i < len(fmt):
        part = fmt[i:i + 2]
        if part in _DATE_PARTS:
            out += _DATE_PARTS[part]
            i += 2
        elif fmt[i] == "%" or fmt[i].isspace() or fmt[i].isalnum():
            return None
        else:
            out += re.escape(fmt[i])
            i += 1
    if sorted(p for p in _DATE_PARTS if p in fmt) != ["%Y", "%d", "%m"] or any(
            fmt.count(p) != 1 for p in _DATE_PARTS):
        return None
    return out + "$"


def _plain(char: str) -> bool:
    return not (char.isdigit() or char in "+-eE \t" or char.isspace())


def _rust_regex_compiles(pattern: str) -> bool:
    """Whether polars' (Rust) regex engine accepts ``pattern``: national schemas use escapes
    and backreferences only Python's ``re`` knows."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except pl.exceptions.ComputeError:
        return False
    return True


def _exact_only(chk: FieldCheck) -> FieldCheck:
    chk.mode, chk.fast_re, chk.fast_cast, chk.pattern_rust = "none", None, None, None
    chk.fast_checks = []
    if chk.key_dtype == pl.Float64 and chk.type != "number":
        chk.key_dtype = pl.String
    return chk


def _fails(op: str, bound: Any, length: bool = False) -> Callable[[pl.Expr], pl.Expr]:
    """The cells that break ``value <op> bound`` (or ``len(value) <op> bound``)."""
    def fails(s: pl.Expr) -> pl.Expr:
        v = s.str.len_chars() if length else s
        if op == "ge":
            return v < bound
        if op == "le":
            return v > bound
        if op == "gt":
            return v <= bound
        return v >= bound
    return fails


def _numeric_constraints(chk: FieldCheck, constraints: dict[str, Any], bits: dict[str, int],
                         value_reader: Callable[[Any], Any], kind: type) -> bool:
    """Vectorise bounds and enum; False when one cannot be compared exactly in columns."""
    for name, op in _BOUNDS.items():
        if name not in bits:
            continue
        bound = value_reader(constraints[name])
        if bound is None or (kind is float and not _few_digits(bound)):
            return False
        chk.fast_checks.append((bits[name], _fails(op, kind(bound))))
    if "enum" in bits:
        allowed = [value_reader(v) for v in constraints["enum"]]
        if any(a is None for a in allowed) or (kind is float and not all(map(_few_digits,
                                                                               allowed))):
            return False
        # a list, not a Series: polars deprecates is_in over a Series of the column's type
        vals = [kind(a) for a in allowed]
        chk.fast_checks.append((bits["enum"], lambda s, a=vals: ~s.is_in(a)))
    return True
