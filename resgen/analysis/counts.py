"""Analytic counts from the checked graph, in the convention of REFERENCE.md.

MACs count the multiply-accumulates of convolutions and linear layers only
(BN, activations, pooling and adds are ignored), as torchvision's GFLOPS
column does. Activation memory is the number of elements each op outputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import networkx as nx


@dataclass(frozen=True)
class LayerCount:
    name: str
    op: str
    shape: tuple[int, ...]
    params: int
    macs: int
    activations: int


def params_of(
    op: str, args: dict[str, Any], in_shape: tuple[int, ...], shape: tuple[int, ...]
) -> int:
    if op == "conv":
        weights = args["out"] * (args["in"] // args["groups"]) * args["kernel"] ** 2
        return weights + (args["out"] if args["bias"] else 0)
    if op in {"bn", "gn"}:
        return 2 * shape[0]
    if op == "se":
        channels, reduced = shape[0], args["reduced"]
        return 2 * channels * reduced + reduced + channels
    if op == "linear":
        return in_shape[0] * args["out"] + (args["out"] if args["bias"] else 0)
    return 0


def macs_of(
    op: str, args: dict[str, Any], in_shape: tuple[int, ...], shape: tuple[int, ...]
) -> int:
    if op == "conv":
        return math.prod(shape) * (args["in"] // args["groups"]) * args["kernel"] ** 2
    if op == "linear":
        return in_shape[0] * args["out"]
    if op == "se":  # two 1x1 convolutions on the squeezed 1x1 map
        return 2 * shape[0] * args["reduced"]
    return 0


def annotate(graph: nx.DiGraph) -> None:
    """Store `params`, `macs` and `activations` on every node, totals on the graph."""
    totals = {"params": 0, "macs": 0, "activations": 0}
    for _, data in graph.nodes(data=True):
        op, args, in_shape, shape = data["op"], data["args"], data["in_shape"], data["shape"]
        data["params"] = params_of(op, args, in_shape, shape)
        data["macs"] = macs_of(op, args, in_shape, shape)
        data["activations"] = 0 if op == "input" else math.prod(shape)
        for key in totals:
            totals[key] += data[key]
    graph.graph.update(totals)


def weighted_depth(graph: nx.DiGraph) -> int:
    """Convolutions and linear layers on the main path: the papers' depth.

    Shortcut projections and highway gates are side branches and do not count,
    so the CIFAR ResNet-20 has depth 20 with option A or B.
    """
    return sum(
        1
        for _, data in graph.nodes(data=True)
        if data["op"] in {"conv", "linear"} and data.get("branch") not in {"shortcut", "gate"}
    )


def layer_counts(graph: nx.DiGraph) -> list[LayerCount]:
    """One row per op, in data-flow order (the order the graph was built in)."""
    return [
        LayerCount(node, d["op"], d["shape"], d["params"], d["macs"], d["activations"])
        for node, d in graph.nodes(data=True)
        if d["op"] != "input"
    ]
