"""Small arithmetic expressions (`width * 4`, `6 * n + 2`) without `eval`.

An expression is parsed with `ast` and only a whitelist of node types is
accepted. It can be evaluated against an environment of named values, or
partially evaluated into Python source for the emitted code: names whose
value is fixed are folded into literals, the rest stay as (validated) names.

Every number that enters an operation (a literal, a name's value, a result) is
at most 2**53 in magnitude and exponents are at most 64, so no single operation
can take long or make a large number: `10**10**10` or `n * n * n` with a huge
`n` is refused at once, never computed.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Value = int | float | str | bool

MAX_EXPRESSION_LENGTH = 200
MAX_MAGNITUDE = 2**53
MAX_EXPONENT = 64  # also the most digits `round` may keep or drop


def _round(number: float, digits: int | None = None) -> float:
    if digits is not None and abs(digits) > MAX_EXPONENT:
        raise ValueError(f"round() keeps at most {MAX_EXPONENT} digits")
    return round(number, digits)


_BINARY: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Value], Value]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}
_COMPARE: dict[type, Callable[[Value, Value], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
FUNCTIONS: dict[str, Callable[..., Value]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "int": int,
    "round": _round,
    "ceil": math.ceil,
    "floor": math.floor,
}


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says why.

    `unknown_name` is set when the problem is a name the environment lacks,
    so callers can suggest the names that do exist.
    """

    def __init__(self, message: str, unknown_name: str | None = None) -> None:
        super().__init__(message)
        self.unknown_name = unknown_name


@dataclass(frozen=True)
class Expression:
    """A parsed expression; `names` are the free variables it reads."""

    source: str
    tree: ast.expr
    names: frozenset[str]
    # results by the values of `names`: the blocks of a stage evaluate the same
    # expressions over the same few values (a ResNet-152 has 50 blocks, 4 widths)
    _results: dict[tuple[Any, ...], Value] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def evaluate(self, env: Mapping[str, Value]) -> Value:
        try:  # the type too: 1, 1.0 and True are equal keys but not equal results
            key = tuple((type(env[name]), env[name]) for name in self.names)
            known = key in self._results
        except (KeyError, TypeError):  # an unknown name (reported below), an unhashable value
            return _evaluate(self.tree, env)
        if not known:
            self._results[key] = _evaluate(self.tree, env)
        return self._results[key]

    def to_python(self, fixed: Mapping[str, Value], rename: Mapping[str, str] | None = None) -> str:
        """Python source with `fixed` names folded in (for the emitted code).

        `rename` replaces names by source fragments (themselves expressions).
        """
        tree = _fold(self.tree, fixed)
        if rename:
            tree = _fold(_Substitute(rename).visit(tree), {})
        return ast.unparse(tree)


class _Substitute(ast.NodeTransformer):
    def __init__(self, rename: Mapping[str, str]) -> None:
        self.rename = rename

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.rename:
            return ast.parse(self.rename[node.id], mode="eval").body
        return node


@lru_cache(maxsize=4096)
def parse(source: str) -> Expression:
    """Parse and whitelist-check `source`; raise ExpressionError if refused."""
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {source!r}: {exc.msg}") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        _check_node(node, source)
        if isinstance(node, ast.Name) and not _is_function_position(node, tree):
            names.add(node.id)
    return Expression(source, tree, frozenset(names))


