"""The residual add is in place (as in torchvision) only where autograd allows it."""

from __future__ import annotations

import pytest
import torch

import resgen

SPEC = """\
name: inplace_probe
input: [3, 16, 16]
stem: [{{conv: {{out: 8}}}}, bn, relu]
blocks:
  probe:
    class: ProbeBlock
    main: {main}
    shortcut: B
    post: [act]
stages: [{{blocks: 2, width: 8, block: probe}}, {{blocks: 1, width: 16, stride: 2, block: probe}}]
head: [avgpool, flatten, {{linear: {{out: 10}}}}]
"""
CONV = "{conv: {out: out_channels, kernel: 3, stride: stride}}"


@pytest.mark.parametrize(
    ("main", "in_place"),
    [
        (f"[{CONV}, norm]", True),
        (f"[{CONV}, norm, {{drop_path: {{p: 0.2}}}}]", True),
        (f"[norm, act, {CONV}]", True),  # pre-activation: ends with a conv
        (f"[{CONV}, norm, act]", False),  # ReLU's backward reads its output
        (f"[{CONV}, norm, sigmoid, {{drop_path: {{p: 0.2}}}}]", False),
    ],
    ids=["bn", "bn-droppath", "conv", "relu", "sigmoid-droppath"],
)
def test_in_place_add_only_after_a_fresh_output(main: str, in_place: bool) -> None:
    spec = SPEC.format(main=main)
    source = resgen.generate_code(spec)
    assert ("out += identity" in source) is in_place
    assert ("out = out + identity" in source) is not in_place
    model = resgen.build_model(spec)
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    for mode in (model.train, model.eval):  # in eval, DropPath passes its input through
        mode()
        x.grad = None
        model(x).square().mean().backward()  # raises if an in-place add broke autograd
        assert x.grad is not None and torch.isfinite(x.grad).all()
    with torch.no_grad():
        before = x.detach().clone()
        model(x)
        assert torch.equal(x, before), "the input was modified"
