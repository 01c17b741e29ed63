"""The emitted module's helpers are listed once (`resgen.spec.names.HELPERS`, from
which the names a spec may not take follow): the templates and the code generator
agree with it."""

from __future__ import annotations

import re

from resgen import ops
from resgen.codegen.emit import HELPER_FUNCTIONS, templates_dir
from resgen.spec.names import HELPER_NAMES, HELPERS

HELPER_TEMPLATES = templates_dir() / "helpers"


def included_helpers() -> dict[str, str]:
    """The (helper key, template) pairs that `model.py.j2` includes."""
    model = (templates_dir() / "model.py.j2").read_text()
    loop = re.search(r"\{% for helper, template in \[(.*?)\] %\}", model, re.DOTALL)
    assert loop, "model.py.j2 no longer lists its helpers in one loop: update this test"
    return dict(re.findall(r'\("(\w+)", "(\w+)"\)', loop[1]))


FIX = "list every helper once, in resgen.spec.names.HELPERS"


def test_the_model_template_includes_every_helper_under_its_key() -> None:
    expected = {key: template for key, (_, template) in HELPERS.items()}
    assert included_helpers() == expected, FIX


def test_each_helper_template_defines_its_name_and_nothing_else() -> None:
    files = {path.name.removesuffix(".py.j2") for path in HELPER_TEMPLATES.glob("*.py.j2")}
    assert files == {template for _, template in HELPERS.values()}, FIX
    for name, template in HELPERS.values():
        text = (HELPER_TEMPLATES / f"{template}.py.j2").read_text()
        assert re.findall(r"^(?:class|def) (\w+)", text, re.MULTILINE) == [name], template


def test_the_code_generator_writes_the_listed_names() -> None:
    # the ops' helpers (an op's `helper`; `se` with `squeeze` takes `se_squeeze`) and the
    # shortcut and container helpers the generator writes itself
    classes = {"zeropad", "se_squeeze", *(op.helper for op in ops.known().values() if op.helper)}
    assert classes <= set(HELPERS), FIX
    written = {key: HELPER_NAMES[key] for key in classes} | HELPER_FUNCTIONS
    assert written.items() <= HELPER_NAMES.items(), FIX
