"""Shared fixtures: where the zoo lives and the reference state dicts."""

from __future__ import annotations

import importlib
import json
import os
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
FIXTURES = Path(__file__).parent / "fixtures"


def zoo_specs() -> list[Path]:
    """Every model spec shipped in specs/ (not sweeps)."""
    return sorted(p for p in SPECS.rglob("*.yaml") if "sweeps" not in p.parts)


@cache
def reference_models() -> dict[str, dict]:
    return json.loads((FIXTURES / "reference_state_dicts.json").read_text())["models"]


@pytest.fixture(scope="session")
def references() -> dict[str, dict]:
    return reference_models()


def need(module: str) -> ModuleType:
    """Import a tool some tests need: CI must have it; elsewhere its absence skips."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is required for these tests in CI")
        pytest.skip(f"{module} is not installed")
