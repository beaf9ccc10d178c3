"""The human texts inside every package: README (data dictionary, citation) and LICENCE.

Kept apart from the zip code because stewards read and change these words, not the bytes."""

from __future__ import annotations

from typing import Any

from opendata.catalog.manifests import Catalog, Dataset
from opendata.packages.collections import PackManifest


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ").strip()

def _constraints(fld: dict[str, Any]) -> str:
    parts = []
    for key, value in (fld.get("constraints") or {}).items():
        if value is True:
            parts.append({"required": "obligatoire", "unique": "unique"}.get(key, key))
        elif key == "enum":
            parts.append("valeurs : " + ", ".join(str(v) for v in value))
        else:
            parts.append(f"{key} {value}")
    return "; ".join(parts)

def citation(catalog: Catalog, ds: Dataset) -> str:
    """How to cite a dataset: who, what, which version, where, under which licence."""
    org = catalog.config.organizations.get(ds.organization or "")
    who = org.title if org else catalog.config.publisher.get("name", catalog.config.title)
    lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
    text = (f"{who}, « {ds.title} », version {ds.version}, {catalog.config.title}, "
            f"{catalog.config.dataset_uri(ds.name)}")
    if lic:
        text += f", {lic.short_title or lic.title}"
    return text + "."

def dataset_readme(catalog: Catalog, ds: Dataset, descriptor: dict[str, Any]) -> str:
    """README.md of a dataset: what it is, its licence, how to cite it, its fields."""
    lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
    org = catalog.config.organizations.get(ds.organization or "")
    out = [f"# {ds.title}", "", ds.description.strip(), ""]
    facts = [("Identifiant", f"`{ds.name}` — {catalog.config.dataset_uri(ds.name)}"),
             ("Version", ds.version)]
    if org:
        facts.append(("Producteur", org.title))
    if lic:
        facts.append(("Licence", f"[{lic.title}]({lic.url}) (SPDX `{lic.spdx}`), voir LICENCE.md"))
    temporal = ds.get("temporal")
    if isinstance(temporal, dict):
        facts.append(("Période", f"{temporal.get('start', '?')} → {temporal.get('end', '?')}"))
    source = ds.get("source")
    if isinstance(source, dict) and source.get("title"):
        src = str(source["title"]) + (f" — {source['section']}" if source.get("section") else "")
        facts.append(("Source", f"[{src}]({source['url']})" if source.get("url") else src))
    contact = ds.get("contact")
    if isinstance(contact, dict):
        facts.append(("Contact", " — ".join(str(contact[k]) for k in ("name", "email", "url")
                                          if contact.get(k))))
    if ds.keywords:
        facts.append(("Mots-clés", ", ".join(ds.keywords)))
    out += [f"- **{k}** : {v}" for k, v in facts]
    out += ["", "## Citer ce jeu de données", "", citation(catalog, ds), ""]
    if lic and lic.attribution:
        out += ["La licence demande de mentionner la source : reprenez cette citation dans "
                "votre application (page « À propos » ou mentions légales).", ""]
    out += ["## Ressources", ""]
    for res_desc, res in zip(descriptor.get("resources", []), ds.resources, strict=False):
        out += [f"### {res.title} (`{res_desc['name']}`)", ""]
        if res.description:
            out += [res.description.strip(), ""]
        where = res_desc.get("path")
        line = f"- Fichier : `{where}` ({str(res_desc.get('format', res.format)).upper()}"
        if "bytes" in res_desc:
            line += f", {res_desc['bytes']} octets"
        out.append(line + ")")
        if res.is_tabular and res_desc.get("format") in ("csv", "tsv"):
            dialect = res.dialect
            out.append(f"- Séparateur `{dialect.get('delimiter', ',')}`, encodage "
                       f"`{res_desc.get('encoding', 'utf-8')}`"
                       + (f", virgule décimale `{dialect['decimalChar']}`"
                          if "decimalChar" in dialect else ""))
        if "hash" in res_desc:
            out.append(f"- SHA-256 : `{res_desc['hash'].removeprefix('sha256:')}`")
        schema = res_desc.get("schema")
        if schema and schema.get("fields"):
            out += ["", "| champ | type | format | description | contraintes |",
                    "|---|---|---|---|---|"]
            for fld in schema["fields"]:
                desc = fld.get("description") or fld.get("title") or ""
                fmt = fld.get("format", "")
                if fld.get("decimalChar"):
                    fmt = (fmt + " " if fmt else "") + f"décimale `{fld['decimalChar']}`"
                out.append("| " + " | ".join(_md_cell(v) for v in (
                    f"`{fld.get('name', '')}`", fld.get("type", "string"), fmt, desc,
                    _constraints(fld))) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"

def licence_text(catalog: Catalog, ds: Dataset) -> str:
    """LICENCE.md: what the registry knows about the licence, and where its full text is.

    The build runs offline, so the full legal text is not fetched; the official URL is the
    reference and is always given.
    """
    if ds.licence not in catalog.licences:
        return f"# Licence\n\nLicence déclarée : `{ds.licence}` (inconnue du registre).\n"
    lic = catalog.licences.get(ds.licence or "")
    out = [f"# {lic.title}", "", f"Jeu de données : {ds.title} (`{ds.name}`)", ""]
    if lic.summary:
        out += [lic.summary.strip(), ""]
    out += [f"- Identifiant SPDX : `{lic.spdx}`",
            f"- Texte officiel : {lic.url}"]
    if lic.text_url:
        out.append(f"- Texte intégral (document) : {lic.text_url}")
    out.append(f"- Attribution requise : {'oui' if lic.attribution else 'non'}")
    out.append(f"- Partage à l'identique : {'oui' if lic.share_alike else 'non'}")
    out += ["", "Ce fichier résume la licence ; seul le texte officiel, à l'adresse ci-dessus, "
            "fait foi.", "", "## Mention de la source", "", citation(catalog, ds)]
    return "\n".join(out) + "\n"

def _pack_readme(catalog: Catalog, pack: PackManifest, datasets: list[Dataset],
                 lock: dict[str, Any]) -> str:
    out = [f"# {pack.title}", "", f"Version {pack.version} — {catalog.config.title}", "",
           pack.description.strip(), ""]
    contest = pack.contest
    if contest:
        out += ["## Le concours", ""]
        labels = [("title", "Concours"), ("organizer", "Organisateur"),
                  ("opens", "Ouverture"), ("closes", "Clôture des candidatures"),
                  ("rules_url", "Règlement"), ("contact", "Contact")]
        out += [f"- **{label}** : {contest[k]}" for k, label in labels if contest.get(k)]
        out.append("")
    out += ["## Jeux de données", "",
            "| jeu de données | version | licence | ressources |", "|---|---|---|---|"]
    for ds in datasets:
        lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
        res = ", ".join(f"`{ds.name}/{r.path}`" if r.path else r.url or r.name
                        for r in ds.resources)
        out.append(f"| [{_md_cell(ds.title)}]({ds.name}/README.md) | {ds.version} | "
                   f"{_md_cell(lic.short_title or lic.title) if lic else ds.licence} | {res} |")
    out += ["", "Chaque dossier contient le README du jeu de données (champs, licence, "
            "comment le citer), sa licence (LICENCE.md) et son propre `datapackage.json`.", "",
            "## Vérifier et charger", "",
            "`pack.lock.json` donne l'empreinte SHA-256 et la taille de chaque fichier du "
            "paquet ; `validation-report.json` le rapport de validation des données.", "",
            "```sh", f"opendata download {pack.zip_name}      # vérifie, extrait, revalide",
            f"frictionless validate {pack.name}-{pack.version}/datapackage.json", "```", "",
            "```python", "import opendata", f'pack = opendata.load_pack("{pack.zip_name}")',
            "pack.frames  # un DataFrame pandas par ressource tabulaire, types déclarés appliqués",
            "```", ""]
    commit = lock["catalog"].get("commit")
    if commit:
        out += [f"Construit depuis le commit `{commit}` du catalogue.", ""]
    return "\n".join(out)
