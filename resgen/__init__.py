"""resgen: describe, check, see and vary residual networks.

The public API is imported lazily so that `import resgen` stays fast and
never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from resgen.api import (
        BuildOptions,
        BuildResult,
        build,
        build_graph,
        build_model,
        checked_network,
        diagram,
        generate_code,
        load_spec,
    )
    from resgen.errors import SpecError

__all__ = [
    "BuildOptions",
    "BuildResult",
    "SpecError",
    "__version__",
    "build",
    "build_graph",
    "build_model",
    "checked_network",
    "diagram",
    "generate_code",
    "load_spec",
]


def __getattr__(name: str) -> Any:
    if name in __all__ and name not in {"SpecError", "__version__"}:
        from resgen import api

        return getattr(api, name)
    if name == "SpecError":
        from resgen.errors import SpecError

        return SpecError
    raise AttributeError(f"module 'resgen' has no attribute {name!r}")
