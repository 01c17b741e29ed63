"""Variants for ablation studies: `--set` overrides, sweeps, comparison tables, diffs.

Every variant is the base spec's parsed YAML with overrides applied before
schema validation, so the loader's checks and messages apply unchanged; an
error inside an overridden value points at the `--set` argument or the sweep
file line that wrote it.
"""
