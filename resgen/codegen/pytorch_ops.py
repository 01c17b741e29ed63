"""How each op is written in PyTorch: constructor calls and forward lines.

Arguments arrive as Python source fragments (a literal, or a name / small
expression over constructor parameters), so the same code serves the network
class, where every value is a literal, and block classes, where some are not.
"""

from __future__ import annotations

from resgen.spec.names import HELPER_NAMES

ACTIVATION_MODULES = {
    "relu": "nn.ReLU(inplace=True)",
    "silu": "nn.SiLU(inplace=True)",
    "gelu": "nn.GELU()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "leaky_relu": "nn.LeakyReLU(inplace=True)",
    "elu": "nn.ELU(inplace=True)",
    "mish": "nn.Mish(inplace=True)",
    "hardswish": "nn.Hardswish(inplace=True)",
}
FUNCTIONAL = {"flatten": "torch.flatten({x}, 1)"}
HELPER_MODULES = {op: HELPER_NAMES[op] for op in ("se", "drop_path")}  # ops written as helpers


def _keywords(pairs: list[tuple[str, str, str | None]]) -> list[str]:
    """`key=value` for each pair whose value differs from PyTorch's default."""
    return [f"{key}={value}" for key, value, default in pairs if value != default]


def constructor(op: str, args: dict[str, str], inplace: bool = True) -> str:
    """`nn.Conv2d(64, 128, kernel_size=3, ...)` for one op."""
    if op == "conv":
        keywords = _keywords(
            [
                ("kernel_size", args["kernel"], None),
                ("stride", args["stride"], "1"),
                ("padding", args["padding"], "0"),
                ("dilation", args["dilation"], "1"),
                ("groups", args["groups"], "1"),
                ("bias", args["bias"], "True"),
            ]
        )
        return f"nn.Conv2d({', '.join([args['in'], args['out'], *keywords])})"
    if op == "bn":
        return f"nn.BatchNorm2d({args['channels']})"
    if op == "gn":
        return f"nn.GroupNorm({args['groups']}, {args['channels']})"
    if op in ACTIVATION_MODULES:
        module = ACTIVATION_MODULES[op]
        return module if inplace else module.replace("inplace=True", "")
    if op == "avgpool" and args["kernel"] == "None":
        return "nn.AdaptiveAvgPool2d(1)"
    if op in {"maxpool", "avgpool"}:
        keywords = _keywords(
            [
                ("kernel_size", args["kernel"], None),
                ("stride", args["stride"], args["kernel"]),
                ("padding", args["padding"], "0"),
                ("ceil_mode", args["ceil_mode"], "False"),
            ]
        )
        cls = "nn.MaxPool2d" if op == "maxpool" else "nn.AvgPool2d"
        return f"{cls}({', '.join(keywords)})"
    if op == "linear":
        bias = [] if args["bias"] == "True" else [f"bias={args['bias']}"]
        return f"nn.Linear({', '.join([args['in'], args['out'], *bias])})"
    if op == "dropout":
        return f"nn.Dropout(p={args['p']})"
    if op == "drop_path":
        return f"DropPath({args['p']})"
    if op == "se":
        keywords = _keywords(
            [("reduction", args["reduction"], "16"), ("divisor", args["divisor"], "8")]
        )
        return f"SqueezeExcite({', '.join([args['channels'], *keywords])})"
    if op == "flatten":
        return "nn.Flatten(1)"
    raise KeyError(f"no PyTorch constructor for op {op!r}")


def forward_call(op: str, attr: str, x: str) -> str:
    """The expression that applies an op to tensor `x` in `forward`."""
    if op in FUNCTIONAL:
        return FUNCTIONAL[op].format(x=x)
    return f"self.{attr}({x})"


def has_module(op: str) -> bool:
    return op not in FUNCTIONAL


def wrap(line: str, indent: int, limit: int = 88) -> str:
    """Break `name = call(a, b, ...)` over lines when, at `indent`, it is too long.

    Continuation lines are indented relative to the first line.
    """
    if len(line) + indent <= limit or not line.rstrip(",").endswith(")") or "(" not in line:
        return line
    trailing = "," if line.endswith(",") else ""
    head, _, rest = line.rstrip(",").partition("(")
    inner = rest[:-1]
    if indent + 4 + len(inner) <= limit and "\n" not in inner:
        return f"{head}(\n    {inner}\n){trailing}"
    body = "".join(
        "".join(f"    {line}\n" for line in wrap(part, indent + 4).rstrip(",").split("\n"))[:-1]
        + ",\n"
        for part in _split_arguments(inner)
    )
    return f"{head}(\n{body}){trailing}"


def signature(name: str, params: list[str], returns: str, indent: int, limit: int = 88) -> str:
    """`def name(params) -> returns:`, one parameter per line when too long."""
    line = f"def {name}({', '.join(params)}) -> {returns}:"
    if indent + len(line) <= limit:
        return line
    body = "".join(f"    {param},\n" for param in params)
    return f"def {name}(\n{body}) -> {returns}:"


def _split_arguments(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]
