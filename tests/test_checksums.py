"""Catalog files are hashed once per version of the file, never served a stale hash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from opendata import checksums
from opendata.validation.tabular import scan_file


@pytest.fixture()
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    seen: list[Path] = []
    real = checksums.sha256_file

    def counting(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(checksums, "sha256_file", counting)
    return seen


def test_hashed_once_and_again_when_the_file_changes(tmp_path: Path, reads: list[Path]) -> None:
    f = tmp_path / "data.csv"
    f.write_bytes(b"a;b\n1;2\n")
    first = checksums.source_sha256(f)
    assert checksums.source_sha256(f) == first == hashlib.sha256(b"a;b\n1;2\n").hexdigest()
    assert reads == [f]
    f.write_bytes(b"a;b\n1;3\n")
    os.utime(f, ns=(1, 1))  # a different version even if written within the same tick
    assert checksums.source_sha256(f) == hashlib.sha256(b"a;b\n1;3\n").hexdigest()
    assert reads == [f, f]


def test_validation_pass_seeds_the_memo(tmp_path: Path, reads: list[Path]) -> None:
    f = tmp_path / "data.csv"
    f.write_bytes("commune;valeur\nGâtine;1,5\n".encode())
    facts = scan_file(f, "utf-8")
    assert checksums.source_sha256(f) == facts.sha256
    assert reads == []  # no second read of the file
