"""The site's two languages: French first (the catalog's language), English second.

Every visible string of the templates comes from here, so a page never mixes languages
and a translation is one table to review.  Vocabulary labels (themes, frequencies) come
from :mod:`opendata.catalog.vocab`, which already carries both.
"""

from __future__ import annotations

from opendata.catalog.vocab import FREQUENCIES, THEMES

LANGS = ("fr", "en")

#: French labels of the EU frequencies (vocab carries the English ones).
FREQUENCY_FR = {
    "CONT": "en continu", "UPDATE_CONT": "mis à jour en continu", "HOURLY": "toutes les heures",
    "DAILY": "quotidienne", "DAILY_2": "deux fois par jour", "WEEKLY": "hebdomadaire",
    "WEEKLY_2": "deux fois par semaine", "WEEKLY_3": "trois fois par semaine",
    "BIWEEKLY": "toutes les deux semaines", "MONTHLY": "mensuelle",
    "MONTHLY_2": "deux fois par mois", "MONTHLY_3": "trois fois par mois",
    "BIMONTHLY": "tous les deux mois", "QUARTERLY": "trimestrielle",
    "ANNUAL_3": "trois fois par an", "ANNUAL_2": "semestrielle", "ANNUAL": "annuelle",
    "BIENNIAL": "tous les deux ans", "TRIENNIAL": "tous les trois ans",
    "QUINQUENNIAL": "tous les cinq ans", "IRREG": "irrégulière",
    "NEVER": "aucune (instantané ponctuel)", "OTHER": "autre", "UNKNOWN": "inconnue",
}

