"""The spec language as pydantic models: validation and the JSON Schema.

Numbers that may depend on named params are `IntExpr`: an integer, or a string
holding a small expression (see `resgen.spec.expr`) evaluated later, when the
network is expanded. Every model forbids unknown keys and suggests the closest
known one.
"""

from __future__ import annotations

import difflib
import keyword
import re
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from resgen.spec.expr import ExpressionError, parse
from resgen.spec.names import attribute_problem, class_problem, parameter_problem

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def suggest(word: str, choices: Any) -> str:
    """` (did you mean 'x'?)` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _shown(value: str) -> str:
    """`repr` of a user string, cut short so a huge value cannot flood the message."""
    text = repr(value)
    return text if len(text) <= 50 else text[:45] + "...'"


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value) or keyword.iskeyword(value):
        raise PydanticCustomError(
            "identifier",
            "{value} is not a valid name: use letters, digits and _ "
            "(not starting with a digit, at most 64 characters, not a Python keyword)",
            {"value": _shown(value)},
        )
    return value


def _class_name(value: str) -> str:
    _identifier(value)
    problem = class_problem(value)
    if problem:
        raise PydanticCustomError(
            "reserved_class", "{value} cannot name a class: {problem}",
            {"value": repr(value), "problem": problem},
        )  # fmt: skip
    return value


def _layer_name(value: str) -> str:
    _identifier(value)
    problem = attribute_problem(value)
    if problem:
        raise PydanticCustomError(
            "reserved_name",
            "{value} cannot name a layer: it {problem}",
            {"value": _shown(value), "problem": problem},
        )
    return value


def _parameter_name(value: str) -> str:
    _identifier(value)
    problem = parameter_problem(value)
    if problem:
        raise PydanticCustomError(
            "reserved_parameter",
            "{value} cannot name a block parameter: it {problem}",
            {"value": _shown(value), "problem": problem},
        )
    return value


def _expression(value: str) -> str:
    try:
        parse(value)
    except ExpressionError as exc:
        raise PydanticCustomError("expression", "{problem}", {"problem": str(exc)}) from None
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r}"[:60]


def _int_or_expression(value: Any) -> int | str:
    if isinstance(value, str):
        return _expression(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PydanticCustomError(
        "int_expr",
        "expected an integer or an expression string, got {got}",
        {"got": _kind(value)},
    )


def _number_or_expression(value: Any) -> float | int | str:
    if isinstance(value, float):
        return value
    try:
        return _int_or_expression(value)
    except PydanticCustomError:
        raise PydanticCustomError(
            "number_expr",
            "expected a number or an expression string, got {got}",
            {"got": _kind(value)},
        ) from None


def _scalar(value: Any) -> bool | int | float | str:
    if isinstance(value, bool | int | float | str):
        return value
    raise PydanticCustomError(
        "scalar", "expected a number, string or boolean, got {got}", {"got": _kind(value)}
    )


Identifier = Annotated[StrictStr, AfterValidator(_identifier)]
ClassName = Annotated[StrictStr, AfterValidator(_class_name)]
LayerName = Annotated[StrictStr, AfterValidator(_layer_name)]
ParameterName = Annotated[StrictStr, AfterValidator(_parameter_name)]
IntExpr = Annotated[
    Any,
    PlainValidator(_int_or_expression, json_schema_input_type=int | str),
    Field(description="an integer, or an expression over params such as 'width * 4'"),
]
NumberExpr = Annotated[
    Any, PlainValidator(_number_or_expression, json_schema_input_type=float | int | str)
]
Scalar = Annotated[Any, PlainValidator(_scalar, json_schema_input_type=bool | int | float | str)]

ShortcutKind = Literal["identity", "A", "B", "C", "D", "none"]
JoinKind = Literal["add", "concat", "gate"]


class StrictModel(BaseModel):
    """Base model: strict types, unknown keys refused with a suggestion."""

    # defer_build: a model's validator is built when first used, not at import, so
    # `Spec`'s one validator covers the models inside it and `resgen build` does not
    # pay for ~40 separate validators (issue 12: the lean build path).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = {f.alias or name for name, f in cls.model_fields.items()}
            for key in data:
                if key not in known:
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key {shown}{suggestion}; expected one of: {known}",
                        {
                            "key": repr(key),
                            "shown": _shown(str(key)),
                            "suggestion": suggest(str(key), known),
                            "known": ", ".join(sorted(known)),
                        },
                    )
            _refuse_nulls(cls, data)
        return data


def _refuse_nulls(model: type[BaseModel], data: dict[str, Any]) -> None:
    """A key set to null would quietly mean "not set": refuse it, so `shortcut: null`
    cannot pass for `shortcut: none`. (Required keys get pydantic's type message.)"""
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in data and data[key] is None and not field.is_required():
            none = "none" in _literal_values(field.annotation)
            raise PydanticCustomError(
                "null_value",
                "null is not a value: leave the key out for its default"
                + ("; write 'none' for no {key}" if none else ""),
                {"key": key},
            )


def _literal_values(annotation: Any) -> set[Any]:
    """The values of every `Literal` inside a type annotation."""
    if get_origin(annotation) is Literal:
        return set(get_args(annotation))
    return {value for arg in get_args(annotation) for value in _literal_values(arg)}


# ----------------------------------------------------------------------------- layers


class ConvArgs(StrictModel):
    """2-D convolution. `padding` defaults to `dilation * (kernel - 1) // 2`."""

    out: IntExpr
    kernel: IntExpr = 3
    stride: IntExpr = 1
    padding: IntExpr | None = None
    dilation: IntExpr = 1
    groups: IntExpr = 1
    bias: StrictBool = False
    name: LayerName | None = None


class NormArgs(StrictModel):
    """Normalization over channels (batch norm for `bn`, the spec's choice for `norm`)."""

    name: LayerName | None = None


class ActivationArgs(StrictModel):
    name: LayerName | None = None


class GroupNormArgs(StrictModel):
    """Group normalization; `groups` must divide the channels."""

    groups: IntExpr = 32
    name: LayerName | None = None


class SqueezeExciteArgs(StrictModel):
    """Squeeze-and-excitation: reduced channels = make_divisible(C / reduction, divisor)."""

    reduction: IntExpr = 16
    divisor: IntExpr = 8
    name: LayerName | None = None


class SequentialArgs(StrictModel):
    """A named group of layers, emitted as one `nn.Sequential` (e.g. a deep stem)."""

    name: LayerName
    layers: list[Layer] = Field(min_length=1)


class PoolArgs(StrictModel):
    """Max or average pooling; without `kernel`, `avgpool` is global (output 1x1)."""

    kernel: IntExpr | None = None
    stride: IntExpr | None = None
    padding: IntExpr | None = None
    ceil_mode: StrictBool = False
    name: LayerName | None = None


class FlattenArgs(StrictModel):
    pass


class LinearArgs(StrictModel):
    out: IntExpr
    bias: StrictBool = True
    name: LayerName | None = None


class DropoutArgs(StrictModel):
    p: NumberExpr = 0.5
    name: LayerName | None = None


ACTIVATIONS = ("relu", "silu", "gelu", "sigmoid", "tanh", "leaky_relu", "elu", "mish", "hardswish")

LAYER_ARGS: dict[str, type[StrictModel]] = {
    "conv": ConvArgs,
    "bn": NormArgs,
    "gn": GroupNormArgs,
    "norm": NormArgs,
    "act": ActivationArgs,
    **dict.fromkeys(ACTIVATIONS, ActivationArgs),
    "se": SqueezeExciteArgs,
    "sequential": SequentialArgs,
    "maxpool": PoolArgs,
    "avgpool": PoolArgs,
    "flatten": FlattenArgs,
    "linear": LinearArgs,
    "dropout": DropoutArgs,
    "drop_path": DropoutArgs,
}


def _layer_models() -> dict[str, type[BaseModel]]:
    models = {}
    for op, args in LAYER_ARGS.items():
        model = type(
            f"{op.capitalize()}Layer",
            (StrictModel,),
            {"__annotations__": {op: args}, "__doc__": args.__doc__, "__module__": __name__},
        )
        models[op] = model
    return models


LAYER_MODELS = _layer_models()


def _normalize_layer(value: Any) -> Any:
    """Accept `- relu` and `- relu:` (null) as `- relu: {}`; reject unknown ops."""
    if isinstance(value, str):
        value = {value: {}}
    if isinstance(value, dict):
        if len(value) != 1:
            raise PydanticCustomError(
                "layer_shape",
                "a layer is a mapping with exactly one key, the op (e.g. {example}); "
                "got keys {keys}",
                {
                    "keys": ", ".join(map(_shown, map(str, value))) or "none",
                    "example": "`conv: {out: 64}`",
                },
            )
        ((op, args),) = value.items()
        if op not in LAYER_MODELS:
            raise PydanticCustomError(
                "unknown_op",
                "unknown layer op {op}{suggestion}; known ops: {known}",
                {
                    "op": _shown(str(op)),
                    "suggestion": suggest(str(op), LAYER_MODELS),
                    "known": ", ".join(LAYER_MODELS),
                },
            )
        return {op: {} if args is None else args}
    return value


def _layer_tag(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value))
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


