#!/usr/bin/env python3
"""A Solr *stand-in* for a local CKAN -- FOR TESTS AND DEMOS ONLY, NOT A SEARCH ENGINE.

CKAN cannot create, update or show datasets without a Solr core behind
``solr_url``, and a real Solr (a JVM service) cannot be installed on the
machines this project runs on.  This file answers the handful of HTTP requests
CKAN 2.10-2.12 sends to Solr through pysolr, well enough for integration tests
and demos of a harvester against a real CKAN.  It uses the Python standard
library only.

What it does
  * ``/solr/<core>/update`` (also ``/update/json``, ``/update/json/docs``,
    ``/update/xml``): JSON document lists, Solr JSON commands (``add``,
    ``delete`` by id or query, ``commit``), XML ``<add>``, ``<delete>``
    (``<id>``/``<query>``) and ``<commit/>``.  The unique key is ``index_id``
    (CKAN's), falling back to ``id``.  Changes are visible at once: commits
    are accepted and do nothing else.
  * ``/solr/<core>/select`` (GET or form POST), JSON answers only:
    ``q``, any number of ``fq``, ``rows``, ``start``, ``sort`` (any field,
    ``score``, several keys, asc/desc), ``fl`` (names, globs, ``*``,
    ``score``), ``facet``/``facet.field``/``facet.limit``/``facet.mincount``/
    ``facet.sort`` (and ``f.<field>.facet.*``), ``q.op``, ``df``,
    ``defType=dismax|edismax|lucene`` with ``qf`` and ``mm``.
    Query syntax: ``*:*``, ``field:value``, ``field:"a phrase"``, ``+``/``-``/
    ``NOT``/``!``, ``AND``/``OR``/``&&``/``||`` with Lucene's classic
    clause rules, parentheses, ``field:(a OR b)``, ``field:*``, ``field:pre*``
    and ``?`` wildcards, ranges ``field:[a TO b]``/``{a TO b}`` over dates
    (ISO 8601 and ``NOW-1DAY/DAY`` style date math), numbers or strings,
    backslash escapes; boosts (``^2``) and fuzziness (``~1``) are read and ignored.
  * ``/solr/<core>/admin/ping``, ``/solr/admin/cores``, ``/solr/<core>/schema``
    (``wt=schema.xml`` gives a stub schema whose name carries the CKAN schema
    version CKAN checks at start-up), ``/solr/<core>/schema/version``,
    ``/solr/<core>/schema/name`` and ``/solr/<core>/admin/file?file=schema.xml``.
  * Keeps every core's documents in memory, and with ``--data-file`` saves
    them as JSON (shortly after each change and at shutdown) and loads them
    at start, so a restarted CKAN keeps its search results.

What it does not do (on purpose)
  * No real text analysis: "text" fields (title, notes, text, extras_*, ...)
    are matched on lower-cased, accent-folded word tokens with naive plural
    stripping; no stemming, stop words, synonyms or n-grams (``*_ngram``
    fields are plain substring matches).  String fields match exactly.
  * Relevance is a crude count of matched clauses weighted by ``qf`` boosts,
    not BM25.  Facets count stored values, never tokens.  No facet queries or
    ranges, highlighting, spellcheck, grouping, more-like-this, cursorMark,
    function queries, local params (``{!...}``), joins, XML/CSV responses,
    atomic updates, nested documents or authentication.
  * Every request scans all documents: fine for thousands, not for millions.
  * It binds to 127.0.0.1 by default and trusts whoever can reach it.

Run ``python3 solr_standin.py --help`` for its options.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fnmatch
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import unicodedata
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("solr-standin")

MUST, SHOULD, MUST_NOT = "MUST", "SHOULD", "MUST_NOT"

# Fields of CKAN's Solr schema that are analysed ("text" type); every other
# field behaves like a Solr "string": exact, case-sensitive matches.
TEXT_FIELDS = {"text", "title", "notes", "res_name", "res_description", "urls",
               "author", "maintainer", "license", "title_ngram", "name_ngram"}
TEXT_FIELD_PREFIXES = ("extras_", "res_extras_")
# Fields gathered into the catch-all "text" field (like the copyField rules of
# CKAN's schema) and into "urls".
TEXT_SOURCES = ("urls", "name", "title", "text", "license", "notes", "tags", "groups",
                "organization", "res_name", "res_description", "maintainer", "author")
TEXT_SOURCE_PREFIXES = ("extras_", "res_extras_", "vocab_")
URL_SOURCES = ("url", "ckan_url", "download_url", "res_url")
DEFAULT_QF = "name^4 title^4 tags^2 groups^2 text"


class QueryError(ValueError):
    """A query the stand-in cannot parse or does not support (answered with HTTP 400)."""


# --------------------------------------------------------------------------- values

_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}:\d{2}|[+-]\d{4}(?!\d|[A-Za-z]))?"
)
_MATH_RE = re.compile(r"([+-])(\d+)([A-Za-z]+)|/([A-Za-z]+)")
_UNITS = {"YEAR": "year", "MONTH": "month", "DAY": "day", "DATE": "day", "HOUR": "hour",
          "MINUTE": "minute", "SECOND": "second", "MILLI": "milli", "MILLISECOND": "milli"}


def parse_date(text: str) -> dt.datetime | None:
    """An ISO 8601 date or Solr date-math expression as an aware UTC datetime, else None."""
    text = text.strip()
    base_text, math = text, ""
    if text.upper().startswith("NOW"):
        base = dt.datetime.now(dt.UTC)
        math = text[3:]
    else:
        m = _DATE_RE.match(base_text)
        if not m:
            return None
        math = text[m.end():]
        if math.startswith("||"):
            math = math[2:]
        y, mo, d, h, mi, s, frac, tz = m.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        try:
            base = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                               micro, tzinfo=dt.UTC)
        except ValueError:
            return None
        if tz and tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            base -= sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    pos = 0
    while pos < len(math):
        m = _MATH_RE.match(math, pos)
        if not m:
            return None
        pos = m.end()
        unit = _UNITS.get((m.group(3) or m.group(4)).upper().rstrip("S"))
        if unit is None:
            return None
        if m.group(4):
            base = _round_date(base, unit)
        else:
            base = _shift_date(base, unit, int(m.group(2)) * (1 if m.group(1) == "+" else -1))
    return base


def _round_date(d: dt.datetime, unit: str) -> dt.datetime:
    order = ["year", "month", "day", "hour", "minute", "second", "milli"]
    keep = order.index(unit)
    if keep < 6:
        d = d.replace(microsecond=0)
    if keep < 5:
        d = d.replace(second=0)
    if keep < 4:
        d = d.replace(minute=0)
    if keep < 3:
        d = d.replace(hour=0)
    if keep < 2:
        d = d.replace(day=1)
    if keep < 1:
        d = d.replace(month=1)
    if unit == "milli":
        d = d.replace(microsecond=d.microsecond // 1000 * 1000)
    return d


def _shift_date(d: dt.datetime, unit: str, n: int) -> dt.datetime:
    if unit in ("year", "month"):
        months = d.month - 1 + n * (12 if unit == "year" else 1)
        year, month = d.year + months // 12, months % 12 + 1
        day = d.day
        while True:
            try:
                return d.replace(year=year, month=month, day=day)
            except ValueError:
                day -= 1
    seconds = {"day": 86400, "hour": 3600, "minute": 60, "second": 1, "milli": 0.001}[unit]
    return d + dt.timedelta(seconds=seconds * n)


def parse_number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def as_strings(value: Any) -> list[str]:
    """A stored value (scalar or list) as the list of strings queries compare with."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            out.extend(as_strings(item))
        return out
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (dict,)):
        return [json.dumps(value, sort_keys=True)]
    return [str(value)]


