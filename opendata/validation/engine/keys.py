"""Duplicate detection for ``unique`` fields and the primary key, in bounded memory.

Frictionless keeps every key it has seen in a dict (~150 bytes a row).  Here the keys go
batch by batch into a DuckDB database in a temporary folder with a memory limit: DuckDB
spills to disk past it, so memory does not grow with the rows.  The duplicates come out of
one window query per key: ``lag(row)`` over the rows sharing a key is the previous row with
that key, exactly the row Frictionless names ("the same as in the row at position N", the
*last* earlier occurrence, since its dict is overwritten at every row).
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
class KeyStore:
    """One table per key (a unique field, or the primary key's fields)."""

    keys: dict[str, list[str]]
    _tmp: Any = None
    _con: Any = None
    _started: set[str] = field(default_factory=set)
    _pending: dict[str, list[Any]] = field(default_factory=dict)
    _pending_bytes: int = 0

    def __post_init__(self) -> None:
        import duckdb

        self._tmp = tempfile.TemporaryDirectory(prefix="opendata-keys-")
        # a database file, not an in-memory one: an in-memory table's blocks stay in RSS
        # (10M keys: +50 MiB) where a file's are written out past MEMORY_LIMIT; queries
        # spill to the temporary folder likewise
        folder = Path(self._tmp.name)
        self._con = duckdb.connect(str(folder / "keys.duckdb"),
                                   config={"memory_limit": MEMORY_LIMIT,
                                           "temp_directory": str(folder / "spill"),
                                           "preserve_insertion_order": False,
                                           "threads": THREADS})

    def add(self, name: str, table: Any) -> None:
        """Append a polars DataFrame ``(row, k0, k1, ...)`` for key ``name``; batches are
        grouped up to FLUSH_BYTES before they reach DuckDB (one insert costs ~0.1 s)."""
        if table.height == 0:
            return
        self._pending.setdefault(name, []).append(table)
        self._pending_bytes += table.estimated_size()
        if self._pending_bytes >= FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        import polars as pl

        for name, tables in self._pending.items():
            arrow = pl.concat(tables).to_arrow()  # noqa: F841  (DuckDB reads it by name)
            if name not in self._started:
                self._con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM arrow')
                self._started.add(name)
            else:
                self._con.execute(f'INSERT INTO "{name}" SELECT * FROM arrow')
        self._pending, self._pending_bytes = {}, 0
        _release_arrow_memory()

    def duplicates(self, name: str, limit: int) -> tuple[int, list[tuple[int, int]]]:
        """(number of duplicate rows, the first ``limit`` as (row, previous row))."""
        self._flush()
        if name not in self._started:
            return 0, []
        cols = ", ".join(f"k{i}" for i in range(len(self.keys[name])))
        # the window runs on the repeated keys only (usually none): a hash aggregate over
        # all rows is much cheaper than partitioning all of them
        on = " AND ".join(f"t.k{i} IS NOT DISTINCT FROM d.k{i}"
                          for i in range(len(self.keys[name])))
        self._con.execute(
            f'CREATE TABLE "dup_{name}" AS SELECT row, prev FROM (SELECT row, lag(row) OVER '
            f'(PARTITION BY {cols} ORDER BY row) AS prev FROM (SELECT t.* FROM "{name}" t '
            f'SEMI JOIN (SELECT {cols} FROM "{name}" GROUP BY ALL HAVING count(*) > 1) d '
            f'ON {on})) WHERE prev IS NOT NULL')
        total = self._con.execute(f'SELECT count(*) FROM "dup_{name}"').fetchone()[0]
        first = self._con.execute(
            f'SELECT row, prev FROM "dup_{name}" ORDER BY row LIMIT {int(limit)}').fetchall()
        return int(total), [(int(r), int(p)) for r, p in first]

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _release_arrow_memory() -> None:
    """Give pyarrow's freed memory back to the system.  Its allocator (mimalloc) keeps
    what the batches freed for reuse; DuckDB allocates its own on top of it, so at 10M
    rows the duplicate query's peak sat ~10 MiB higher without this (and past 250 MiB)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()

