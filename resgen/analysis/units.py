"""Numbers for people: `human(4089184256, "MACs")` -> `4.089 GMACs`.

Kept apart from `table` so that `resgen build` prints its line without importing
the summary tables (and what they import).
"""

from __future__ import annotations


def human(number: float, unit: str = "") -> str:
    """`4089184256` -> `4.089 G`."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= scale:
            return f"{number / scale:.3f} {suffix}{unit}"
    return f"{number:g} {unit}".rstrip()
