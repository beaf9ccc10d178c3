"""The search index the browser searches: ``assets/search-index.js``.

An inverted index (folded word -> dataset numbers, stored as gaps between them) plus, per
dataset, what a result line shows and what the filters test.  It is a script assigning
one global rather than a JSON file, because browsers refuse ``fetch`` on ``file://``:
the site must search from a folder opened locally too.  Words are accent-folded and
lower-cased, both here and in ``search.js``, so ``epn``, ``EPN`` and ``éPN`` meet; very
common words are left out, which keeps the index small (see benchmarks/site.py).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from opendata.catalog.manifests import Catalog
from opendata.site.model import Summary

WORD = re.compile(r"[a-z0-9]+")
STOP = frozenset({
    "les", "des", "une", "aux", "par", "pour", "sur", "dans", "est", "sont", "avec", "qui",
    "que", "son", "ses", "leur", "leurs", "cette", "ces", "pas", "plus", "ont", "aussi",
    "entre", "the", "and", "for", "with", "are", "from", "this", "that", "its", "not"})


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def words(text: str) -> set[str]:
    return {w for w in WORD.findall(fold(text)) if len(w) >= 2 and w not in STOP}


def _short(summary: str, limit: int = 120) -> str:
    return summary if len(summary) <= limit else summary[:limit].rsplit(" ", 1)[0] + "…"


def build_index(catalog: Catalog, summaries: Iterable[Summary]) -> dict[str, object]:
    docs: list[list[object]] = []
    postings: dict[str, list[int]] = {}
    orgs: list[str] = []
    org_ix: dict[str, int] = {}
    lics: list[str] = []
    lic_ix: dict[str, int] = {}
    for n, s in enumerate(sorted(summaries, key=lambda s: s.title.lower())):
        if s.organization not in org_ix:
            org_ix[s.organization] = len(orgs)
            orgs.append(s.organization)
        if s.licence not in lic_ix:
            lic_ix[s.licence] = len(lics)
            lics.append(s.licence)
        docs.append([s.name, s.title, _short(s.summary), org_ix[s.organization], s.themes,
                     lic_ix[s.licence], s.formats, s.period or ""])
        for w in words(s.text):
            postings.setdefault(w, []).append(n)
    # gaps instead of numbers: [3, 120, 121] -> [3, 117, 1], a third of the index's size
    for docs_of in postings.values():
        for i in range(len(docs_of) - 1, 0, -1):
            docs_of[i] -= docs_of[i - 1]
    org_titles = {k: o.title for k, o in catalog.config.organizations.items()}
    lic_titles = {lic.key: lic.short_title or lic.title for lic in catalog.licences}
    return {"v": 2, "docs": docs, "orgs": [[o, org_titles.get(o, o)] for o in orgs],
            "licences": [[x, lic_titles.get(x, x)] for x in lics],
            "words": dict(sorted(postings.items()))}


def write_search_index(file: Path, catalog: Catalog, summaries: Iterable[Summary]) -> Path:
    file.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(build_index(catalog, summaries), ensure_ascii=False,
                      separators=(",", ":"))
    # inside a script: "</" could close it, and U+2028/9 end JavaScript lines
    data = data.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    file.write_text(f"window.OPENDATA_SEARCH={data};\n", encoding="utf-8")
    return file
