"""Which language opendata speaks, and gettext lookups in it, for every stage.

The catalog stage words errors about schema files, validation words its findings, the
command line its output: all of them say English message ids through :func:`_` and get them
back in the run's language.  The state lives in the first stage, so that the catalog stage
itself translates and every later one reaches it.  The catalogs are Babel's ``.po``/``.mo``
under ``opendata/catalog/locale``, shipped in the package; ``scripts/update-messages``
refreshes them.

Which language: ``--lang`` (:func:`set_override`), else ``OPENDATA_LANG``, else the catalog's
``language`` (``opendata.yaml``), else English.  :func:`activate` makes that choice for a run.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "opendata"
SUPPORTED = ("en", "fr")
ENV = "OPENDATA_LANG"

_override: str | None = None
_current = "en"


def N_(msgid: str) -> str:
    """Marks a template for extraction (``pybabel extract -k N_``) without translating it:
    for constants built at import time, translated with :func:`_` where they are used."""
    return msgid


def normalise(lang: str | None) -> str | None:
    """``fr``, ``fr_FR.UTF-8``, ``FR-fr`` -> ``fr``; None for a language we do not speak."""
    if not lang:
        return None
    code = re.split(r"[_.@-]", lang.strip().lower(), maxsplit=1)[0]
    return code if code in SUPPORTED else None


def choose(cli: str | None = None, catalog: str | None = None) -> str:
    """The language of a run: ``--lang``, then ``OPENDATA_LANG``, then the catalog's."""
    for candidate in (cli, os.environ.get(ENV), catalog):
        lang = normalise(candidate)
        if lang:
            return lang
    return "en"


def set_override(lang: str | None) -> None:
    """What ``--lang`` said: it wins over the environment and the catalog."""
    global _override
    _override = normalise(lang)


def activate(catalog_language: str | None = None) -> str:
    """Choose the language for what follows (a validation run, a command) and return it."""
    global _current
    _current = choose(_override, catalog_language)
    return _current


def current() -> str:
    return _current


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(msgid: str) -> str:
    """``msgid`` in the current language (itself when there is no translation)."""
    return _translations(_current).gettext(msgid)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current).ngettext(singular, plural, n)
