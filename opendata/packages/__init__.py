"""Stage 4, packages: Frictionless data packages per dataset, collections (packs) with
their lock, README and licence texts, and the download side (verify, extract, load)."""
