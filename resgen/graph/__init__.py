"""Spec -> the checked IR (`Network`), and its networkx view for graph algorithms."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import networkx as nx

    from resgen.graph.model import Network
    from resgen.spec.schema import Spec


def build_network(spec: Spec | str | Path) -> Network:
    """The checked IR of `spec`: every op with its shape, counts and place in the spec."""
    from resgen.graph.expand import expand
    from resgen.spec.load import load_spec

    return expand(load_spec(spec))


def build_graph(spec: Spec | str | Path) -> nx.DiGraph:
    """The checked network as a networkx graph (`Network.to_networkx`).

    Nodes carry op, args, shape, in_shape, params, macs, activations and their
    place; `graph.graph` holds the `network`, the `output` node and the totals.
    """
    return build_network(spec).to_networkx()
