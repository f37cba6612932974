"""The hot loop never waits for the device: a day's steps neither read a device value on the host nor copy host data
to the device.

On a GPU every read (`.item()`, `bool(t)`, `.tolist()`, `.cpu()`, a boolean mask, `nonzero`, ...) stalls the host
until the queued kernels have run, which would cost more than a small brain's step; and every copy of host data to the
device (`torch.tensor([...], device="cuda")`) is a pageable copy that synchronises the stream too. Here every torch
call of whole days (lone brains and cohorts, under every kind of night a protocol makes, a drug and both optimizer
semantics) is watched through a TorchFunctionMode, and any read is a failure, except those of the night stream's
draws, which live on the CPU whatever the device (`sims.life.streams.ON_HOST`): a night's plan decides which steps run. The
health check's one read every `days_per_epoch // 20` days is outside a day, in the run loop.

What counts as a copy of host data to the device (the run is on the CPU here, so the watch flags the calls that would
copy on CUDA, whatever their device argument):
- a tensor built from host data: `torch.tensor`, `torch.as_tensor`, `torch.asarray`, `Tensor.new_tensor` of a Python
  number, list or tuple, or a NumPy array (anything but a tensor);
- a move: `.to(device)` or `.to(other_tensor)` (inside a day everything lives on the device already, so a move is a
  no-op or a copy), `.cuda()`, and `copy_` from a draw of a host generator;
- an index or an assigned value that is a Python list or a NumPy array (`t[[0, 2]]`: torch copies the index over).
Not a copy: factories without host data (`torch.zeros`, `torch.full(shape, 0.5)`, `arange`, `rand`, `*_like`), Python
numbers as operands or arguments (`0.5 * t`, `t.fill_(v)`, `t[3]`): those travel as kernel arguments.
The watch can leave a first day as a warm-up, as in the GPU tests (which tune cuDNN and allocate on it), where caches
keyed by value would fill; the days below need none: the recorder builds its columns' index tensors at its start, so
a copy on any day, the first included, is a failure. (`torch.from_numpy` is invisible to a TorchFunctionMode; it
shares the array's memory, and the move that would take it to the device is seen.) The figures watched include the
per-area population statistics (cortex.population), logged at every step that learns.
"""
import collections
import traceback
import weakref
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from cortex.population import NAMES as POPULATION
from sims.life.cohort import Cohort
from sims.life.recorder import DEVICE_NAMES
from sims.life.simulator import Simulator
from sims.life.streams import ON_HOST, Streams
from tests.helpers import tiny_config

READS = {"item", "tolist", "__bool__", "__float__", "__int__", "__index__", "cpu", "numpy", "__array__", "nonzero",
         "masked_select", "unique", "argwhere", "equal", "allclose", "any", "all"}  # any/all: harmless until read, but
# a day has no use for them
FROM_HOST = {"tensor", "as_tensor", "asarray", "new_tensor"}  # build a tensor of their data argument
ROOT = Path(__file__).resolve().parents[1]
DAY = "protocol.unit=day"
NIGHTS = {  # every block covers days 0-2
    "pad": [],
    "no_nrem": ["scenario=no_nrem"],
    "rem_deprivation": [DAY, "protocol.name=rem_dep", "protocol.blocks=[{name:dep,start:0,keep:{REM:0.3}}]"],
    "fragmentation": [DAY, "protocol.name=frag", "protocol.blocks=[{name:frag,start:0,arousals:2}]"],
    "restriction": [DAY, "protocol.name=restr", "protocol.blocks=[{name:restr,start:0,night_fraction:0.6}]"],
    "scopolamine": [DAY, "protocol.name=scop", "neuromod.mode=graded", "neuromod.rem.ach=0.9",
                    "protocol.blocks=[{name:t,start:0,cycles:2}]", "protocol.drugs=[{name:scopolamine,blocks:[t],dose:0.5}]"],
    "homeostat": ["homeostat.enabled=true"],
}
SMALL = ["data.train_size=64", "optim.batch_size=16", "eval.every=0", "keep_epoch_cortex=false", "epochs=1"]


class HostTraffic(TorchFunctionMode):
    """Watches torch calls for reads of device values on the host (`reads`, by name; draws of `host_generators`, and
    reads of them, are the host's own) and for copies of host data to the device (`copies`: which call, from where).
    Set `day` before each day: day 0 is the warm-up, whose copies are not counted (see the module's docstring)."""

    def __init__(self, host_generators):
        super().__init__()
        self.host_generators, self.reads, self.copies = host_generators, [], []
        self.host_tensors = {}  # id -> weak reference, of the host generators' draws
        self.day = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if any(kwargs.get("generator") is g for g in self.host_generators) and isinstance(result, torch.Tensor):
            self.host_tensors[id(result)] = weakref.ref(result)
        name = getattr(func, "__name__", "")
        tensor = args[0] if args and isinstance(args[0], torch.Tensor) else None
        reads = name in READS or (name in ("__getitem__", "__setitem__") and _masks(args[1:2]))
        if reads and not self._on_host(tensor):
            self.reads.append(name)
        if self.day > 0 and self._copies(name, args, kwargs):
            self.copies.append(f"{name} at {_caller()}")
        return result

    def _on_host(self, tensor) -> bool:
        return tensor is not None and self.host_tensors.get(id(tensor), _dead)() is tensor

    def _copies(self, name: str, args: tuple, kwargs: dict) -> bool:
        """Whether the call copies host data to the device on CUDA (the rule of the module's docstring)."""
        if name in FROM_HOST:
            data = args[1] if name == "new_tensor" and len(args) > 1 else (args[0] if args else kwargs.get("data"))
            return not isinstance(data, torch.Tensor)
        if name == "to":
            return "device" in kwargs or any(isinstance(a, (torch.device, str, torch.Tensor)) for a in args[1:])
        if name == "copy_":
            return self._on_host(args[1] if len(args) > 1 else kwargs.get("src"))
        if name in ("__getitem__", "__setitem__"):
            return _host_index(args[1:2]) or (name == "__setitem__" and isinstance(args[2], (list, tuple, np.ndarray)))
        return name == "cuda"


