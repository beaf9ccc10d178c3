"""Jinja2 environment and the filters pages need: Markdown, safe links, sizes, dates.

Manifests come from pull requests, so nothing a manifest holds is ever trusted as HTML:
templates autoescape everything, Markdown is rendered with raw HTML disabled (an HTML
tag in a description comes out as text) and links are kept only for ``http``,
``https`` and ``mailto`` (markdown-it already drops ``javascript:``, ``vbscript:``,
``file:`` and ``data:``; :func:`safe_url` applies the same rule to URLs of other fields).
"""

from __future__ import annotations

import posixpath
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from opendata.site.i18n import frequency_label, t, theme_label

TEMPLATES = Path(__file__).resolve().parent / "templates"
SAFE_SCHEMES = ("http", "https", "mailto")

_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")


def _validate_link(url: str) -> bool:
    scheme = urlsplit(url.strip()).scheme.lower()
    return scheme in SAFE_SCHEMES or scheme == ""


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """CommonMark plus tables, raw HTML off, links limited to safe schemes."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


def render_markdown(text: str) -> Markup:
    """A manifest's Markdown as HTML; safe to mark safe: raw HTML is escaped by markdown-it."""
    # headings inside a description would break the page outline: shift them under h3
    html = markdown().render(text or "")
    for level in range(6, 0, -1):
        new = min(level + 2, 6)
        html = html.replace(f"<h{level}>", f"<h{new}>").replace(f"</h{level}>", f"</h{new}>")
    return Markup(html)


def safe_url(url: Any) -> str | None:
    """``url`` if it is an absolute http(s)/mailto URL, else None (shown as text then)."""
    if not isinstance(url, str) or not url.strip():
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    if parts.scheme.lower() == "mailto" and parts.path:
        return url.strip()
    return None


def human_size(size: int | None, lang: str) -> str:
    if size is None:
        return "?"
    units = ("o", "Ko", "Mo", "Go") if lang == "fr" else ("B", "KB", "MB", "GB")
    value = float(size)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            if unit == units[0]:
                return f"{int(value)} {unit}"
            text = f"{value:.1f}"
            return (text.replace(".", ",") if lang == "fr" else text) + f" {unit}"
        value /= 1024
    return str(size)


def human_date(value: date | datetime | str | None, lang: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if lang == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {_MONTHS_FR[value.month - 1]} {value.year}"
    return value.strftime("%-d %B %Y")


@lru_cache(maxsize=65536)
def _up(folder: str) -> tuple[str, ...]:
    return tuple(folder.split("/")) if folder else ()


def relative(from_page: str, to: str) -> str:
    """Relative link from the page at site path ``from_page`` to site path ``to``: the site
    works from ``file://`` and from any sub-folder of a static host.  Both are clean
    site paths (no ``..``), so this is string work, not ``posixpath.relpath`` (which
    asks the OS for the current folder on every call: 30,000 links a second matter)."""
    here = _up(posixpath.dirname(from_page))
    folder, _, name = to.rpartition("/")
    there = _up(folder)
    common = 0
    while common < len(here) and common < len(there) and here[common] == there[common]:
        common += 1
    parts = [".."] * (len(here) - common) + list(there[common:]) + [name]
    return "/".join(parts)


def pager_window(total: int, current: int, spread: int = 2) -> list[int | None]:
    """The page numbers a pager links: the first, the last and ``spread`` either side of
    ``current``, ``None`` for each gap.  Linking every page made each list page grow with
    the catalog (200 links per page at 10,000 datasets, 200 such pages per list);
    previous/next and the window still reach every page."""
    shown = sorted({1, total} | set(range(max(1, current - spread),
                                          min(total, current + spread) + 1)))
    out: list[int | None] = []
    for n in shown:
        last = out[-1] if out else n - 1
        assert last is not None  # a gap is always followed by a number
        if n - last == 2:  # one page missing: its number takes no more room than a gap
            out.append(last + 1)
        elif n - last > 2:
            out.append(None)
        out.append(n)
    return out


@lru_cache(maxsize=1)
def environment() -> Environment:
    # auto_reload off: templates do not change during a build, and checking would stat
    # every template file on each of the 20,000+ renders of a large catalog
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html", "xml"], default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters["markdown"] = render_markdown
    env.filters["safe_url"] = safe_url
    env.globals.update(t=t, theme_label=theme_label, frequency_label=frequency_label,
                       human_size=human_size, human_date=human_date, pager_window=pager_window)
    return env