def _is_function_position(name: ast.Name, tree: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


def _check_node(node: ast.AST, source: str) -> None:
    allowed = (
        ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.Constant,
        ast.Name, ast.Call, ast.Load, ast.And, ast.Or,
        *_BINARY, *_UNARY, *_COMPARE,
    )  # fmt: skip
    if not isinstance(node, allowed):
        raise ExpressionError(
            f"{type(node).__name__.lower()} is not allowed in expression {source!r}; "
            "use numbers, names, + - * / // % **, comparisons, `a if c else b` and "
            + ", ".join(sorted(FUNCTIONS))
        )
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
        raise ExpressionError(f"constant {node.value!r} is not allowed in {source!r}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError(
                f"unknown function in {source!r}; allowed: {', '.join(sorted(FUNCTIONS))}"
            )
        if node.keywords:
            raise ExpressionError(f"keyword arguments are not allowed in {source!r}")


def _bounded(value: Any, what: str = "result") -> Any:
    """`value` if it is a string, a bool or a number no larger than 2**53."""
    if isinstance(value, complex):
        raise ExpressionError(f"{what} is not a real number")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ExpressionError(f"{what} is not a finite number")
        if abs(value) > MAX_MAGNITUDE:
            raise ExpressionError(f"{what} is too large ({_magnitude(value)}; the limit is 2**53)")
    return value


def _magnitude(value: int | float) -> str:
    """A huge number, shortly (`f"{n:.3g}"` fails beyond a float's range)."""
    if isinstance(value, int) and value.bit_length() > 1000:
        return f"{value.bit_length():,} bits"
    return f"{value:.3g}"


def _evaluate(node: ast.expr, env: Mapping[str, Value]) -> Value:
    if isinstance(node, ast.Constant):
        return _bounded(node.value, "number")
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise ExpressionError(f"unknown name {node.id!r}", node.id)
        return _bounded(env[node.id], f"the value of {node.id}")
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, env), _evaluate(node.right, env)
        if isinstance(left, str) or isinstance(right, str):
            raise ExpressionError(f"arithmetic needs numbers, got {left!r:.40} and {right!r:.40}")
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise ExpressionError(f"exponent larger than {MAX_EXPONENT}")
        try:
            return _bounded(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise ExpressionError("division by zero") from None
        except OverflowError:
            raise ExpressionError("result is too large (the limit is 2**53)") from None
        except TypeError:
            raise ExpressionError(f"cannot combine {left!r} and {right!r}") from None
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, env)
        if isinstance(operand, str):
            raise ExpressionError(f"arithmetic needs numbers, got {operand!r:.40}")
        try:
            return _UNARY[type(node.op)](operand)
        except TypeError:
            raise ExpressionError(f"cannot negate {operand!r}") from None
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, env)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(right_node, env)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError:
                raise ExpressionError(f"cannot compare {left!r} and {right!r}") from None
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = (_evaluate(v, env) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.IfExp):
        branch = node.body if _evaluate(node.test, env) else node.orelse
        return _evaluate(branch, env)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [_evaluate(a, env) for a in node.args]
        try:
            return _bounded(FUNCTIONS[node.func.id](*args))
        except (TypeError, ValueError, OverflowError) as exc:
            raise ExpressionError(f"{node.func.id}(): {exc}") from None
    raise ExpressionError(f"unsupported expression node {type(node).__name__}")


def _fold(node: ast.expr, fixed: Mapping[str, Value]) -> ast.expr:
    """Replace fixed names by constants and evaluate every constant subtree."""
    if isinstance(node, ast.Name):
        return ast.Constant(fixed[node.id]) if node.id in fixed else node
    if isinstance(node, ast.IfExp):
        test = _fold(node.test, fixed)
        if isinstance(test, ast.Constant):
            return _fold(node.body if test.value else node.orelse, fixed)
        return ast.IfExp(test, _fold(node.body, fixed), _fold(node.orelse, fixed))
    if isinstance(node, ast.Call):
        folded_call = ast.Call(node.func, [_fold(a, fixed) for a in node.args], [])
        if all(isinstance(a, ast.Constant) for a in folded_call.args):
            return ast.Constant(_evaluate(folded_call, {}))
        return folded_call
    folded = _rebuild(node, fixed)
    children = [c for c in ast.iter_child_nodes(folded) if isinstance(c, ast.expr)]
    if all(isinstance(c, ast.Constant) for c in children):
        return ast.Constant(_evaluate(folded, {}))
    return _simplify(folded)


def _rebuild(node: ast.expr, fixed: Mapping[str, Value]) -> ast.expr:
    if isinstance(node, ast.BinOp):
        return ast.BinOp(_fold(node.left, fixed), node.op, _fold(node.right, fixed))
    if isinstance(node, ast.UnaryOp):
        return ast.UnaryOp(node.op, _fold(node.operand, fixed))
    if isinstance(node, ast.Compare):
        return ast.Compare(
            _fold(node.left, fixed), node.ops, [_fold(c, fixed) for c in node.comparators]
        )
    if isinstance(node, ast.BoolOp):
        return ast.BoolOp(node.op, [_fold(v, fixed) for v in node.values])
    return node


def _simplify(node: ast.expr) -> ast.expr:
    """Drop `x * 1`, `1 * x`, `x + 0`, `x // 1` so folded code reads naturally."""
    if not isinstance(node, ast.BinOp):
        return node

    def is_const(n: ast.expr, value: int) -> bool:
        return (
            isinstance(n, ast.Constant) and not isinstance(n.value, bool | str) and n.value == value
        )

    if isinstance(node.op, ast.Mult):
        if is_const(node.right, 1):
            return node.left
        if is_const(node.left, 1):
            return node.right
    if isinstance(node.op, ast.Add | ast.Sub) and is_const(node.right, 0):
        return node.left
    if isinstance(node.op, ast.FloorDiv) and is_const(node.right, 1):
        return node.left
    inner = node.left
    if (  # `x * c // c` -> `x`
        isinstance(node.op, ast.FloorDiv)
        and isinstance(inner, ast.BinOp)
        and isinstance(inner.op, ast.Mult)
        and isinstance(node.right, ast.Constant)
        and isinstance(inner.right, ast.Constant)
        and is_const(inner.right, node.right.value)
        and node.right.value != 0
    ):
        return inner.left
    return node