_WORD_RE = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def norm_token(tok: str) -> str:
    """Naive plural stripping so that 'datasets' finds 'dataset' (not a stemmer)."""
    if len(tok) > 4 and tok.endswith("ies"):
        return tok[:-3] + "y"
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
        return tok[:-1]
    return tok


def tokens(text: str) -> list[str]:
    return [norm_token(t) for t in _WORD_RE.findall(fold(text))]


def is_text_field(field: str) -> bool:
    return field in TEXT_FIELDS or field.startswith(TEXT_FIELD_PREFIXES)


def field_values(doc: dict[str, Any], field: str) -> list[str]:
    """Values of a field, with CKAN's copy fields (text, urls, *_ngram) computed on the fly."""
    if field == "text":
        vals = []
        for name, value in doc.items():
            if name != "urls" and (name in TEXT_SOURCES or name.startswith(TEXT_SOURCE_PREFIXES)):
                vals.extend(as_strings(value))
        vals.extend(field_values(doc, "urls"))
        return vals
    if field == "urls":
        vals = as_strings(doc.get("urls"))
        for name in URL_SOURCES:
            vals.extend(as_strings(doc.get(name)))
        return vals
    if field in ("name_ngram", "title_ngram"):
        return as_strings(doc.get(field[: -len("_ngram")]))
    return as_strings(doc.get(field))


# --------------------------------------------------------------------------- queries
#
# A parsed query is a tree of tuples:
#   ("all",)                                   *:*
#   ("bool", [(occur, node), ...], min_should) boolean query
#   ("term", field_or_None, kind, value)       kind: term, phrase, wildcard, exists
#   ("range", field_or_None, lo, hi, incl_lo, incl_hi)
# A field of None means "the default field(s)" given to the matcher.

_SPECIAL_END = set(" \t\r\n()\"[]{}")


