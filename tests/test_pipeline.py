"""One build (`resgen.pipeline.build`) behind `resgen build`, sweeps, training and the API;
a failed `--check` reads the same wherever it is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import resgen
from resgen.cli import app
from resgen.codegen import emit
from resgen.errors import SpecError
from resgen.pipeline import BuildOptions, build, checked_network
from resgen.variants.build import build_variant
from resgen.variants.sweep import load_sweep
from tests.conftest import SPECS

RESNET20 = SPECS / "cifar10" / "resnet20_a.yaml"
SMALL = ("params.n=1",)  # resnet8: quick to instantiate
# Appended to the emitted source: `build()` returns a module with 2 parameters
# (a 1×1 linear layer) the analysis does not know of, or one that raises.
EXTRA_PARAMETERS = """
_build = build
def build():
    module = _build()
    module.extra = nn.Linear(1, 1)
    return module
"""
RAISES = """
def build():
    raise RuntimeError("boom")
"""


def test_build_gives_the_graph_totals_and_the_code_the_api_gives() -> None:
    built = build(RESNET20, BuildOptions(sets=SMALL))
    network = checked_network(RESNET20, SMALL)
    assert (built.params, built.macs, built.activations) == tuple(
        getattr(network, key) for key in ("params", "macs", "activations")
    )
    assert built.spec.params["n"] == 1 and built.network.name == "cifar_resnet20_a"
    assert built.code == resgen.generate_code(built.spec)
    assert built.check is None and built.diagrams == {}
    assert built.params < build(RESNET20).params  # the edit applied


def test_check_and_diagrams() -> None:
    built = build(RESNET20, BuildOptions(check=True, diagrams=("dot", "html"), sets=SMALL))
    assert built.check is not None and built.check.ok and built.check.failure == ""
    assert built.check.module_params == built.params
    assert list(built.diagrams) == ["cifar_resnet20_a.dot", "cifar_resnet20_a.html"]


def test_a_bad_set_is_located_at_the_argument() -> None:
    with pytest.raises(SpecError, match=r"^--set defaults\.shortcut=Z: expected .*, got 'Z'$"):
        build(RESNET20, BuildOptions(sets=("defaults.shortcut=Z",)))


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """Make the emitted module disagree with the analysis; the failure message expected."""
    generate = emit.generate
    tail = request.param
    monkeypatch.setattr(emit, "generate", lambda *args: generate(*args) + tail)
    if tail == RAISES:
        return "check failed: the module raised RuntimeError: boom"
    return (
        "check failed: output (10,) (expected (10,)), "
        "75,292 parameters in the module vs 75,290 counted"
    )


@pytest.mark.parametrize("broken", [EXTRA_PARAMETERS, RAISES], indirect=True)
def test_a_failed_check_is_reported_and_nothing_is_drawn(broken: str) -> None:
    built = build(RESNET20, BuildOptions(check=True, diagrams=("dot",), sets=SMALL))
    assert built.check is not None and not built.check.ok
    assert built.check.failure == broken
    assert built.diagrams == {}


@pytest.mark.parametrize("broken", [EXTRA_PARAMETERS, RAISES], indirect=True)
def test_the_cli_and_a_sweep_report_a_failed_check_alike(broken: str, tmp_path: Path) -> None:
    args = ["build", str(RESNET20), "-o", str(tmp_path), "--check", "--set", SMALL[0]]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == f"error: {RESNET20}: {broken}\n"
    assert not list(tmp_path.iterdir())  # nothing written

    sweep_path = tmp_path / "sweep.yaml"
    sweep_path.write_text(f"resgen: 1\nsweep: s\nbase: {RESNET20}\ngrid:\n  params.n: [1]\n")
    sweep = load_sweep(sweep_path)
    variant = build_variant(sweep.base, sweep.variants[0], BuildOptions(check=True))
    assert variant.error == broken
    assert variant.params == 75_290  # a failed check still reports the counts
