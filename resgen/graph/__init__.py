"""Spec -> checked networkx graph (one node per op, shapes inferred and checked)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import networkx as nx

    from resgen.spec.schema import Spec


def build_graph(spec: Spec | str | Path) -> nx.DiGraph:
    """The checked graph of `spec`: nodes carry op, args, shape, params and MACs.

    `graph.graph` holds the resolved `network`, the `output` node and the totals
    `params`, `macs` and `activations`.
    """
    from resgen.analysis.counts import annotate
    from resgen.graph.expand import expand
    from resgen.spec.load import load_spec

    _, graph = expand(load_spec(spec))
    annotate(graph)
    return graph