class LuceneParser:
    """Recursive-descent parser for the Lucene/Solr standard query syntax subset."""

    def __init__(self, text: str, default_op: str = "OR"):
        self.s = text
        self.i = 0
        self.default_and = default_op.upper() == "AND"

    def parse(self) -> tuple:
        stripped = self.s.strip()
        if stripped.startswith("{!"):
            raise QueryError("local parameters ({!...}) are not supported by the Solr stand-in")
        node = self._clauses(field=None, closing=False)
        self._ws()
        if self.i < len(self.s):
            raise QueryError(f"cannot parse query {self.s!r} at position {self.i}")
        return node

    # -- helpers
    def _ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def _peek_word(self, word: str) -> bool:
        end = self.i + len(word)
        if self.s[self.i:end] != word:
            return False
        return end == len(self.s) or self.s[end].isspace() or self.s[end] in "()"

    # -- grammar
    def _clauses(self, field: str | None, closing: bool) -> tuple:
        clauses: list[list[Any]] = []
        conj = None
        while True:
            self._ws()
            if self.i >= len(self.s):
                if closing:
                    raise QueryError(f"missing ')' in query {self.s!r}")
                break
            c = self.s[self.i]
            if c == ")":
                if not closing:
                    raise QueryError(f"unbalanced ')' in query {self.s!r}")
                break
            if self._peek_word("AND") or self.s.startswith("&&", self.i):
                self.i += 3 if self.s[self.i] == "A" else 2
                conj = "AND"
                continue
            if self._peek_word("OR") or self.s.startswith("||", self.i):
                self.i += 2
                conj = "OR"
                continue
            mod = None
            if self._peek_word("NOT"):
                self.i += 3
                mod = MUST_NOT
            elif c == "!" and not self.s.startswith("!=", self.i):
                self.i += 1
                mod = MUST_NOT
            elif c == "+":
                self.i += 1
                mod = MUST
            elif c == "-":
                self.i += 1
                mod = MUST_NOT
            self._ws()
            node = self._atom(field)
            self._add_clause(clauses, conj, mod, node)
            conj = None
        if len(clauses) == 1 and clauses[0][0] in (MUST, SHOULD):
            return clauses[0][1]
        return ("bool", [tuple(c) for c in clauses], 0)

    def _add_clause(self, clauses: list[list[Any]], conj: str | None, mod: str | None,
                    node: tuple) -> None:
        # Lucene's classic QueryParser rules for combining clauses.
        if clauses and conj == "AND" and clauses[-1][0] != MUST_NOT:
            clauses[-1][0] = MUST
        if clauses and self.default_and and conj == "OR" and clauses[-1][0] != MUST_NOT:
            clauses[-1][0] = SHOULD
        if mod == MUST_NOT:
            occur = MUST_NOT
        elif not self.default_and:
            occur = MUST if (mod == MUST or conj == "AND") else SHOULD
        else:
            occur = SHOULD if conj == "OR" else MUST
        clauses.append([occur, node])

    def _atom(self, field: str | None) -> tuple:
        if self.i >= len(self.s):
            raise QueryError(f"query {self.s!r} ends where a term was expected")
        c = self.s[self.i]
        if c == "(":
            self.i += 1
            node = self._clauses(field, closing=True)
            self.i += 1  # ')'
            self._suffix()
            return node
        if c == '"':
            return ("term", field, "phrase", self._quoted())
        if c in "[{":
            return self._range(field)
        word, wild = self._word(allow_colon=field is not None)
        if field is None and self.i < len(self.s) and self.s[self.i] == ":":
            self.i += 1
            fname = word
            if self.i >= len(self.s) or self.s[self.i].isspace():
                raise QueryError(f"field {fname!r} has no value in query {self.s!r}")
            c = self.s[self.i]
            if c == "(":
                self.i += 1
                node = self._clauses(fname, closing=True)
                self.i += 1
                self._suffix()
                return node
            if c == '"':
                return ("term", fname, "phrase", self._quoted())
            if c in "[{":
                return self._range(fname)
            value, wild = self._word(allow_colon=True)
            if fname == "*" and value == "*":
                return ("all",)
            return self._term(fname, value, wild)
        if word == "*" and field is None:
            return ("all",)
        return self._term(field, word, wild)

    @staticmethod
    def _term(field: str | None, value: str, wild: bool) -> tuple:
        if wild and value == "*":
            return ("term", field, "exists", "*")
        if wild:
            return ("term", field, "wildcard", value)
        return ("term", field, "term", value)

    def _suffix(self) -> None:
        # boosts (^2.5) and fuzziness/proximity (~, ~2) are accepted and ignored
        while self.i < len(self.s) and self.s[self.i] in "^~":
            self.i += 1
            while self.i < len(self.s) and (self.s[self.i].isdigit() or self.s[self.i] == "."):
                self.i += 1

    def _word(self, allow_colon: bool) -> tuple[str, bool]:
        """Read a bare word; returns (text, has unescaped wildcard). Escapes are removed
        (an escaped * or ? stays a literal, kept as [*] / [?] for fnmatch)."""
        out = []
        wild = False
        start = self.i
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                nxt = self.s[self.i + 1]
                out.append("[" + nxt + "]" if nxt in "*?[" else nxt)
                self.i += 2
                continue
            if c in _SPECIAL_END or (c == ":" and not allow_colon) or c in "^~":
                break
            if c in "*?":
                wild = True
            out.append(c)
            self.i += 1
        if self.i == start:
            raise QueryError(f"unexpected {self.s[self.i]!r} at position {self.i} "
                             f"in query {self.s!r}")
        self._suffix()
        text = "".join(out)
        if not wild:
            # no wildcard: undo the [x] protection added for escaped characters
            text = re.sub(r"\[([*?\[])\]", r"\1", text)
        return text, wild

    def _quoted(self) -> str:
        self.i += 1  # opening quote
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                out.append(self.s[self.i + 1])
                self.i += 2
                continue
            if c == '"':
                self.i += 1
                self._suffix()
                return "".join(out)
            out.append(c)
            self.i += 1
        raise QueryError(f"unterminated quote in query {self.s!r}")

    def _range(self, field: str | None) -> tuple:
        incl_lo = self.s[self.i] == "["
        self.i += 1
        parts: list[str] = []
        incl_hi = True
        buf: list[str] = []
        while True:
            if self.i >= len(self.s):
                raise QueryError(f"unterminated range in query {self.s!r}")
            c = self.s[self.i]
            if c == '"':
                buf.append(self._quoted())
                continue
            if c == "\\" and self.i + 1 < len(self.s):
                buf.append(self.s[self.i + 1])
                self.i += 2
                continue
            if c in "]}":
                incl_hi = c == "]"
                self.i += 1
                break
            if c.isspace():
                if buf:
                    parts.append("".join(buf))
                    buf = []
                self.i += 1
                continue
            buf.append(c)
            self.i += 1
        if buf:
            parts.append("".join(buf))
        if len(parts) != 3 or parts[1] != "TO":
            raise QueryError(f"range must look like [a TO b] in query {self.s!r}")
        self._suffix()
        lo = None if parts[0] == "*" else parts[0]
        hi = None if parts[2] == "*" else parts[2]
        return ("range", field, lo, hi, incl_lo, incl_hi)


