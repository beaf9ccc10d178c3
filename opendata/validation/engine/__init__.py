"""The columnar validation engine: Frictionless' findings, batch by batch, in columns.

``validate_table`` reads a CSV once, in bounded batches (pyarrow's streaming reader), checks
each batch in columns (polars), and keeps keys for ``unique`` and the primary key in an
on-disk DuckDB table (:mod:`.keys`), so memory stays flat whatever the file size.  Every
finding is the one the reference path (:func:`opendata.validation.tabular.validate_table`,
Frictionless) reports: same code, row, field and message, in the same order.  It also
counts every error of the file, not only the first ``max_findings`` it keeps.

What it does not cover it says (:func:`not_covered`), and the caller runs the reference
path for that resource instead; rows with extra or missing cells also hand the file back,
since only Frictionless' own row reader reports them exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata.validation import messages
from opendata.validation.custom_checks import build_rules
from opendata.validation.engine.handback import HandBack
from opendata.validation.headers import match_header, parse_header
from opendata.validation.report import Issue
from opendata.validation.tabular import (
    _HINTS,
    LIMIT_ERRORS,
    FileFacts,
    _line_at,
    _prepare_schema,
    conformance_warnings,
    normalise_encoding,
    precheck,
    scan_file,
)

ENGINE = "columnar"
REFERENCE = "frictionless"
#: bytes per chunk read: bounds memory (a chunk and its parse) whatever the file size;
#: 2 MiB chunks measured no faster and raised the peak by ~30 MiB
BLOCK_SIZE = 1 << 20
#: chunks checked together (see _Run._frames)
CHECK_BLOCKS = 4
#: a record longer than this is reported, not read (a missing line break or quote)
MAX_RECORD = 64 << 20
_BAD = {
    "nul-byte": (messages.N_("line {line} holds a NUL byte: this is binary data, not CSV "
                             "text; the rows from there on are not checked"),
                 messages.N_("Export the file again as text (UTF-8 CSV); if it is UTF-16, "
                             "re-save it as UTF-8.")),
    "unclosed-quote": (messages.N_("a quoted field opens on line {line} and is never closed: "
                                   "the rest of the file would be read as one value, so it is "
                                   "not checked"),
                       messages.N_("Close the quote, or export the file again (it may be "
                                   "truncated).")),
    "record-too-long": (messages.N_("the record starting on line {line} is longer than 64 MiB "
                                    "(no line break, or a quote never closed): it is not "
                                    "checked"),
                        messages.N_("Check the file's line breaks and quotes, or export it "
                                    "again.")),
}


def _opening_quote(data: bytes, quote: bytes) -> int:
    """Where the last quoted field that is never closed opens (quotes pair up in order)."""
    pos, opener, inside = -1, 0, False
    while (pos := data.find(quote, pos + 1)) >= 0:
        inside = not inside
        if inside:
            opener = pos
    return opener


def latin1_outside(encoding: str) -> tuple[int, int] | None:
    """The bytes ``[lo, hi)`` outside which ``encoding`` decodes as latin-1 does ((0x80,
    0xa0) for cp1252, (0, 0) for latin-1 itself), or None when the two differ elsewhere
    or the codec is not a single-byte table."""
    import codecs
    import importlib

    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if name in ("latin-1", "iso8859-1"):
        return (0, 0)
    try:
        module = importlib.import_module(f"encodings.{name.replace('-', '_')}")
    except ImportError:
        return None
    table = getattr(module, "decoding_table", None)
    if not isinstance(table, str) or len(table) != 256:
        return None
    differ = [b for b in range(256) if table[b] != chr(b)]
    if not differ:
        return (0, 0)
    lo, hi = differ[0], differ[-1] + 1
    # every high byte differs (cp850): the range check would only cost
    return (lo, hi) if lo >= 0x80 and (lo, hi) != (0x80, 0x100) else None


_DIALECT_KEYS = {"delimiter", "encoding", "decimalChar", "groupChar", "quoteChar", "header",
                 "headerRows", "doubleQuote"}
_TYPES = {"string", "number", "integer", "boolean", "date", "time", "datetime", "year",
          "yearmonth", "duration", "geopoint", "geojson", "object", "array", "any"}




@dataclass
class EngineResult:
    """What :func:`validate_table` found (the reference path's ``TableResult`` and more)."""

    rows: int | None
    issues: list[Issue] = field(default_factory=list)
    truncated: bool = False
    #: which path checked the file: ``columnar`` or ``frictionless``
    engine: str = ENGINE
    #: exact error counts over the whole file: ``{"field", "code", "count"}``
    error_counts: list[dict[str, Any]] = field(default_factory=list)
    error_total: int = 0
    #: why the reference path checked it (what the engine does not cover)
    engine_note: str | None = None


def from_reference(table: Any, note: str) -> EngineResult:
    """The reference path's ``TableResult`` as an :class:`EngineResult`: its counts are
    those of the findings kept (a prefix of the file when ``truncated``)."""
    counts: dict[tuple[str | None, str], int] = {}
    for issue in table.issues:
        if issue.severity == "error":
            counts[(issue.field, issue.code)] = counts.get((issue.field, issue.code), 0) + 1
    return EngineResult(table.rows, table.issues, table.truncated, engine=REFERENCE,
                        error_counts=[{"field": f, "code": c, "count": n}
                                      for (f, c), n in counts.items()],
                        error_total=sum(counts.values()), engine_note=note)


def not_covered(schema: dict[str, Any], dialect: dict[str, Any], fmt: str) -> str | None:
    """Why the engine cannot check this resource, or None when it can."""
    if fmt not in ("csv", "tsv"):
        return f"format {fmt!r}"
    extra = set(dialect) - _DIALECT_KEYS
    if extra:
        return f"dialect {', '.join(sorted(extra))}"
    if dialect.get("headerRows", [1]) != [1]:
        return "headerRows other than [1]"
    fields = schema.get("fields") or []
    if not fields:
        return "a schema without fields"
    for fld in fields:
        if fld.get("type", "string") not in _TYPES:
            return f"type {fld.get('type')!r}"
        missing = fld.get("missingValues", schema.get("missingValues", [""]))
        if "" not in missing:
            # an empty line and a line of empty cells read the same in columns
            return "missingValues without \"\""
    return None


def _issue(base: dict[str, Any], message: str, code: str, hint: str | None = None,
           **kw: Any) -> Issue:
    return Issue(message=message, code=code, hint=hint, **{**base, **kw})


def _data_issue(base: dict[str, Any], code: str, cell: Any, note: str | None, *,
                published: bool = False, **kw: Any) -> Issue:
    """A data error worded as the reference path words it (messages.describe)."""
    message, hint = messages.describe(code, cell, note, published=published)
    return _issue(base, message, code, hint, **kw)


def validate_table(file: Path, rel: str, schema: dict[str, Any], dialect: dict[str, Any],
                   *, dataset: str, resource: str, facts: FileFacts | None = None,
                   fmt: str = "csv", columns: dict[str, Any] | None = None,
                   published: str | None = None, schema_label: str = "the schema",
                   max_findings: int = LIMIT_ERRORS,
                   references: dict[str, Any] | None = None) -> EngineResult:
    """Validate ``file`` against ``schema`` in columns; the arguments are the reference
    path's (:func:`opendata.validation.tabular.validate_table`).

    Raises :class:`HandBack` when the reference path must check the file instead (see
    :func:`not_covered`; also rows whose cell count differs from the header's).
    """
    reason = not_covered(schema, dialect, fmt)
    policy = columns or {}
    if not reason and policy.get("ignore_case"):
        reason = "columns.ignore_case"
    if reason:
        raise HandBack(reason)
    base = {"file": rel, "dataset": dataset, "resource": resource}
    declared = normalise_encoding(dialect.get("encoding"))
    if declared.startswith(("utf-16", "utf-32")):
        raise HandBack(f"encoding {declared}")
    facts = facts or scan_file(file, declared)
    issues, encoding, delimiter = precheck(schema, dialect, base, facts, fmt)
    if issues:
        return EngineResult(None if issues[0].code != "empty-file" else 0, issues)
    # the header, matched by name as the reference path matches it (headers.py)
    by_name = bool(dialect.get("header", True))
    if by_name:
        labels = parse_header(facts.first_line, delimiter, dialect.get("quoteChar", '"'))
        match = match_header(labels, schema, ignore_case=False,
                             extra_columns=policy.get("extra", "warning"))
        issues += [_issue(base, f.message, f.code, f.hint, field=f.field, line=1,
                          column=f.column, severity=f.severity) for f in match.findings]
        if match.blocking:
            return EngineResult(None, issues, error_total=sum(
                i.severity == "error" for i in issues))
    if published:
        issues += conformance_warnings(base, dialect, schema, published)
    rules, problems = build_rules(schema, schema_label)
    issues += [_issue(base, p.message, p.code, p.hint, severity=p.severity) for p in problems]
    run = _Run(file, base, schema, dialect, encoding, delimiter, max_findings,
               by_name=by_name, published=bool(published), rules=rules)
    try:
        run.references = references  # the resources its foreign keys point at
        return run.run(issues)
    except RuntimeError as exc:
        # DuckDB turns Ctrl-C during a query into RuntimeError("Query interrupted"):
        # give the interrupt back, so the CLI exits 130 instead of reporting a crash
        if "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from exc
        raise


_warming: list[Any] = []


def warm_up() -> None:
    """Import the engine's libraries (polars, pyarrow, numpy: ~0.3 s) on a thread of
    their own, once per process, while the caller hashes the file it is about to check:
    hashing releases the GIL, so the two overlap on a second core.  Not a daemon: an
    import cut by the interpreter's exit could leave it half-initialised."""
    if _warming:
        return
    import threading

    def load() -> None:
        try:
            import numpy  # noqa: F401
            import polars  # noqa: F401
            import pyarrow.csv  # noqa: F401
        except Exception:  # noqa: S110 - the engine's own import reports it
            pass

    thread = threading.Thread(target=load, name="opendata-engine-imports")
    _warming.append(thread)
    thread.start()


#: batches read ahead of the checks: each is ~1 MiB of text, so memory stays bounded
READ_AHEAD = 2


def _read_ahead(batches: Iterator[Any]) -> Iterator[Any]:
    """``batches``, produced on a second thread while this one checks the previous ones.

    Reading (transcoding, pyarrow's parse, the copy into polars) and checking (polars,
    DuckDB) each take about half of a file's time, and both release the GIL for most of
    it: on two cores they overlap.  The order is kept (one queue); an exception of the
    reader (a HandBack) is raised here, in order; if the checks stop early, the reader
    stops at its next batch."""
    import queue
    import threading

    done = object()
    out: queue.Queue[Any] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    main = threading.main_thread()

    def put(item: Any) -> bool:
        # also stops once the main thread is over: a Ctrl-C landing inside the cleanup
        # below, before ``stop`` is set, must not leave this thread waiting for ever
        while not stop.is_set() and main.is_alive():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
            return
        finally:
            # ``batches`` may itself read ahead (chunks, then frames): stop its thread too
            close = getattr(batches, "close", None)
            if close is not None:
                close()
        put(done)

    reader = threading.Thread(target=produce, name="opendata-engine-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = out.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def _drop_nan(frame: Any, cols: list[str]) -> Any:
    """``frame`` without the rows whose key holds a NaN number.  The reference path keeps
    keys in a dict: NaN equals nothing, not even another NaN, so a key holding one never
    repeats (for ``unique`` and for the primary key alike), where DuckDB's grouping
    would match two NaN."""
    import polars as pl

    nan = [pl.col(c).is_nan() for c in cols if frame.schema[c] in (pl.Float64, pl.Float32)]
    if not nan or frame.height == 0:
        return frame
    return frame.filter(~pl.any_horizontal(nan).fill_null(False))


class _Run:
    """One file through the engine."""

    def __init__(self, file: Path, base: dict[str, Any], schema: dict[str, Any],
                 dialect: dict[str, Any], encoding: str, delimiter: str, limit: int, *,
                 by_name: bool, published: bool, rules: list[Any] | None = None):
        from opendata.validation.engine.fields import compile_field
        from opendata.validation.engine.schema import plain_schema

        self.file, self.base, self.limit = file, base, limit
        self.dialect, self.encoding, self.delimiter = dialect, encoding, delimiter
        self.quote = dialect.get("quoteChar", '"')
        self.header = dialect.get("header", True)
        self.published = published
        self.labels = self._labels()
        prepared = _prepare_schema(schema, dialect, by_name=by_name, published=published)
        self._prepared = prepared
        #: the schema's facts: plain (engine/schema.py, no Frictionless) or Frictionless'
        #: own ``Schema`` (set by _frictionless_fields)
        self.fschema: Any = plain_schema(prepared, self.labels if by_name else None)
        fields: list[Any] = list(self.fschema.fields) if self.fschema is not None \
            else self._frictionless_fields(by_name)
        default_missing = list(self.fschema.missing_values)
        self.checks = []
        for ffield in fields:
            missing = list(ffield.missing_values) if ffield.has_defined("missing_values") \
                else default_missing
            self.checks.append(compile_field(ffield, missing))
        names = [f.name for f in fields]
        self.pk = [names.index(n) for n in self.fschema.primary_key if n in names] \
            if set(self.fschema.primary_key) <= set(names) else []
        self.uniques = [i for i, f in enumerate(fields) if f.constraints.get("unique")]
        self.by_name = by_name
        #: the schema's custom checks (custom_checks.py), judged once per distinct tuple of
        #: the cells they read, on the values Frictionless' readers give
        self.rules = list(rules or [])
        self.names = names
        self._judged: list[dict[tuple[str, ...], str | None]] = [{} for _ in self.rules]
        #: (row, kind, index, seq, issue); kind 0: cell or blank row, 1: unique, 2: key
        self.findings: list[tuple[int, int, int, int, Issue]] = []
        #: what stopped the reading early (code, line), reported after the rows before it
        self.bad: tuple[str, int] | None = None
        #: rows (among the first kept) where each unique field repeats a value
        self.dup_rows: dict[int, set[int]] = {}
        self.counts: dict[tuple[str | None, str], int] = {}
        self._orders = {}
        self._plans: dict[frozenset[int], tuple[list[Any], list[Any], list[Any]]] = {}
        self.references: dict[str, Any] | None = None
        self.fks: Any = None  # foreign_keys.ForeignKeys, when the schema has any
        #: where the encoding differs from latin-1 (see latin1_outside), set by _chunks
        self._latin1: tuple[int, int] | None = None

    def _frictionless_fields(self, by_name: bool) -> list[Any]:
        """The fields as Frictionless' ``Schema`` reads and pairs them, for a schema
        that is not plain."""
        from frictionless import Schema
        from frictionless.table import Header

        try:
            self.fschema = Schema.from_descriptor(self._prepared)
        except Exception as exc:  # the reference path reports it: same words there
            raise HandBack(f"invalid schema ({exc})") from exc
        fields = list(self.fschema.fields)
        if by_name:
            # Frictionless pairs labels with fields by name: one field per column (an
            # ``any`` field for a column the schema lacks), fields without a column dropped
            try:
                fields = Header(self.labels, fields=fields, row_numbers=[1],
                                fields_match="partial").get_expected_fields()
            except Exception as exc:
                raise HandBack(f"header ({exc})") from exc
        return fields

    # reading ------------------------------------------------------------------------

    def _labels(self) -> list[str]:
        """The header row, read by Python's csv module as Frictionless reads it."""
        with self.file.open("r", encoding=self.encoding, newline="") as fh:
            text = fh.read(1 << 20)
        reader = csv.reader(io.StringIO(text), delimiter=self.delimiter,
                            quotechar=self.quote)
        try:
            return next(reader)
        except (StopIteration, csv.Error):
            return []

    def _chunks(self):
        """The file as UTF-8 byte chunks of about BLOCK_SIZE, each ending on a record
        boundary: a newline outside quotes (an even number of quote characters before
        it; a doubled quote inside a field counts two).  Reading ourselves keeps memory
        bounded (pyarrow's own streaming reader reads far ahead) and transcodes 8-bit
        encodings with Python's codecs, as the reference path decodes them."""
        quote = self.quote.encode("ascii")
        decoder = None
        if self.encoding not in ("utf-8", "utf-8-sig"):
            import codecs

            decoder = codecs.getincrementaldecoder(self.encoding)()
            self._latin1 = latin1_outside(self.encoding)
        carry = b""
        first = True
        # where ``carry`` starts in the file: line numbers are counted from it only when
        # a finding needs one (counting every chunk's newlines cost 5% of the reading)
        start = 0
        with self.file.open("rb") as fh:
            while True:
                block = fh.read(BLOCK_SIZE)
                if first and block.startswith(b"\xef\xbb\xbf"):
                    block = block[3:]
                    start = 3
                first = False
                # ``carry`` starts on a record boundary: quotes are balanced before it
                data = carry + block if carry else block
                if b"\x00" in block:
                    at = data.index(b"\x00")
                    self.bad = ("nul-byte", _line_at(self.file, start + at))
                    return
                if not block:
                    if not data:
                        return
                    if data.count(quote) % 2 == 0:
                        yield self._utf8(data, decoder, final=True)
                        return
                    # a quote never closed: check the records before it, then say where
                    opener = _opening_quote(data, quote)
                    cut = data.rfind(b"\n", 0, opener) + 1
                    if cut:
                        yield self._utf8(data[:cut], decoder, final=True)
                    self.bad = ("unclosed-quote", _line_at(self.file, start + opener))
                    return
                pos = data.rfind(b"\n")
                quotes = data.count(quote, 0, pos) if pos >= 0 else 0
                while pos >= 0 and quotes % 2:
                    prev = data.rfind(b"\n", 0, pos)
                    if prev >= 0:
                        quotes -= data.count(quote, prev, pos)
                    pos = prev
                if pos < 0:  # no boundary in this block: a long record, read on
                    if len(data) > MAX_RECORD:
                        self.bad = ("record-too-long", _line_at(self.file, start))
                        return
                    carry = data
                    continue
                yield self._utf8(data[:pos + 1], decoder)
                start += pos + 1
                carry = data[pos + 1:]

    def _utf8(self, data: bytes, decoder: Any, final: bool = False) -> bytes:
        """``data`` as valid UTF-8: the one decoding of the file's bytes the engine does
        (scan_file only looks for the bytes the encoding lacks), so that pyarrow need not
        check every value again (its check cost as much as the parse itself).

        An 8-bit encoding that reads like latin-1 outside a range of bytes (cp1252: all but
        0x80-0x9f) takes latin-1's decoder, a copy, on a chunk without that range: the same
        text, found by one vectorised pass, for a third less time than the charmap codec.
        A UTF-8 file is checked where it is not ASCII: it may have changed since
        scan_file read it."""
        if decoder is None:
            if not data.isascii():
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise HandBack("the file changed while it was read "
                                   "(no longer valid UTF-8)") from exc
            return data
        span = self._latin1
        if span is not None and not data.isascii():
            import numpy as np

            lo, hi = span
            view = np.frombuffer(data, dtype=np.uint8)
            if hi <= lo or not bool(np.any((view >= lo) & (view < hi))):
                return data.decode("latin-1").encode("utf-8")
        elif span is not None:
            return data
        return decoder.decode(data, final).encode("utf-8")

    def _batches(self, width: int):
        import pyarrow as pa
        from pyarrow import csv as pacsv

        invalid: list[Any] = []

        def on_invalid(row: Any) -> str:
            invalid.append(row)
            return "skip"

        names = [f"c{i}" for i in range(width)]
        # one block per chunk, parsed on this thread: pyarrow's thread pool would add its
        # allocator arenas (~15 MiB of peak RSS) for no speed on chunks of one block
        block = BLOCK_SIZE + (1 << 20)
        read = pacsv.ReadOptions(column_names=names, block_size=block, use_threads=False)
        # newlines_in_values only tells pyarrow how to cut blocks for its threads (its
        # parser always reads quoted line breaks): a chunk is one block ending on a record
        # boundary, so the quote-aware cutting, a second lexing pass, is not needed
        parse = pacsv.ParseOptions(delimiter=self.delimiter, quote_char=self.quote,
                                   double_quote=self.dialect.get("doubleQuote", True),
                                   newlines_in_values=False, ignore_empty_lines=False,
                                   invalid_row_handler=on_invalid)
        # the chunks are valid UTF-8 (_utf8): pyarrow's own check would double the parse
        convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                       strings_can_be_null=False,
                                       quoted_strings_can_be_null=False, check_utf8=False)
        # the chunks are cut and transcoded on a thread of their own: transcoding holds
        # the GIL, pyarrow's parse and polars' checks do not, so the three stages overlap.
        # Closed here, not by the garbage collector: an interrupt landing in a collector's
        # close is printed as an ignored exception, traceback and all
        chunks = _read_ahead(self._chunks())
        try:
            yield from self._parse(chunks, names, read, parse, convert, block, invalid)
        finally:
            chunks.close()

    def _parse(self, chunks: Iterator[bytes], names: list[str], read: Any, parse: Any,
               convert: Any, block: int, invalid: list[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from pyarrow import csv as pacsv

        for chunk in chunks:
            options = read
            if len(chunk) >= block:  # a long record: still one block, cut by us
                options = pacsv.ReadOptions(column_names=names, block_size=len(chunk) + 1,
                                            use_threads=False)
            try:
                table = pacsv.read_csv(pa.py_buffer(chunk), read_options=options,
                                       parse_options=parse, convert_options=convert)
            except pa.ArrowInvalid as exc:
                raise HandBack(f"unreadable CSV ({exc})") from exc
            if invalid:
                raise HandBack("rows with extra or missing cells")
            yield table

    def _frames(self, width: int):
        """The batches as polars frames, CHECK_BLOCKS chunks at a time (the conversion
        copies the strings: it belongs to the reading thread).  Checking costs a fixed
        ~6 ms per frame whatever its size (polars compiles each regex, format and value
        set per query): four chunks a frame cut the checks' time by ~40%, for ~15 MiB more
        at the peak."""
        import polars as pl
        import pyarrow as pa

        group: list[Any] = []
        size = 0
        for table in self._batches(width):
            group.append(table)
            size += table.nbytes
            if size >= CHECK_BLOCKS * BLOCK_SIZE:
                yield self._frame(pl, pa, group)
                group, size = [], 0
        if group:
            yield self._frame(pl, pa, group)

    @staticmethod
    def _frame(pl: Any, pa: Any, group: list[Any]) -> Any:
        df = pl.from_arrow(group[0] if len(group) == 1 else pa.concat_tables(group))
        assert isinstance(df, pl.DataFrame)
        return df

    # checking -----------------------------------------------------------------------

    def run(self, pre: list[Issue]) -> EngineResult:
        """Read and check every row; ``pre`` are the findings before the rows (header,
        schema), kept ahead of the row findings as the reference path keeps them."""
        import polars as pl

        labels = self.labels
        n = len(self.checks)
        if self.header and not self.by_name:
            self._header(labels)
        if len(labels) != n:
            raise HandBack("header and schema have different numbers of columns")
        if self.fschema.foreign_keys:
            from opendata.validation.engine.foreign_keys import ForeignKeys

            self.fks = ForeignKeys.start(self, self.references, not_covered)
        store = None
        if self.pk or self.uniques:
            from opendata.validation.engine.keys import KeyStore

            keys = {f"u{i}": [self.checks[i].name] for i in self.uniques}
            if self.pk:
                keys["pk"] = [self.checks[i].name for i in self.pk]
            store = KeyStore(keys)
        first_row = 2 if self.header else 1
        rows = 0
        skip_header = bool(self.header)
        pk_none: list[int] = []
        pk_none_total = 0
        frames = _read_ahead(self._frames(n))
        try:
            for df in frames:
                if skip_header:
                    df = df.slice(1)
                    skip_header = False
                height = df.height
                if height == 0:
                    continue
                start = first_row + rows
                rows += height
                row_no = pl.int_range(start, start + height, dtype=pl.Int64, eager=True)
                want = set(self.pk) | set(self.uniques)
                results = self._check(df, want)
                blank = results[0][0]
                for miss, _, _ in results[1:]:
                    blank = blank & miss
                not_blank = ~blank
                # a batch without an error (most are) has no findings to look for
                if self._count(results, blank, not_blank) and \
                        len(self.findings) < self.limit:
                    self._collect(df, results, blank, row_no)
                if self.rules:
                    self._custom(df, row_no, start)
                if self.fks is not None:
                    self.fks.add(df, row_no)
                if store is not None:
                    for i in self.uniques:
                        key = results[i][2]
                        assert key is not None
                        frame = pl.DataFrame({"row": row_no, "k0": key}).filter(
                            pl.col("k0").is_not_null())
                        store.add(f"u{i}", _drop_nan(frame, ["k0"]))
                    if self.pk:
                        cols = {f"k{j}": results[i][2] for j, i in enumerate(self.pk)}
                        frame = pl.DataFrame({"row": row_no, **cols})
                        if any(s.null_count() for s in cols.values()):
                            # the usual batch has no null key cell: no filter to run
                            none = frame.filter(pl.all_horizontal(
                                [pl.col(c).is_null() for c in cols]))
                            if none.height:
                                pk_none_total += none.height
                                pk_none.extend(none["row"].head(self.limit).to_list())
                                del pk_none[self.limit:]
                            frame = frame.filter(~pl.all_horizontal(
                                [pl.col(c).is_null() for c in cols]))
                        store.add("pk", _drop_nan(frame, list(cols)))
            if store is not None:
                self._keys(store, pk_none, pk_none_total)
            if self.fks is not None:
                self.fks.finish()
            if self.bad:
                code, line = self.bad
                message, hint = _BAD[code]
                self._add(first_row + rows, 1 << 30, _issue(
                    self.base, messages._(message).format(line=line), code, messages._(hint),
                    row=first_row + rows, line=line), code, None)
                self.findings[-1] = (first_row + rows, 1 << 20, 0, 0, self.findings[-1][4])
        finally:
            frames.close()  # the reader thread stopped and joined, not left to the collector
            if store is not None:
                store.close()
            if self.fks is not None:
                self.fks.close()
        self.findings.sort(key=self._rank)
        issues = pre + [f[4] for f in self.findings[: self.limit]]
        for issue in pre:
            if issue.severity == "error":
                key = (issue.field, issue.code)
                self.counts[key] = self.counts.get(key, 0) + 1
        total = sum(self.counts.values())
        counts = [{"field": f, "code": c, "count": k} for (f, c), k in self.counts.items() if k]
        if not total and rows == 0 and self.header:
            issues.append(_issue(self.base, messages.text("no-rows"), "no-rows",
                                 messages.hint("no-rows"), line=2))
        return EngineResult(rows, issues, truncated=len(self.findings) > self.limit,
                            error_counts=counts,
                            error_total=total or sum(i.severity == "error" for i in issues))

    def _custom(self, df: Any, row_no: Any, start: int) -> None:
        """Custom-check findings of one batch, after the row's own errors (as the reference
        path's RulesCheck runs after the baseline check)."""
        import polars as pl

        from opendata.validation.tabular import check_hint

        _CHECK_HINT = check_hint()  # in the current language, once per batch

        for r, rule in enumerate(self.rules):
            if rule.stopped:
                continue
            if rule.header_check is not None:
                note = rule.header_check(list(self.names))
                if note:  # once per file, as the reference reports it: after the first
                    rule.stopped = True  # row's own errors, numbered as the header
                    if start == (2 if self.header else 1):
                        self._count_add(start, 4 + r, _issue(
                            self.base, note, rule.code, _CHECK_HINT, row=1, field=None,
                            line=1), rule.code, None)
                    continue
            where = [self.names.index(c) if c in self.names else None for c in rule.columns]
            if rule.skip_missing and None in where:
                continue  # a value is always missing: the check never runs
            cols = [f"c{i}" for i in where if i is not None]
            memo = self._judged[r]
            uniq = df.select(cols).unique()
            notes: dict[tuple[str, ...], str] = {}
            for cells in uniq.iter_rows():
                note = memo.get(cells, "")
                if note == "":
                    values: list[Any] = []
                    it = iter(cells)
                    for i in where:
                        values.append(None if i is None else self.checks[i].reader(next(it))[0])
                    note = None if rule.skip_missing and any(v is None for v in values) \
                        else rule.judge(values)
                    if len(memo) > 100_000:
                        memo.clear()
                    memo[cells] = note
                if note:
                    notes[cells] = note
            if not notes:
                continue
            bad = pl.DataFrame({**{c: [k[j] for k in notes] for j, c in enumerate(cols)},
                                "_note": list(notes.values())},
                               schema={**{c: pl.String for c in cols}, "_note": pl.String})
            hits = df.select(cols).with_columns(_row=row_no).join(
                bad, on=cols, how="inner", nulls_equal=True).sort("_row")
            field = rule.at if rule.at in self.names else None
            key = (field, rule.code)
            self.counts[key] = self.counts.get(key, 0) + hits.height
            room = self.limit + 1 - len(self.findings)
            for row, note in hits.select("_row", "_note").head(max(room, 0)).iter_rows():
                self.findings.append((row, 4 + r, 0, 0, _issue(
                    self.base, note, rule.code, _CHECK_HINT, row=row, field=field, line=row)))

    def _count_add(self, row: int, kind: int, issue: Issue, code: str,
                   fname: str | None) -> None:
        self.counts[(fname, code)] = self.counts.get((fname, code), 0) + 1
        self.findings.append((row, kind, 0, 0, issue))

    def _check(self, df: Any, want: set[int]) -> list[tuple[Any, Any, Any]]:
        """(missing, bits, key) per field: one parallel select, then the exact tier."""
        plan = self._plans.get(frozenset(want))
        if plan is None:  # built once: building the expressions cost as much as a select
            plan = ([], [], [])
            for i, chk in enumerate(self.checks):
                for stage, exprs in zip(plan, chk.exprs(f"c{i}", i in want), strict=True):
                    stage += exprs
            self._plans[frozenset(want)] = plan
        frame = df.lazy().with_columns(plan[0]).with_columns(plan[1]).select(plan[2]) \
            .collect()
        out = []
        for i, chk in enumerate(self.checks):
            c = f"c{i}"
            key = frame[f"{c}_k"] if i in want else None
            bits, key = chk.slow(df[c], frame[f"{c}_m"], frame[f"{c}_f"], frame[f"{c}_b"], key)
            out.append((frame[f"{c}_m"], bits, key))
        return out

    def _header(self, labels: list[str]) -> None:
        names = [c.name for c in self.checks]
        if labels == names:
            return
        from frictionless import Schema
        from frictionless.table import Header

        # Frictionless' own fields, whichever way the checks were compiled
        fields = Schema.from_descriptor(self._prepared).fields
        header = Header(labels, fields=list(fields), row_numbers=[1])
        for err in header.errors:
            fname = getattr(err, "field_name", None) or getattr(err, "label", None)
            self._add(0, len(self.findings), _issue(
                self.base, f"header: {err.note or err.message}", err.type,
                _HINTS.get(err.type), row=None, field=fname, line=1), err.type, fname)

    def _add(self, row: int, seq: int, issue: Issue, code: str, fname: str | None) -> None:
        self.counts[(fname, code)] = self.counts.get((fname, code), 0) + 1
        self.findings.append((row, 0, 0, seq, issue))

    def _order(self, dups: frozenset[int], access: tuple[bool, int | None] | None = None
               ) -> dict[int, int]:
        """The order Frictionless reports a row's cell errors in.  Its row reads a field
        on first access: the unique fields first (each on its own), then the primary key's;
        the first duplicate found makes it read every remaining field in schema order."""
        order: list[int] = []
        full = False

        def take(i: int) -> None:
            if i not in order:
                order.append(i)

        for u in self.uniques:
            if not full:
                take(u)
            if u in dups and not full:
                full = True
                for i in range(len(self.checks)):
                    take(i)
        for p in self.pk:
            take(p)
        if access is not None and not full and not access[0]:
            # then each foreign key's fields, up to the first key the row breaks
            for group in self.fks.groups:
                for f in group.fields:
                    take(f)
                if group.index == access[1]:
                    break
        for i in range(len(self.checks)):
            take(i)
        return {f: k for k, f in enumerate(order)}

    def _rank(self, entry: tuple[int, int, int, int, Issue]) -> tuple[int, int, int, int]:
        row, kind, index, seq, _ = entry
        if kind == 0 and row and (self.uniques or self.pk or self.fks is not None):
            dups = frozenset(u for u in self.uniques if row in self.dup_rows.get(u, ()))
            access = self.fks.access(row) if self.fks is not None else None
            cached = self._orders.get((dups, access))
            if cached is None:
                cached = self._orders[(dups, access)] = self._order(dups, access)
            index = cached[index]
        return row, kind, index, seq

    _orders: dict[Any, dict[int, int]] = {}

    def _count(self, results: list[Any], blank: Any, not_blank: Any) -> bool:
        """Add this batch's errors to the exact counts; whether it holds any."""
        nb = int(blank.sum())
        found = nb > 0
        if nb:
            key = (None, "blank-row")
            self.counts[key] = self.counts.get(key, 0) + nb
        for chk, (_, bits, _) in zip(self.checks, results, strict=True):
            live = bits.filter(not_blank) if nb else bits  # most batches have no blank row
            if not live.max():  # None when every row is blank
                continue
            found = True
            n_type = int(((live & 1) > 0).sum())
            if n_type:
                key = (chk.name, "type-error")
                self.counts[key] = self.counts.get(key, 0) + n_type
            n_con = 0
            for k in range(1, len(chk.constraints) + 1):
                n_con += int(((live & (1 << k)) > 0).sum())
            if n_con:
                key = (chk.name, "constraint-error")
                self.counts[key] = self.counts.get(key, 0) + n_con
        return found

    def _collect(self, df: Any, results: list[Any], blank: Any, row_no: Any) -> None:
        """Findings of this batch's first error rows, until ``limit`` are kept."""
        import polars as pl

        bad = blank
        for _, bits, _ in results:
            bad = bad | (bits > 0)
        idx = pl.arg_where(bad, eager=True).head(self.limit - len(self.findings) + 1)
        if idx.len() == 0:
            return
        rows = row_no.gather(idx).to_list()
        blanks = blank.gather(idx).to_list()
        cells = [df[f"c{i}"].gather(idx).to_list() for i in range(len(self.checks))]
        bits = [r[1].gather(idx).to_list() for r in results]
        for j, row in enumerate(rows):
            if blanks[j]:
                self.findings.append((row, 0, 0, 0, _data_issue(
                    self.base, "blank-row", None, None, row=row, field=None, line=row)))
                continue
            for i, chk in enumerate(self.checks):
                b = bits[i][j]
                if not b:
                    continue
                cell = cells[i][j]
                if b & 1:
                    self.findings.append((row, 0, i, 0, _data_issue(
                        self.base, "type-error", cell, chk.notes[1],
                        published=self.published, row=row, field=chk.name, line=row)))
                    continue
                for k in range(1, len(chk.constraints) + 1):
                    if b & (1 << k):
                        self.findings.append((row, 0, i, k, _data_issue(
                            self.base, "constraint-error", cell, chk.notes[1 << k],
                            row=row, field=chk.name, line=row)))

    def _keys(self, store: Any, pk_none: list[int], pk_none_total: int) -> None:
        """Unique and primary-key findings, after the whole file is read."""
        for order, i in enumerate(self.uniques):
            name = self.checks[i].name
            total, first = store.duplicates(f"u{i}", self.limit)
            if total:
                self.counts[(name, "unique-error")] = total
            self.dup_rows[i] = {row for row, _ in first}
            for row, prev in first:
                self.findings.append((row, 1, order, 0, _data_issue(
                    self.base, "unique-error", None, f"the same as in the row at position "
                    f"{prev}", row=row, field=name, line=row)))
        if not self.pk:
            return
        total, first = store.duplicates("pk", self.limit)
        if total + pk_none_total:
            self.counts[(None, "primary-key")] = total + pk_none_total
        for row in pk_none:
            self.findings.append((row, 2, 0, 0, _data_issue(
                self.base, "primary-key", None, 'cells composing the primary keys are all '
                '"None"', row=row, field=None, line=row)))
        for row, prev in first:
            self.findings.append((row, 2, 0, 0, _data_issue(
                self.base, "primary-key", None, f"the same as in the row at position {prev}",
                row=row, field=None, line=row)))
