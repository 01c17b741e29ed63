"""Mutations of specs and sweep files for the fuzz tests (`tests/test_fuzz.py`).

A mutation edits the parsed YAML of a known-good file: it drops, duplicates,
retypes and renames keys, writes extreme numbers and odd names (unicode,
Python keywords, the emitted code's own names, very long ones), makes one
value an alias of another (the YAML is dumped with an anchor), or duplicates
a line of the dumped text (duplicate keys). Every choice comes from `rng`, a
`random.Random` that hypothesis controls, so a failure can be replayed.
"""

from __future__ import annotations

import copy
import keyword
import random
from collections.abc import Callable, Iterator
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]

NUMBERS: list[Any] = [
    0, 1, -1, 2, 3, 7, 64, -64, 2**31, 10**9, 2**53 + 1, 10**30, 0.5, -0.25, 1e308,
    float("inf"), float("nan"),
]  # fmt: skip
NAMES: list[str] = [
    *keyword.kwlist[:6], "match", "case", "type", "_", "self", "nn", "torch", "F", "x",
    "out", "identity", "forward", "training", "input", "downsample", "add", "gate", "build",
    "super", "min", "in_channels", "width", "out_channels", "BasicBlock", "Bottleneck",
    "ResNet50", "layer1", "conv1", "same", "b{n}", "{i}", "{n}{n}", "x{", "naïve", "层",
    "Straße", "🤖", "a" * 65, "b" * 300, "__import__('os')", "width * 1e9", "n ** 99",
    "1e400", "", " ", "0", "-1", "none", "null", "A", "B", "C", "D", "identity",
]  # fmt: skip
OTHER_VALUES: list[Any] = [True, False, None, [], {}, [1, 2, 3], {"a": 1}, [[]], {"": None}]
LAYERS: list[Any] = [
    "bn", "relu", "act", "norm", "se", "flatten", "avgpool", {"gn": {"groups": 2}},
    {"conv": {"out": 8, "kernel": 1}}, {"conv": {"out": "width", "stride": 2, "name": "c"}},
    {"maxpool": {"kernel": 3, "stride": 2, "padding": 1}}, {"avgpool": {"kernel": 2}},
    {"linear": {"out": 4}}, {"dropout": {"p": 0.2}}, {"drop_path": {"p": 0.1}},
    {"sequential": {"name": "seq", "layers": ["bn", "relu"]}},
    {"sequential": {"name": "deep", "layers": [{"conv": {"out": 4}}, {"bn": {"name": "n"}}]}},
]  # fmt: skip
# Plausible values for known keys: valid specs that combine features in new ways.
KNOWN: dict[str, list[Any]] = {
    "activation": ["relu", "silu", "gelu", "sigmoid", "tanh", "mish"],
    "norm": ["batch", "group", "none"],
    "norm_groups": [1, 2, 4, 32],
    "se": [0, 1, 4, 16],
    "zero_init": [True, False],
    "shortcut": ["identity", "A", "B", "C", "D", "none"],
    "shortcut_norm": [False],
    "stride": [1, 2, 3],
    "dilate": [True, False],
    "dilation": [1, 2],
    "block": ["basic", "plain", "bottleneck", "grouped", "preact_basic", "wide", "dense",
              "highway", "mine"],
    "blocks": [1, 2, 3, "n"],
    "width": [1, 3, 8, 16, "width"],
    "expansion": [1, 2, 4],
    "groups": [1, 2, 4],
    "width_per_group": [4, 16, 64],
    "stride_on": ["3x3", "1x1"],
    "block_names": ["b{n}", "x{i}", "same", "{n}", "b{n:02}"],
    "drop_path": [0.1, 0.5],
    "kernel": [1, 2, 3, 5, 7],
    "padding": [0, 1, 3],
    "out": [1, 8, "width * 2", "out_channels", "in_channels"],
    "features": ["features"],
    "after": [["bn", "relu"], [{"avgpool": {"kernel": 2}}], [{"conv": {"out": "in_channels"}}]],
    "class_name": ["Net", "BasicBlock", "Mine"],
    "input": [[3, 8, 8], [1, 1, 1], [3, 7, 5], [2, 33, 17]],
    "params": [{"n": 1}, {"n": 2, "k": 3}],
    "args": [{"growth_rate": 4}, {"k": 2}, {"widen_factor": 2, "dropout": 0.3}],
}


