"""Activations (`relu`, `silu`, ...) and `act`, which becomes the spec's `activation:`."""

from collections.abc import Mapping

from resgen.ops.base import OpDef, Resolver
from resgen.spec.fields import LayerName, StrictModel


class ActivationArgs(StrictModel):
    name: LayerName | None = None


class Activation(OpDef):
    args = ActivationArgs
    activation = True
    shared = True  # unnamed activations of one module share one attribute, as torchvision's

    def __init__(self, name: str, module: str, color: str | None = None) -> None:
        self.name = name
        self.module = module  # the constructor, with `inplace=True` where PyTorch has it
        self.color = color

    def constructor(self, args: Mapping[str, str], inplace: bool = True) -> str:
        return self.module if inplace else self.module.replace("inplace=True", "")


class Act(OpDef):
    """`act`: a placeholder the expander replaces by the spec's `activation:` (relu)."""

    name = "act"
    args = ActivationArgs

    def concrete(self, at: Resolver) -> str | None:
        return at.setting("activation", "relu")


ACTIVATIONS = [
    Activation("relu", "nn.ReLU(inplace=True)", "#8fd3bf"),
    Activation("silu", "nn.SiLU(inplace=True)"),
    Activation("gelu", "nn.GELU()"),
    Activation("sigmoid", "nn.Sigmoid()"),
    Activation("tanh", "nn.Tanh()"),
    Activation("leaky_relu", "nn.LeakyReLU(inplace=True)"),
    Activation("elu", "nn.ELU(inplace=True)"),
    Activation("mish", "nn.Mish(inplace=True)"),
    Activation("hardswish", "nn.Hardswish(inplace=True)"),
    Activation("relu6", "nn.ReLU6(inplace=True)"),
    Activation("hardsigmoid", "nn.Hardsigmoid(inplace=True)"),
]
OPS = [Act(), *ACTIVATIONS]
