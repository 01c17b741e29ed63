"""The corpus of broken specs in `tests/bad_specs/`: every one is refused cleanly.

Each spec starts with comment lines saying what its error must contain:

    # expect: identity shortcut cannot change 64→128 channels   (one or more)
    # expect-path: stages[1].shortcut                            (optional)
    # expect-line: 8                                             (optional)

For every spec, `resgen build` (one process per spec) and `resgen validate`
(one process for the whole corpus) must exit with code 2 and print one short
message `file:line:col: key.path: message` holding every fragment, with no
traceback and no file written; `resgen.build_graph` must raise `SpecError`.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import resgen
from resgen.errors import SpecError

CORPUS = Path(__file__).parent / "bad_specs"
SPECS = sorted(CORPUS.glob("*.yaml"))
MAX_LINES = 3  # the message, a hint, one more at most
MAX_CHARS = 800
MEMORY_LIMIT = 4 << 30  # bytes of address space a resgen process may use
TIMEOUT = 60

# Artefacts of the validation library or of PyYAML that must not reach users.
ARTEFACTS = ("Traceback", "[key]", "{{", "}}", "instance of", "<unicode string>")
REPEATED_PATH = re.compile(r"(?:^|\s)([\w.\[\]]+): \1:")

# Mistakes resgen does not yet report as it should. Each entry is a gap for
# resgen/ to close; remove it when the test passes (the xfail is strict).
# Gaps seen only through the command line are listed in CLI_GAPS.
KNOWN_GAPS: dict[str, str] = {}
CLI_GAPS: dict[str, str] = {}


@dataclass
class Expectation:
    path: Path
    fragments: list[str] = field(default_factory=list)
    key_path: str = ""
    line: int | None = None

    @property
    def name(self) -> str:
        return self.path.stem


def read_expectation(path: Path) -> Expectation:
    expectation = Expectation(path)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()  # some are not UTF-8
    assert lines and lines[0].startswith("# expect: "), f"{path.name}: no `# expect:` first line"
    for line in lines:
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(": ")
        if key == "expect":
            expectation.fragments.append(value)
        elif key == "expect-path":
            expectation.key_path = value
        elif key == "expect-line":
            expectation.line = int(value)
    return expectation


def check_message(spec: Expectation, message: str) -> None:
    """One short, located message holding every expected fragment."""
    for artefact in ARTEFACTS:
        assert artefact not in message, f"{artefact!r} in the message:\n{message[:2000]}"
    lines = message.strip("\n").splitlines()
    assert 1 <= len(lines) <= MAX_LINES, f"{len(lines)} lines:\n{message[:2000]}"
    assert len(message) <= MAX_CHARS, f"{len(message)} characters:\n{message[:2000]}"
    prefix = f"{spec.path}:"
    assert lines[0].startswith(prefix), f"does not start with {prefix!r}:\n{message}"
    where = re.match(r"(\d+):(\d+): ", lines[0][len(prefix) :])
    assert where, f"no line:col after the file name:\n{message}"
    line, column = int(where[1]), int(where[2])
    n_lines = spec.path.read_text(encoding="utf-8", errors="replace").count("\n") + 1
    assert 1 <= line <= n_lines and column >= 1, f"{line}:{column} is not in the file"
    if spec.line is not None:
        assert line == spec.line, f"line {line}, expected {spec.line}:\n{message}"
    if spec.key_path:
        assert f" {spec.key_path}: " in lines[0], f"no key path {spec.key_path!r}:\n{message}"
    assert not REPEATED_PATH.search(lines[0]), f"key path repeated:\n{message}"
    text = message[len(prefix) + len(where[0]) :]  # the file name is no evidence
    for fragment in spec.fragments:
        assert fragment in text, f"{fragment!r} not in:\n{message}"


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_resgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resgen", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=TIMEOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "COLUMNS": "200"},
        preexec_fn=_limit_memory if sys.platform == "linux" else None,
    )


def _param(spec: Expectation, cli: bool) -> object:
    reason = KNOWN_GAPS.get(spec.name) or (CLI_GAPS.get(spec.name) if cli else None)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(spec, id=spec.name, marks=marks)


EXPECTATIONS = [read_expectation(path) for path in SPECS]
CLI_PARAMS = [_param(spec, cli=True) for spec in EXPECTATIONS]
API_PARAMS = [_param(spec, cli=False) for spec in EXPECTATIONS]


def test_corpus_is_broad() -> None:
    assert len(SPECS) >= 40
    names = {spec.name for spec in EXPECTATIONS}
    assert set(KNOWN_GAPS) | set(CLI_GAPS) <= names, "a gap names no spec"


# --------------------------------------------------------------------------- build


def selected(request: pytest.FixtureRequest, test: str) -> set[str]:
    """The specs this session runs `test` on (all of them unless -k narrows it)."""
    return {
        item.callspec.params["spec"].name
        for item in request.session.items
        if getattr(item, "originalname", "") == test and hasattr(item, "callspec")
    }


@dataclass
class BuildRun:
    result: subprocess.CompletedProcess[str]
    out: Path


@pytest.fixture(scope="module")
def builds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, BuildRun]:
    """`resgen build` on every spec, two processes at a time."""
    root = tmp_path_factory.mktemp("bad_builds")
    wanted = selected(request, "test_build_refuses")

    def build(spec: Expectation) -> tuple[str, BuildRun]:
        out = root / spec.name
        return spec.name, BuildRun(run_resgen("build", str(spec.path), "-o", str(out)), out)

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return dict(pool.map(build, [spec for spec in EXPECTATIONS if spec.name in wanted]))


@pytest.mark.parametrize("spec", CLI_PARAMS)
def test_build_refuses(spec: Expectation, builds: dict[str, BuildRun]) -> None:
    run = builds[spec.name]
    result = run.result
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    assert result.returncode == 2, f"exit {result.returncode}:\n{result.stdout}{result.stderr}"
    assert not result.stdout.strip(), result.stdout
    assert result.stderr.startswith("error: "), result.stderr
    check_message(spec, result.stderr.removeprefix("error: "))
    written = list(run.out.rglob("*")) if run.out.exists() else []
    assert not written, f"build wrote {written}"


# --------------------------------------------------------------------------- validate


@pytest.fixture(scope="module")
def validated(request: pytest.FixtureRequest) -> dict[str, str]:
    """`resgen validate` on the whole corpus in one process: spec name -> its output.

    A spec that crashes the process gets its crash output; validation then
    goes on with the specs after it in a new process.
    """
    reports: dict[str, str] = {}
    wanted = selected(request, "test_validate_refuses")
    pending = [spec for spec in EXPECTATIONS if spec.name in wanted]
    while pending:
        result = run_resgen("validate", *(str(spec.path) for spec in pending))
        blocks = re.split(r"^(?=FAIL |ok   )", result.stdout, flags=re.MULTILINE)
        done = 0
        for block in blocks:
            if not block.startswith(("FAIL ", "ok   ")):
                continue
            spec = pending[done]
            head = block.partition("\n")[0]
            assert head.split(":")[0].split(" ", 1)[1].strip() == str(spec.path), head
            reports[spec.name] = block
            done += 1
        if done == len(pending):
            assert result.returncode == 2, f"exit {result.returncode}: {result.stderr}"
            assert f"of {len(pending)} specs failed" in result.stderr, result.stderr
            break
        reports[pending[done].name] = f"crashed (exit {result.returncode}):\n{result.stderr}"
        pending = pending[done + 1 :]
    return reports


@pytest.mark.parametrize("spec", CLI_PARAMS)
def test_validate_refuses(spec: Expectation, validated: dict[str, str]) -> None:
    report = validated[spec.name]
    assert report.startswith(f"FAIL {spec.path}\n"), report[:3000]
    body = report.partition("\n")[2].rstrip("\n")
    assert all(line.startswith("    ") for line in body.splitlines()), report
    check_message(spec, "\n".join(line[4:] for line in body.splitlines()))


# --------------------------------------------------------------------------- API


@contextlib.contextmanager
def memory_limit(extra: int) -> Iterator[None]:
    """Cap this process's address space at its current size plus `extra` bytes."""
    try:
        import resource

        with open("/proc/self/statm") as handle:
            current = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = current + extra if hard == resource.RLIM_INFINITY else min(hard, current + extra)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("spec", API_PARAMS)
