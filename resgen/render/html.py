"""Checked network -> one self-contained interactive HTML page (no network, works from file://).

The page embeds the network as JSON and lays it out in the browser with a small
script of our own (templates/render/view.js): residual networks are
series-parallel, so a column-per-branch layout needs no layout library, and
expanding or collapsing a stage or block is a re-layout in milliseconds.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jinja2

from resgen import __version__
from resgen.graph.model import Network
from resgen.render.dot import LEVELS, block_shortcut_text
from resgen.render.labels import compact, describe, format_shape, merged_text
from resgen.render.paths import shown_location
from resgen.render.style import (
    BRANCHES,
    CHANGE_COLOR,
    JOINS,
    SHORTCUTS,
    THEMES,
    join_style,
    no_shortcut_legend,
    op_color,
)
from resgen.render.tree import Group, build_tree, merged_chains

TEMPLATE_FOLDER = "render"


def to_html(net: Network, level: str = "stage", roll: bool = False, merge: bool = False) -> str:
    """The page; `level` is how far it opens unfolded, `roll` folds identical runs,
    `merge` draws each conv-norm-act run as one node."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    data = payload(net, level, roll)
    if merge:
        data = merged_payload(net, data)
    env = _environment()
    folder = env.loader.searchpath[0]  # type: ignore[union-attr]
    template = env.get_template(f"{TEMPLATE_FOLDER}/view.html.j2")
    return template.render(
        title=f"{data['name']} · resgen",
        data_json=embed_json(data),
        css=_read(folder, "view.css"),
        script=_read(folder, "view.js"),
        version=__version__,
    )


@cache
def _environment() -> jinja2.Environment:
    from resgen.codegen.emit import templates_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _read(folder: str, name: str) -> str:
    from pathlib import Path

    return (Path(folder) / TEMPLATE_FOLDER / name).read_text(encoding="utf-8")