def _caller() -> str:
    """file:line (function) of the innermost frame that is neither torch's nor this watch's."""
    for frame in reversed(traceback.extract_stack()):
        ours = frame.filename == __file__ and frame.name in ("__torch_function__", "_caller")
        if not ours and "/torch/" not in frame.filename:
            path = Path(frame.filename)
            return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{frame.lineno} ({frame.name})"
    return "?"


def _dead():
    return None


def _items(index) -> tuple:
    return index[0] if index and isinstance(index[0], tuple) else index


def _masks(index) -> bool:
    """Whether an index holds a boolean tensor (its selection's size is known only once the mask is read)."""
    return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in _items(index))


def _host_index(index) -> bool:
    """Whether an index holds host data that torch turns into an index tensor on the device (a list, an array)."""
    return any(isinstance(i, (list, np.ndarray)) for i in _items(index))


def host_generators(sims):
    return [sim.streams[p] for sim in sims for p in ON_HOST]


def failures(watch: HostTraffic) -> str:
    return f"reads {watch.reads}; copies {dict(collections.Counter(watch.copies))}"


def assert_population_logged(recorder) -> None:
    """The watched days' steps that logged figures logged the population statistics too (per area, finite)."""
    bits = sum(1 << DEVICE_NAMES.index(n) for n in POPULATION)
    flags = recorder.buffer_logged[: recorder.rows]
    assert (flags != 0).any() and ((flags & bits) == bits)[flags != 0].all()
    columns = [c for n in POPULATION for c in range(recorder.layout[n].start, recorder.layout[n].stop)]
    assert torch.isfinite(recorder.buffer[: recorder.rows][torch.from_numpy(flags != 0)][:, columns]).all()


@pytest.mark.parametrize("semantics", ["momentum", "frozen"])
@pytest.mark.parametrize("night", NIGHTS)
def test_a_lone_brain_lives_its_days_without_waiting_for_the_device(night, semantics, tmp_path):
    sim = Simulator(tiny_config(*SMALL, *NIGHTS[night], f"optim.idle_parameters={semantics}"), tmp_path)
    sim.begin_epoch()
    with HostTraffic(host_generators([sim])) as watch:
        for watch.day in range(1, 4):  # no warm-up day: copies count from the first
            sim.live_day()
    assert watch.reads == [] and watch.copies == [], failures(watch)
    assert sim.recorder.rows > 3 * sim.cfg.schedule.day_steps  # nights were lived
    assert_population_logged(sim.recorder)


@pytest.mark.parametrize("vectorize", ["loop", "vmap"])
def test_a_cohort_lives_its_days_without_waiting_for_the_device(vectorize, tmp_path):
    jobs = [(tiny_config(*SMALL, *overrides, f"seed={k}"), tmp_path / name) for k, (name, overrides) in
            enumerate(NIGHTS.items())]
    cohort = Cohort(jobs, vectorize)
    front = list(range(len(jobs)))
    for member in cohort.members:
        member.begin_epoch()
    with HostTraffic(host_generators(cohort.members)) as watch:
        for watch.day in range(1, 4):  # no warm-up day: copies count from the first
            cohort.live_day(front)
    assert watch.reads == [] and watch.copies == [], failures(watch)
    for member in cohort.members:
        assert_population_logged(member.recorder)


def test_the_watch_sees_a_read_and_the_night_stream_is_the_hosts():
    """The detector itself: an .item() of a device draw is seen, the same of the night stream's draw is not; and the
    night stream is a CPU generator."""
    streams = Streams(0, torch.device("cpu"))
    assert [streams[p].device.type for p in ON_HOST] == ["cpu"]
    with HostTraffic([streams["night"]]) as watch:
        torch.rand(1, generator=streams["night"]).item()
        torch.rand(2, generator=streams["rem"]).sum().item()
        x = torch.zeros(3)
        x[x > 0] = 1.0
    assert watch.reads == ["item", "__setitem__"]


def test_the_watch_sees_copies_of_host_data_but_not_python_numbers():
    """Built from host data, moved, indexed by a list: copies (but not on the warm-up day, where caches fill);
    factories and Python numbers as operands are not."""
    streams = Streams(0, torch.device("cpu"))
    x = torch.zeros(3)
    with HostTraffic([streams["night"]]) as watch:
        for watch.day in range(2):
            torch.tensor([1.0, 2.0], device=x.device)  # a cache's fill on day 0, a copy on day 1
        torch.as_tensor(0.5, device=x.device)
        torch.full((3,), 0.5) * 0.25 + torch.zeros(3).fill_(2.0) + x[1]
        torch.stack([torch.full((), v, device=x.device) for v in (0.5, 0.25)])
        x.to(torch.float64)
        x.to(x.device)
        x[[0, 2]]
        x.copy_(torch.rand(3, generator=streams["night"]))
    calls = [c.split(" at ")[0] for c in watch.copies]
    assert calls == ["tensor", "as_tensor", "to", "__getitem__", "copy_"], watch.copies
    assert all(c.endswith("(test_the_watch_sees_copies_of_host_data_but_not_python_numbers)") for c in watch.copies)
