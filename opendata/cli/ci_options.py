"""Options shared by the commands CI runs (``--changed-since``), defined once so that
validate, plan, publish and pack say the same thing."""

from __future__ import annotations

import click

changed_since_option = click.option(
    "--changed-since", "changed_since", metavar="REV", default=None,
    help="Only the datasets changed since git revision REV (committed on this branch since "
         "it left REV, plus uncommitted and untracked files); all of them when opendata.yaml, "
         "licences/ or validation/ changed. E.g. origin/main.")

__all__ = ["changed_since_option"]
