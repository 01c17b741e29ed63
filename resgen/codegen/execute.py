"""Turn emitted source into a live Python module (importing torch)."""

from __future__ import annotations

import hashlib
import linecache
import sys
import types


def module_from_source(source: str, name: str) -> types.ModuleType:
    """Execute `source` as a module registered in `sys.modules` and `linecache`.

    Registering both lets `inspect.getsource`, and so `torch.jit.script` and
    pickling, find the generated classes as if they lived in a file.
    """
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    module_name = f"resgen_generated.{name}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    filename = f"<resgen:{name}:{digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(module_name)
    module.__file__ = filename
    sys.modules[module_name] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    return module
