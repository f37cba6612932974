"""The hot loop never reads a value of the device back to the host: a day's steps run without waiting for the GPU.

On a GPU every such read (`.item()`, `bool(t)`, `.tolist()`, `.cpu()`, a boolean mask, `nonzero`, ...) stalls the host
until the queued kernels have run, which would cost more than a small brain's step. Here every torch call of whole
days (lone brains and cohorts, under every kind of night a protocol makes, a drug and both optimizer semantics) is
watched through a TorchFunctionMode, and any such read is a failure, except those of the night stream's draws,
which live on the CPU whatever the device (`sims.streams.ON_HOST`): a night's plan decides which steps run. The
health check's one read every `days_per_epoch // 20` days is outside a day, in the run loop.
"""
import weakref

import pytest
import torch
from torch.overrides import TorchFunctionMode

from sims.cohort import Cohort
from sims.simulator import Simulator
from sims.streams import ON_HOST, Streams
from tests.helpers import tiny_config

READS = {"item", "tolist", "__bool__", "__float__", "__int__", "__index__", "cpu", "numpy", "__array__", "nonzero",
         "masked_select", "unique", "argwhere", "equal", "allclose", "any", "all"}  # any/all: harmless until read, but
# a day has no use for them
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


class HostReads(TorchFunctionMode):
    """Counts the torch calls that read a tensor's values on the host, by name; draws of `host_generators` (and reads
    of them) are the host's own."""

    def __init__(self, host_generators):
        super().__init__()
        self.host_generators, self.reads = host_generators, []
        self.host_tensors = {}  # id -> weak reference, of the host generators' draws

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if any(kwargs.get("generator") is g for g in self.host_generators) and isinstance(result, torch.Tensor):
            self.host_tensors[id(result)] = weakref.ref(result)
        name = getattr(func, "__name__", "")
        tensor = args[0] if args and isinstance(args[0], torch.Tensor) else None
        reads = name in READS or (name in ("__getitem__", "__setitem__") and _masks(args[1:2]))
        if reads and not (tensor is not None and self.host_tensors.get(id(tensor), _dead)() is tensor):
            self.reads.append(name)
        return result


def _dead():
    return None


def _masks(index) -> bool:
    """Whether an index holds a boolean tensor (its selection's size is known only once the mask is read)."""
    items = index[0] if index and isinstance(index[0], tuple) else index
    return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in items)


def host_generators(sims):
    return [sim.streams[p] for sim in sims for p in ON_HOST]


@pytest.mark.parametrize("semantics", ["momentum", "frozen"])
@pytest.mark.parametrize("night", NIGHTS)
def test_a_lone_brain_lives_its_days_without_reading_the_device(night, semantics, tmp_path):
    sim = Simulator(tiny_config(*SMALL, *NIGHTS[night], f"optim.idle_parameters={semantics}"), tmp_path)
    sim.begin_epoch()
    with HostReads(host_generators([sim])) as watch:
        for _ in range(3):
            sim.live_day()
    assert watch.reads == [], watch.reads
    assert sim.recorder.rows > 3 * sim.cfg.schedule.day_steps  # nights were lived


@pytest.mark.parametrize("vectorize", ["loop", "vmap"])
def test_a_cohort_lives_its_days_without_reading_the_device(vectorize, tmp_path):
    jobs = [(tiny_config(*SMALL, *overrides, f"seed={k}"), tmp_path / name) for k, (name, overrides) in
            enumerate(NIGHTS.items())]
    cohort = Cohort(jobs, vectorize)
    front = list(range(len(jobs)))
    for member in cohort.members:
        member.begin_epoch()
    with HostReads(host_generators(cohort.members)) as watch:
        for _ in range(3):
            cohort.live_day(front)
    assert watch.reads == [], watch.reads


def test_the_watch_sees_a_read_and_the_night_stream_is_the_hosts():
    """The detector itself: an .item() of a device draw is seen, the same of the night stream's draw is not; and the
    night stream is a CPU generator."""
    streams = Streams(0, torch.device("cpu"))
    assert [streams[p].device.type for p in ON_HOST] == ["cpu"]
    with HostReads([streams["night"]]) as watch:
        torch.rand(1, generator=streams["night"]).item()
        torch.rand(2, generator=streams["rem"]).sum().item()
        x = torch.zeros(3)
        x[x > 0] = 1.0
    assert watch.reads == ["item", "__setitem__"]
