"""`resgen diff A B`: what differs structurally between two networks, and by how much.

A and B are spec files or sweep variants (`SWEEP:VARIANT`). The report always
gives depth, parameters, MACs and activations with their deltas, then one row
per structural difference: input, stem, head, and per stage its block count,
block type, shortcuts, width and output shape.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import groupby
from pathlib import Path

from resgen.analysis.counts import weighted_depth
from resgen.analysis.table import format_rows
from resgen.analysis.units import human
from resgen.errors import SpecError
from resgen.graph.model import Network, Op, Stage
from resgen.graph.shapes import format_shape
from resgen.pipeline import checked_network
from resgen.spec.load import read_source
from resgen.spec.schema import suggest
from resgen.variants.build import resolve


@dataclass(frozen=True)
class StageView:
    """What a stage looks like, field by field, for comparison."""

    blocks: str
    block: str
    shortcut: str
    width: str
    output: str


def load_network(ref: str) -> Network:
    """The checked network of a spec file, or of `SWEEP:VARIANT`."""
    path = Path(ref)
    if not path.is_file() and ":" in ref:
        file, name = ref.rsplit(":", 1)
        return _variant(file, name)
    source = read_source(path)
    if isinstance(source.data, dict) and "sweep" in source.data:
        raise SpecError(f"{ref} is a sweep: name one of its variants, as {ref}:VARIANT")
    return checked_network(source)


def _variant(file: str, name: str) -> Network:
    from resgen.variants.sweep import load_sweep

    sweep = load_sweep(file)
    seen = []
    for variant in sweep.candidates(name):
        try:
            found, source = resolve(sweep.base, variant)
            if found == name:
                return checked_network(source)
        except SpecError:
            continue  # a variant that fails cannot be compared; another may match
        seen.append(found)
    names = seen or [v.template.render(v.fields) for v in sweep.variants]
    raise SpecError(f"sweep {sweep.name} ({file}) has no variant {name!r}{suggest(name, names)}")


def stage_view(stage: Stage) -> StageView:
    blocks = stage.blocks
    kinds = [block.shortcut.kind for block in blocks]
    runs = ", ".join(
        kind if (n := len(list(group))) == 1 else f"{kind}×{n}" for kind, group in groupby(kinds)
    )
    option = next((b.shortcut.option for b in blocks if b.join), None)
    return StageView(
        blocks=str(len(blocks)),
        block=", ".join(dict.fromkeys(block.type_name for block in blocks)),
        shortcut=f"{option}: {runs}" if option else "none",
        width=", ".join(dict.fromkeys(str(block.env["width"]) for block in blocks)),
        output=format_shape(blocks[-1].shape),
    )


def describe(ops: list[Op]) -> str:
    """`conv 7×7 /2, 64 → bn → relu → maxpool 3×3 /2`, in the diagrams' words."""
    from resgen.render.labels import describe as describe_op

    return " → ".join(describe_op(op.op, op.args) for op in ops) or "none"


def _delta(a: int, b: int, rounded: bool = False) -> str:
    """`+586,048 (+217.3%)`, or `=`; `rounded` writes `+85.197 M`."""
    if a == b:
        return "="
    change = b - a
    text = ("+" if change > 0 else "") + human(change) if rounded else f"{change:+,}"
    return f"{text} ({change / a:+.1%})" if a else text


def diff_rows(na: Network, nb: Network) -> list[list[str]]:
    """Rows of (what, A, B, change): totals always, structure only where it differs."""
    da, db = weighted_depth(na), weighted_depth(nb)
    rows = [["", na.name, nb.name, "change"], ["depth", str(da), str(db), _delta(da, db)]]
    for label, key in (("parameters", "params"), ("MACs", "macs"), ("activations", "activations")):
        exact = key == "params"
        a, b = getattr(na, key), getattr(nb, key)
        va, vb = (f"{v:,}" if exact else human(v) for v in (a, b))
        rows.append([label, va, vb, _delta(a, b, rounded=not exact)])
    structure = [
        ["input", format_shape(na.input), format_shape(nb.input)],
        ["stem", describe(na.stem), describe(nb.stem)],
        ["stages", str(len(na.stages)), str(len(nb.stages))],
    ]
    for index in range(max(len(na.stages), len(nb.stages))):
        sa = stage_view(na.stages[index]) if index < len(na.stages) else None
        sb = stage_view(nb.stages[index]) if index < len(nb.stages) else None
        label = (na.stages if sa else nb.stages)[index].name
        for field in fields(StageView):
            va = getattr(sa, field.name) if sa else "—"
            vb = getattr(sb, field.name) if sb else "—"
            structure.append([f"{label}.{field.name}", va, vb])
    structure += [
        ["head", describe(na.head), describe(nb.head)],
        ["output", format_shape(na.output), format_shape(nb.output)],
    ]
    changed = [[what, va, vb, ""] for what, va, vb in structure if va != vb]
    return rows + (changed or [["structure", "identical", "identical", ""]])


def diff_text(a: Network, b: Network) -> str:
    lines = format_rows(diff_rows(a, b)).splitlines()
    return "".join(line.rstrip() + "\n" for line in lines)
