"""`resgen build` stays lean (issue 12, point 6): a plain build, run exactly as a
user runs it (`python -m resgen build SPEC -o OUT`, default options), imports
neither torch nor networkx, nor the summary tables, the renderer or rich.

The process runs under `-X importtime`, which lists every module it imports, so
an import anywhere on the path (even one made and dropped inside a function)
is caught. torch is imported only by `--check`, training and export; networkx
only by the commands that still walk the networkx graph (not `build`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SPECS


@pytest.fixture(scope="module")
def build_imports(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The modules a plain `resgen build specs/resnet152.yaml` imports."""
    out = tmp_path_factory.mktemp("lean")
    command = ["-X", "importtime", "-m", "resgen", "build", str(SPECS / "resnet152.yaml")]
    result = subprocess.run(
        [sys.executable, *command, "-o", str(out)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (out / "resnet152.py").is_file() and result.stdout.startswith("wrote ")
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    names = {line.rsplit("|", 1)[1].strip() for line in lines[1:]}  # [0]: the header
    assert "resgen.cli" in names, "no module list: -X importtime printed nothing?"
    return names


def imported(names: set[str], package: str) -> list[str]:
    return sorted(name for name in names if name == package or name.startswith(package + "."))


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """`python -c code` in a fresh interpreter, from the repository's root."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_build_does_not_import_torch(build_imports: set[str]) -> None:
    assert not imported(build_imports, "torch"), f"imported {imported(build_imports, 'torch')[:3]}"


def test_build_does_not_import_networkx(build_imports: set[str]) -> None:
    """Passes once the build path runs on the typed IR instead of the networkx graph."""
    found = imported(build_imports, "networkx")
    assert not found, f"imported {found[:3]} ({len(found)} networkx modules)"


@pytest.mark.parametrize(
    "package", ["rich", "resgen.render", "resgen.analysis.table", "resgen.variants.overrides"]
)
def test_build_does_not_import_what_only_other_commands_need(
    build_imports: set[str], package: str
) -> None:
    """rich: help and summary tables; render: --diagram; table: summary; overrides: --set."""
    assert not imported(build_imports, package), f"imported {imported(build_imports, package)[:3]}"


def test_spec_models_are_built_on_first_use() -> None:
    """Importing the schema builds no validator (pydantic's `defer_build`): `Spec`'s one
    validator, built at the first spec, covers the models inside it."""
    code = (
        "from resgen.spec import schema\n"
        "built = [name for name, model in vars(schema).items()\n"
        "         if isinstance(model, type) and issubclass(model, schema.StrictModel)\n"
        "         and model.__pydantic_complete__]\n"
        "print(built)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def resgen_build(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "resgen", "build", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT)


def test_build_with_set_and_diagram_still_imports_what_it_needs(tmp_path: Path) -> None:
    """The lazy imports in `build` still load the renderer and the overrides when asked."""
    spec = str(SPECS / "cifar10" / "resnet20_a.yaml")
    result = resgen_build(spec, "-o", str(tmp_path), "--set", "params.n=1", "--diagram", "dot")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "cifar_resnet20_a.dot").is_file(), result.stdout
    bad = resgen_build(str(SPECS / "resnet18.yaml"), "-o", str(tmp_path), "--diagram", "gif")
    assert bad.returncode == 2 and "--diagram" in bad.stderr, bad.stderr


# --------------------------------------------------------------- precompiled templates


def test_precompiled_templates_are_current() -> None:
    """compiled_templates.py is what the templates compile to today; if this fails,
    run `python -m resgen.codegen.precompiled` and commit the file."""
    from resgen.codegen.emit import _environment, templates_dir
    from resgen.codegen.precompiled import GENERATED, generated_text, template_names

    assert "model.py.j2" in template_names(templates_dir())
    expected = generated_text(_environment(), templates_dir())
    assert GENERATED.read_text(encoding="utf-8") == expected, (
        "resgen/codegen/compiled_templates.py is out of date: "
        "run `python -m resgen.codegen.precompiled`"
    )


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("a template was compiled at run time")


def test_precompiled_templates_render_what_the_templates_render(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every spec's module is the same, byte for byte, whether the templates come
    precompiled (with Jinja's compiler switched off) or are compiled here."""
    from resgen.codegen import emit
    from resgen.pipeline import build

    precompiled = emit._environment.__wrapped__()
    monkeypatch.setattr(precompiled, "compile", _refuse)
    plain = emit._environment.__wrapped__()
    plain.bytecode_cache = None
    specs = sorted([*SPECS.glob("*.yaml"), *SPECS.glob("cifar10/*.yaml")])
    assert len(specs) > 30
    for spec in specs:
        codes = []
        for environment in (precompiled, plain):
            monkeypatch.setattr(emit, "_environment", lambda env=environment: env)
            codes.append(build(spec).code)
        assert codes[0] == codes[1], spec


def test_a_changed_template_is_compiled_from_its_text() -> None:
    """A template edited after the file was generated is compiled from its new text
    (the checksum differs), never served stale."""
    import jinja2

    from resgen.codegen import emit

    environment = emit._environment.__wrapped__()
    environment.loader = jinja2.DictLoader({"model.py.j2": "edited {{ 6 * 7 }}\n"})
    assert environment.get_template("model.py.j2").render() == "edited 42\n"



# --------------------------------------------------------------- the command line's start


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["build", "spec.yaml", "-o", "out"], "build"),
        (["--plugin", "ops.py", "summary", "spec.yaml"], "summary"),
        (["--plugin=ops.py", "render", "spec.yaml"], "render"),
        (["sweep", "--help"], "sweep"),
        (["--help"], None),
        ([], None),
        (["buidl", "spec.yaml"], None),
        (["--plugin", "build"], None),  # `build` is the plugin file here, not the command
    ],
)
def test_app_for_narrows_to_the_command_named(args: list[str], command: str | None) -> None:
    from resgen.cli import app, app_for

    narrowed = app_for(args)
    if command is None:
        assert narrowed is app
    else:
        names = [info.callback.__name__ for info in narrowed.registered_commands]
        assert names == [command] and narrowed.registered_callback is app.registered_callback
        assert len(app.registered_commands) > 5  # the whole app is left as it was