def parse_mm(spec: str | None, n: int) -> int:
    """Solr's mm (minimum should match) for n optional clauses; supports N, -N, N%, -N%
    and conditional 'A<B C<D' forms."""
    if n == 0:
        return 0
    spec = (spec or "100%").strip()

    def one(expr: str) -> int:
        expr = expr.strip()
        if expr.endswith("%"):
            pct = int(expr[:-1])
            k = int(n * abs(pct) / 100)
            return n - k if pct < 0 else k
        k = int(expr)
        return n + k if k < 0 else k

    if "<" in spec:
        result = n  # below the first threshold, all clauses are required
        for cond in spec.split():
            limit, expr = cond.split("<", 1)
            if n > int(limit):
                result = one(expr)
        value = result
    else:
        value = one(spec)
    return max(0, min(n, value))


def parse_dismax(q: str, qf: list[tuple[str, float]], mm: str | None) -> tuple:
    """The (e)dismax 'simple' syntax: words and quoted phrases, +/- prefixes, searched in
    every qf field; optional clauses must match per mm."""
    clauses: list[tuple[str, tuple]] = []
    i = 0
    while i < len(q):
        while i < len(q) and q[i].isspace():
            i += 1
        if i >= len(q):
            break
        occur = SHOULD
        if q[i] in "+-":
            occur = MUST if q[i] == "+" else MUST_NOT
            i += 1
        if i < len(q) and q[i] == '"':
            end = q.find('"', i + 1)
            end = len(q) if end < 0 else end
            value, kind = q[i + 1:end], "phrase"
            i = end + 1
        else:
            start = i
            while i < len(q) and not q[i].isspace():
                i += 1
            value, kind = q[start:i], "term"
            if value in ("AND", "OR", "NOT", "&&", "||"):
                continue
            value = re.sub(r"\\(.)", r"\1", value)
            if "*" in value or "?" in value:
                kind = "wildcard"
        if not value.strip():
            continue
        clauses.append((occur, ("dis", qf, kind, value)))
    optional = sum(1 for occur, _ in clauses if occur == SHOULD)
    required = [c for c in clauses if c[0] != SHOULD]
    if not required and optional == 0:
        return ("bool", [], 0)
    return ("bool", clauses, parse_mm(mm, optional) if optional else 0)


def parse_qf(qf: str | None) -> list[tuple[str, float]]:
    out = []
    for part in (qf or DEFAULT_QF).split():
        name, _, boost = part.partition("^")
        out.append((name, parse_number(boost) or 1.0))
    return out


