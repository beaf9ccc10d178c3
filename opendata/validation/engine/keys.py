"""Duplicate detection for ``unique`` fields and the primary key, in bounded memory.

Frictionless keeps every key it has seen in a dict (~150 bytes a row).  Here the keys go
batch by batch into a DuckDB database in a temporary folder with a memory limit: DuckDB
spills to disk past it, so memory does not grow with the rows.  The duplicates come out of
one window query per key: ``lag(row)`` over the rows sharing a key is the previous row with
that key, exactly the row Frictionless names ("the same as in the row at position N", the
*last* earlier occurrence, since its dict is overwritten at every row).

Most keys are ids that only increase down the file: a single-field integer or string key
whose values rise strictly, batch after batch, holds no duplicate, and DuckDB (its import,
its inserts, its query) is not needed.  Such a key's batches go to a plain Arrow IPC file
while the order holds; the first batch that breaks it loads that file into DuckDB, and the
key goes the usual way from there, so the duplicates found are the same either way.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: DuckDB's own memory ceiling; past it, it spills to the temporary folder
MEMORY_LIMIT = "32MB"
#: keys held in memory before they go to DuckDB
FLUSH_BYTES = 4 << 20
#: DuckDB's threads: the machines this runs on (CI) have two cores
THREADS = 1


@dataclass
class _Rising:
    """A key whose values have only increased so far: its batches, in an IPC file."""

    path: Path
    last: Any = None
    writer: Any = None

    def write(self, arrow: Any) -> None:
        import pyarrow as pa

        if self.writer is None:
            self.writer = pa.ipc.new_stream(str(self.path), arrow.schema)
        self.writer.write_table(arrow)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class DiskTables:
    """Tables of keys in a DuckDB database file in a temporary folder, fed by batches.

    What the key checks and the foreign keys share: frames wait in memory up to
    FLUSH_BYTES and go in by one insert (one costs ~0.1 s); a database file rather than
    an in-memory one, since an in-memory table's blocks stay in RSS (10M keys: +50 MiB)
    where a file's are written out past MEMORY_LIMIT, and queries spill to the folder
    likewise.  DuckDB itself is imported and opened on the first insert (often none).
    """

    def __init__(self, prefix: str):
        self._tmp: Any = tempfile.TemporaryDirectory(prefix=prefix)
        self.folder = Path(self._tmp.name)
        self._con: Any = None
        #: tables created so far
        self.started: set[str] = set()
        self._pending: dict[str, list[Any]] = {}
        self._pending_bytes = 0

    @property
    def con(self) -> Any:
        if self._con is None:
            import duckdb

            self._con = duckdb.connect(str(self.folder / "keys.duckdb"),
                                       config={"memory_limit": MEMORY_LIMIT,
                                               "temp_directory": str(self.folder / "spill"),
                                               "preserve_insertion_order": False,
                                               "threads": THREADS})
        return self._con

    def put(self, name: str, frame: Any) -> None:
        """Queue a polars DataFrame for table ``name`` (an empty one still creates it)."""
        if frame.height == 0 and name in self.started:
            return
        self._pending.setdefault(name, []).append(frame)
        self._pending_bytes += frame.estimated_size()
        if self._pending_bytes >= FLUSH_BYTES:
            self.flush()

    def insert(self, name: str, arrow: Any) -> None:
        """One arrow table into table ``name`` (DuckDB reads the variable by name)."""
        if name not in self.started:
            self.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM arrow')
            self.started.add(name)
        else:
            self.con.execute(f'INSERT INTO "{name}" SELECT * FROM arrow')

    def flush(self) -> None:
        import polars as pl

        for name, frames in self._pending.items():
            self.insert(name, pl.concat(frames).to_arrow())
        self._pending, self._pending_bytes = {}, 0
        _release_arrow_memory()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


@dataclass
class KeyStore:
    """One table per key (a unique field, or the primary key's fields)."""

    keys: dict[str, list[str]]
    #: keys still in rising order (see the module's docstring); a key leaves for good
    _rising: dict[str, _Rising] = field(default_factory=dict)
    #: keys whose order broke (or that cannot rise: several fields, other types)
    _unordered: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._tables = DiskTables("opendata-keys-")

    def add(self, name: str, table: Any) -> None:
        """Append a polars DataFrame ``(row, k0, k1, ...)`` for key ``name``; batches are
        grouped up to FLUSH_BYTES before they reach DuckDB (one insert costs ~0.1 s)."""
        if table.height == 0:
            return
        if name not in self._unordered and self._still_rising(name, table):
            return
        self._tables.put(name, table)

    def _still_rising(self, name: str, table: Any) -> bool:
        """Whether ``table`` continues ``name``'s rising order (then it is kept on file);
        on the first break, the batches kept so far go to DuckDB."""
        import polars as pl

        key = table["k0"] if table.width == 2 else None
        if key is None or key.dtype not in (pl.Int64, pl.String):
            self._unordered.add(name)
            return False
        rising = self._rising.get(name)
        if rising is None:
            rising = self._rising[name] = _Rising(self._tables.folder / f"{name}.arrows")
        ok = rising.last is None or key[0] > rising.last
        if ok and key.len() > 1:
            ok = bool((key.slice(1) > key.slice(0, key.len() - 1)).all())
        if ok:
            rising.write(table.to_arrow())
            rising.last = key[-1]
            return True
        self._unordered.add(name)
        self._load(name, self._rising.pop(name))
        return False

    def _load(self, name: str, rising: _Rising) -> None:
        """The batches of a key that rose until now, into DuckDB, FLUSH_BYTES at a time."""
        import pyarrow as pa

        rising.close()
        if not rising.path.exists():
            return
        with pa.ipc.open_stream(str(rising.path)) as reader:
            group: list[Any] = []
            size = 0
            for batch in reader:
                group.append(batch)
                size += batch.nbytes
                if size >= FLUSH_BYTES:
                    self._tables.insert(name, pa.Table.from_batches(group))
                    group, size = [], 0
            if group:
                self._tables.insert(name, pa.Table.from_batches(group))
        rising.path.unlink()
        _release_arrow_memory()

    def duplicates(self, name: str, limit: int) -> tuple[int, list[tuple[int, int]]]:
        """(number of duplicate rows, the first ``limit`` as (row, previous row))."""
        self._tables.flush()
        if name not in self._tables.started:
            return 0, []  # no rows, or they only rose: no duplicate
        cols = ", ".join(f"k{i}" for i in range(len(self.keys[name])))
        # the window runs on the repeated keys only (usually none): a hash aggregate over
        # all rows is much cheaper than partitioning all of them
        on = " AND ".join(f"t.k{i} IS NOT DISTINCT FROM d.k{i}"
                          for i in range(len(self.keys[name])))
        con = self._tables.con
        con.execute(
            f'CREATE TABLE "dup_{name}" AS SELECT row, prev FROM (SELECT row, lag(row) OVER '
            f'(PARTITION BY {cols} ORDER BY row) AS prev FROM (SELECT t.* FROM "{name}" t '
            f'SEMI JOIN (SELECT {cols} FROM "{name}" GROUP BY ALL HAVING count(*) > 1) d '
            f'ON {on})) WHERE prev IS NOT NULL')
        total = con.execute(f'SELECT count(*) FROM "dup_{name}"').fetchone()[0]
        first = con.execute(
            f'SELECT row, prev FROM "dup_{name}" ORDER BY row LIMIT {int(limit)}').fetchall()
        return int(total), [(int(r), int(p)) for r, p in first]

    def close(self) -> None:
        for rising in self._rising.values():
            rising.close()
        self._rising = {}
        self._tables.close()


def _release_arrow_memory() -> None:
    """Give pyarrow's freed memory back to the system.  Its allocator (mimalloc) keeps
    what the batches freed for reuse; DuckDB allocates its own on top of it, so at 10M
    rows the duplicate query's peak sat ~10 MiB higher without this (and past 250 MiB)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()

