"""The build pipeline: validation, data packages, packs and DCAT written into ``dist/``
in one run.  It sits after every stage it calls."""
