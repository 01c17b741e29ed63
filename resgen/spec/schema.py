"""The spec language as pydantic models: validation and the JSON Schema.

The layers a spec may write are the ops in the registry (`resgen.ops`), each
validated against its own argument model, plus `sequential`, which groups
layers. Value types and the strict base model are in `resgen.spec.fields`.
"""

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from resgen import ops
from resgen.ops import activation
from resgen.spec.fields import (
    ClassName,
    Identifier,
    IntExpr,
    LayerName,
    ParameterName,
    Scalar,
    StrictModel,
    _shown,
    suggest,
)

__all__ = ["suggest"]

ShortcutKind = Literal["identity", "A", "B", "C", "D", "none"]
JoinKind = Literal["add", "concat", "gate"]
ACTIVATIONS = tuple(op.name for op in activation.ACTIVATIONS)  # the `activation:` choices

# ----------------------------------------------------------------------------- layers


def _validate_layer(value: Any, handler: ValidatorFunctionWrapHandler) -> BaseModel:
    """`- relu`, `- relu:` (null) and `- relu: {}` alike; the op's own model checks its keys."""
    if isinstance(value, BaseModel) and type(value) in _LAYER_TYPES:
        return value
    if isinstance(value, str):
        value = {value: {}}
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "layer", "expected a layer (e.g. {example}), got {got}",
            {"example": "`conv: {out: 64}`", "got": type(value).__name__},
        )  # fmt: skip
    if len(value) != 1:
        raise PydanticCustomError(
            "layer_shape",
            "a layer is a mapping with exactly one key, the op (e.g. {example}); got keys {keys}",
            {"keys": ", ".join(map(_shown, map(str, value))) or "none",
             "example": "`conv: {out: 64}`"},
        )  # fmt: skip
    ((op, args),) = value.items()
    model = layer_model(str(op)) if isinstance(op, str) else None
    if model is None:
        names = layer_names()
        raise PydanticCustomError(
            "unknown_op",
            "unknown layer op {op}{suggestion}; known ops: {known}",
            {"op": _shown(str(op)), "suggestion": suggest(str(op), names),
             "known": ", ".join(names)},
        )  # fmt: skip
    return model.model_validate({op: {} if args is None else args})


_LAYER_MARK = {"$comment": "resgen layer"}
Layer = Annotated[
    Any,
    WrapValidator(_validate_layer),
    WithJsonSchema(_LAYER_MARK),  # `json_schema` puts the ops of the registry there
]


class SequentialArgs(StrictModel):
    """A group of layers, emitted as one `nn.Sequential` (e.g. a deep stem); inside
    another numbered container it may go unnamed and is numbered like its siblings."""

    name: LayerName | None = None
    layers: list[Layer] = Field(min_length=1)


_LAYER_TYPES: set[type[BaseModel]] = set()


@cache
def _wrapper(op: str, args: type[StrictModel]) -> type[BaseModel]:
    """The model of a layer `{op: {...}}`: one key, the op, holding its arguments."""
    model = type(
        f"{op.capitalize()}Layer",
        (StrictModel,),
        {"__annotations__": {op: args}, "__doc__": args.__doc__, "__module__": __name__},
    )
    _LAYER_TYPES.add(model)
    return model


def layer_model(op: str) -> type[BaseModel] | None:
    """The model of a layer of `op`, or None if no op of that name can be written."""
    if op == "sequential":
        return _wrapper(op, SequentialArgs)
    definition = ops.get(op)
    if definition is None or definition.args is None:
        return None
    return _wrapper(op, definition.args)


def layer_names() -> list[str]:
    """Every op a spec may write, `sequential` included."""
    return [*(name for name, op in ops.known().items() if op.args is not None), "sequential"]


def make_layer(op: str, **args: Any) -> BaseModel:
    """A layer made in code (SE, drop-path), validated like one from a spec."""
    model = layer_model(op)
    assert model is not None, op
    return model.model_validate({op: args})


def layer_op(layer: BaseModel) -> tuple[str, Any]:
    """`(op, args)` of a validated layer."""
    op = _op_of(type(layer))
    return op, getattr(layer, op)


@cache
def _op_of(model: type[BaseModel]) -> str:
    """A layer model's one key, its op (asked for every layer of every block)."""
    return next(iter(model.model_fields))