STRINGS: dict[str, dict[str, str]] = {
    "skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "home": {"fr": "Accueil", "en": "Home"},
    "search": {"fr": "Rechercher", "en": "Search"},
    "search_label": {"fr": "Rechercher un jeu de données", "en": "Search a dataset"},
    "search_hint": {"fr": "La recherche fonctionne dans le navigateur, sans serveur ; sans "
                          "JavaScript, parcourez les listes ci-dessous.",
                    "en": "Search runs in your browser, with no server; without JavaScript, "
                          "browse the lists below."},
    "search_results": {"fr": "Résultats", "en": "Results"},
    "search_none": {"fr": "Aucun jeu de données ne correspond.", "en": "No dataset matches."},
    "search_count": {"fr": "jeu(x) de données trouvé(s)", "en": "dataset(s) found"},
    "noscript": {"fr": "La recherche a besoin de JavaScript. Toutes les listes du site "
                       "fonctionnent sans.",
                 "en": "Search needs JavaScript. Every list of the site works without it."},
    "any": {"fr": "(tous)", "en": "(any)"},
    "all_datasets": {"fr": "Tous les jeux de données", "en": "All datasets"},
    "datasets": {"fr": "Jeux de données", "en": "Datasets"},
    "dataset": {"fr": "Jeu de données", "en": "Dataset"},
    "facets": {"fr": "Explorer par critère", "en": "Browse by facet"},
    "organization": {"fr": "Organisation", "en": "Organisation"},
    "organizations": {"fr": "Organisations", "en": "Organisations"},
    "theme": {"fr": "Thème", "en": "Theme"},
    "keyword": {"fr": "Mot-clé", "en": "Keyword"},
    "licence": {"fr": "Licence", "en": "Licence"},
    "format": {"fr": "Format", "en": "Format"},
    "period": {"fr": "Période", "en": "Period"},
    "newest": {"fr": "Dernières mises à jour", "en": "Latest updates"},
    "packs": {"fr": "Packs de données", "en": "Data packs"},
    "pack": {"fr": "Pack de données", "en": "Data pack"},
    "language": {"fr": "Langue", "en": "Language"},
    "other_lang": {"fr": "English", "en": "Français"},
    "other_lang_label": {"fr": "Read this page in English", "en": "Lire cette page en français"},
    "description": {"fr": "Description", "en": "Description"},
    "about": {"fr": "En bref", "en": "At a glance"},
    "licence_allows": {"fr": "Ce qu'elle permet", "en": "What it allows"},
    "attribution": {"fr": "Citer la source est obligatoire.", "en": "You must credit the source."},
    "share_alike": {"fr": "Partage à l'identique : les bases dérivées restent sous cette licence.",
                    "en": "Share-alike: derived databases stay under this licence."},
    "source": {"fr": "Source", "en": "Source"},
    "cite": {"fr": "Comment citer", "en": "How to cite"},
    "temporal": {"fr": "Période couverte", "en": "Period covered"},
    "spatial": {"fr": "Territoire", "en": "Place"},
    "frequency": {"fr": "Fréquence de mise à jour", "en": "Update frequency"},
    "version": {"fr": "Version", "en": "Version"},
    "history": {"fr": "Historique", "en": "History"},
    "history_none": {"fr": "Pas d'historique git.", "en": "No git history."},
    "date": {"fr": "Date", "en": "Date"},
    "change": {"fr": "Modification", "en": "Change"},
    "dictionary": {"fr": "Dictionnaire des données", "en": "Data dictionary"},
    "field": {"fr": "Champ", "en": "Field"},
    "type": {"fr": "Type", "en": "Type"},
    "constraints": {"fr": "Contraintes", "en": "Constraints"},
    "example": {"fr": "Exemple", "en": "Example"},
    "preview": {"fr": "Aperçu", "en": "Preview"},
    "preview_caption": {"fr": "premières lignes de", "en": "first rows of"},
    "preview_none": {"fr": "Pas d'aperçu : ce fichier n'est pas tabulaire ou n'a pas pu être lu.",
                     "en": "No preview: this file is not tabular or could not be read."},
    "chart": {"fr": "Graphique", "en": "Chart"},
    "downloads": {"fr": "Téléchargements", "en": "Downloads"},
    "file": {"fr": "Fichier", "en": "File"},
    "size": {"fr": "Taille", "en": "Size"},
    "sha256": {"fr": "Empreinte SHA-256", "en": "SHA-256 checksum"},
    "as_exported": {"fr": "tel qu'exporté, non normalisé", "en": "as exported, not normalised"},
    "package_zip": {"fr": "Paquet de données (zip)", "en": "Data package (zip)"},
    "dcat_ttl": {"fr": "Métadonnées DCAT (Turtle)", "en": "DCAT metadata (Turtle)"},
    "dcat_jsonld": {"fr": "Métadonnées DCAT (JSON-LD)", "en": "DCAT metadata (JSON-LD)"},
    "remote": {"fr": "fichier distant", "en": "remote file"},
    "validation": {"fr": "Validation", "en": "Validation"},
    "valid": {"fr": "Valide : schéma et données vérifiés.", "en": "Valid: schema and data checked."},
    "invalid": {"fr": "Invalide", "en": "Invalid"},
    "rows": {"fr": "lignes", "en": "rows"},
    "report": {"fr": "Rapport de validation complet", "en": "Full validation report"},
    "published_on": {"fr": "Publié sur", "en": "Published on"},
    "keywords": {"fr": "Mots-clés", "en": "Keywords"},
    "themes": {"fr": "Thèmes", "en": "Themes"},
    "contact": {"fr": "Contact", "en": "Contact"},
    "rules": {"fr": "Règlement", "en": "Rules"},
    "opens": {"fr": "Ouverture", "en": "Opens"},
    "closes": {"fr": "Clôture", "en": "Closes"},
    "organizer": {"fr": "Organisateur", "en": "Organiser"},
    "contest": {"fr": "Concours", "en": "Contest"},
    "verify": {"fr": "Vérifier le téléchargement", "en": "Verify the download"},
    "page": {"fr": "Page", "en": "Page"},
    "previous": {"fr": "Page précédente", "en": "Previous page"},
    "next": {"fr": "Page suivante", "en": "Next page"},
    "pagination": {"fr": "Pagination", "en": "Pagination"},
    "breadcrumb": {"fr": "Fil d'Ariane", "en": "Breadcrumb"},
    "main_nav": {"fr": "Navigation principale", "en": "Main navigation"},
    "catalog_dcat": {"fr": "Catalogue DCAT-AP", "en": "DCAT-AP catalog"},
    "feed": {"fr": "Flux Atom des mises à jour", "en": "Atom feed of updates"},
    "footer_note": {"fr": "Site généré par opendata depuis le dépôt git du catalogue.",
                    "en": "Site generated by opendata from the catalog's git repository."},
    "all_values": {"fr": "Toutes les valeurs", "en": "All values"},
    "no_tabular": {"fr": "Ce jeu de données n'a pas de ressource tabulaire.",
                   "en": "This dataset has no tabular resource."},
    "modified": {"fr": "Modifié le", "en": "Modified on"},
    "to": {"fr": "au", "en": "to"},
    "from": {"fr": "du", "en": "from"},
    "resource": {"fr": "Ressource", "en": "Resource"},
    "required": {"fr": "obligatoire", "en": "required"},
    "unique": {"fr": "unique", "en": "unique"},
    "count": {"fr": "Nombre", "en": "Count"},
    "value": {"fr": "Valeur", "en": "Value"},
}


def t(key: str, lang: str) -> str:
    """The string ``key`` in ``lang`` (a missing key is a bug: fail loudly in tests)."""
    return STRINGS[key][lang]


def theme_label(code: str, lang: str) -> str:
    labels = THEMES.get(code)
    if not labels:
        return code
    return labels[1] if lang == "fr" else labels[0]


def frequency_label(code: str, lang: str) -> str:
    if lang == "fr":
        return FREQUENCY_FR.get(code, code)
    return FREQUENCIES.get(code, (code,))[0]
