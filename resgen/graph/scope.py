"""Attribute names and node ids inside one module (the network, a block, a group)."""

from __future__ import annotations

from collections.abc import Mapping


class Scope:
    """Hands out attribute names; parameter-free activations may be shared."""

    def __init__(
        self,
        prefix: str,
        numbered: bool = False,
        shareable: bool = True,
        reserved: Mapping[str, str] | None = None,
    ) -> None:
        self.prefix = prefix
        self.reserved = reserved or {}  # name -> what of the module already has it
        self.numbered = numbered  # children named 0, 1, 2, ... (nn.Sequential)
        self.shareable = shareable  # False inside containers: every child is its own module
        self.taken: set[str] = set()
        self.shared: set[str] = set()  # activations every unnamed use shares (`self.relu`)
        self.counters: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.position = 0

    def claim(self, name: str | None, op: str, shared: bool, counted: bool = False) -> str:
        """`name`, checked; else a name from `op` (numbered from 1 when `counted`: conv1)."""
        position, self.position = self.position, self.position + 1
        if name is None and self.numbered:
            name = str(position)
        if name is None:
            name = self._automatic(op, shared and self.shareable, counted)
        elif name in self.reserved:
            raise ValueError(f"name {name!r} is already used: it is {self.reserved[name]}")
        elif name in self.shared:
            raise ValueError(f"layer name {name!r} is already the shared activation self.{name}")
        elif name in self.taken:
            where = self.prefix or "the network"
            raise ValueError(f"layer name {name!r} is used twice in {where}")
        self.taken.add(name)
        return name

    def _automatic(self, base: str, shared: bool, counted: bool) -> str:
        """`relu` (shared), `conv1`, `conv2`, ..., `avgpool`, `avgpool2`: a name not yet taken."""
        if shared and (base in self.shared or self._free(base)):
            self.shared.add(base)
            return base
        number = self.counters.get(base, 0) + 1
        while not self._free(self._numbered(base, number, counted)):
            number += 1
        self.counters[base] = number
        return self._numbered(base, number, counted)

    @staticmethod
    def _numbered(base: str, number: int, counted: bool) -> str:
        return f"{base}{number}" if counted or number > 1 else base

    def _free(self, name: str) -> bool:
        return name not in self.taken and name not in self.reserved

    def path(self, attr: str) -> str:
        return f"{self.prefix}.{attr}" if self.prefix else attr

    def node_id(self, attr: str) -> str:
        """A unique node id; a shared module called again gets `#2`, `#3`, ..."""
        full = self.path(attr)
        count = self.calls.get(full, 0) + 1
        self.calls[full] = count
        return full if count == 1 else f"{full}#{count}"