_LayerUnion = Union.__getitem__(
    tuple(Annotated[model, Tag(op)] for op, model in LAYER_MODELS.items())
)
_TaggedLayer = Annotated[
    _LayerUnion,
    Discriminator(_layer_tag, custom_error_type="layer", custom_error_message="expected a layer"),
]
Layer = Annotated[_TaggedLayer, BeforeValidator(_normalize_layer)]
# `Layer` (a forward reference in `SequentialArgs`) is resolved when a model is first built.


def layer_op(layer: BaseModel) -> tuple[str, Any]:
    """`(op, args)` of a validated layer."""
    op = next(iter(type(layer).model_fields))
    return op, getattr(layer, op)


# ----------------------------------------------------------------------------- blocks


class BlockDef(StrictModel):
    """A block type: a main branch, a shortcut, a join and what follows it.

    Expressions may use `in_channels`, `width`, `stride`, `dilation`, the block's
    `params`, its `let` names and the spec's params.
    """

    base: Identifier | None = Field(
        None, description="a block type to start from; keys given here replace its keys"
    )
    class_name: ClassName | None = Field(None, alias="class")
    doc: StrictStr = ""
    params: dict[ParameterName, Scalar] = {}
    let: dict[ParameterName, IntExpr] = {}
    out: IntExpr = "width * expansion"
    main: list[Layer] = []
    shortcut: ShortcutKind = "B"
    shortcut_from: StrictInt | None = Field(
        None,
        description="index of the main-branch layer whose output feeds a projection "
        "shortcut (pre-activation); identity shortcuts always take the block input",
    )
    join: JoinKind = "add"
    gate: list[Layer] = Field([], description="the transform gate T(x) of a `gate` join")
    gate_bias: StrictFloat | StrictInt | None = Field(
        None, description="initial bias of the gate's convolution (negative: carry x)"
    )
    post: list[Layer] = []


