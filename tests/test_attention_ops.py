"""`eca` and `selective_kernel`: shape rules, parameter and MAC counts agree with the
emitted helper modules run in PyTorch, over odd sizes, strides, paths and groups."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import Tensor, nn

from resgen import ops
from resgen.codegen.emit import templates_dir
from resgen.graph.shapes import ShapeProblem
from resgen.ops.eca import eca_kernel
from resgen.ops.selective_kernel import attention_channels


def helper(template: str, name: str) -> type[nn.Module]:
    """The class a helper template defines, as the emitted file defines it."""
    namespace = {"torch": torch, "nn": nn, "Tensor": Tensor, "math": math}
    exec((templates_dir() / "helpers" / f"{template}.py.j2").read_text(), namespace)
    return namespace[name]


def conv_macs(module: nn.Module, x: Tensor) -> int:
    """Multiply-accumulates of every convolution in `module` on `x` (batch 1)."""
    total = 0

    def count(conv: nn.Module, _: tuple, out: Tensor) -> None:
        nonlocal total
        total += out.numel() * conv.in_channels // conv.groups * math.prod(conv.kernel_size)

    convs = [m for m in module.modules() if isinstance(m, nn.Conv1d | nn.Conv2d)]
    hooks = [conv.register_forward_hook(count) for conv in convs]
    with torch.no_grad():
        module.eval()(x)
    for hook in hooks:
        hook.remove()
    return total


def timm_eca_kernel(channels: int, gamma: float = 2, beta: float = 1) -> int:
    t = int(abs(math.log(channels, 2) + beta) / gamma)  # timm.layers.EcaModule
    return max(t if t % 2 else t + 1, 3)


@pytest.mark.parametrize("channels", [1, 3, 16, 64, 100, 256, 512, 1000, 1024, 2048, 4096])
@pytest.mark.parametrize(("gamma", "beta"), [(2, 1), (1, 0), (3, 2)])
def test_eca_matches_its_module(channels: int, gamma: int, beta: int) -> None:
    op = ops.get("eca")
    kernel = eca_kernel(channels, gamma, beta)
    assert kernel == timm_eca_kernel(channels, gamma, beta)
    args = {"gamma": gamma, "beta": beta, "kernel": kernel}
    shape = op.shape(args, [(channels, 7, 5)])
    assert shape == (channels, 7, 5)
    module = helper("eca", "EfficientChannelAttention")(channels, gamma=gamma, beta=beta)
    x = torch.randn(2, channels, 7, 5)
    assert module(x).shape == x.shape
    assert dict(module.state_dict().items()).keys() == {"conv.weight"}
    assert op.params(args, (channels, 7, 5), shape) == sum(p.numel() for p in module.parameters())
    assert op.macs(args, (channels, 7, 5), shape) == conv_macs(module, x[:1])


def test_eca_refuses_a_flat_input() -> None:
    with pytest.raises(ShapeProblem):
        ops.get("eca").shape({"gamma": 2, "beta": 1, "kernel": 3}, [(64,)])


def sk_args(**given: object) -> dict:
    args = {"out": 8, "kernels": (3, 5), "stride": 1, "dilation": 1, "groups": 1,
            "reduction": 16, "divisor": 8, "keep_3x3": True, "split_input": True}  # fmt: skip
    args.update(given)
    args["attn"] = attention_channels(args["out"], args["reduction"], args["divisor"])
    return args


KEYS = ("size", "stride", "kernels", "keep_3x3", "split_input", "groups", "dilation")
CASES = [
    dict(zip(KEYS, c, strict=True))
    for c in itertools.product(
        [5, 13], [1, 2, 3], [(3, 5), (3, 5, 7)], [True, False], [True, False], [1, 2], [1, 2]
    )
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_selective_kernel_matches_its_module(case: dict) -> None:
    op = ops.get("selective_kernel")
    size, paths = case.pop("size"), len(case["kernels"])
    in_channels, out = 4 * paths, 12
    args = sk_args(out=out, reduction=4, divisor=4, **case)
    args["in"] = in_channels
    in_shape = (in_channels, size, size + 1)
    module = helper("selective_kernel", "SelectiveKernel")(
        in_channels, out, kernels=case["kernels"], stride=case["stride"],
        dilation=case["dilation"], groups=case["groups"], reduction=4, divisor=4,
        keep_3x3=case["keep_3x3"], split_input=case["split_input"],
    )  # fmt: skip
    x = torch.randn(1, *in_shape)
    try:
        expected = tuple(module.eval()(x).shape[1:])
    except RuntimeError:
        with pytest.raises(ShapeProblem):
            op.shape(args, [in_shape])
        return
    shape = op.shape(args, [in_shape])
    assert shape == expected
    assert op.params(args, in_shape, shape) == sum(p.numel() for p in module.parameters())
    assert op.macs(args, in_shape, shape) == conv_macs(module, x)


def test_selective_kernel_state_dict_is_timms() -> None:
    module = helper("selective_kernel", "SelectiveKernel")(64, 64, reduction=8, divisor=16)
    names = [name for name in module.state_dict() if not name.endswith("num_batches_tracked")]
    bn = ["weight", "bias", "running_mean", "running_var"]
    assert names == [
        *(f"paths.{i}.{n}" for i in range(2) for n in ["conv.weight", *(f"bn.{b}" for b in bn)]),
        "attn.fc_reduce.weight", *(f"attn.bn.{b}" for b in bn), "attn.fc_select.weight",
    ]  # fmt: skip
    assert module.attn.fc_reduce.out_channels == 16  # make_divisible(64 / 8, 16)
    assert [p[0].dilation for p in module.paths] == [(1, 1), (2, 2)]  # 5x5 as a dilated 3x3


@pytest.mark.parametrize(
    ("channels", "reduction", "divisor", "expected"),
    [(64, 8, 16, 16), (128, 8, 16, 16), (256, 8, 16, 32), (512, 8, 16, 64), (64, 16, 8, 8),
     (200, 16, 8, 16), (100, 4, 8, 24), (160, 8, 16, 32)],
)  # fmt: skip
def test_attention_channels_follow_timms_make_divisible(
    channels: int, reduction: int, divisor: int, expected: int
) -> None:
    assert attention_channels(channels, reduction, divisor) == expected


def test_selective_kernel_refuses_an_uneven_split_and_bad_groups() -> None:
    op = ops.get("selective_kernel")
    with pytest.raises(ShapeProblem, match="split_input divides the 10 input channels"):
        op.shape(sk_args(kernels=(3, 5, 7)), [(10, 8, 8)])
    with pytest.raises(ShapeProblem, match="groups=3 must divide"):
        op.shape(sk_args(groups=3), [(8, 8, 8)])
    with pytest.raises(ShapeProblem):
        op.shape(sk_args(), [(8,)])
