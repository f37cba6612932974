"""The world's data: validated when loaded (one-line errors naming the file or key), and fingerprinted."""
import numpy as np
import pytest

from records.errors import PadError
from tests.conftest import write_cifar_npz
from world import DataConfig, DataName, fingerprint, load_arrays, same_data


def npz_root(tmp_path, n_train=40, n_test=20, **changes):
    """A CIFAR-10-format root; `changes` maps "train_y", "test_x", "test_exact", ... to replacement arrays."""
    root = write_cifar_npz(tmp_path / "data", n_train, n_test)
    for part in ("train", "test"):
        path = root / "cifar10" / f"{part}.npz"
        with np.load(path) as f:
            arrays = dict(f)
        arrays |= {key.split("_", 1)[1]: value for key, value in changes.items() if key.startswith(part + "_")}
        np.savez(path, **arrays)
    return root


def load_error(root, **cfg) -> str:
    with pytest.raises(PadError) as error:
        load_arrays(DataConfig(root=str(root), **cfg))
    message = str(error.value)
    assert "\n" not in message
    return message


def test_good_data_loads_as_uint8_nchw_and_int64_labels(tmp_path):
    arrays = load_arrays(DataConfig(root=str(npz_root(tmp_path, train_y=np.arange(40, dtype=np.uint8) % 10))))
    assert arrays.train_x.shape == (40, 3, 32, 32) and arrays.train_x.dtype == np.uint8
    assert arrays.train_y.dtype == np.int64 and list(arrays.train_y[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


@pytest.mark.parametrize("change, file, words", [
    ({"train_y": (np.arange(40) % 10)[:, None]}, "train.npz", "1-D (n,), got shape (40, 1)"),
    ({"test_y": (np.arange(20) % 10)[None]}, "test.npz", "1-D (n,), got shape (1, 20)"),
    ({"train_y": np.r_[np.arange(39) % 10, -1]}, "train.npz", "in 0..9, got values from -1 to 9"),
    ({"test_y": np.r_[np.arange(19) % 10, 10]}, "test.npz", "in 0..9, got values from 0 to 10"),
    ({"train_y": (np.arange(40) % 10).astype(np.float32)}, "train.npz", "integers, got float32"),
    ({"train_y": np.arange(41) % 10}, "train.npz", "41 labels for 40 images"),
    ({"test_y": np.arange(19) % 10}, "test.npz", "19 labels for 20 images"),
    ({"train_y": np.arange(40) % 9}, "train.npz", "no image of class 9"),
    ({"test_y": np.arange(20) % 5}, "test.npz", "no image of class 5, 6, 7, 8, 9"),
    ({"train_x": np.zeros((40, 32, 32, 3), np.float32)}, "train.npz", "uint8 (n, 32, 32, 3), got float32"),
    ({"test_x": np.zeros((20, 3, 32, 32), np.uint8)}, "test.npz", "got uint8 (20, 3, 32, 32)"),
    ({"test_x": np.zeros((20, 32, 32), np.uint8)}, "test.npz", "got uint8 (20, 32, 32)"),
    ({"test_exact": np.ones(19, bool)}, "test.npz", "exact must have one flag per image"),
])
def test_bad_images_and_labels_are_one_line_errors_naming_the_file(tmp_path, change, file, words):
    message = load_error(npz_root(tmp_path, **change))
    assert message.startswith(str(tmp_path / "data" / "cifar10" / file)) and words in message, message


def test_a_subset_missing_a_class_names_its_key(tmp_path):
    labels = np.r_[np.zeros(20, int), np.arange(20) % 10]  # the first 20 training images are all class 0
    root = npz_root(tmp_path, train_y=labels, test_y=np.r_[np.arange(10), np.zeros(10, int)])
    message = load_error(root, train_size=20)
    assert message.startswith("data.train_size=20:") and "class 1, 2, 3, 4, 5, 6, 7, 8, 9" in message
    assert load_error(root, train_size=40, test_size=9).startswith("data.test_size=9:")
    assert len(load_arrays(DataConfig(root=str(root), train_size=30, test_size=10)).train_y) == 30


def test_shapes_subsets_are_checked_too():
    with pytest.raises(PadError, match=r"^data.train_size=16: .* class 8, 9;"):
        load_arrays(DataConfig(name=DataName.shapes, train_size=16))


def test_pad_data_pointing_at_a_missing_folder_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PAD_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(PadError, match=rf"^PAD_DATA={tmp_path / 'nowhere'}: no such folder"):
        load_arrays(DataConfig())
    monkeypatch.setenv("PAD_DATA", str(npz_root(tmp_path)))
    assert load_arrays(DataConfig()).source == str(tmp_path / "data" / "cifar10")


def test_fingerprint_follows_the_images_and_labels_not_their_place(tmp_path):
    one, other = npz_root(tmp_path / "a"), npz_root(tmp_path / "b")  # the same arrays in two places
    a, b = (fingerprint(load_arrays(DataConfig(root=str(r)))) for r in (one, other))
    assert a["source"] != b["source"] and same_data(a, b) and a["sha256"] == b["sha256"]
    assert (a["train_size"], a["test_size"]) == (40, 20) and len(a["sha256"]) == 64
    swapped = np.r_[1, 0, np.arange(2, 40) % 10]  # two labels swapped, images as they were
    c = fingerprint(load_arrays(DataConfig(root=str(npz_root(tmp_path / "c", train_y=swapped)))))
    assert not same_data(a, c)
    d = fingerprint(load_arrays(DataConfig(root=str(one), train_size=30)))
    assert d["train_size"] == 30 and not same_data(a, d)
    image = load_arrays(DataConfig(root=str(one)))
    image.test_x = image.test_x.copy()
    image.test_x[3, 1, 2, 3] ^= 1  # one bit of one pixel
    assert not same_data(a, fingerprint(image))
