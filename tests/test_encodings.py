"""Spec and sweep files are UTF-8: a byte-order mark is dropped, anything else refused
at the line and column of its first bad byte (tests/bad_specs has a Latin-1 file too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import resgen
from resgen.errors import Location, SpecError
from resgen.variants.sweep import load_sweep
from tests.conftest import SPECS

SPEC = SPECS / "cifar10" / "resnet20_a.yaml"


def location(path: Path) -> tuple[Location | None, str]:
    with pytest.raises(SpecError) as caught:
        resgen.build_graph(path)
    return caught.value.location, caught.value.message


@pytest.mark.parametrize(
    ("encoding", "named"),
    [("utf-16", "UTF-16"), ("utf-32", "UTF-32"), ("utf-16-le", "UTF-16 or UTF-32")],
)
def test_other_unicode_encodings_are_named(tmp_path: Path, encoding: str, named: str) -> None:
    path = tmp_path / "wide.yaml"
    path.write_bytes(SPEC.read_text().encode(encoding))
    at, message = location(path)
    assert (at.line, at.column) == (1, 1)
    assert message == f"the file is {named}, not UTF-8"


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("description: caf<BAD> au lait", 17),
        ("description: \u00abd\u00e9j\u00e0\u00bb <BAD>", 21),  # columns count characters
    ],
)
def test_a_legacy_byte_is_located(tmp_path: Path, line: str, column: int) -> None:
    path = tmp_path / "latin.yaml"
    text = SPEC.read_text().replace("name:", f"{line}\nname:", 1)
    path.write_bytes(text.encode().replace(b"<BAD>", b"\xe9"))  # Latin-1's e-acute
    at, message = location(path)
    assert (at.line, at.column) == (text.splitlines().index(line) + 1, column), message
    assert message == "the file is not UTF-8: byte 0xe9 is not a UTF-8 character"


def test_a_byte_order_mark_is_dropped_and_positions_stay_right(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SPEC.read_bytes())
    assert resgen.generate_code(path) == resgen.generate_code(SPEC)
    spec = SPEC.read_bytes().replace(b"input:", b"# input:", 1)
    path.write_bytes(b"\xef\xbb\xbf" + b'input: [3, 32, "x"]\n' + spec)
    at, message = location(path)
    assert (at.line, at.column) == (1, 16), message  # as without the mark


def test_a_sweep_file_is_read_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_bytes(f"resgen: 1\nsweep: s\nbase: {SPEC}\n".encode() + b"# \xff\ngrid: {}\n")
    with pytest.raises(SpecError) as caught:
        load_sweep(path)
    assert str(caught.value).startswith(f"{path}:4:3: the file is not UTF-8: byte 0xff")


def test_the_command_line_says_it_in_one_located_line(tmp_path: Path) -> None:
    path = tmp_path / "wide.yaml"
    path.write_bytes(SPEC.read_text().encode("utf-16"))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "resgen", "build", str(path), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"error: {path}:1:1: the file is UTF-16, not UTF-8"
    assert not out.exists()
