"""The emitted code reads like the reference implementations (issue 12, point 5)."""

from __future__ import annotations

import ast
import json
import tokenize
from io import StringIO

import resgen
from tests.conftest import SPECS

SMALL = """\
resgen: 1
name: small
input: [3, 32, 32]
{extra}
stem: [conv: {{out: 16}}, bn, relu]
defaults: {{block: basic}}
stages:
  - {{blocks: 2, width: 16}}
  - {{blocks: 2, width: 32, stride: 2}}
head: [avgpool, flatten, linear: {{out: 10}}]
"""


def small(extra: str = "") -> str:
    return SMALL.format(extra=extra)


def network_class(source: str) -> ast.ClassDef:
    classes = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
    return classes[-1]


def test_the_description_opens_the_class_docstring() -> None:
    source = resgen.generate_code(SPECS / "resnet50.yaml")
    doc = ast.get_docstring(network_class(source)) or ""
    first, rest = doc.split("\n\n")
    assert first == ("ResNet-50 for ImageNet, state-dict-identical to torchvision.models.resnet50.")
    assert rest == "The 'resnet50' network (25,557,032 parameters, input 3×224×224)."


def test_without_a_description_the_class_docstring_is_the_numbers() -> None:
    doc = ast.get_docstring(network_class(resgen.generate_code(small())))
    assert doc is not None and doc.startswith("The 'small' network (") and "\n" not in doc


def test_a_hostile_description_stays_text() -> None:
    payload = 'x"""\\n__import__("os").system("pwned")  # \\\\ \' """ ' + " ".join(["word"] * 40)
    source = resgen.generate_code(small(f"description: {json.dumps(payload)}"))
    for token in tokenize.generate_tokens(StringIO(source).readline):
        if token.type != tokenize.STRING:
            assert "pwned" not in token.string, token
    doc = ast.get_docstring(network_class(source), clean=False) or ""
    description, summary = doc.split("\n\n")
    assert "pwned" in description and description.endswith("word")
    assert summary.startswith("The 'small' network (")