def embed_json(data: Any) -> str:
    """JSON that is safe inside a `<script>` element (no `</script>`, no `<!--`)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def payload(net: Network, level: str, roll: bool) -> dict[str, Any]:
    """Everything the page shows, in data-flow order.

    `tree` is the unrolled hierarchy and `runs` the runs of identical blocks that
    the rolled view folds (each names its blocks), so the page switches between the
    two without a new page; `roll` is the view it opens with.
    """
    index = {name: i for i, name in enumerate(net.nodes)}
    joins = {node.id for node in net.nodes.values() if any(e.branch for e in node.inputs)}
    letters = {  # join -> the option letter of the shortcut into it (`B`, `D`), as DOT says
        target: e.option
        for _, target, e in net.edges()
        if target in joins
        and e.branch == "shortcut"
        and len(e.option) == 1
        and e.kind != "identity"
    }
    nodes = []
    for name, node in net.nodes.items():
        nodes.append(
            {
                "id": name,
                "op": node.op,
                "d": describe(node.op, node.args, node.shape),
                "s": format_shape(node.shape),
                "i": format_shape(node.in_shape),
                "p": node.params,
                "m": node.macs,
                "a": node.activations,
                "br": node.branch or "",
                "j": 1 if name in joins else 0,
                "jl": letters.get(name, ""),
                "loc": shown_location(node.location),
                "args": {
                    k: v for k, v in node.args.items() if isinstance(v, str | int | float | bool)
                },
            }
        )
    edges = [[index[u], index[v], e.kind, e.option, e.branch] for u, v, e in net.edges()]
    tree = build_tree(net, roll=False)
    runs = [group for group in build_tree(net, roll=True).groups() if group.kind == "run"]
    mark, no_shortcut = no_shortcut_legend()
    ops = list(dict.fromkeys(n["op"] for n in nodes))
    return {
        "name": net.name,
        "input": format_shape(net.input),
        "output": format_shape(net.output),
        "totals": {"params": net.params, "macs": net.macs, "activations": net.activations},
        "level": level,
        "roll": roll,
        "nodes": nodes,
        "edges": edges,
        "tree": [_item(item, index) for item in tree.items],
        "runs": [{**_fields(run), "blocks": [block.key for block in run.items]} for run in runs],
        "colors": {op: op_color(op) for op in ops},
        "shortcuts": {
            kind: {"color": s.color, "dash": s.dash, "width": s.width, "label": s.label}
            for kind, s in SHORTCUTS.items()
        },
        "branches": {
            branch: {"color": s.color, "dash": s.dash, "width": s.width, "label": s.label}
            for branch, s in BRANCHES.items()
        },
        "no_shortcut": {"mark": mark, "label": no_shortcut},
        "joins": {op: {"symbol": s.symbol, "label": s.label} for op, s in JOINS.items()},
        "themes": {name: vars(t) for name, t in THEMES.items()},
        "change": CHANGE_COLOR,
    }


def merged_payload(net: Network, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with each conv-norm-act run (`tree.merged_chains`) as one node: the run's
    first layer, its text and summed counts, the run's layers in `mg`; edges and tree
    re-pointed. `layers` and `largest` keep the summary's count of layers and largest
    activation those of every layer."""
    chains = merged_chains(net)
    old = data["nodes"]
    keep = [i for i, n in enumerate(old) if n["id"] not in chains or chains[n["id"]][0] == n["id"]]
    new_index = {i: k for k, i in enumerate(keep)}
    position = {n["id"]: i for i, n in enumerate(old)}
    # each old index -> the new index of the node that draws it (a run's first layer)
    drawn = {i: new_index[position[chains.get(n["id"], (n["id"],))[0]]] for i, n in enumerate(old)}
    nodes = []
    for i in keep:
        node = dict(old[i])
        chain = chains.get(node["id"])
        if chain:
            members = [old[position[name]] for name in chain]
            node["d"] = merged_text([net.nodes[name] for name in chain])
            node["s"] = members[-1]["s"]
            for key in ("p", "m", "a"):
                node[key] = sum(member[key] for member in members)
            node["mg"] = list(chain)
        nodes.append(node)
    # inside a run each layer feeds only the next, so no two edges become one
    edges = [[drawn[a], drawn[b], *rest] for a, b, *rest in data["edges"] if drawn[a] != drawn[b]]

    def items(entries: list[Any]) -> list[Any]:
        result: list[Any] = []
        for entry in entries:
            if isinstance(entry, dict):
                result.append({**entry, "items": items(entry["items"])})
            elif entry in new_index:
                result.append(new_index[entry])
        return result

    layers = [n for n in old if n["op"] != "input"]
    extra = {"layers": len(layers), "largest": max((n["a"] for n in layers), default=0)}
    return {**data, "nodes": nodes, "edges": edges, "tree": items(data["tree"]), **extra}


def _item(item: str | Group, index: dict[str, int]) -> int | dict[str, Any]:
    if not isinstance(item, Group):
        return index[item]
    return {**_fields(item), "items": [_item(child, index) for child in item.items]}


def _fields(item: Group) -> dict[str, Any]:
    """A group's own facts, without its items."""
    entry: dict[str, Any] = {
        "key": item.key,
        "k": item.kind,
        "n": item.name,
        "t": item.type_name,
        "c": item.count,
        "in": format_shape(item.in_shape),
        "out": format_shape(item.shape),
        "p": item.params,
        "m": item.macs,
        "a": item.activations,
        "ch": 1 if item.changes_shape else 0,
    }
    if item.kind in {"block", "run"}:
        entry["sc"] = item.shortcut
        entry["opt"] = item.option
        entry["j"] = item.join
        entry["sct"] = block_shortcut_text(item) if item.shortcut else "no shortcut"
        entry["jsym"] = join_style(item.join).symbol if item.join else ""
    entry["sum"] = f"{compact(item.params)} params · {compact(item.macs)} MACs"
    return entry
