"""`--check`: instantiate the emitted module and compare it with the analysis."""

from __future__ import annotations

import os
from dataclasses import dataclass

from resgen.errors import SpecError
from resgen.graph.model import Network

BYTES_PER_VALUE = 4  # float32


@dataclass(frozen=True)
class CheckResult:
    output_shape: tuple[int, ...]
    expected_shape: tuple[int, ...]
    module_params: int
    analytic_params: int
    raised: str = ""  # the exception the module raised, if it did

    @property
    def ok(self) -> bool:
        return not self.failure

    @property
    def failure(self) -> str:
        """What the check found wrong, in one message; empty when the module matches."""
        if self.raised:
            return f"check failed: the module raised {self.raised}"
        if (self.output_shape, self.module_params) == (self.expected_shape, self.analytic_params):
            return ""
        return (
            f"check failed: output {self.output_shape} (expected {self.expected_shape}), "
            f"{self.module_params:,} parameters in the module vs {self.analytic_params:,} counted"
        )


def memory_budget() -> int:
    """Half of this machine's physical memory, in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2


def ensure_instantiable(net: Network, budget: int | None = None) -> None:
    """Refuse, before torch allocates anything, a network whose weights and
    activations (batch 1, float32) would not fit in `budget` bytes.

    A spec of a few lines can ask for terabytes (`width: 1000000`); counting it
    is free, instantiating it would fail in the allocator or get the process
    killed. The error points at the layer with the most parameters.
    """
    budget = memory_budget() if budget is None else budget
    params, activations = net.params, net.activations
    needed = (params + activations) * BYTES_PER_VALUE
    if needed <= budget:
        return
    largest = max(net.nodes.values(), key=lambda node: node.params)
    raise SpecError(
        f"instantiating the network needs {gib(needed)} ({params:,} parameters), "
        f"more than the {gib(budget)} allowed here; its largest layer is {largest.id} "
        f"({largest.params:,} parameters)",
        path=largest.key,
        location=largest.location,
        hint="reduce the widths, or build the code without --check",
    )


def gib(size: int) -> str:
    return f"{size / 2**30:,.1f} GiB"


def check_source(source: str, network: Network) -> CheckResult:
    """Run the emitted `source` on a zero input of the spec's shape (eval mode).

    A module that raises is a failed check (`raised`), not an exception.
    """
    ensure_instantiable(network)
    import warnings

    # torch warns at import when NumPy is absent; resgen does not need NumPy
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    import torch

    from resgen.codegen.execute import module_from_source

    expected, analytic = tuple(network.output), network.params
    try:
        module = module_from_source(source, network.name).build().eval()
        with torch.no_grad():
            output = module(torch.zeros(1, *network.input))
    except Exception as exc:  # the module's failure is the check's finding
        return CheckResult((), expected, 0, analytic, raised=f"{type(exc).__name__}: {exc}")
    params = sum(p.numel() for p in module.parameters())
    return CheckResult(tuple(output.shape[1:]), expected, params, analytic)
