"""Data sets that can be had offline, loaded whole into memory as NumPy arrays.

Every loader returns images as `N × C × H × W` float32, standardised per channel
with the training split's mean and standard deviation, and labels as int64.
Nothing here downloads: a missing file is a `DataError` that says how to get it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist
DIGITS_TEST_FRACTION = 0.2
SPLIT_SEED = 0  # the digits split is fixed: every run of every study sees the same one
SYNTHETIC = {"train": 512, "test": 128, "classes": 10, "shape": (1, 8, 8)}


class DataError(Exception):
    """A data set that cannot be read; the message says what to do."""


@dataclass(frozen=True)
class DataSet:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    fingerprint: str  # of the raw arrays, before standardisation
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @property
    def shape(self) -> tuple[int, int, int]:
        """One image: (channels, height, width)."""
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    def describe(self) -> dict[str, object]:
        """What config.json records about the data."""
        return {
            "name": self.name,
            "train": len(self.y_train),
            "test": len(self.y_test),
            "shape": list(self.shape),
            "classes": self.classes,
            "sha256": self.fingerprint,
            "mean": list(self.mean),
            "std": list(self.std),
        }


Raw = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x_train, y_train, x_test, y_test


@functools.lru_cache(maxsize=2)
def load_data(name: str, data_dir: str | Path | None = None) -> DataSet:
    """The data set called `name` (see KNOWN), standardised; DataError if it cannot be read.

    Cached: planning a run and running it in one process read the files once.
    """
    kind, _, argument = name.partition(":")
    loader = LOADERS.get(kind)
    if loader is None or (kind in {"idx", "npz"}) != bool(argument):
        raise DataError(f"unknown data set {name!r}; known: {', '.join(KNOWN)}")
    where = Path(argument) if argument else (Path(data_dir) if data_dir else None)
    try:
        raw = loader(where)
    except DataError:
        raise
    except (OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError) as exc:
        raise DataError(f"cannot read data set {name!r}: {exc}") from None
    return _prepared(name, raw)


def _prepared(name: str, raw: Raw) -> DataSet:
    x_train, y_train, x_test, y_test = raw
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.ndim != 4 or len(x) != len(y) or len(y) == 0:
            raise DataError(
                f"data set {name!r}: {split} images must be N×C×H×W with one label each; "
                f"got images {x.shape} and labels {y.shape}"
            )
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"data set {name!r}: train images {x_train.shape[1:]} but test {x_test.shape[1:]}"
        )
    digest = hashlib.sha256()
    for array in raw:
        digest.update(np.ascontiguousarray(array).tobytes())
    x_train = x_train.astype(np.float32)
    mean = x_train.mean(axis=(0, 2, 3))
    std = x_train.std(axis=(0, 2, 3)) + 1e-8

    def standardised(x: np.ndarray) -> np.ndarray:
        return ((x.astype(np.float32) - mean[:, None, None]) / std[:, None, None]).astype(
            np.float32
        )

    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    if min(y_train.min(), y_test.min()) < 0:
        raise DataError(f"data set {name!r}: labels must be class numbers from 0")
    classes = int(max(y_train.max(), y_test.max())) + 1
    return DataSet(
        name,
        standardised(x_train),
        y_train,
        standardised(x_test),
        y_test,
        classes,
        digest.hexdigest()[:16],
        tuple(round(float(m), 6) for m in mean),
        tuple(round(float(s), 6) for s in std),
    )


# ----------------------------------------------------------------------------- loaders


def _digits(_: Path | None) -> Raw:
    """scikit-learn's bundled 8×8 digits, read from the file in its wheel (fast: no import)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise DataError(
            "data set 'digits' needs scikit-learn, whose wheel carries it\n"
            "  hint: pip install 'resgen[train]' (or pip install scikit-learn)"
        )
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.float32)
    images, labels = table[:, :-1].reshape(-1, 1, 8, 8), table[:, -1].astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    cut = len(labels) - math.ceil(len(labels) * DIGITS_TEST_FRACTION)  # 1,437 / 360
    train, test = order[:cut], order[cut:]
    return images[train], labels[train], images[test], labels[test]


