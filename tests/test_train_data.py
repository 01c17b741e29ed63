"""Data sets for training: every loader on files in its real format, and clear errors."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from resgen.train.data import IDX_FILES, KNOWN, DataError, load_data, read_idx


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)


def make_idx_set(folder: Path, train: int = 30, test: int = 10, size: int = 12) -> None:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "x_train": rng.integers(0, 256, (train, size, size)),
        "y_train": rng.integers(0, 10, train),
        "x_test": rng.integers(0, 256, (test, size, size)),
        "y_test": np.arange(test) % 10,
    }
    for key, stem in IDX_FILES.items():
        write_idx(folder / stem, arrays[key], compress=key.startswith("x"))


def test_digits_is_the_fixed_seeded_split_of_the_bundled_set() -> None:
    data = load_data("digits")
    assert (len(data.y_train), len(data.y_test)) == (1437, 360)
    assert data.shape == (1, 8, 8) and data.classes == 10
    assert abs(float(data.x_train.mean())) < 1e-5  # standardised with the training split
    assert abs(float(data.x_train.std()) - 1) < 1e-3
    load_data.cache_clear()
    again = load_data("digits")
    assert again.fingerprint == data.fingerprint
    assert np.array_equal(again.y_test, data.y_test)


def test_synthetic_is_deterministic_and_small() -> None:
    data = load_data("synthetic")
    assert data.shape == (1, 8, 8) and data.classes == 10
    assert (len(data.y_train), len(data.y_test)) == (512, 128)


def test_idx_sets_gzipped_or_not(tmp_path: Path) -> None:
    make_idx_set(tmp_path / "mnist")
    data = load_data(f"idx:{tmp_path / 'mnist'}")
    assert data.shape == (1, 12, 12) and len(data.y_train) == 30 and len(data.y_test) == 10
    fashion = load_data("fashion-mnist", tmp_path / "mnist")  # the same format, via --data-dir
    assert fashion.fingerprint == data.fingerprint


def test_read_idx_checks_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 5) + b"abc")
    with pytest.raises(DataError, match="the header says"):
        read_idx(path)
    path.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(path)


def make_cifar(folder: Path, per_batch: int = 4) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            b"labels": list(range(per_batch)),
        }
        (folder / name).write_bytes(pickle.dumps(batch))


def test_cifar10_python_batches(tmp_path: Path) -> None:
    make_cifar(tmp_path / "cifar-10-batches-py")
    data = load_data("cifar10", tmp_path)  # the parent folder is found too
    assert data.shape == (3, 32, 32)
    assert (len(data.y_train), len(data.y_test)) == (20, 4)


def test_a_planted_pickle_cannot_run_code(tmp_path: Path) -> None:
    make_cifar(tmp_path / "c")

    class Payload:
        def __reduce__(self) -> tuple:
            return (print, ("pwned",))

    (tmp_path / "c" / "test_batch").write_bytes(pickle.dumps({b"data": Payload()}))
    with pytest.raises(DataError, match=r"refusing to load builtins\.print"):
        load_data("cifar10", tmp_path / "c")


def test_npz_files(tmp_path: Path) -> None:
    path = tmp_path / "set.npz"
    rng = np.random.default_rng(3)
    np.savez(
        path,
        x_train=rng.random((6, 3, 5, 5)),
        y_train=np.array([0, 1, 2, 0, 1, 2]),
        x_test=rng.random((3, 3, 5, 5)),
        y_test=np.array([0, 1, 2]),
    )
    data = load_data(f"npz:{path}")
    assert data.shape == (3, 5, 5) and data.classes == 3
    np.savez(tmp_path / "partial.npz", x_train=rng.random((2, 4, 4)))
    with pytest.raises(DataError, match="lacks y_train, x_test, y_test"):
        load_data(f"npz:{tmp_path / 'partial.npz'}")


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(DataError) as info:
        load_data("imagenet")
    assert all(name in str(info.value) for name in KNOWN)
    with pytest.raises(DataError, match="unknown data set 'idx'"):
        load_data("idx")  # needs its folder


def test_missing_files_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_data("fashion-mnist", tmp_path)
    assert "apt-get install dataset-fashion-mnist" in str(info.value)
    assert "--data-dir" in str(info.value)
    with pytest.raises(DataError, match="needs --data-dir"):
        load_data("cifar10")
