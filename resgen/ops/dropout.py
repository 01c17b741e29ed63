"""Dropout (`dropout`) and stochastic depth (`drop_path`, one decision per sample)."""

from collections.abc import Mapping
from typing import Any

from resgen.ops.base import OpDef, Resolver, Shape
from resgen.spec.fields import LayerName, NumberExpr, StrictModel


class DropoutArgs(StrictModel):
    p: NumberExpr = 0.5
    name: LayerName | None = None


class _Drop(OpDef):
    args = DropoutArgs
    pass_through = True

    def resolve(self, raw: DropoutArgs, at: Resolver) -> dict[str, Any]:
        p = at.value(raw.p, "p", integer=False)
        if not isinstance(p, int | float) or isinstance(p, bool) or not 0 <= p < 1:
            raise at.error("p", f"{self.name} probability must be in [0, 1), got {p!r}")
        return {"p": float(p)}


class Dropout(_Drop):
    name = "dropout"
    color = "#f8f1a0"  # Okabe-Ito yellow, tinted

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        return f"nn.Dropout(p={args['p']})"

    def label(self, args: Mapping[str, Any], shape: Shape) -> str:
        return f"dropout p={args.get('p', '?')}"


class DropPath(_Drop):
    name = "drop_path"
    helper = "drop_path"

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        return f"DropPath({args['p']})"


OPS = [Dropout(), DropPath()]