# ----------------------------------------------------------------------------- stages


class Knobs(StrictModel):
    """Choices a stage inherits from `defaults` unless it sets them itself."""

    block: Identifier | None = None
    shortcut: ShortcutKind | None = Field(
        None,
        description="identity; A: subsample + zero-pad channels; B: 1x1 conv + BN where "
        "the shape changes; C: projection on every block; D: avg-pool + 1x1 conv + BN; none",
    )
    stride_on: Literal["3x3", "1x1"] | None = Field(
        None,
        description="bottleneck stride placement: '3x3' (v1.5, torchvision) "
        "or '1x1' (v1, the paper)",
    )
    expansion: IntExpr | None = None
    groups: IntExpr | None = None
    width_per_group: IntExpr | None = None
    dilation: IntExpr | None = None
    dilate: StrictBool | None = Field(
        None, description="replace this stage's stride by dilation (output stride 8 or 16)"
    )
    norm: Literal["batch", "group", "none"] | None = Field(
        None, description="what `norm` layers are: batch norm, group norm or nothing"
    )
    norm_groups: IntExpr | None = Field(None, description="groups of group norm (32)")
    activation: Literal[ACTIVATIONS] | None = Field(  # type: ignore[valid-type]
        None, description="what `act` layers are (relu)"
    )
    se: IntExpr | None = Field(
        None, description="squeeze-and-excitation reduction after the branch's last norm"
    )
    zero_init: StrictBool | None = Field(
        None, description="initialise the last norm of each residual branch to zero"
    )
    shortcut_norm: StrictBool | None = Field(
        None, description="batch norm after a projection shortcut's 1x1 conv (true)"
    )
    args: dict[Identifier, Scalar] = Field({}, description="values for a block type's own params")