class Matcher:
    """Evaluates parsed queries against documents; returns a score or None."""

    def __init__(self, default_fields: list[tuple[str, float]]):
        self.default_fields = default_fields

    def score(self, doc: dict[str, Any], node: tuple) -> float | None:
        kind = node[0]
        if kind == "all":
            return 1.0
        if kind == "bool":
            return self._bool(doc, node[1], node[2])
        if kind == "dis":
            _, fields, tkind, value = node
            return self._fields(doc, fields, tkind, value)
        if kind == "term":
            _, field, tkind, value = node
            fields = [(field, 1.0)] if field is not None else self.default_fields
            return self._fields(doc, fields, tkind, value)
        if kind == "range":
            _, field, lo, hi, incl_lo, incl_hi = node
            fields = [(field, 1.0)] if field is not None else self.default_fields
            for name, boost in fields:
                if any(_in_range(v, lo, hi, incl_lo, incl_hi) for v in field_values(doc, name)):
                    return boost
            return None
        raise QueryError(f"unknown query node {kind}")

    def _bool(self, doc: dict[str, Any], clauses: list[tuple[str, tuple]],
              min_should: int) -> float | None:
        total = 0.0
        positive = False
        should_matched = 0
        has_should = False
        for occur, sub in clauses:
            if occur == MUST_NOT:
                if self.score(doc, sub) is not None:
                    return None
                continue
            s = self.score(doc, sub)
            if occur == MUST:
                positive = True
                if s is None:
                    return None
                total += s
            else:
                has_should = True
                if s is not None:
                    should_matched += 1
                    total += s
        if has_should:
            needed = max(min_should, 0 if positive else 1)
            if should_matched < needed:
                return None
        if not positive and not has_should:
            # purely negative query: Solr matches everything not excluded
            return 1.0 if clauses else None
        return total if total > 0 else 1.0

    def _fields(self, doc: dict[str, Any], fields: list[tuple[str, float]], kind: str,
                value: str) -> float | None:
        best = None
        for name, boost in fields:
            if _field_matches(doc, name, kind, value):
                best = boost if best is None else max(best, boost)
        return best


def _field_matches(doc: dict[str, Any], field: str, kind: str, value: str) -> bool:
    if "*" in field:  # e.g. extras_*:value
        names = [n for n in doc if fnmatch.fnmatchcase(n, field)]
        return any(_field_matches(doc, n, kind, value) for n in names)
    values = field_values(doc, field)
    if kind == "exists":
        return any(v != "" for v in values)
    if not is_text_field(field):
        if kind == "wildcard":
            return any(fnmatch.fnmatchcase(v, value) for v in values)
        return value in values
    # analysed ("text") field
    if kind == "wildcard":
        pattern = fold(value)
        return any(fnmatch.fnmatchcase(t, pattern) or fnmatch.fnmatchcase(norm_token(t), pattern)
                   for v in values for t in _WORD_RE.findall(fold(v)))
    wanted = tokens(value)
    if not wanted:
        return False
    if field.endswith("_ngram"):
        needle = fold(value)
        return any(needle in fold(v) for v in values)
    for v in values:
        have = tokens(v)
        if len(wanted) == 1:
            if wanted[0] in have:
                return True
        elif any(have[i:i + len(wanted)] == wanted for i in range(len(have) - len(wanted) + 1)):
            return True
    return False


def _typed(text: str) -> tuple[int, Any]:
    d = parse_date(text)
    if d is not None:
        return (0, d)
    n = parse_number(text)
    if n is not None:
        return (1, n)
    return (2, text)


def _in_range(value: str, lo: str | None, hi: str | None, incl_lo: bool, incl_hi: bool) -> bool:
    tv = _typed(value)
    for bound, incl, is_lo in ((lo, incl_lo, True), (hi, incl_hi, False)):
        if bound is None:
            continue
        tb = _typed(bound)
        if tb[0] != tv[0]:
            # a date bound against a non-date value (or similar): compare as strings
            a, b = value, bound
        else:
            a, b = tv[1], tb[1]
        if is_lo and (a < b or (a == b and not incl)):
            return False
        if not is_lo and (a > b or (a == b and not incl)):
            return False
    return True


def parse_query(q: str, params: dict[str, list[str]], for_filter: bool = False) -> tuple[
        tuple, Matcher]:
    """Parse q (or an fq) according to defType/q.op/df/qf/mm, like Solr's select handler."""
    q = (q or "").strip()
    def_type = "lucene" if for_filter else first(params, "defType", "lucene")
    qf = parse_qf(first(params, "qf"))
    if not q:
        return ("bool", [], 0), Matcher(qf)
    if def_type == "dismax":
        if q in ("*:*", "*"):
            return ("all",), Matcher(qf)
        return parse_dismax(q, qf, first(params, "mm")), Matcher(qf)
    op = first(params, "q.op", "OR")
    if def_type == "edismax":
        return LuceneParser(q, op).parse(), Matcher(qf)
    df = first(params, "df", "text")
    return LuceneParser(q, op).parse(), Matcher([(df, 1.0)])


def first(params: dict[str, list[str]], key: str, default: Any = None) -> Any:
    vals = params.get(key)
    return vals[0] if vals else default


# --------------------------------------------------------------------------- the index


