"""The names the emitted module uses on its own, and which of them a spec's names may not be.

A spec's names reach the emitted code in three roles, each with its own rule:

- attributes (layer, stage, block and `features` names): `self.conv1`, keyword
  arguments of `named_sequential(...)`, `add_module` names. Not a Python
  keyword, not an `nn.Module` attribute (`forward`, `training`, ...).
- class names (`class_name`, a block type's `class`): module-level names. Not
  any name the emitted code writes itself (`EMITTED_NAMES`), since a class may
  be referenced inside any of its functions.
- block parameters (a block type's `params` and `let` names): arguments of the
  block class's `__init__`. Not a module-level name that `__init__` reads, not
  `self` or `downsample`, and not a value the expander defines for every block
  (`BLOCK_VARIABLES`), which the parameter would silently replace.

`tests/test_emitted_names.py` scans the emitted code of the whole zoo and checks
that every name it binds or reads is listed here, and `tests/test_helper_names.py`
that `HELPERS` is what the templates and the code generator define and include,
so these lists cannot drift from the templates.
"""

from __future__ import annotations

import keyword
import re

# The helpers the emitted module defines when it needs them: the key the code
# generator marks one used by (an op, a shortcut kind) -> the name it defines and
# its template, `templates/helpers/<template>.py.j2`.
HELPERS = {
    "named_sequential": ("named_sequential", "named_sequential"),
    "projection": ("projection", "projection"),
    "avgdown": ("avg_down_projection", "avg_down"),
    "zeropad": ("ZeroPadShortcut", "zero_pad"),
    "se": ("SqueezeExcite", "squeeze_excite"),
    "se_squeeze": ("SqueezeExcitation", "squeeze_excitation"),  # `se: {squeeze: ...}`
    "eca": ("EfficientChannelAttention", "eca"),
    "selective_kernel": ("SelectiveKernel", "selective_kernel"),
    "drop_path": ("DropPath", "drop_path"),
    "drop_path_rate": ("drop_path_rate", "drop_path_rate"),  # stochastic depth's rule
}
HELPER_NAMES = {key: name for key, (name, _) in HELPERS.items()}
# What built-in ops' `helper_source` defines at the top level (resgen/ops/res2net.py,
# resgen/ops/split_attention.py), and the locals and builtins of those definitions.
OP_HELPER_NAMES = frozenset({"res2net_split", "res2net_forward", "SplitAttention"})
OP_HELPER_LOCALS = frozenset(
    """first convs bns conv bn splits outs tuple enumerate len zip kernel_size padding
    mid value attention pooled batch height""".split()
)
# The module's top level: imports, helpers, the build function, and the
# builtins the emitted code calls (expression functions included; `ceil` and
# `floor` are written `math.ceil`, `math.floor`).
MODULE_NAMES = (
    frozenset(
        """torch nn F Tensor math build super isinstance range float int bool str object
    min max abs round OrderedDict""".split()
    )
    | frozenset(HELPER_NAMES.values())
    | OP_HELPER_NAMES
)
# A block class's `__init__` besides its own parameters.
BLOCK_INIT_NAMES = frozenset({"self", "downsample"})
# Locals, arguments and methods of the templates' functions and classes.
LOCAL_NAMES = frozenset(
    """x out identity gate num_classes module _ __init__ forward channels reduction
    divisor reduced squeeze_channels scale p keep mask stride extra_channels before in_channels
    out_channels pool layers name layer sequential depth n i t kernel_size gamma beta kernels
    dilations groups padding keep_3x3 split_input k d path conv part parts""".split()
)
EMITTED_NAMES = MODULE_NAMES | BLOCK_INIT_NAMES | LOCAL_NAMES | OP_HELPER_LOCALS

# Values the expander defines for every block; expressions read them.
BLOCK_VARIABLES = frozenset(
    {"in_channels", "width", "stride", "dilation", "out_channels", "drop_path", "norm_groups"}
)

# Public attributes of torch.nn.Module (a test compares them with torch's own).
MODULE_ATTRIBUTES = frozenset(
    """T_destination add_module apply bfloat16 buffers call_super_init children compile
    cpu cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train
    training type xpu zero_grad""".split()
)
# Attribute names refused besides nn.Module's: the emitted code's most common
# names, so that `self.x` or `self.nn` never reads like something else.
RESERVED_ATTRIBUTES = MODULE_ATTRIBUTES | {
    "torch", "nn", "F", "Tensor", "self", "super", "x", "out", "identity",
}  # fmt: skip
# Module names inside a block that the block itself uses: the shortcut and the join node.
BLOCK_ATTRIBUTES = {
    "downsample": "the block's shortcut",
    "add": "the block's join",
    "concat": "the block's join",
    "gate": "the block's join",
}
# Node names of the network itself.
NETWORK_ATTRIBUTES = {"input": "the network's input"}


def attribute_problem(name: str) -> str | None:
    """Why `name` cannot be an attribute of an emitted module, or None if it can."""
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name in RESERVED_ATTRIBUTES or name.startswith("_"):
        return "would shadow a torch or nn.Module name"
    return None


_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
MAX_KEY = 64


def key_problem(name: str) -> str | None:
    """Why `name` cannot name a child of an emitted container (a block, a stage), or None.

    A Python identifier follows the rules of attributes; any other name is written as
    a string key (`OrderedDict({"block1-0": ...})`): letters, digits, `_` and `-`,
    starting with a letter or digit, at most 64 characters (no `.`, which
    `add_module` refuses).
    """
    if name.isidentifier():
        return attribute_problem(name)
    if len(name) > MAX_KEY:
        return f"is longer than {MAX_KEY} characters"
    if not _KEY.fullmatch(name):
        return "is not a valid name: use letters, digits, `_` and `-`, not starting with `-`"
    return None


def parameter_problem(name: str) -> str | None:
    """Why `name` cannot be a block parameter (or `let` name), or None if it can."""
    if name in BLOCK_VARIABLES:
        return "is set by resgen for every block (the parameter would replace it)"
    if name in MODULE_NAMES or name in BLOCK_INIT_NAMES:
        return "is a name the emitted block class uses"
    return None


def class_problem(name: str) -> str | None:
    """Why `name` cannot name an emitted class, or None if it can."""
    return "the emitted module already uses that name" if name in EMITTED_NAMES else None