class Defaults(Knobs):
    drop_path: StrictFloat | StrictInt | None = Field(
        None,
        description="stochastic depth: drop rate of the last block, "
        "rising linearly from 0 over the blocks",
    )


class Stage(Knobs):
    name: LayerName | None = None
    blocks: IntExpr
    width: IntExpr | None = None
    stride: IntExpr = 1
    block_names: StrictStr | None = Field(
        None, description="block names, e.g. 'denselayer{n}' ({n}: from 1, {i}: from 0)"
    )
    after: list[Layer] = Field([], description="layers after the stage's blocks")


class TrainSettings(StrictModel):
    """How `resgen train` and `resgen sweep --train` train a network; flags win."""

    data: StrictStr | None = Field(
        None, description="digits, fashion-mnist, cifar10, idx:DIR, npz:FILE or synthetic"
    )
    data_dir: StrictStr | None = Field(None, description="where the data set's files are")
    epochs: StrictInt = Field(30, ge=1, le=100_000)
    batch_size: StrictInt = Field(128, ge=1, le=1_000_000)
    lr: StrictFloat | StrictInt = Field(0.1, gt=0, description="peak learning rate")
    momentum: StrictFloat | StrictInt = Field(0.9, ge=0, lt=1)
    weight_decay: StrictFloat | StrictInt = Field(1e-4, ge=0)
    warmup: StrictInt = Field(0, ge=0, description="epochs of linear warm-up")
    milestones: list[StrictInt] | None = Field(
        None, description="epochs at which the learning rate is divided by 10 (default: 50%, 75%)"
    )
    seed: StrictInt = Field(0, ge=0)
    seeds: list[StrictInt] | None = Field(
        None, min_length=1, description="a sweep trains each variant once per seed"
    )
    augment: StrictBool = Field(False, description="random crops (padded) and horizontal flips")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: Literal["none", "bf16"] = "none"
    channels_last: StrictBool = False
    compile: StrictBool = False
    threads: StrictInt | None = Field(None, ge=1, le=1024)


class InitSettings(StrictModel):
    """How the emitted network initialises its weights (docs/spec.md, `init`)."""

    conv: Literal[
        "kaiming_normal_fan_out", "kaiming_normal_fan_in", "xavier_uniform", "default"
    ] = Field(
        "kaiming_normal_fan_out",
        description="convolution weights, with the gain of the activation in use; "
        "'default': PyTorch's own",
    )
    linear_bias: Literal["default", "zeros"] = Field(
        "default", description="linear layers' bias: PyTorch's own, or zeros (DenseNet)"
    )


class Spec(StrictModel):
    """A residual network."""

    resgen: Literal[1] = 1
    name: Identifier
    class_name: ClassName | None = Field(None, description="emitted class (default: from name)")
    description: StrictStr = ""
    input: list[StrictInt] = Field(min_length=3, max_length=3, description="[C, H, W]")
    params: dict[Identifier, Scalar] = {}
    defaults: Defaults = Defaults()
    blocks: dict[Identifier, BlockDef] = {}
    features: LayerName | None = Field(
        None, description="wrap stem and stages in one nn.Sequential of this name"
    )
    stem: list[Layer] = []
    stages: list[Stage] = Field(min_length=1)
    head: list[Layer] = []
    train: TrainSettings | None = Field(None, description="training settings (docs/training.md)")
    init: InitSettings | None = Field(
        None, description="weight initialisation (kaiming_normal_fan_out for convolutions)"
    )

    _source: Any = PrivateAttr(None)


def json_schema() -> dict[str, Any]:
    schema = _without_null(Spec.model_json_schema(by_alias=True))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "resgen spec"
    return schema


def _without_null(node: Any) -> Any:
    """The schema as the loader reads specs: an optional key is left out, never `null`.

    Pydantic writes an optional field as `anyOf: [T, {type: null}]`; resgen refuses
    `null` values (they would quietly mean "the default"), so editors must not offer it.
    """
    if isinstance(node, list):
        return [_without_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _without_null(value) for key, value in node.items()}
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        node.pop("anyOf")
        node |= rest[0] if len(rest) == 1 else {"anyOf": rest}
    default = node.get("default", 0)
    if default is None:
        node.pop("default")
    elif isinstance(default, dict):
        node["default"] = {key: value for key, value in default.items() if value is not None}
    return node