def key_paths(data: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """Every path below the root, parents before children."""
    if isinstance(data, dict):
        children: Iterator[tuple[str | int, Any]] = iter(data.items())
    elif isinstance(data, list):
        children = iter(enumerate(data))
    else:
        return
    for key, value in children:
        yield (*path, key)
        yield from key_paths(value, (*path, key))


def get(data: Any, path: KeyPath) -> Any:
    for key in path:
        data = data[key]
    return data


def _leaves(data: Any, kind: type | tuple[type, ...]) -> list[KeyPath]:
    """Paths to values of `kind` (bools are not numbers here)."""
    values = ((p, get(data, p)) for p in key_paths(data))
    return [p for p, v in values if isinstance(v, kind) and not isinstance(v, bool)]


def _pick(rng: random.Random, paths: list[KeyPath]) -> KeyPath | None:
    return rng.choice(paths) if paths else None


def drop(data: Any, rng: random.Random) -> None:
    path = _pick(rng, list(key_paths(data)))
    if path is not None:
        del get(data, path[:-1])[path[-1]]


def retype(data: Any, rng: random.Random) -> None:
    path = _pick(rng, list(key_paths(data)))
    if path is not None:
        get(data, path[:-1])[path[-1]] = copy.deepcopy(rng.choice(NUMBERS + NAMES + OTHER_VALUES))


def extreme_number(data: Any, rng: random.Random) -> None:
    path = _pick(rng, _leaves(data, (int, float)))
    if path is not None:
        get(data, path[:-1])[path[-1]] = rng.choice(NUMBERS)


def odd_name(data: Any, rng: random.Random) -> None:
    path = _pick(rng, _leaves(data, str))
    if path is not None:
        get(data, path[:-1])[path[-1]] = rng.choice(NAMES)


def rename_key(data: Any, rng: random.Random) -> None:
    path = _pick(rng, [p for p in key_paths(data) if isinstance(p[-1], str)])
    if path is None:
        return
    parent, old = get(data, path[:-1]), path[-1]
    siblings = [key for key in parent if key != old]
    new = rng.choice([*NAMES, *siblings, old[:-1] or "x", old + "s", old.upper()])
    # rebuild in order so that the renamed key keeps its place
    items = [(new if key == old else key, value) for key, value in parent.items()]
    parent.clear()
    parent.update(items)


def add_key(data: Any, rng: random.Random) -> None:
    mappings = [()] + [p for p in key_paths(data) if isinstance(get(data, p), dict)]
    target = get(data, rng.choice(mappings))
    target[rng.choice(NAMES)] = copy.deepcopy(rng.choice(NUMBERS + NAMES + OTHER_VALUES))


def duplicate_item(data: Any, rng: random.Random) -> None:
    path = _pick(rng, [p for p in key_paths(data) if isinstance(get(data, p), list)])
    items = get(data, path) if path is not None else []
    if items:
        index = rng.randrange(len(items))
        items.insert(index, copy.deepcopy(items[index]))


def alias(data: Any, rng: random.Random) -> None:
    """Make one value the very object of another: the dump writes `&id001` ... `*id001`."""
    paths = list(key_paths(data))
    if len(paths) < 2:
        return
    source, target = rng.sample(paths, 2)
    if target[: len(source)] == source or source[: len(target)] == target:
        return
    get(data, target[:-1])[target[-1]] = get(data, source)


LAYER_KEYS = ("kernel", "padding", "out", "stride", "dilation", "groups")


def set_known(data: Any, rng: random.Random) -> None:
    """A known key with a plausible value where it belongs: new combinations of features."""
    mappings = [p for p in key_paths(data) if isinstance(get(data, p), dict)]
    stages = [()] + [p for p in mappings if p[-1] == "defaults" or p[:1] == ("stages",)]
    path = rng.choice(stages)
    if len(path) > 2:  # inside a stage's layer: a layer argument
        key = rng.choice(LAYER_KEYS)
    else:
        key = rng.choice([k for k in KNOWN if k not in LAYER_KEYS])
    get(data, path)[key] = copy.deepcopy(rng.choice(KNOWN[key]))


def insert_layer(data: Any, rng: random.Random) -> None:
    lists = [p for p in key_paths(data) if isinstance(get(data, p), list)]
    layers = [p for p in lists if p[-1] in {"stem", "head", "after", "main", "gate", "post"}]
    path = _pick(rng, layers)
    if path is not None:
        items = get(data, path)
        items.insert(rng.randint(0, len(items)), copy.deepcopy(rng.choice(LAYERS)))


def user_block(data: Any, rng: random.Random) -> None:
    """A block type `mine` made from a built-in one, used by a stage."""
    base = rng.choice(["basic", "bottleneck", "preact_basic", "wide", "highway", "dense"])
    block: dict[str, Any] = {"base": base, "params": {"k": 1}}
    extra = {
        "class": rng.choice(["Mine", "BasicBlock", "Bottleneck"]),
        "main": [{"conv": {"out": "width", "stride": "stride", "kernel": "2 * k + 1"}}, "norm"],
        "out": rng.choice(["width", "width * expansion", "in_channels + width"]),
        "post": ["act"],
        "shortcut": rng.choice(["A", "B", "none", "identity"]),
        "join": rng.choice(["add", "concat", "gate"]),
        "gate": [{"conv": {"out": "width", "kernel": 1, "stride": "stride", "bias": True}}],
        "gate_bias": -1.0,
        "let": {"mid": "width * k"},
        "shortcut_from": rng.choice([0, 1]),
    }
    for key in rng.sample(list(extra), rng.randint(0, 4)):
        block[key] = extra[key]
    if isinstance(data, dict):
        data.setdefault("blocks", {})
        if isinstance(data["blocks"], dict):
            data["blocks"]["mine"] = block
        stages = data.get("stages")
        if isinstance(stages, list) and stages and isinstance(stages[-1], dict):
            stages[-1]["block"] = "mine"
            stages[-1]["args"] = {"k": rng.choice([0, 1, 2])}


MUTATIONS: list[Callable[[Any, random.Random], None]] = [
    drop, retype, extreme_number, odd_name, rename_key, add_key, duplicate_item,
    set_known, set_known, insert_layer, insert_layer, user_block,
]  # fmt: skip


def dump(data: Any, rng: random.Random) -> str:
    """YAML text of `data`; sometimes one line is written twice (a duplicate key)."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=rng.random() < 0.5, width=100)
    if rng.random() < 0.15:
        lines = text.splitlines(keepends=True)
        index = rng.randrange(len(lines))
        lines.insert(index, lines[index])
        text = "".join(lines)
    return text


def mutate(data: Any, rng: random.Random, count: int) -> str:
    """`count` mutations of a deep copy of `data`, as YAML text."""
    data = copy.deepcopy(data)
    for _ in range(count):
        rng.choice(MUTATIONS)(data, rng)
    if rng.random() < 0.25:  # last, and once: aliases of aliases could make a cycle
        alias(data, rng)
    return dump(data, rng)
