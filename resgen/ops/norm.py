"""Normalisation over channels: batch norm (`bn`), group norm (`gn`), and `norm`,
which becomes whichever the spec's `norm:` knob chooses (or nothing)."""

from collections.abc import Mapping
from typing import Any

from resgen.ops.base import ArgWriter, Layer, OpDef, Resolver, Shape, ShapeProblem, spatial
from resgen.spec.fields import IntExpr, LayerName, StrictModel

NORMS = {"batch": "bn", "group": "gn", "none": None}  # the `norm:` knob's choices


class NormArgs(StrictModel):
    """Normalization over channels (batch norm for `bn`, the spec's choice for `norm`)."""

    name: LayerName | None = None


class GroupNormArgs(StrictModel):
    """Group normalization; `groups` must divide the channels."""

    groups: IntExpr = 32
    name: LayerName | None = None


class _ChannelNorm(OpDef):
    normalization = True
    fresh_output = True

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        spatial(inputs[0], self.name)
        return inputs[0]

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return 2 * shape[0]  # a scale and a shift per channel

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        written = super().write_args(layer, writer, channels)
        return {**written, "channels": writer.code(list(layer.in_channels), channels)}


class BatchNorm(_ChannelNorm):
    name = "bn"
    attribute = "bn"
    args = NormArgs
    color = "#f5d28a"  # Okabe-Ito orange, tinted

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        return f"nn.BatchNorm2d({args['channels']})"


class GroupNorm(_ChannelNorm):
    name = "gn"
    attribute = "gn"
    args = GroupNormArgs

    def resolve(self, raw: Any, at: Resolver) -> dict[str, Any]:
        groups = getattr(raw, "groups", None)
        if groups is None:  # a `norm` layer under `norm: group`
            groups = at.setting("norm_groups", 32)
        return {"groups": at.value(groups, what="norm groups: ")}

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        channels = spatial(inputs[0], self.name)[0]
        if channels % args["groups"]:
            raise ShapeProblem(
                f"group norm with {args['groups']} groups cannot split {channels} channels; "
                "set `norm_groups` to a divisor"
            )
        return inputs[0]

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        source = getattr(layer.raw, "groups", None) or "norm_groups"
        groups = writer.code([args["groups"] for args in layer.args], source)
        return {"groups": groups, "channels": writer.code(list(layer.in_channels), channels)}

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        return f"nn.GroupNorm({args['groups']}, {args['channels']})"


class Norm(OpDef):
    """`norm`: a placeholder the expander replaces by `bn`, `gn` or nothing."""

    name = "norm"
    args = NormArgs

    def concrete(self, at: Resolver) -> str | None:
        return NORMS[at.setting("norm", "batch")]


OPS = [BatchNorm(), GroupNorm(), Norm()]
