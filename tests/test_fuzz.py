"""Fuzzing the front end: mutated zoo specs and sweep files end in one of two ways.

Either the spec builds, its emitted code compiles, and (when the network is
small) the module's parameter count equals the analysis and a forward pass
gives the analysed shape; or `SpecError` with a located message
(`file:line:col: ...`). Anything else (another exception, an internal error,
an unlocated or flooding message) is a bug. The everyday suite runs a small
fixed budget with a fixed seed; the `slow` one a large budget.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resgen.api import checked_network
from resgen.codegen.emit import generate
from resgen.errors import SpecError
from resgen.pipeline import BuildOptions
from resgen.variants.build import build_variant
from resgen.variants.sweep import load_sweep
from tests.conftest import SPECS, zoo_specs
from tests.fuzz_mutations import mutate

SWEEPS = sorted((SPECS / "sweeps").glob("*.yaml"))
LOCATED = re.compile(r"^.+?:\d+:\d+: \S")
MAX_LINE = 500  # characters in one line of a message
MAX_LINES = 16  # up to 8 errors, each with a hint
SMALL = 5_000_000  # instantiate when parameters and activations are below this
CHEAP = 50_000_000  # and run a forward pass when the MACs are below this

EVERYDAY = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SLOW = settings(EVERYDAY, max_examples=1000)


@cache
def zoo_data() -> list[tuple[str, Any]]:
    return [(p.stem, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in zoo_specs()]


@cache
def sweep_data() -> list[tuple[str, Any]]:
    """The shipped sweeps, their `base` made absolute so that they can be written anywhere."""
    sweeps = []
    for path in SWEEPS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["base"] = str((path.parent / data["base"]).resolve())
        sweeps.append((path.stem, data))
    return sweeps


def assert_located(error: SpecError, text: str) -> None:
    message = str(error)
    lines = message.splitlines()
    assert 1 <= len(lines) <= MAX_LINES, f"{len(lines)} lines:\n{message[:3000]}\n---\n{text}"
    for line in lines:
        assert len(line) <= MAX_LINE, f"a line of {len(line)} characters:\n{line[:1000]}"
        assert LOCATED.match(line) or line.startswith("  hint: "), f"not located:\n{message}"
    assert "Traceback" not in message


def assert_builds(network: Any, source: str) -> None:
    """Small networks: the module's parameter count and output shape equal the analysis."""
    if network.params >= SMALL or network.activations >= SMALL:
        return
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{network.name}>", "exec"), namespace)
    model = namespace["build"]().eval()
    assert sum(p.numel() for p in model.parameters()) == network.params
    if network.macs < CHEAP:
        with torch.no_grad():
            output = model(torch.zeros(1, *network.input))
        assert tuple(output.shape[1:]) == network.output


def check_spec(text: str) -> bool:
    """The property for one spec text; True if it built."""
    try:
        network = checked_network(text)
    except SpecError as error:
        assert_located(error, text)
        return False
    source = generate(network)  # compiles it, or InternalError
    assert_builds(network, source)
    return True


def check_sweep(text: str) -> None:
    """The property for one sweep file: located errors, or variants that build."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            sweep = load_sweep(path)
        except SpecError as error:
            assert_located(error, text)
            return
        for variant in sweep.variants[:2]:
            result = build_variant(sweep.base, variant, BuildOptions())
            if result.error:
                assert_located(SpecError(result.error), text)
            else:
                compile(result.code, result.name, "exec")


def spec_text(rng: random.Random, mutations: int) -> str:
    _, data = rng.choice(zoo_data())
    return mutate(data, rng, mutations)


def sweep_text(rng: random.Random, mutations: int) -> str:
    _, data = rng.choice(sweep_data())
    return mutate(data, rng, mutations)


RANDOMS = st.randoms(use_true_random=False)
COUNTS = st.integers(min_value=1, max_value=3)


@EVERYDAY
@given(RANDOMS, COUNTS)
def test_mutated_specs(rng: random.Random, count: int) -> None:
    check_spec(spec_text(rng, count))


@EVERYDAY
@given(RANDOMS, COUNTS)
def test_mutated_sweeps(rng: random.Random, count: int) -> None:
    check_sweep(sweep_text(rng, count))


@pytest.mark.slow
@SLOW
@given(RANDOMS, COUNTS)
def test_mutated_specs_at_length(rng: random.Random, count: int) -> None:
    check_spec(spec_text(rng, count))


@pytest.mark.slow
@SLOW
@given(RANDOMS, COUNTS)
def test_mutated_sweeps_at_length(rng: random.Random, count: int) -> None:
    check_sweep(sweep_text(rng, count))


def test_the_mutations_break_some_specs_and_keep_others() -> None:
    """The fuzzer is worth its time: it reaches both outcomes."""
    rng = random.Random(0)
    outcomes = {check_spec(spec_text(rng, 1)) for _ in range(40)}
    assert outcomes == {True, False}


def test_broken_specs_through_the_cli(tmp_path: Path) -> None:
    """A few mutated specs that fail: `resgen build` exits 2, one located message, no file."""
    rng, broken = random.Random(1), []
    while len(broken) < 4:
        text = spec_text(rng, 2)
        if not check_spec(text):
            path = tmp_path / f"broken{len(broken)}.yaml"
            path.write_text(text, encoding="utf-8")
            broken.append(path)
    for path in broken:
        out = tmp_path / f"{path.stem}_out"
        result = subprocess.run(
            [sys.executable, "-m", "resgen", "build", str(path), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr and result.stderr.startswith(f"error: {path}:")
        assert not out.exists()