def test_a_narrowed_command_has_the_whole_apps_help_and_errors() -> None:
    """Help, usage and a usage error read the same from the narrowed app."""
    from typer.testing import CliRunner

    from resgen.cli import app, app_for

    runner = CliRunner()
    for info in app.registered_commands:
        name = info.callback.__name__
        for args in ([name, "--help"], [name, "--no-such-option"]):
            whole, narrowed = runner.invoke(app, args), runner.invoke(app_for(args), args)
            assert narrowed.exit_code == whole.exit_code != 1, (args, whole.output)
            assert narrowed.output == whole.output, args


def test_the_command_tunes_the_collector() -> None:
    """`resgen` (and `python -m resgen`) raise the first GC threshold before loading the
    command line and freeze what the run kept when it ends (the last collection, at exit,
    skips it); `import resgen` as a library leaves the collector alone."""
    code = (
        "import gc, sys\n"
        "before = gc.get_threshold()\n"
        "import resgen, resgen.cli\n"
        "assert gc.get_threshold() == before, gc.get_threshold()\n"
        "from resgen.__main__ import main\n"
        "sys.argv = ['resgen', 'schema']\n"
        "try:\n    main()\n"
        "finally:\n    print(gc.get_threshold(), gc.get_freeze_count() > 0, file=sys.stderr)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "(100000, 10, 10) True" and '"$schema"' in result.stdout


def test_build_imports_only_the_op_modules_it_uses(tmp_path: Path) -> None:
    """Looking an op up imports the built-in op modules in order only until one defines
    it: a ResNet's build never loads the attention ops' modules."""
    spec = str(SPECS / "resnet152.yaml")
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['resgen', 'build', {spec!r}, '-o', {str(tmp_path)!r}]\n"
        "try:\n    runpy.run_module('resgen', run_name='__main__')\n"
        "finally:\n"
        "    print(sorted(name for name in sys.modules if name.startswith('resgen.ops.')))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    used = ["activation", "base", "conv", "join", "linear", "norm", "pool"]
    assert result.stdout.splitlines()[-1] == str([f"resgen.ops.{name}" for name in used])
