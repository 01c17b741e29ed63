"""Res2Net's `hierarchical_split` and ResNeSt's `split_attention`: the emitted modules
against the ops' shape rules and counts, and against the reference forward passes
(timm's Bottle2neck and SplitAttn, restated here: CI has no timm)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

import resgen
from resgen import ops
from resgen.errors import SpecError


def helpers(op: str) -> dict:
    namespace = {"torch": torch, "nn": nn, "Tensor": Tensor}
    exec(ops.get(op).helper_source, namespace)
    return namespace


def conv_macs(module: nn.Module, x: Tensor) -> int:
    """Multiply-accumulates of every Conv2d in `module` on input `x`."""
    total = 0

    def count(conv: nn.Conv2d, _: tuple, out: Tensor) -> None:
        nonlocal total
        total += out[0].numel() * (conv.in_channels // conv.groups) * conv.weight[0, 0].numel()

    hooks = [m.register_forward_hook(count) for m in module.modules() if type(m) is nn.Conv2d]
    with torch.no_grad():
        module(x)
    for hook in hooks:
        hook.remove()
    return total


def randomize(module: nn.Module) -> None:
    torch.manual_seed(0)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if tensor.is_floating_point():
                tensor.copy_(torch.randn_like(tensor) * 0.3 + (1 if "var" in name else 0)).abs_()
    module.eval()


# ---------------------------------------------------------------- hierarchical_split


def timm_res2net_split(x: Tensor, convs, bns, pool, width: int, first: bool) -> Tensor:
    """timm 1.0 Bottle2neck.forward between bn1/relu and conv3."""
    spx = torch.split(x, width, 1)
    spo = []
    sp = spx[0]
    for i, (conv, bn) in enumerate(zip(convs, bns, strict=True)):
        sp = spx[i] if i == 0 or first else sp + spx[i]
        sp = F.relu(bn(conv(sp)))
        spo.append(sp)
    spo.append(pool(spx[-1]) if first else spx[-1])
    return torch.cat(spo, 1)


SPLITS = [  # width, scale, stride, dilation, groups, first, size
    (6, 4, 1, 1, 1, False, 9),
    (6, 4, 1, 1, 1, True, 9),
    (6, 4, 2, 1, 1, True, 9),
    (8, 2, 2, 2, 2, True, 10),
    (4, 3, 1, 2, 4, False, 7),
]


@pytest.mark.parametrize("case", SPLITS, ids=str)
def test_hierarchical_split_matches_timm_and_its_counts(case: tuple) -> None:
    width, scale, stride, dilation, groups, first, size = case
    namespace = helpers("hierarchical_split")
    convs, bns, pool = namespace["res2net_split"](width, scale, stride, dilation, groups, first)
    holder = nn.Module()
    holder.convs, holder.bns, holder.pool = convs, bns, pool
    randomize(holder)
    assert [k.split(".")[0] for k in holder.state_dict()][:1] == ["convs"]
    x = torch.randn(2, width * scale, size, size)
    with torch.no_grad():
        got = namespace["res2net_forward"](x, convs, bns, pool)
        want = timm_res2net_split(x, convs, bns, pool, width, first)
    torch.testing.assert_close(got, want)
    op = ops.get("hierarchical_split")
    args = {"scale": scale, "stride": stride, "dilation": dilation, "groups": groups}
    args |= {"first": first, "width": width}
    in_shape = tuple(x.shape[1:])
    shape = op.shape(args, [in_shape])
    assert shape == tuple(got.shape[1:])
    assert op.params(args, in_shape, shape) == sum(p.numel() for p in holder.parameters())

    class Forward(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            return namespace["res2net_forward"](x, convs, bns, pool)

    forward = Forward()
    forward.holder = holder
    assert op.macs(args, in_shape, shape) == conv_macs(forward, x[:1])


# ---------------------------------------------------------------- split_attention


class TimmSplitAttn(nn.Module):
    """timm 1.0 SplitAttn (norm BatchNorm2d, ReLU, no drop), restated."""

    def __init__(self, cin, cout, stride, dilation, groups, radix, attention) -> None:
        super().__init__()
        self.radix, self.groups = radix, groups
        mid = cout * radix
        self.conv = nn.Conv2d(cin, mid, 3, stride, dilation, dilation, groups * radix, bias=False)
        self.bn0 = nn.BatchNorm2d(mid)
        self.fc1 = nn.Conv2d(cout, attention, 1, groups=groups)
        self.bn1 = nn.BatchNorm2d(attention)
        self.fc2 = nn.Conv2d(attention, mid, 1, groups=groups)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn0(self.conv(x)))
        b, rc, h, w = x.shape
        if self.radix > 1:
            x = x.reshape((b, self.radix, rc // self.radix, h, w))
            x_gap = x.sum(dim=1)
        else:
            x_gap = x
        x_gap = F.relu(self.bn1(self.fc1(x_gap.mean((2, 3), keepdim=True))))
        x_attn = self.fc2(x_gap)
        if self.radix > 1:
            x_attn = x_attn.view(b, self.groups, self.radix, -1).transpose(1, 2)
            x_attn = F.softmax(x_attn, dim=1).reshape(b, -1)
        else:
            x_attn = torch.sigmoid(x_attn)
        x_attn = x_attn.view(b, -1, 1, 1)
        if self.radix > 1:
            return (x * x_attn.reshape((b, self.radix, rc // self.radix, 1, 1))).sum(dim=1)
        return x * x_attn


ATTENTIONS = [  # in, out, stride, dilation, groups, radix, attention (timm's make_divisible)
    (64, 64, 1, 1, 1, 2, 32),
    (128, 128, 2, 1, 1, 2, 64),
    (40, 48, 1, 2, 2, 4, 40),
    (96, 96, 1, 1, 4, 1, 32),
]


@pytest.mark.parametrize("case", ATTENTIONS, ids=str)
def test_split_attention_matches_timm_and_its_counts(case: tuple) -> None:
    cin, cout, stride, dilation, groups, radix, attention = case
    namespace = helpers("split_attention")
    module = namespace["SplitAttention"](
        cin, cout, stride=stride, dilation=dilation, groups=groups, radix=radix
    )
    reference = TimmSplitAttn(cin, cout, stride, dilation, groups, radix, attention)
    layout = [(k, tuple(t.shape)) for k, t in module.state_dict().items()]
    assert layout == [(k, tuple(t.shape)) for k, t in reference.state_dict().items()]
    randomize(module)
    reference.load_state_dict(module.state_dict())
    reference.eval()
    x = torch.randn(2, cin, 9, 9)
    with torch.no_grad():
        got = module(x)
        torch.testing.assert_close(got, reference(x))
    op = ops.get("split_attention")
    args = {"out": cout, "kernel": 3, "stride": stride, "dilation": dilation, "groups": groups}
    args |= {"radix": radix, "reduction": 4, "divisor": 8, "in": cin, "attention": attention}
    assert ops.get("split_attention").resolve is not None
    from resgen.ops.split_attention import attention_channels

    assert attention_channels(cin, radix, 4, 8) == attention
    in_shape = tuple(x.shape[1:])
    shape = op.shape(args, [in_shape])
    assert shape == tuple(got.shape[1:])
    assert op.params(args, in_shape, shape) == sum(p.numel() for p in module.parameters())
    assert op.macs(args, in_shape, shape) == conv_macs(module, x[:1])


# ---------------------------------------------------------------- in specs


SMALL = """
resgen: 1
name: small
input: [3, 32, 32]
stem:
  - conv: {{name: conv1, out: 16, kernel: 3}}
  - bn: {{name: bn1}}
  - relu