class Core:
    def __init__(self, name: str, docs: list[dict[str, Any]] | None = None):
        self.name = name
        self.docs: dict[str, dict[str, Any]] = {}
        for doc in docs or []:
            self.docs[self.key(doc)] = doc

    @staticmethod
    def key(doc: dict[str, Any]) -> str:
        key = doc.get("index_id", doc.get("id"))
        if key is None:
            raise QueryError("document has neither index_id nor id")
        return str(key[0] if isinstance(key, list) else key)

    def add(self, doc: dict[str, Any]) -> None:
        clean = {k: v for k, v in doc.items() if v is not None}
        for v in clean.values():
            if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in (
                    "set", "add", "remove", "inc", "removeregex", "add-distinct"):
                raise QueryError("atomic updates are not supported by the Solr stand-in")
        self.docs[self.key(clean)] = clean

    def delete_id(self, doc_id: str) -> None:
        self.docs.pop(str(doc_id), None)

    def delete_query(self, q: str) -> int:
        node, matcher = parse_query(q, {}, for_filter=True)
        doomed = [k for k, d in self.docs.items() if matcher.score(d, node) is not None]
        for k in doomed:
            del self.docs[k]
        return len(doomed)

    def select(self, params: dict[str, list[str]]) -> dict[str, Any]:
        started = time.monotonic()
        q = first(params, "q", "*:*")
        node, matcher = parse_query(q, params)
        filters = []
        for fq in params.get("fq", []):
            if fq.strip():
                filters.append(parse_query(fq, params, for_filter=True))
        hits: list[tuple[float, dict[str, Any]]] = []
        for doc in self.docs.values():
            if any(m.score(doc, n) is None for n, m in filters):
                continue
            s = matcher.score(doc, node)
            if s is not None:
                hits.append((s, doc))
        hits = sort_hits(hits, first(params, "sort"))
        start = int(first(params, "start", 0) or 0)
        rows = int(first(params, "rows", 10) or 0)
        page = hits[start:start + rows] if rows >= 0 else hits[start:]
        fl = select_fields(first(params, "fl"))
        body: dict[str, Any] = {
            "responseHeader": {"status": 0, "QTime": 0, "params": flat_params(params)},
            "response": {
                "numFound": len(hits), "start": start, "numFoundExact": True,
                "docs": [project(doc, score, fl) for score, doc in page],
            },
        }
        if str(first(params, "facet", "false")).lower() in ("true", "on", "1"):
            body["facet_counts"] = facet_counts([d for _, d in hits], self.docs.values(), params)
        body["responseHeader"]["QTime"] = int((time.monotonic() - started) * 1000)
        return body


def flat_params(params: dict[str, list[str]]) -> dict[str, Any]:
    return {k: (v[0] if len(v) == 1 else v) for k, v in params.items()}


def sort_hits(hits: list[tuple[float, dict[str, Any]]], sort: str | None) -> list[
        tuple[float, dict[str, Any]]]:
    specs: list[tuple[str, bool]] = []
    for part in (sort or "score desc").split(","):
        part = part.strip()
        if not part:
            continue
        bits = part.split()
        if len(bits) != 2 or bits[1].lower() not in ("asc", "desc"):
            raise QueryError(f"Can't determine a Sort Order (asc or desc) in sort spec '{part}'")
        specs.append((bits[0], bits[1].lower() == "desc"))
    result = list(hits)
    # stable sorts from the last key to the first; missing values always last
    for field, desc in reversed(specs):
        if field == "score":
            result.sort(key=lambda h: h[0], reverse=desc)
            continue
        present = [h for h in result if as_strings(h[1].get(field))]
        missing = [h for h in result if not as_strings(h[1].get(field))]
        typed = [(_typed(as_strings(h[1].get(field))[0]), h) for h in present]
        kinds = {t[0][0] for t in typed}
        if len(kinds) > 1:  # mixed types: compare as strings
            typed = [((2, as_strings(h[1].get(field))[0]), h) for h in present]
        typed.sort(key=lambda t: t[0][1], reverse=desc)
        result = [h for _, h in typed] + missing
    return result


def select_fields(fl: str | None) -> list[str] | None:
    if not fl:
        return None
    names = [f for f in re.split(r"[,\s]+", fl) if f]
    return names or None


def project(doc: dict[str, Any], score: float, fl: list[str] | None) -> dict[str, Any]:
    if fl is None or "*" in fl:
        out = dict(doc)
    else:
        out = {}
        for name in fl:
            if name == "score":
                continue
            if any(c in name for c in "*?"):
                out.update({k: v for k, v in doc.items() if fnmatch.fnmatchcase(k, name)})
            elif name in doc:
                out[name] = doc[name]
    if fl is not None and "score" in fl:
        out["score"] = score
    return out


