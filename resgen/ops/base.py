"""What resgen knows about one op, in one place: `OpDef`.

An op definition holds the op's argument schema (the keys a spec may write),
how those arguments resolve to values, its shape rule, its parameter and MAC
counts, how PyTorch writes it, and how diagrams show it. Every built-in op is
one module in this package; a user's op is one class in their own file
(docs/ops.md shows a worked example).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from resgen.graph.shapes import Shape, ShapeProblem, format_shape, spatial

if TYPE_CHECKING:
    from resgen.spec.fields import StrictModel

__all__ = ["ArgWriter", "OpDef", "Resolver", "Shape", "ShapeProblem", "format_shape", "spatial"]


class Resolver(Protocol):
    """What an op may ask while it resolves its arguments (given by the expander)."""

    in_shape: Shape  # the op's input

    def number(self, key: str, minimum: int = 1) -> int:
        """The whole number the spec wrote (or an expression evaluated) for `key`."""

    def value(
        self, raw: Any, key: str = "", *, minimum: int = 1, what: str = "", integer: bool = True
    ) -> Any:
        """`raw` (a number or an expression) evaluated; checked as a whole number >= minimum
        unless `integer` is false. Errors point at `key` of this layer ("": the layer)."""

    def setting(self, knob: str, default: Any) -> Any:
        """A stage or `defaults` knob (`norm_groups`, `activation`, ...)."""

    def error(self, key: str, message: str, hint: str = "") -> Exception:
        """A located error at `key` of this layer, to raise."""


class ArgWriter(Protocol):
    """How codegen turns one argument into source, across a block class's instances."""

    def code(self, values: list[Any], source: Any) -> str:
        """A literal if every instance has the same value, else `source` as an expression."""


@dataclass(frozen=True)
class Layer:
    """One op as codegen sees it across instances: the values and the spec's layer."""

    args: Sequence[Mapping[str, Any]]  # resolved arguments, one per instance
    in_channels: Sequence[int]
    raw: Any  # the spec's arguments (expressions unevaluated)


class OpDef:
    """One op. Subclasses set `name` and override what differs from the defaults.

    The defaults describe a shape-preserving op with no parameters, no arguments
    and a module `self.<attr>(x)` in the emitted code.
    """

    name: ClassVar[str] = ""
    # the spec's keys for this op; None: the op is made by resgen, never written in a spec
    args: ClassVar[type[StrictModel] | None] = None
    color: ClassVar[str | None] = None  # fill colour in diagrams (else one from its name)
    # the key of `resgen.spec.names.HELPERS` whose definition the emitted file needs
    helper: ClassVar[str | None] = None
    # the output is a new tensor autograd does not keep: `out += identity` may follow
    fresh_output: ClassVar[bool] = False
    pass_through: ClassVar[bool] = False  # may return its input unchanged (eval mode)
    activation: ClassVar[bool] = False  # an activation: `act` layers may become it
    shared: ClassVar[bool] = False  # unnamed instances in one module share one attribute
    # an unnamed layer's attribute: `attribute` numbered from 1 (conv1, fc1), or, when
    # None, the op's name numbered from the second (avgpool, avgpool2)
    attribute: ClassVar[str | None] = None
    weighted: ClassVar[bool] = False  # counts toward a network's depth (conv, linear)
    normalization: ClassVar[bool] = False  # `zero_init` zeroes the last one of a branch
    helper_source: ClassVar[str] = ""  # a plugin's own module definitions, emitted verbatim

    def helper_for(self, args: Mapping[str, Any]) -> str | None:
        """The helper a layer with these resolved arguments needs (`helper` unless an
        op has several forms, as `se` with `squeeze`)."""
        return self.helper

    # ------------------------------------------------------------------ checking

    def concrete(self, at: Resolver) -> str | None:
        """The op this layer becomes: itself; `norm` and `act` follow the spec's knobs."""
        return self.name

    def resolve(self, raw: Any, at: Resolver) -> dict[str, Any]:
        """Concrete argument values from the spec's (expressions evaluated, ranges checked)."""
        return {}

    def shape(self, args: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        """The output shape, or ShapeProblem saying why the op cannot run on `inputs`."""
        (shape,) = inputs
        return shape

    # ------------------------------------------------------------------ counting

    def params(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        return 0

    def macs(self, args: Mapping[str, Any], in_shape: Shape, shape: Shape) -> int:
        """Multiply-accumulates, in REFERENCE.md's convention (convolutions and linear)."""
        return 0

    # ------------------------------------------------------------------ PyTorch

    def write_args(self, layer: Layer, writer: ArgWriter, channels: Any) -> dict[str, str]:
        """Source for each constructor argument; `channels` is the input's channel source."""
        values = {key: [args[key] for args in layer.args] for key in layer.args[0]}
        return {key: writer.code(v, getattr(layer.raw, key, None)) for key, v in values.items()}

    def out_channels(self, layer: Layer, channels: Any) -> Any:
        """Source of the output's channel count (`out` for a conv, else the input's)."""
        return channels

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        """The module's constructor call, e.g. `nn.Conv2d(64, 128, kernel_size=3)`."""
        raise NotImplementedError(f"op {self.name!r} has no PyTorch constructor")

    def forward(self, attr: str, x: str) -> str:
        """The expression applying the op to tensor `x` in `forward`."""
        return f"self.{attr}({x})"

    has_module: ClassVar[bool] = True  # False: written inline in `forward` (no attribute)

    def attributes(self, attr: str) -> tuple[str, ...]:
        """The attributes its constructor assigns in its block, in order: `attr` alone, or,
        for an op whose constructor returns a tuple of modules (Res2Net's `convs`, `bns`,
        `pool`), their fixed names. An op with several is written only in a block's layers."""
        return (attr,)

    # ------------------------------------------------------------------ diagrams

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        """What the op does in a few characters, e.g. `conv 3×3 /2, 128`."""
        return plain_label(self.name, args)


def require_batch_norm_relu(at: Resolver, layout: str, users: str) -> None:
    """An op written with BatchNorm and ReLU (a reference's fixed layout) refuses a stage
    whose `norm` or `activation` knob chooses otherwise; `layout` says what it is."""
    for knob, wanted in (("norm", "batch"), ("activation", "relu")):
        chosen = at.setting(knob, wanted)
        if chosen != wanted:
            raise at.error(
                "",
                f"{layout}; `{knob}: {chosen}` is out of its reach",
                f"use {knob}: {wanted} in the stages with {users}",
            )


def keywords(pairs: list[tuple[str, str, str | None]]) -> list[str]:
    """`key=value` for each pair whose value differs from PyTorch's default."""
    return [f"{key}={value}" for key, value, default in pairs if value != default]


def call(function: str, *arguments: str) -> str:
    return f"{function}({', '.join(arguments)})"


def plain_label(name: str, args: Mapping[str, Any]) -> str:
    """`name` and its short arguments: the label of an op that draws no better one."""
    simple = ", ".join(f"{key}={value}" for key, value in args.items() if _plain(value))
    return f"{name} {simple}".strip()


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) <= 12