defaults: {{block: {block}{knobs}}}
stages:
  - {{blocks: 2, width: 16}}
  - {{blocks: 2, width: 32, stride: 2}}
head: [avgpool, flatten, {{linear: {{name: fc, out: 10}}}}]
"""


@pytest.mark.parametrize("block", ["res2net", "resnest"])
def test_the_block_types_build_run_and_count(block: str) -> None:
    text = SMALL.format(block=block, knobs="")
    net = resgen.checked_network(text)
    model = resgen.build_model(text).eval()
    assert sum(p.numel() for p in model.parameters()) == net.params
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    names = list(model.state_dict())
    expected = "layer1.0.convs.0.weight" if block == "res2net" else "layer1.0.conv2.fc1.bias"
    assert expected in names


@pytest.mark.parametrize("block", ["res2net", "resnest"])
def test_other_activations_are_a_located_error(block: str) -> None:
    with pytest.raises(SpecError, match=r"<spec>:\d+:\d+: .*BatchNorm and ReLU"):
        resgen.checked_network(SMALL.format(block=block, knobs=", activation: silu"))


def test_hierarchical_split_outside_a_block_is_a_located_error() -> None:
    text = SMALL.format(block="res2net", knobs="").replace(
        "  - relu\n", "  - relu\n  - hierarchical_split: {scale: 2}\n", 1
    )
    with pytest.raises(SpecError, match=r"<spec>:9:5: stem\[3\].*only be a layer of a block type"):
        resgen.checked_network(text)
