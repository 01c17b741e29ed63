"""Safe YAML reading that remembers where every value came from.

PyYAML's composer gives nodes with positions; we turn them into plain Python
values plus a map from key path to (line, column), so later errors can point
at the exact spot. Aliases are allowed but the expanded size is bounded, so an
alias bomb is refused before anything walks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from resgen.errors import Location, SpecError

MAX_SPEC_BYTES = 1_000_000
MAX_EXPANDED_NODES = 200_000
MAX_DEPTH = 48

Path = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
}


def format_path(path: Path) -> str:
    """`("stages", 2, "blocks")` -> `stages[2].blocks`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part.isidentifier():
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Source:
    """Parsed YAML plus the position of every key path in it."""

    data: Any
    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> Location:
        """The position of `path`, or of its nearest ancestor we know."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        line, column = self.positions.get(path, (1, 1))
        return Location(self.file, line, column)

    def error(self, path: Path, message: str, hint: str = "") -> SpecError:
        return SpecError(message, path=format_path(path), location=self.locate(path), hint=hint)


def read_yaml(text: str, file: str) -> Source:
    """Parse `text` safely; raise SpecError with a position on any problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        raise SpecError(
            f"spec is larger than {MAX_SPEC_BYTES:,} bytes; refusing to read it",
            location=Location(file, 1, 1),
        )
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            problem, hint = "a tab character where YAML expects spaces", "indent with spaces"
        raise SpecError(
            f"invalid YAML: {problem}", location=Location(file, line, column), hint=hint
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise SpecError(
            f"invalid YAML: control characters are not allowed (found {_char(exc.character)!r})",
            location=Location(file, line, column),
        ) from None
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise SpecError(f"invalid YAML: {first_line}", location=Location(file, 1, 1)) from None
    source = Source(data=None, file=file)
    if node is None:
        return source
    _check_expanded_size(node, file)
    source.data = _to_python(node, (), source, depth=0)
    return source


def _char(character: int | str) -> str:
    return chr(character) if isinstance(character, int) else character


def _check_expanded_size(root: yaml.Node, file: str) -> None:
    """Refuse documents whose alias-expanded size is huge (a 'billion laughs')."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _position_error(node, file, f"spec is nested deeper than {MAX_DEPTH} levels")
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 0  # a recursive alias counts as nothing more
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item, depth + 1) for item in node.value)
        else:
            total = 1
        sizes[id(node)] = total
        if total > MAX_EXPANDED_NODES:
            raise _position_error(
                node,
                file,
                f"spec expands to more than {MAX_EXPANDED_NODES:,} values "
                "(an alias bomb?); refusing to read it",
            )
        return total

    size(root, 0)


def _position_error(node: yaml.Node, file: str, message: str) -> SpecError:
    mark = node.start_mark
    return SpecError(message, location=Location(file, mark.line + 1, mark.column + 1))


_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _to_python(node: yaml.Node, path: Path, source: Source, depth: int) -> Any:
    mark = node.start_mark
    source.positions.setdefault(path, (mark.line + 1, mark.column + 1))
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _COLLECTION_TAGS:
        where = format_path(path) or "spec"
        raise _position_error(node, source.file, f"{where}: YAML tag {node.tag!r} is not allowed")
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _position_error(
                    key_node, source.file, "YAML merge keys (<<) are not supported"
                )
            key = _scalar(key_node, path, source)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise _position_error(
                    key_node, source.file, f"{format_path((*path, key))}: duplicate key {key!r}"
                )
            key_mark = key_node.start_mark
            source.positions[(*path, key)] = (key_mark.line + 1, key_mark.column + 1)
            result[key] = _to_python(value_node, (*path, key), source, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(item, (*path, index), source, depth + 1)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, path, source)


_constructor = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.Node, path: Path, source: Source) -> Any:
    if not isinstance(node, yaml.ScalarNode) or node.tag not in _SCALAR_TAGS:
        kind = (
            "a mapping"
            if isinstance(node, yaml.MappingNode)
            else ("a list" if isinstance(node, yaml.SequenceNode) else f"a {node.tag!r} value")
        )
        raise _position_error(
            node, source.file, f"{format_path(path) or 'key'}: expected a plain value, got {kind}"
        )
    return _constructor.construct_object(node)
