"""An interrupted publish of ours is completed by the next one, a hand edit is not."""

from __future__ import annotations

from opendata.harvesters.base import _own_partial_write


def state(title: str, notes: str, sha: str, *extra: str) -> dict:
    return {"fields": {"title": title, "notes": notes},
            "resources": [{"name": "points", "sha256": sha}]
            + [{"name": n, "sha256": "c"} for n in extra]}


STORED, DESIRED = state("old", "n", "a"), state("new", "n2", "b")


def test_half_written_update_is_ours():
    assert _own_partial_write(STORED, state("new", "n", "a"), DESIRED)
    assert _own_partial_write(STORED, state("old", "n2", "b"), DESIRED)
    assert _own_partial_write(STORED, DESIRED, DESIRED)


def test_a_value_neither_stored_nor_desired_is_drift():
    assert not _own_partial_write(STORED, state("edited by hand", "n", "a"), DESIRED)
    assert not _own_partial_write(STORED, state("old", "n", "a", "added-by-hand"), DESIRED)
