"""The built-in block types, defined in `library.yaml` in the spec language itself."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import TypeAdapter

from resgen.spec.schema import BlockDef
from resgen.spec.yaml_source import read_yaml

LIBRARY_FILE = Path(__file__).with_name("library.yaml")


@cache
def builtin_blocks() -> dict[str, BlockDef]:
    source = read_yaml(LIBRARY_FILE.read_text(encoding="utf-8"), str(LIBRARY_FILE))
    return TypeAdapter(dict[str, BlockDef]).validate_python(source.data)
