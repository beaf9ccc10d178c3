"""Controlled vocabularies the manifests use, with their EU URIs and labels.

Manifests carry short codes (``TECH``, ``ANNUAL``, ``fr``); DCAT needs the EU
Publications Office URIs, portals need their own ids.  Keeping the tables here, in one
place, means ``validate`` and ``dcat`` can never disagree about what a valid code is.
"""

from __future__ import annotations

EU = "http://publications.europa.eu/resource/authority/"
THEME_SCHEME = EU + "data-theme"
FREQUENCY_SCHEME = EU + "frequency"
LANGUAGE_SCHEME = EU + "language"
FILE_TYPE_SCHEME = EU + "file-type"

#: EU data themes (code -> (English label, French label)).
THEMES: dict[str, tuple[str, str]] = {
    "AGRI": ("Agriculture, fisheries, forestry and food", "Agriculture, pêche, sylviculture et alimentation"),
    "ECON": ("Economy and finance", "Économie et finances"),
    "EDUC": ("Education, culture and sport", "Éducation, culture et sport"),
    "ENER": ("Energy", "Énergie"),
    "ENVI": ("Environment", "Environnement"),
    "GOVE": ("Government and public sector", "Gouvernement et secteur public"),
    "HEAL": ("Health", "Santé"),
    "INTR": ("International issues", "Questions internationales"),
    "JUST": ("Justice, legal system and public safety", "Justice, système juridique et sécurité publique"),
    "REGI": ("Regions and cities", "Régions et villes"),
    "SOCI": ("Population and society", "Population et société"),
    "TECH": ("Science and technology", "Science et technologie"),
    "TRAN": ("Transport", "Transports"),
}

#: EU frequencies (code -> (English label, udata id)).  udata ids are those of udata 17's
#: ``UpdateFrequency`` (checked against a real udata by the integration tests); udata 17
#: has ``never`` and ``other`` of its own (older versions mapped them to ``punctual`` and
#: ``unknown``).
FREQUENCIES: dict[str, tuple[str, str]] = {
    "CONT": ("continuous", "continuous"),
    "UPDATE_CONT": ("continuously updated", "continuous"),
    "HOURLY": ("hourly", "hourly"),
    "DAILY": ("daily", "daily"),
    "DAILY_2": ("twice a day", "semidaily"),
    "WEEKLY": ("weekly", "weekly"),
    "WEEKLY_2": ("twice a week", "semiweekly"),
    "WEEKLY_3": ("three times a week", "threeTimesAWeek"),
    "BIWEEKLY": ("biweekly", "biweekly"),
    "MONTHLY": ("monthly", "monthly"),
    "MONTHLY_2": ("twice a month", "semimonthly"),
    "MONTHLY_3": ("three times a month", "threeTimesAMonth"),
    "BIMONTHLY": ("bimonthly", "bimonthly"),
    "QUARTERLY": ("quarterly", "quarterly"),
    "ANNUAL_3": ("three times a year", "threeTimesAYear"),
    "ANNUAL_2": ("semiannual", "semiannual"),
    "ANNUAL": ("annual", "annual"),
    "BIENNIAL": ("biennial", "biennial"),
    "TRIENNIAL": ("triennial", "triennial"),
    "QUINQUENNIAL": ("quinquennial", "quinquennial"),
    "IRREG": ("irregular", "irregular"),
    "NEVER": ("never", "never"),
    "OTHER": ("other", "other"),
    "UNKNOWN": ("unknown", "unknown"),
}

#: ISO 639-1 code -> (EU language authority code, English label).
LANGUAGES: dict[str, tuple[str, str]] = {
    "fr": ("FRA", "French"),
    "en": ("ENG", "English"),
    "de": ("DEU", "German"),
    "es": ("SPA", "Spanish"),
    "it": ("ITA", "Italian"),
    "nl": ("NLD", "Dutch"),
    "pt": ("POR", "Portuguese"),
    "br": ("BRE", "Breton"),
    "oc": ("OCI", "Occitan"),
    "co": ("COS", "Corsican"),
    "eu": ("EUS", "Basque"),
    "ca": ("CAT", "Catalan"),
    "gsw": ("GSW", "Swiss German; Alemannic; Alsatian"),
}

#: Resource format (lower-case) -> (EU file-type code, IANA media type).
FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV", "text/csv"),
    "tsv": ("TSV", "text/tab-separated-values"),
    "json": ("JSON", "application/json"),
    "geojson": ("GEOJSON", "application/geo+json"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "xls": ("XLS", "application/vnd.ms-excel"),
    "ods": ("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    "pdf": ("PDF", "application/pdf"),
    "xml": ("XML", "application/xml"),
    "zip": ("ZIP", "application/zip"),
    "parquet": ("PARQUET", "application/vnd.apache.parquet"),
    "txt": ("TXT", "text/plain"),
    "md": ("MARKDOWN", "text/markdown"),
    "html": ("HTML", "text/html"),
    "shp": ("SHP", "application/x-shapefile"),
}

#: Administrative levels a manifest may name in ``spatial.level`` and their URI bases
#: (INSEE's geographic identifiers; the code is the INSEE/COG code).
SPATIAL_LEVELS: dict[str, str] = {
    "country": "http://id.insee.fr/geo/pays/",
    "region": "http://id.insee.fr/geo/region/",
    "department": "http://id.insee.fr/geo/departement/",
    "commune": "http://id.insee.fr/geo/commune/",
}

#: formats validated against their Table Schema (a spreadsheet through one sheet)
TABULAR_FORMATS = frozenset({"csv", "tsv", "xlsx", "ods"})