def _synthetic(_: Path | None) -> Raw:
    """Learnable noise for tests: each class a fixed pattern plus Gaussian noise."""
    rng = np.random.default_rng(SPLIT_SEED)
    shape, classes = SYNTHETIC["shape"], SYNTHETIC["classes"]
    patterns = rng.normal(size=(classes, *shape)).astype(np.float32)

    def split(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, classes, size=count)
        noise = rng.normal(scale=0.8, size=(count, *shape)).astype(np.float32)
        return patterns[labels] + noise, labels

    return (*split(SYNTHETIC["train"]), *split(SYNTHETIC["test"]))


IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def _idx_folder(folder: Path, how_to_get: str) -> Raw:
    """The four IDX files of an MNIST-style set (gzipped or not) in `folder`."""
    found = {}
    for key, stem in IDX_FILES.items():
        candidates = [folder / f"{stem}.gz", folder / stem]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise DataError(f"no {stem}[.gz] in {folder}\n  hint: {how_to_get}")
        found[key] = read_idx(path)
    images = [found[k][:, None] if found[k].ndim == 3 else found[k] for k in ("x_train", "x_test")]
    return images[0], found["y_train"], images[1], found["y_test"]


def read_idx(path: Path) -> np.ndarray:
    """An IDX file: zero, zero, a type byte (0x08: uint8), the number of dimensions,
    one big-endian uint32 per dimension, then the data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path}: the header says {shape} but the file holds {body.size} bytes")
    return body.reshape(shape)


def _fashion_mnist(folder: Path | None) -> Raw:
    return _idx_folder(
        folder or FASHION_MNIST_DIR,
        "apt-get install dataset-fashion-mnist (Debian, Ubuntu), or --data-dir DIR "
        "holding the four Fashion-MNIST IDX files",
    )


def _idx(folder: Path | None) -> Raw:
    assert folder is not None
    return _idx_folder(folder, "idx:DIR names a folder holding the four MNIST-style IDX files")


CIFAR_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


def _cifar10(folder: Path | None) -> Raw:
    """A local copy of CIFAR-10's python batches (`cifar-10-batches-py`)."""
    how = (
        "extract cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html "
        "and pass --data-dir DIR (the folder holding data_batch_1..5 and test_batch)"
    )
    if folder is None:
        raise DataError(f"data set 'cifar10' needs --data-dir\n  hint: {how}")
    if (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"
    missing = [n for n in [*CIFAR_TRAIN, "test_batch"] if not (folder / n).is_file()]
    if missing:
        raise DataError(f"no {missing[0]} in {folder}\n  hint: {how}")

    def batches(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for name in names:
            with open(folder / name, "rb") as handle:
                batch = _CifarUnpickler(handle).load()
            batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
            xs.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            ys.append(np.asarray(batch["labels"], dtype=np.int64))
        return np.concatenate(xs), np.concatenate(ys)

    return (*batches(CIFAR_TRAIN), *batches(["test_batch"]))


class _CifarUnpickler(pickle.Unpickler):
    """CIFAR's batches are pickles: allow the NumPy array they hold and nothing else,
    so a planted file cannot run code."""

    ALLOWED: ClassVar[set[tuple[str, str]]] = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def __init__(self, handle: object) -> None:
        super().__init__(handle, encoding="bytes")  # type: ignore[arg-type]

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data batch")
        return super().find_class(module, name)


def _npz(path: Path | None) -> Raw:
    """`x_train, y_train, x_test, y_test`; images N×H×W (one channel) or N×C×H×W."""
    assert path is not None
    if not path.is_file():
        raise DataError(f"no such file: {path} (npz:FILE names a .npz file)")
    with np.load(path, allow_pickle=False) as archive:
        missing = [k for k in IDX_FILES if k not in archive]
        if missing:
            raise DataError(f"{path} lacks {', '.join(missing)} (needs {', '.join(IDX_FILES)})")
        arrays = {k: archive[k] for k in IDX_FILES}
    for key in ("x_train", "x_test"):
        if arrays[key].ndim == 3:
            arrays[key] = arrays[key][:, None]
    return arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]


LOADERS: dict[str, Callable[[Path | None], Raw]] = {
    "digits": _digits,
    "fashion-mnist": _fashion_mnist,
    "cifar10": _cifar10,
    "idx": _idx,
    "npz": _npz,
    "synthetic": _synthetic,
}
KNOWN = ("digits", "fashion-mnist", "cifar10", "idx:DIR", "npz:FILE", "synthetic")
