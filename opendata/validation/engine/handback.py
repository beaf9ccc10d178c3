"""The engine's one exception: "this file needs the reference path"."""

from __future__ import annotations


class HandBack(Exception):
    """The file needs the reference path (the reason is the message)."""
