"""`--check`: instantiate the emitted module and compare it with the analysis."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True)
class CheckResult:
    output_shape: tuple[int, ...]
    expected_shape: tuple[int, ...]
    module_params: int
    analytic_params: int

    @property
    def ok(self) -> bool:
        return (
            self.output_shape == self.expected_shape and self.module_params == self.analytic_params
        )


def check_source(source: str, graph: nx.DiGraph) -> CheckResult:
    """Run the emitted `source` on a zero input of the spec's shape (eval mode)."""
    import warnings

    # torch warns at import when NumPy is absent; resgen does not need NumPy
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    import torch

    from resgen.codegen.execute import module_from_source

    network = graph.graph["network"]
    module = module_from_source(source, network.name).build().eval()
    with torch.no_grad():
        output = module(torch.zeros(1, *network.input))
    return CheckResult(
        output_shape=tuple(output.shape[1:]),
        expected_shape=tuple(network.output),
        module_params=sum(p.numel() for p in module.parameters()),
        analytic_params=graph.graph["params"],
    )