def facet_counts(matched: list[dict[str, Any]], everything: Any,
                 params: dict[str, list[str]]) -> dict[str, Any]:
    fields: dict[str, list[Any]] = {}
    for field in params.get("facet.field", []):
        if not field or field.startswith("{!"):
            continue

        def opt(name: str, default: Any, field: str = field) -> Any:
            return first(params, f"f.{field}.facet.{name}", first(params, f"facet.{name}", default))

        limit = int(opt("limit", 100))
        mincount = int(opt("mincount", 0))
        order = opt("sort", "count" if limit > 0 else "index")
        counts: dict[str, int] = {}
        for doc in matched:
            for v in set(as_strings(doc.get(field))):
                counts[v] = counts.get(v, 0) + 1
        if mincount <= 0:
            for doc in everything:
                for v in as_strings(doc.get(field)):
                    counts.setdefault(v, 0)
        items = [(v, c) for v, c in counts.items() if c >= mincount]
        if order == "index":
            items.sort(key=lambda vc: vc[0])
        else:
            items.sort(key=lambda vc: (-vc[1], vc[0]))
        if limit >= 0:
            items = items[:limit]
        fields[field] = [x for vc in items for x in vc]
    return {"facet_queries": {}, "facet_fields": fields, "facet_ranges": {},
            "facet_intervals": {}, "facet_heatmaps": {}}


class Store:
    """All cores, a lock, and optional persistence to a JSON file."""

    def __init__(self, data_file: str | None):
        self.lock = threading.RLock()
        self.cores: dict[str, Core] = {}
        self.data_file = data_file
        self.dirty = False
        if data_file and os.path.exists(data_file):
            with open(data_file, encoding="utf-8") as f:
                data = json.load(f)
            for name, docs in data.get("cores", {}).items():
                self.cores[name] = Core(name, docs)
            log.info("loaded %d documents from %s",
                     sum(len(c.docs) for c in self.cores.values()), data_file)

    def core(self, name: str) -> Core:
        with self.lock:
            if name not in self.cores:
                self.cores[name] = Core(name)
            return self.cores[name]

    def save(self) -> None:
        if not self.data_file:
            return
        with self.lock:
            if not self.dirty:
                return
            data = {"cores": {n: list(c.docs.values()) for n, c in self.cores.items()}}
            self.dirty = False
        tmp = self.data_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, self.data_file)

    def saver(self, interval: float = 0.5) -> None:
        while True:
            time.sleep(interval)
            try:
                self.save()
            except OSError:
                log.exception("could not save %s", self.data_file)


def apply_update(core: Core, body: bytes, content_type: str, path_tail: str) -> None:
    text = body.decode("utf-8") if body else ""
    if not text.strip():
        return  # e.g. a commit sent as URL parameters only
    stripped = text.lstrip()
    if "json" in content_type or path_tail.startswith("update/json") or stripped[:1] in "[{":
        apply_json_update(core, text, docs_only=path_tail == "update/json/docs")
    else:
        apply_xml_update(core, text)


def apply_json_update(core: Core, text: str, docs_only: bool = False) -> None:
    try:
        data = json.loads(text, object_pairs_hook=lambda pairs: pairs)
    except ValueError as e:
        raise QueryError(f"invalid JSON update: {e}") from e

    def to_py(value: Any) -> Any:
        if isinstance(value, list) and value and all(
                isinstance(p, tuple) and len(p) == 2 for p in value):
            return {k: to_py(v) for k, v in value}
        if isinstance(value, list):
            return [to_py(v) for v in value]
        return value

    if isinstance(data, list) and not (data and isinstance(data[0], tuple)):
        for doc in data:
            core.add(to_py(doc))
        return
    pairs = data if isinstance(data, list) else []
    if docs_only or not any(k in ("add", "delete", "commit", "optimize", "rollback")
                            for k, _ in pairs):
        core.add(to_py(pairs))
        return
    for cmd, value in pairs:
        value = to_py(value)
        if cmd == "add":
            for item in value if isinstance(value, list) else [value]:
                core.add(item.get("doc", item) if isinstance(item, dict) else item)
        elif cmd == "delete":
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and "query" in item:
                    core.delete_query(item["query"])
                elif isinstance(item, dict) and "id" in item:
                    core.delete_id(item["id"])
                else:
                    core.delete_id(item)
        elif cmd in ("commit", "optimize", "rollback"):
            pass
        else:
            raise QueryError(f"unknown update command {cmd!r}")


def apply_xml_update(core: Core, text: str) -> None:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise QueryError(f"invalid XML update: {e}") from e
    commands = list(root) if root.tag == "update" else [root]
    for cmd in commands:
        if cmd.tag == "add":
            for doc_el in cmd.findall("doc"):
                doc: dict[str, Any] = {}
                for field in doc_el.findall("field"):
                    name, value = field.get("name"), field.text or ""
                    if name in doc:
                        if not isinstance(doc[name], list):
                            doc[name] = [doc[name]]
                        doc[name].append(value)
                    else:
                        doc[name] = value
                core.add(doc)
        elif cmd.tag == "delete":
            for child in cmd:
                if child.tag == "id":
                    core.delete_id(child.text or "")
                elif child.tag == "query":
                    core.delete_query(child.text or "")
        elif cmd.tag in ("commit", "optimize", "rollback"):
            pass
        else:
            raise QueryError(f"unknown update command <{cmd.tag}>")


# --------------------------------------------------------------------------- HTTP


