"""The op registry: every op resgen knows, built-in or a user's, by name.

Built-in ops are the modules listed in `BUILTIN`, each exporting `OPS`. A user
adds ops without touching resgen, from a Python file (`resgen --plugin FILE`,
or `load_plugin`) or from an installed package's `resgen.ops` entry point;
docs/ops.md walks through one. Nothing here imports torch.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path

from resgen.ops.base import OpDef

__all__ = ["OpDef", "PluginError", "get", "known", "load_plugin", "register"]

# the ops of a plain ResNet come first: looking up an op imports modules in this
# order only until one defines it, so building a ResNet imports none of the rest
BUILTIN = (
    "conv", "norm", "activation", "pool", "linear", "join", "dropout", "se", "eca",
    "selective_kernel", "res2net", "split_attention",
)  # fmt: skip
ENTRY_POINT_GROUP = "resgen.ops"
# plugin files to load in every process (`resgen --plugin` sets it, so that sweep
# and training workers, which start fresh interpreters, know the same ops)
PLUGINS_VARIABLE = "RESGEN_PLUGINS"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_ops: dict[str, OpDef] = {}
_plugin_files: dict[Path, list[OpDef]] = {}
_builtins_loaded = 0  # how many modules of BUILTIN are registered
_entry_points_loaded = False


class PluginError(Exception):
    """A plugin that cannot be loaded, or an op that cannot be registered; the message says why."""


def register(op: OpDef) -> OpDef:
    """Add `op` to the registry (returns it, so it can decorate an instance's creation)."""
    _builtins()
    if not isinstance(op, OpDef):
        raise PluginError(f"{op!r} is not an OpDef instance")
    if not _NAME.fullmatch(op.name or ""):
        raise PluginError(
            f"op name {op.name!r} is not valid: lower-case letters, digits and _, "
            "starting with a letter, at most 32 characters"
        )
    if op.name in _ops or op.name == "sequential":
        if _ops.get(op.name) is op:
            return op
        raise PluginError(f"an op named {op.name!r} already exists; give yours another name")
    _ops[op.name] = op
    return op


def get(name: str) -> OpDef | None:
    """The op called `name`; installed plugins are looked up the first time one is missing."""
    if name in _ops:  # asked for every layer of every block
        return _ops[name]
    _builtins(until=name)
    if name not in _ops and not _entry_points_loaded:
        load_entry_points()
    return _ops.get(name)


def known() -> dict[str, OpDef]:
    """Every op, built-in first, in registration order (installed plugins included)."""
    _builtins()
    if not _entry_points_loaded:
        load_entry_points()
    return dict(_ops)


def load_plugin(path: str | Path) -> list[OpDef]:
    """Run a Python file that defines ops, and register its `OPS` list (if it has one).

    The file may also call `resgen.ops.register` itself. Returns the ops it
    added; loading a file again returns them without running it twice.
    """
    _builtins()
    file = Path(path).resolve()
    if file in _plugin_files:
        return _plugin_files[file]
    if not file.is_file():
        raise PluginError(f"plugin {str(path)!r} is not a file")
    module_name = "resgen_plugin_" + re.sub(r"\W", "_", file.stem)
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise PluginError(f"plugin {str(path)!r} is not a Python file")
    before = set(_ops)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
        for op in getattr(module, "OPS", []):
            register(op)
    except PluginError as exc:
        raise PluginError(f"plugin {str(path)!r}: {exc}") from None
    except Exception as exc:
        raise PluginError(f"plugin {str(path)!r} failed: {type(exc).__name__}: {exc}") from exc
    added = [op for name, op in _ops.items() if name not in before]
    if not added:
        raise PluginError(f"plugin {str(path)!r} defines no op (give it an `OPS` list)")
    _plugin_files[file] = added
    return added


def plugin_files() -> list[Path]:
    """The plugin files loaded in this process, in order."""
    return list(_plugin_files)


def load_entry_points() -> None:
    """Register the ops of installed packages (entry-point group `resgen.ops`)."""
    global _entry_points_loaded
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception as exc:
            raise PluginError(f"entry point {entry.name!r} ({entry.value}) failed: {exc}") from exc
        for op in loaded if isinstance(loaded, list | tuple) else [loaded]:
            register(op() if isinstance(op, type) else op)


def _builtins(until: str | None = None) -> dict[str, OpDef]:
    """The registry, filled on first use: the built-in modules in order (only until one
    defines the op `until`, if given), then `$RESGEN_PLUGINS`' files."""
    global _builtins_loaded
    while _builtins_loaded < len(BUILTIN) and (until is None or until not in _ops):
        for op in importlib.import_module(f"resgen.ops.{BUILTIN[_builtins_loaded]}").OPS:
            _ops[op.name] = op
        _builtins_loaded += 1
        if _builtins_loaded == len(BUILTIN):
            for path in os.environ.get(PLUGINS_VARIABLE, "").split(os.pathsep):
                if path:
                    load_plugin(path)
    return _ops
