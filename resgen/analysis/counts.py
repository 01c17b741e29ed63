"""Per-layer counts from the IR, in the convention of REFERENCE.md.

Each op counts its own parameters and MACs (resgen/ops/); the expander stores
them on every node. MACs count the multiply-accumulates of convolutions and
linear layers (and SE's two 1x1 convolutions), as torchvision's GFLOPS column
does. Activation memory is the number of elements each op outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from resgen import ops
from resgen.graph.model import Network


@dataclass(frozen=True)
class LayerCount:
    name: str
    op: str
    shape: tuple[int, ...]
    params: int
    macs: int
    activations: int


def weighted_depth(net: Network) -> int:
    """Convolutions and linear layers on the main path: the papers' depth.

    Shortcut projections and highway gates are side branches and do not count,
    so the CIFAR ResNet-20 has depth 20 with option A or B.
    """
    return sum(
        1
        for node in net.nodes.values()
        if _weighted(node.op) and node.branch not in {"shortcut", "gate"}
    )


def _weighted(op: str) -> bool:
    definition = ops.get(op)
    return definition is not None and definition.weighted


def layer_counts(net: Network) -> list[LayerCount]:
    """One row per op, in data-flow order."""
    return [
        LayerCount(n.id, n.op, n.shape, n.params, n.macs, n.activations)
        for n in net.nodes.values()
        if n.op != "input"
    ]
