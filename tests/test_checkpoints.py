"""Checkpoints open with plain `torch.load(path, weights_only=True)`, and `load_checkpoint` still refuses any damage
(a flipped bit anywhere, a truncated copy, random bytes) in one line; files of the first format are still read."""
import hashlib
import io
import os
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
import xarray as xr

from records import checkpoints
from records.checkpoints import FORMAT, MAGIC, digest, load_checkpoint, save_checkpoint
from records.errors import PadError
from records.files import atomic_write


def first_format_save(path: Path, payload: dict) -> None:
    """The first format's writer, as records/checkpoints.py had it (MAGIC + SHA-256 of the bytes + torch.save)."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(MAGIC + hashlib.sha256(data).digest() + data))


def payload() -> dict:
    """Every kind of thing the simulator's checkpoints hold: state dicts, optimizer state (int keys), generator states,
    strings, numbers, None, lists and tuples; tensors of several dtypes, 0-d, empty and non-contiguous."""
    g = torch.Generator().manual_seed(0)
    weights = torch.randn(6, 5, generator=g)
    return {
        "cortex": OrderedDict(w=weights.t(), b=torch.arange(5, dtype=torch.float64), h=weights.to(torch.bfloat16)),
        "optimizer": {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.zeros(0)}},
                      "param_groups": [{"lr": 2e-4, "betas": (0.5, 0.999), "params": [0]}]},
        "streams": {"wake": g.get_state(), "mask": torch.tensor([True, False])},
        "epoch": 7, "order": None, "config": "seed: 0\n", "nights": [(1, 2, 0)], "flag": True, "nan": float("nan"),
    }


def assert_same(a, b) -> None:
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), (type(a), type(b))
    if isinstance(a, torch.Tensor):
        as_bytes = lambda t: t.contiguous().view(-1).view(torch.uint8) if t.numel() else torch.zeros(0)
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(as_bytes(a), as_bytes(b))
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b or (a != a and b != b)  # NaN equals NaN here


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "checkpoints" / "last.pt"
    save_checkpoint(path, payload())
    return path


def test_round_trip_and_plain_torch_load(saved):
    assert_same(load_checkpoint(saved), payload())
    plain = torch.load(saved, weights_only=True)  # no project code needed to open it
    assert plain["format"] == FORMAT and plain["sha256"] == digest(payload())
    assert_same(plain["payload"], payload())
    assert list(saved.parent.iterdir()) == [saved]  # no temporary left beside it


def test_the_digest_is_of_the_values_not_of_their_layout():
    base = payload()
    assert digest(base) == digest(payload())
    same = payload()
    same["cortex"]["w"] = same["cortex"]["w"].contiguous()  # the same values, another layout
    assert digest(same) == digest(base)
    changes = {
        "one weight": lambda p: p["cortex"]["b"].__setitem__(3, 3.5),
        "a dtype": lambda p: p["cortex"].__setitem__("b", p["cortex"]["b"].float()),
        "a shape": lambda p: p["cortex"].__setitem__("b", p["cortex"]["b"][None]),
        "a key": lambda p: p.__setitem__("epochs", p.pop("epoch")),
        "an int": lambda p: p.__setitem__("epoch", 8),
        "int for float": lambda p: p["optimizer"]["param_groups"][0].__setitem__("params", [0.0]),
        "tuple for list": lambda p: p.__setitem__("nights", [[1, 2, 0]]),
        "True for 1": lambda p: p.__setitem__("flag", 1),
        "a string": lambda p: p.__setitem__("config", "seed: 1\n"),
    }
    digests = {}
    for name, change in changes.items():
        p = payload()
        change(p)
        digests[name] = digest(p)
    assert base not in digests.values() and len(set(digests.values())) == len(changes)
    with pytest.raises(TypeError):
        digest({"a set": {1, 2}})


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # a flip in the pickle's header
def test_every_flipped_bit_is_refused_or_harmless(saved):
    """A bit flipped anywhere in the file: load_checkpoint refuses it in one line naming the file, or, where it hit a
    byte the payload does not depend on (zip metadata, padding), returns exactly the saved payload: never other
    values. The middle of the file (tensor data, what tests/test_bad_input.py flips) is always refused.
    (Every 5th byte, each with another bit: every byte takes half a minute on a shared CPU.)"""
    good = saved.read_bytes()
    refused = harmless = 0
    for i in range(0, len(good), 5):
        damaged = bytearray(good)
        damaged[i] ^= 1 << (i % 8)
        saved.write_bytes(bytes(damaged))
        try:
            got = load_checkpoint(saved)
        except PadError as e:
            assert str(e).startswith(f"{saved}: ") and "\n" not in str(e), str(e)
            refused += 1
        else:
            assert_same(got, payload())
            harmless += 1
    assert refused > 2 * harmless, (refused, harmless)  # most bytes matter (the rest: zip alignment padding)
    middle = bytearray(good)
    middle[len(good) // 2] ^= 0x10
    saved.write_bytes(bytes(middle))
    with pytest.raises(PadError, match="last.pt: "):
        load_checkpoint(saved)


def test_tensor_bytes_changed_inside_a_valid_archive_are_refused(saved):
    """A damaged weight whose archive is still readable (zip checks off or fooled): the digest catches it."""
    sealed = torch.load(saved, weights_only=True)
    sealed["payload"]["cortex"]["b"][2] = 1e9
    torch.save(sealed, saved)
    with pytest.raises(PadError, match="checksum mismatch"):
        load_checkpoint(saved)


@pytest.mark.parametrize("case", ["truncated", "random bytes", "empty", "unsealed torch file", "sealed list",
                                  "zip header only", "missing"])
def test_damaged_or_foreign_files_are_one_line(saved, case):
    good = saved.read_bytes()
    if case == "truncated":
        for n in (1, 30, len(good) // 3, len(good) // 2, len(good) - 30, len(good) - 1):
            saved.write_bytes(good[:n])
            with pytest.raises(PadError) as error:
                load_checkpoint(saved)
            assert "\n" not in str(error.value) and str(error.value).startswith(f"{saved}: ")
        return
    if case == "random bytes":
        saved.write_bytes(os.urandom(4096))
    elif case == "empty":
        saved.write_bytes(b"")
    elif case == "unsealed torch file":
        torch.save(payload(), saved)
    elif case == "sealed list":
        torch.save({"format": FORMAT, "sha256": digest([1]), "payload": [1]}, saved)
    elif case == "zip header only":
        saved.write_bytes(b"PK\x03\x04" + good[:100])
    elif case == "missing":
        saved.unlink()
    with pytest.raises(PadError) as error:
        load_checkpoint(saved)
    assert "\n" not in str(error.value) and str(error.value).startswith(f"{saved}: "), str(error.value)


def test_a_payload_that_cannot_be_sealed_leaves_the_old_file(saved):
    before = saved.read_bytes()
    with pytest.raises(TypeError):
        save_checkpoint(saved, {"epoch": 2, "what": object()})
    assert saved.read_bytes() == before and list(saved.parent.iterdir()) == [saved]


def test_a_write_killed_halfway_leaves_the_old_file(saved, monkeypatch):
    """The digest is inside the file and the file replaces the old one by a rename: the pair cannot disagree."""
    before = saved.read_bytes()

    def half_then_die(obj, f):
        Path(f).write_bytes(b"PK\x03\x04 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoints.torch, "save", half_then_die)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(saved, {"epoch": 3})
    assert saved.read_bytes() == before and list(saved.parent.iterdir()) == [saved]
    monkeypatch.undo()
    assert_same(load_checkpoint(saved), payload())


# --- the first format ---------------------------------------------------------------------------------------------
def test_first_format_files_are_still_read_and_checked(tmp_path):
    path = tmp_path / "old.pt"
    first_format_save(path, payload())
    assert path.read_bytes().startswith(MAGIC)
    assert_same(load_checkpoint(path), payload())
    good = path.read_bytes()
    for i in (len(MAGIC) + 5, len(good) // 2, len(good) - 3):  # the digest, the data, the zip's end
        damaged = bytearray(good)
        damaged[i] ^= 0x04
        path.write_bytes(bytes(damaged))
        with pytest.raises(PadError, match="checksum mismatch"):
            load_checkpoint(path)
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(PadError, match="checksum mismatch"):
        load_checkpoint(path)


# --- what a run writes ----------------------------------------------------------------------------------------------
def test_a_runs_files_open_with_plain_torch_load_and_carry_the_brains_identity(run_night, tiny, tmp_path):
    """A tiny run in its default run directory (runs/<scenario>_seed<seed>_<run_id>): last.pt and cortex_epoch_001.pt
    open with torch.load(weights_only=True) alone, and the cortex file and activity.nc carry the name's run_id."""
    done = run_night(*tiny, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    suffix = run_dir.name.rsplit("_", 1)[1]
    assert run_dir.name.startswith("pad_seed0_") and len(suffix) == 8
    last = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    cortex = torch.load(run_dir / "checkpoints" / "cortex_epoch_001.pt", weights_only=True)
    assert last["format"] == cortex["format"] == FORMAT
    assert last["payload"]["epoch"] == 2 and "encoder_optimizer" in last["payload"]["brain"]
    assert cortex["payload"]["epoch"] == 1 and cortex["payload"]["run_id"] == suffix
    for name, value in cortex["payload"]["cortex"].items():  # the weights the run ended with (its only epoch)
        assert torch.equal(value, last["payload"]["brain"]["cortex"][name]), name
    with xr.open_dataset(run_dir / "activity.nc") as ds:
        assert ds.attrs["run_id"] == suffix