class Handler(BaseHTTPRequestHandler):
    server_version = "solr-standin/1"
    store: Store
    schema_version: str

    def log_message(self, fmt: str, *args: Any) -> None:  # route to logging
        log.info("%s %s", self.address_string(), fmt % args)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else (
            json.dumps(body).encode("utf-8") if content_type == "application/json"
            else str(body).encode("utf-8"))
        self.send_response(status)
        self.send_header("Content-Type", content_type + "; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, msg: str) -> None:
        self._send(status, {"responseHeader": {"status": status, "QTime": 0},
                            "error": {"msg": msg, "code": status}})

    def _dispatch(self, body: bytes) -> None:
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        ctype = (self.headers.get("Content-Type") or "").lower()
        parts = [p for p in url.path.split("/") if p]
        if parts and parts[0] == "solr":
            parts = parts[1:]
        try:
            if not parts:
                self._send(200, "Solr stand-in for tests and demos (not a search engine)\n",
                           "text/plain")
                return
            if parts[0] == "admin":
                self._admin(parts[1:], params)
                return
            core_name, tail = parts[0], "/".join(parts[1:])
            core = self.store.core(core_name)
            if tail in ("select", "query"):
                if body and "application/x-www-form-urlencoded" in ctype:
                    for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                        params.setdefault(k, []).extend(v)
                with self.store.lock:
                    result = core.select(params)
                self._send(200, result)
            elif tail.startswith("update"):
                with self.store.lock:
                    apply_update(core, body, ctype, tail)
                    self.store.dirty = True
                self._send(200, {"responseHeader": {"status": 0, "QTime": 0}})
            elif tail == "admin/ping":
                self._send(200, {"responseHeader": {"status": 0, "QTime": 0}, "status": "OK"})
            elif tail in ("schema", "admin/file") or tail.startswith("schema/"):
                self._schema(tail, params)
            else:
                self._error(404, f"no handler for /{'/'.join(parts)} in the Solr stand-in")
        except QueryError as e:
            self._error(400, str(e))
        except (ValueError, TypeError) as e:
            self._error(400, f"bad request: {e}")
        except Exception as e:  # a stand-in must never hang CKAN: answer 500
            log.exception("error handling %s", self.path)
            self._error(500, f"{type(e).__name__}: {e}")

    def _schema(self, tail: str, params: dict[str, list[str]]) -> None:
        name = f"ckan-{self.schema_version}"
        if first(params, "wt") == "schema.xml" or (
                tail == "admin/file" and first(params, "file") == "schema.xml"):
            xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<schema name="{name}" '
                   'version="1.6">\n  <!-- stub served by the Solr stand-in -->\n'
                   '  <uniqueKey>index_id</uniqueKey>\n</schema>\n')
            self._send(200, xml, "application/xml")
        elif tail == "schema/version":
            self._send(200, {"responseHeader": {"status": 0}, "version": 1.6})
        elif tail == "schema/name":
            self._send(200, {"responseHeader": {"status": 0}, "name": name})
        elif tail == "schema/uniquekey":
            self._send(200, {"responseHeader": {"status": 0}, "uniqueKey": "index_id"})
        else:
            self._send(200, {"responseHeader": {"status": 0}, "schema": {
                "name": name, "version": 1.6, "uniqueKey": "index_id"}})

    def _admin(self, parts: list[str], params: dict[str, list[str]]) -> None:
        if parts[:1] == ["cores"]:
            with self.store.lock:
                status = {n: {"name": n, "index": {"numDocs": len(c.docs)}}
                          for n, c in self.store.cores.items()}
            wanted = first(params, "core")
            if wanted:
                self.store.core(wanted)
                status.setdefault(wanted, {"name": wanted, "index": {"numDocs": 0}})
            self._send(200, {"responseHeader": {"status": 0, "QTime": 0}, "initFailures": {},
                             "status": status})
        elif parts[:1] in (["info"], ["ping"]):
            self._send(200, {"responseHeader": {"status": 0}, "status": "OK",
                             "lucene": {"solr-spec-version": "stand-in"}})
        else:
            self._error(404, "unknown admin handler in the Solr stand-in")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8983, help="port (default 8983)")
    ap.add_argument("--data-file", help="JSON file to load the index from and save it to")
    ap.add_argument("--pid-file", help="write the process id there")
    ap.add_argument("--schema-version", default="2.10",
                    help="CKAN schema version reported by /schema (default 2.10, which "
                         "CKAN 2.10, 2.11 and 2.12 all accept)")
    ap.add_argument("--log-level", default="INFO")
    args = ap.parse_args(argv)

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = Store(args.data_file)
    handler = type("BoundHandler", (Handler,), {"store": store,
                                                "schema_version": args.schema_version})
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(f"{os.getpid()}\n")
    threading.Thread(target=store.saver, daemon=True).start()

    def stop(signum: int, _frame: Any) -> None:
        log.info("signal %d: saving and stopping", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("Solr stand-in (tests and demos only) listening on http://%s:%d/solr/",
             args.host, args.port)
    try:
        server.serve_forever()
    finally:
        store.save()
        server.server_close()
        if args.pid_file:
            with contextlib.suppress(OSError):
                os.unlink(args.pid_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