def test_api_raises_spec_error(spec: Expectation) -> None:
    with memory_limit(2 << 30), pytest.raises(SpecError) as caught:
        resgen.build_graph(str(spec.path))
    check_message(spec, str(caught.value))


# --------------------------------------------------------------------------- codegen

TRICKY = "'''\"\"\" \\\\ {{ x }} %s\n); import os; os.system('echo pwned') #"
TRICKY_SPEC = f"""\
resgen: 1
name: tricky
class_name: Net_With_Odd_Names2
description: {json.dumps(TRICKY)}
input: [3, 16, 16]
params: {{n: 1}}
blocks:
  tricky_block:
    class: TrickyBlock
    doc: {json.dumps(TRICKY)}
    params: {{expansion: 1, mode: plain}}
    main:
      - conv: {{name: print, out: "width * (2 if mode == 'wide' else 1)", stride: stride}}
      - norm: {{name: input}}
      - act
      - conv: {{name: exec, out: out_channels}}
      - norm: {{name: eval_}}
    post: [act]
stem:
  - conv: {{name: globals, out: 8}}
  - bn: {{name: locals}}
  - relu
defaults: {{block: tricky_block, shortcut: B}}
stages:
  - {{name: map, blocks: n, width: 8, args: {{mode: {json.dumps(TRICKY)}}}}}
  - {{name: open_, blocks: 2, width: 16, stride: 2, args: {{mode: wide}}}}
head: [avgpool, flatten, {{dropout: {{p: 0.25}}}}, {{linear: {{name: vars, out: 10}}}}]
"""


def test_spec_strings_reach_code_only_as_literals(tmp_path: Path) -> None:
    spec = tmp_path / "tricky.yaml"
    spec.write_text(TRICKY_SPEC, encoding="utf-8")
    source = resgen.generate_code(spec)
    tree = ast.parse(source)
    compile(source, "tricky.py", "exec")
    imports = [
        ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert set(imports) <= {
        "import torch",
        "import torch.nn.functional as F",
        "from torch import Tensor, nn",
    }, imports
    # The payload appears only inside string tokens (docstrings, literals).
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.STRING, tokenize.COMMENT):
            assert "pwned" not in token.string and "os.system" not in token.string, token
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert TRICKY in literals, "the tricky param value is not passed as a faithful literal"
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    assert {"Net_With_Odd_Names2", "TrickyBlock"} <= set(classes), sorted(classes)
    doc = ast.get_docstring(classes["TrickyBlock"], clean=False)
    assert doc in (TRICKY, " ".join(TRICKY.split())), doc
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    module = tmp_path / "tricky.py"
    module.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [ruff, "check", "--isolated", "--no-cache", str(module)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
