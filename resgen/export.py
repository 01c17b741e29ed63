"""Export a built module: ONNX, TorchScript, and batch norm folded into convolutions.

Everything here works on a module in eval mode (inference). ONNX goes through
PyTorch's TorchScript-based exporter (`dynamo=False`): on CPU it is several
times faster than the torch.export-based one, needs only the `onnx` package
(not onnxscript), and writes the requested opset (17) as is.
"""

from __future__ import annotations

import copy
import io
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from torch import nn

    from resgen.graph.model import Network

ONNX_OPSET = 17
FORMATS = ("onnx", "torchscript")
SUFFIXES = {"onnx": ".onnx", "torchscript": ".pt"}


class ExportError(Exception):
    """Weights that cannot be loaded into the module."""


def conv_bn_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """(conv, bn) qualified names where a BatchNorm2d reads only a Conv2d's output.

    Found on the traced data flow (torch.fx), not on the order of attributes, so
    a conv whose output also feeds a shortcut is left alone. Pre-activation
    blocks apply their first batch norm to the block input (after a join, not
    a conv): that one has no preceding conv and stays.
    """
    from torch import fx, nn

    was_training = model.training
    graph = fx.symbolic_trace(model.eval()).graph
    model.train(was_training)
    modules = dict(model.named_modules())
    calls: dict[str, int] = {}
    for node in graph.nodes:
        if node.op == "call_module":
            calls[node.target] = calls.get(node.target, 0) + 1
    pairs = []
    for node in graph.nodes:
        if node.op != "call_module" or not isinstance(modules[node.target], nn.BatchNorm2d):
            continue
        source = node.args[0]
        if (
            isinstance(source, fx.Node)
            and source.op == "call_module"
            and isinstance(modules[source.target], nn.Conv2d)
            and len(source.users) == 1
            and calls[source.target] == calls[node.target] == 1
        ):
            pairs.append((str(source.target), str(node.target)))
    return pairs


def _replace(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)


def fuse_bn(model: nn.Module) -> nn.Module:
    """An eval-mode copy of `model` with each foldable batch norm folded into its conv.

    The conv gets the scaled weights and a bias; the batch norm becomes
    nn.Identity, so the class, its forward and the other state dict keys stay.
    """
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    fused = copy.deepcopy(model).eval()
    for conv_name, bn_name in conv_bn_pairs(fused):
        conv = fused.get_submodule(conv_name)
        bn = fused.get_submodule(bn_name)
        _replace(fused, conv_name, fuse_conv_bn_eval(conv, bn))
        _replace(fused, bn_name, nn.Identity())
    return fused


def to_onnx(model: nn.Module, input_shape: Sequence[int], opset: int = ONNX_OPSET) -> bytes:
    """The ONNX model (bytes) of `model` in eval mode; the batch dimension is dynamic."""
    import torch

    was_training = model.training
    example = torch.zeros(1, *input_shape)
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation notes
            torch.onnx.export(
                model.eval(),
                (example,),
                buffer,
                dynamo=False,
                opset_version=opset,
                input_names=["input"],
                output_names=["logits"],
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            )
    finally:
        model.train(was_training)
    return buffer.getvalue()


def to_torchscript(model: nn.Module) -> bytes:
    """`torch.jit.script` of `model` in eval mode, saved as bytes (`torch.jit.load` reads them)."""
    import torch

    was_training = model.training
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            scripted = torch.jit.script(model.eval())
            buffer = io.BytesIO()
            torch.jit.save(scripted, buffer)
    finally:
        model.train(was_training)
    return buffer.getvalue()


def export(model: nn.Module, fmt: str, input_shape: Sequence[int], fold_bn: bool = False) -> bytes:
    """`model` as ONNX or TorchScript bytes, optionally with batch norm folded first."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fold_bn:
        model = fuse_bn(model)
    return to_onnx(model, input_shape) if fmt == "onnx" else to_torchscript(model)


def export_network(
    network: Network, fmt: str, fold_bn: bool = False, weights: Path | None = None
) -> bytes:
    """Build the module of a checked network (optionally load a state dict) and export it.

    Raises ExportError for weights that cannot be read or do not fit, SpecError
    for a network too large to instantiate here.
    """
    import torch

    from resgen.check import ensure_instantiable
    from resgen.codegen.emit import generate
    from resgen.codegen.execute import module_from_source

    ensure_instantiable(network)
    source = generate(network)
    model = module_from_source(source, network.name).build()
    if weights is not None:
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
            model.load_state_dict(state, strict=True)
        except Exception as exc:  # unreadable file, not a state dict, wrong keys or shapes
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            reason = " ".join(lines[:2])[:300] or type(exc).__name__
            raise ExportError(f"cannot load weights from {weights}: {reason}") from exc
    return export(model, fmt, network.input, fold_bn)