# ----------------------------------------------------------------------------- blocks


class ShortcutModule(StrictModel):
    """How a block's shortcut module is named and where it is registered."""

    name: LayerName = Field(
        "downsample", description="the shortcut's attribute in the block (downsample)"
    )
    layers: dict[Literal["pool", "conv", "norm"], LayerName] | None = Field(
        None,
        description="names of the shortcut's layers by role (pool, conv, norm); "
        "default: numbered 0, 1, ..., or the module itself when it is one layer",
    )
    first: StrictBool = Field(
        False,
        description="register the shortcut before the main branch's layers "
        "(its place in the state dict, as timm's and torchvision's RegNet)",
    )


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
    shortcut_module: ShortcutModule | None = Field(
        None, description="the shortcut module's name, its layers' names, its place"
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
    zero_pad: Literal["end", "split"] | None = Field(
        None,
        description="shortcut A's new zero channels: after the input's (end; fb.resnet.torch) "
        "or half before and half after (split; pytorch_resnet_cifar10)",
    )
    args: dict[Identifier, Scalar] = Field({}, description="values for a block type's own params")


class Defaults(Knobs):
    drop_path: StrictFloat | StrictInt | None = Field(
        None,
        description="stochastic depth: drop rate of the last block, "
        "rising linearly from 0 over the blocks",
    )
    drop_path_rule: Literal["linear", "timm"] | None = Field(
        None,
        description="block l of L drops with drop_path * l / L (linear, Huang et al.) "
        "or drop_path * (l - 1) / (L - 1) (timm: the first block never drops)",
    )


class Stage(Knobs):
    name: LayerName | None = None
    blocks: IntExpr
    width: IntExpr | None = None
    stride: IntExpr = 1
    block_names: StrictStr | None = Field(
        None,
        description="block names, e.g. 'denselayer{n}' ({n}: from 1, {i}: from 0, "
        "{s}: the stage's number from 1, {stage}: its name)",
    )
    blocks_in: LayerName | None = Field(
        None,
        description="put the stage's blocks in an nn.Sequential of this name inside the "
        "stage's module (timm: stages.0.blocks.0)",
    )
    after: list[Layer] = Field([], description="layers after the stage's blocks")
    inline: StrictBool | None = Field(
        None,
        description="put the blocks directly in the `features` container, numbered on "
        "from what is there, with no container of the stage's own (MobileNetV2)",
    )


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
    defaults: Defaults = Defaults.model_construct()  # all defaults: nothing to validate
    blocks: dict[Identifier, BlockDef] = {}
    features: LayerName | None = Field(
        None, description="wrap stem and stages in one nn.Sequential of this name"
    )
    trunk: LayerName | None = Field(
        None,
        description="wrap the stages in one nn.Sequential of this name "
        "(torchvision's RegNet: trunk_output; timm: stages); unnamed stages are numbered",
    )
    stem: list[Layer] = []
    stages: list[Stage] = Field(
        [], description="stages of blocks; none for a network of stem and head layers only"
    )
    head: list[Layer] = []
    train: TrainSettings | None = Field(None, description="training settings (docs/training.md)")
    init: InitSettings | None = Field(
        None, description="weight initialisation (kaiming_normal_fan_out for convolutions)"
    )

    _source: Any = PrivateAttr(None)


def json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema(by_alias=True)
    definitions = schema.setdefault("$defs", {})
    choices = []
    for op in layer_names():
        layer = layer_model(op)
        assert layer is not None
        own = layer.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        definitions.update(own.pop("$defs", {}))
        definitions[layer.__name__] = own
        choices.append({"$ref": f"#/$defs/{layer.__name__}"})
    definitions["Layer"] = {"oneOf": choices}
    schema = _without_null(_layer_refs(schema))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "resgen spec"
    return schema


def _layer_refs(node: Any) -> Any:
    """Every place a layer goes refers to the one `Layer` definition."""
    if node == _LAYER_MARK:
        return {"$ref": "#/$defs/Layer"}
    if isinstance(node, list):
        return [_layer_refs(item) for item in node]
    if isinstance(node, dict):
        return {key: _layer_refs(value) for key, value in node.items()}
    return node


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
