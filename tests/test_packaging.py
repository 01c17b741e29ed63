"""A non-editable install carries the templates, the block library and the zoo."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_ships_templates_library_and_specs(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("resgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").rglob("*"):
        if template.is_file():
            assert f"resgen/templates/{template.relative_to(ROOT / 'templates')}" in names
    assert "resgen/blocks/library.yaml" in names
    assert "resgen/specs/resnet50.yaml" in names
    assert not any(name.startswith(("tests/", "resgen/tests")) for name in names)
