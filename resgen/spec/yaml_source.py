"""Safe YAML reading that remembers where every value came from.

PyYAML's composer gives nodes with positions; we turn them into plain Python
values plus a map from key path to (line, column), so later errors can point
at the exact spot. Aliases are allowed but the expanded size and depth are
bounded, and an alias inside the value it names is refused, so an alias bomb
or a recursive alias is refused before anything walks it. Files are UTF-8 (a
byte-order mark is dropped); any other encoding is refused at its first bad
byte's line and column.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
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


def too_large(file: str) -> SpecError:
    return SpecError(
        f"spec is larger than {MAX_SPEC_BYTES:,} bytes; refusing to read it",
        location=Location(file, 1, 1),
    )


# UTF-32 first: its little-endian mark starts with UTF-16's.
_OTHER_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def decode(data: bytes, file: str) -> str:
    """A file's bytes as text: UTF-8, with or without a byte-order mark."""
    data = data.removeprefix(codecs.BOM_UTF8)
    encoding = next((name for bom, name in _OTHER_BOMS.items() if data.startswith(bom)), None)
    if encoding is None and b"\x00" in data[:2]:
        encoding = "UTF-16 or UTF-32"  # ASCII text in them has a zero byte per character
    if encoding is not None:
        raise SpecError(
            f"the file is {encoding}, not UTF-8", location=Location(file, 1, 1), hint=_SAVE_AS
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8")) + 1
        raise SpecError(
            f"the file is not UTF-8: byte 0x{data[exc.start]:02x} is not a UTF-8 character",
            location=Location(file, line, column),
            hint=_SAVE_AS + " (it may be Latin-1 or another legacy encoding)",
        ) from None


_SAVE_AS = "save the file as UTF-8"


def read_yaml(text: str, file: str) -> Source:
    """Parse `text` safely; raise SpecError with a position on any problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        raise too_large(file)
    text = text.removeprefix("\ufeff")
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
    """Refuse documents whose alias-expanded size or depth is huge (a 'billion laughs'),
    or that hold an alias inside the value it names (a recursive alias).

    Each node is walked once however many aliases name it: its size and height
    are remembered, and a node met again while it is being walked is a cycle.
    """
    sizes: dict[int, tuple[int, int]] = {}  # node -> (values, height) once expanded
    walking: dict[int, Path] = {}  # node -> its path, while it is being walked

    def size(node: yaml.Node, path: Path, mark: yaml.Mark) -> tuple[int, int]:
        if id(node) in walking:
            named = format_path(walking[id(node)]) or "the whole document"
            if len(named) > 60:  # a user's key may be long
                named = named[:57] + "..."
            message = f"a recursive alias: it names {named}, which contains it"
            raise _position_error(mark, file, message, path)
        if id(node) not in sizes:
            walking[id(node)] = path
            sizes[id(node)] = _expanded(node, path, size)
            del walking[id(node)]
        values, height = sizes[id(node)]
        if len(path) + height > MAX_DEPTH:
            raise _position_error(mark, file, f"spec is nested deeper than {MAX_DEPTH} levels")
        if values > MAX_EXPANDED_NODES:
            raise _position_error(
                mark,
                file,
                f"spec expands to more than {MAX_EXPANDED_NODES:,} values "
                "(an alias bomb?); refusing to read it",
            )
        return values, height

    size(root, (), root.start_mark)


Walk = Callable[[yaml.Node, Path, yaml.Mark], tuple[int, int]]


def _expanded(node: yaml.Node, path: Path, walk: Walk) -> tuple[int, int]:
    """(values, height) of `node` once its aliases are expanded, its children by `walk`."""
    if isinstance(node, yaml.MappingNode):
        children = [(v, (*path, str(k.value)), k.start_mark) for k, v in node.value]
        children += [(k, path, k.start_mark) for k, _ in node.value]
    elif isinstance(node, yaml.SequenceNode):
        mark = node.start_mark  # an alias keeps no position of its own: its list's
        children = [(item, (*path, i), mark) for i, item in enumerate(node.value)]
    else:
        return 1, 0
    counts = [walk(child, where, mark) for child, where, mark in children]
    return 1 + sum(c for c, _ in counts), 1 + max((h for _, h in counts), default=0)


def _position_error(
    at: yaml.Node | yaml.Mark, file: str, message: str, path: Path = ()
) -> SpecError:
    mark = at.start_mark if isinstance(at, yaml.Node) else at
    location = Location(file, mark.line + 1, mark.column + 1)
    return SpecError(message, path=format_path(path), location=location)


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
    try:
        return _constructor.construct_object(node)
    except ValueError:  # an integer longer than Python converts (4,300 digits)
        where = format_path(path) or "value"
        message = f"{where}: a number of {len(node.value):,} characters is too long"
        raise _position_error(node, source.file, message) from None
