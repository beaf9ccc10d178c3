"""Continuous integration helpers: what changed since a git revision, and GitHub output
(annotations, step summaries, plan comments)."""
