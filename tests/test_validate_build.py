"""What `validate` accepts, `build` builds: both run the one checked graph, and code
generation after it either gives a module that compiles and runs or is a bug in resgen
(`InternalError`, exit code 3), never a user's error found late."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

import resgen
from resgen import cli
from resgen.codegen import emit
from resgen.errors import InternalError, SpecError
from tests.conftest import ROOT, zoo_specs

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOC_EXAMPLES = [
    block
    for doc in DOCS
    for block in re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    if "stages:" in block and "name:" in block
]


def accepts(command: Callable[[Any], object], spec: object) -> bool:
    """Whether `command` takes `spec` without a SpecError (a bug raises anything else)."""
    try:
        command(spec)
    except SpecError:
        return False
    return True


def validates(spec: object) -> bool:
    return accepts(resgen.build_graph, spec)


def builds(spec: object) -> bool:
    """`build` without writing: generate (which compiles the source)."""
    return accepts(resgen.generate_code, spec)


@pytest.mark.parametrize(
    "spec",
    [*zoo_specs(), *DOC_EXAMPLES],
    ids=[*(p.stem for p in zoo_specs()), *(f"doc{i}" for i in range(len(DOC_EXAMPLES)))],
)
def test_validate_ok_iff_build_ok(spec: object) -> None:
    assert validates(spec) == builds(spec)


def test_the_zoo_and_the_docs_examples_are_valid() -> None:
    assert len(DOC_EXAMPLES) >= 3
    assert all(map(validates, [*zoo_specs(), *DOC_EXAMPLES]))


def tiny(stages: str, blocks: str = "", defaults: str = "shortcut: B") -> str:
    return (
        f"name: tiny\ninput: [3, 16, 16]\nstem: [{{conv: {{out: 8}}}}, bn, relu]\n"
        f"{blocks}defaults: {{{defaults}}}\nstages:\n{stages}"
        "head: [avgpool, flatten, {linear: {out: 5}}]\n"
    )


def runs(text: str) -> str:
    """The module's source, after checking the module's count and output against the graph."""
    graph = resgen.build_graph(text)
    model = resgen.build_model(text)
    assert sum(p.numel() for p in model.parameters()) == graph.graph["params"]
    model.train()
    model(torch.randn(2, 3, 16, 16)).sum().backward()
    return resgen.generate_code(text)


def two_stages(first: str, second: str) -> str:
    return (
        f"  - {{block: basic, blocks: 2, width: 8{first}}}\n"
        f"  - {{block: basic, blocks: 2, width: 16, stride: 2{second}}}\n"
    )


@pytest.mark.parametrize(
    ("first", "second", "classes", "expected"),
    [
        ("", ", activation: silu", ["BasicBlock", "BasicBlockSiLU"], "nn.SiLU"),
        ("", ", se: 4", ["BasicBlock", "BasicBlockSE"], "SqueezeExcite(16, reduction=4)"),
        ("", ", norm: group, norm_groups: 4", ["BasicBlock", "BasicBlockGN"], "nn.GroupNorm(4"),
        ("", ", norm: none", ["BasicBlock", "BasicBlockNoNorm"], "class BasicBlockNoNorm"),
        ("", ", zero_init: true", ["BasicBlock", "BasicBlockZeroInit"], "BasicBlockZeroInit):"),
    ],
    ids=["activation", "se", "group_norm", "no_norm", "zero_init"],
)
def test_a_block_type_with_other_knobs_per_stage_is_another_class(
    first: str, second: str, classes: list[str], expected: str
) -> None:
    """Was: one class for all stages, so the later stages silently got the first's layers."""
    source = runs(tiny(two_stages(first, second)))
    assert re.findall(r"^class (\w*Block\w*)\(", source, re.M) == classes
    assert expected in source


