"""Stage 5, publishing to portals: one engine (:mod:`.base`: plan, publish, ownership,
state) and one module per portal kind (:mod:`.ckan`, :mod:`.datagouv`), over a shared HTTP
client (:mod:`.http`) and target configuration (:mod:`.targets`).

``plan`` and ``publish`` are resolved on first use, so importing a portal module does not
import the engine twice over, and ``import opendata.harvesters`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opendata.harvesters.base import plan, publish

__all__ = ["plan", "publish"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from opendata.harvesters import base

        return getattr(base, name)
    raise AttributeError(f"module 'opendata.harvesters' has no attribute {name!r}")
