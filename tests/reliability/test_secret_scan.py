"""The session-wide secret scan really finds a token (so its silence means something)."""

from __future__ import annotations

from .secret_scan import scan_text, scan_tree, tokens
from .servers import TEST_TOKEN


def test_scan_finds_the_token_in_outputs_and_skips_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scan-probe", numbered=True)
    (folder / "report.json").write_text('{"ok": true}', encoding="utf-8")
    (folder / "target.yaml").write_text(f"token: {TEST_TOKEN}\n", encoding="utf-8")
    assert scan_tree(folder) == []
    leaked = folder / "leak.log"
    leaked.write_text(f"Authorization: {TEST_TOKEN}\n", encoding="utf-8")
    assert scan_tree(folder) == [f"{leaked}: holds a test token"]
    leaked.unlink()  # not left for the end-of-session scan
    assert scan_text(f"x {TEST_TOKEN} y", "here") and not scan_text("x *** y", "here")
    assert TEST_TOKEN in tokens()