def test_block_types_differing_only_in_params_share_a_class() -> None:
    """`grouped` is `bottleneck` with other defaults: one `Bottleneck`, as in torchvision."""
    stages = (
        "  - {block: bottleneck, blocks: 1, width: 8}\n"
        "  - {block: grouped, blocks: 1, width: 16, stride: 2, args: {groups: 2}}\n"
    )
    source = runs(tiny(stages))
    assert re.findall(r"^class (\w+)\(", source, re.M)[-2:] == ["Bottleneck", "Tiny"]
    assert "groups: int" in source


def test_a_sequential_layer_inside_a_block_is_built() -> None:
    """Was: `validate` ok, then `build` crashed with KeyError 'sequential'."""
    blocks = """\
blocks:
  seq:
    class: SeqBlock
    main:
      - sequential: {name: pre, layers: [relu, bn]}
      - conv: {out: width, stride: stride}
      - sequential: {name: tail, layers: [bn, relu, {conv: {out: width}}]}
    shortcut_from: 0
"""
    stages = "  - {blocks: 2, width: 8}\n  - {blocks: 2, width: 16, stride: 2}\n"
    source = runs(tiny(stages, blocks, "block: seq, shortcut: B"))
    assert "self.pre = nn.Sequential(\n            nn.ReLU(),\n" in source  # reads x: not in place
    assert "nn.ReLU(inplace=True)" in source  # inside `tail`: it does not read x
    assert "identity = self.downsample(out)" in source  # the projection taps `pre`


def test_a_pool_stride_that_follows_a_varying_kernel() -> None:
    """Was: an ExpressionError traceback (the stride's source was None)."""
    blocks = """\
blocks:
  pooled:
    params: {k: 1}
    main: [{conv: {out: width}}, bn, {maxpool: {kernel: k}}]
    out: width
"""
    stages = "  - {blocks: 1, width: 8}\n  - {blocks: 1, width: 8, args: {k: 2}}\n"
    assert "nn.MaxPool2d(kernel_size=k)" in runs(tiny(stages, blocks, "block: pooled"))


def test_a_bug_in_code_generation_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emit, "_generate", lambda net: "class Broken(:\n")
    with pytest.raises(InternalError, match=r"does not compile \(line 1: "):
        resgen.generate_code(ROOT / "specs" / "cifar10" / "resnet20_a.yaml")
    monkeypatch.setattr(emit, "_generate", lambda net: {}["missing"])
    with pytest.raises(InternalError, match="KeyError"):
        resgen.generate_code(ROOT / "specs" / "cifar10" / "resnet20_a.yaml")


def test_the_cli_reports_an_internal_error_in_one_line_with_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(emit, "_generate", lambda net: "class Broken(:\n")
    spec = ROOT / "specs" / "cifar10" / "resnet20_a.yaml"
    monkeypatch.setattr(sys, "argv", ["resgen", "build", str(spec), "-o", str(tmp_path)])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 3
    err = capsys.readouterr().err
    assert err.startswith("error: internal error: the code generated for 'cifar_resnet20_a'")
    assert err.count("\n") == 2 and "hint: this is a bug in resgen" in err
    assert "Traceback" not in err and not list(tmp_path.iterdir())


def test_a_spec_error_still_exits_2_through_main(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninput: [3, 8, 8]\nstages: [{blocks: 0, width: 4, block: basic}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "resgen", "build", str(bad), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


def test_an_automatic_name_skips_a_name_already_taken() -> None:
    """Found by the fuzzer: a stage named `avgpool` and an unnamed head `avgpool` were one
    attribute (`self.avgpool`), so the module had fewer parameters than the analysis."""
    stages = "  - {name: avgpool, block: basic, blocks: 1, width: 8}\n"
    source = runs(tiny(stages).replace("head: [avgpool,", "head: [avgpool, avgpool,"))
    assert "self.avgpool2 = nn.AdaptiveAvgPool2d(1)" in source
    assert "self.avgpool3 = nn.AdaptiveAvgPool2d(1)" in source
