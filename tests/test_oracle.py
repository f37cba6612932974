"""The simulator against the oracle (tests/authors_iteration.py): the authors' iteration, written independently.

Both sides start from the same weights and take the same random draws (the simulator's streams, fed to the oracle);
in float64 on the CPU, after two epochs of a small data set (so the first-day rule and z_old across an epoch boundary
are exercised), every weight, both Adam states and every logged figure must agree to 1e-10 relative.
"""

import numpy as np
import pytest
import torch
import xarray as xr

from cortex import Cortex, to_activity
from sims.life.phases import PHASES
from sims.life.simulator import Simulator
from sims.life.streams import Streams
from tests.authors_iteration import FLAGS, AuthorsIteration, Flags
from tests.helpers import SpiedPhase, live, tiny_config

RTOL = 1e-10
# Both sides use PyTorch's fused Adam kernel: Adam's arithmetic is not what is tested, and its implementations round
# differently (single-tensor vs fused moves the latent head's bias moments by ~6e-11 relative after 6 days of pad).
FUSED = True
# Adam moments are compared relative to the largest moment of their optimizer, not of their own tensor: the latent
# head's bias gradient in Wake is a cancellation (the KL's std term sums batch deviations to zero), whose rounding
# depends on whether the three Wake losses are back-propagated apart (the authors) or summed (the simulator); its
# moments then differ by ~2e-10 of their own size, ~1e-12 of the optimizer's, while every weight agrees to < 1e-11.
MOMENTS = ("exp_avg", "exp_avg_sq")
EPOCHS = 2
# 40 images: 2 days of 16 (drop_last), and every class in the training set (the first 32 of `shapes` lack class 8)
SMALL = ["dtype=float64", "data.train_size=40", "optim.batch_size=16", "eval.every=0", "keep_epoch_cortex=false"]
CASES = {  # id: (scenario, extra overrides, the authors' flags)
    **{name: (name, [], flags) for name, flags in FLAGS.items()},
    "pad_weighted": ("pad", ["phases.wake.weight=0.6", "phases.nrem.weight=0.3"], Flags(W=0.6, N=0.3)),
}
SEMANTICS = {"momentum": False, "frozen": True}  # optim.idle_parameters -> the oracle's zero_grad(set_to_none=...)


class StreamDraws:
    """The oracle's draws, taken from the simulator's streams as the simulator's contract says it draws them."""

    def __init__(self, sim: Simulator):
        self.streams, self.max_square, self.dtype = Streams(sim.cfg.seed, sim.device), sim.cfg.phases.nrem.max_square, sim.dtype

    def order(self, n):
        return torch.randperm(n, generator=self.streams["data"])

    def wake_noise(self, shape):
        return torch.randn(shape, generator=self.streams["wake"], dtype=self.dtype)

    def occlusion(self):
        gen = self.streams["nrem"]
        p = torch.rand(1, generator=gen)
        s = torch.randint(1, self.max_square + 1, (1,), generator=gen)
        return p.item(), int(s), torch.rand(1, 32, 32, generator=gen)[0]

    def rem_noise(self, shape):
        return torch.randn(shape, generator=self.streams["rem"], dtype=self.dtype)


def oracle_for(sim: Simulator, flags: Flags, set_to_none: bool) -> AuthorsIteration:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(sim.cfg.seed)
        cortex = Cortex(sim.cfg.cortex)
    cortex.to(torch.float64)
    optim = sim.cfg.optim
    return AuthorsIteration(cortex, flags, lr=optim.lr, betas=(optim.beta1, optim.beta2), set_to_none=set_to_none,
                            fused=FUSED)


def assert_close(actual: torch.Tensor, expected: torch.Tensor, what: str, scale: float | None = None) -> None:
    """|actual - expected| <= RTOL * scale, elementwise; scale: max|expected| unless given."""
    actual, expected = torch.as_tensor(actual, dtype=torch.float64), torch.as_tensor(expected, dtype=torch.float64)
    assert actual.shape == expected.shape, what
    scale = expected.abs().max().clamp_min(1e-300) if scale is None else scale
    error = (actual - expected).abs().max()
    assert error <= RTOL * scale, f"{what}: max error {error:.3g} against scale {scale:.3g}"


# oracle figure -> (state of the step, simulator variable)
FIGURES = {"rec_real": ("WAKE", "loss_reconstruction"), "kl": ("WAKE", "loss_kl"), "real": ("WAKE", "loss_discriminator"),
           "D_x": ("WAKE", "discriminator_output"), "rec_fake": ("NREM", "loss_latent"),
           "fake": ("REM", "loss_discriminator"), "D_G_z1": ("REM", "discriminator_output")}


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: the same reduction order, hence the same rounding, on every machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("semantics", sorted(SEMANTICS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_oracle_every_weight_adam_state_and_logged_figure(case, semantics, tmp_path):
    scenario, extra, flags = CASES[case]
    sim = Simulator(tiny_config(f"scenario={scenario}", f"optim.idle_parameters={semantics}", *SMALL, *extra), tmp_path)
    oracle = oracle_for(sim, flags, SEMANTICS[semantics])
    draws = StreamDraws(sim)
    images = to_activity(sim.world.train_x).to(torch.float64)
    logged = [fig for _ in range(EPOCHS) for fig in oracle.epoch(images, sim.cfg.optim.batch_size, draws)]
    live(sim, EPOCHS)

    expected, actual = oracle.cortex.state_dict(), sim.brain.cortex.state_dict()
    for name in expected:
        assert_close(actual[name], expected[name], f"weight {name}")
    for mine, theirs, which in ((sim.brain.encoder_optimizer, oracle.optimizerD, "E"),
                                (sim.brain.generator_optimizer, oracle.optimizerG, "G")):
        params = [p for group in theirs.param_groups for p in group["params"]]
        mine_params = [p for group in mine.param_groups for p in group["params"]]
        scales = {key: max(float(theirs.state[p][key].abs().max()) for p in theirs.state) for key in MOMENTS}
        for k, (p, q) in enumerate(zip(params, mine_params)):
            assert (p in theirs.state) == (q in mine.state), f"{which} parameter {k}: Adam state present on one side only"
            if p in theirs.state:
                assert float(mine.state[q]["step"]) == float(theirs.state[p]["step"]), f"{which} parameter {k} step"
                for key in MOMENTS:
                    assert_close(mine.state[q][key], theirs.state[p][key], f"{which} parameter {k} Adam {key}",
                                 scales[key])

    with xr.open_dataset(tmp_path / "activity.nc") as ds:
        activity = ds.isel(brain=0).load()
    days = len(logged)
    assert int(activity.day.max()) + 1 == days
    for figure, (state, variable) in FIGURES.items():
        values = activity[variable].where(activity.state == state, drop=True).values
        theirs = [day.get(figure) for day in logged]
        if all(v is None for v in theirs):  # a figure this condition does not log
            assert np.isnan(values).all(), (figure, variable)
            continue
        assert len(values) == days, (figure, variable)
        assert_close(torch.from_numpy(values), torch.stack(theirs), f"{variable} in {state}")


def test_the_recorder_logs_exactly_what_each_step_returned(tmp_path, monkeypatch):
    """Each logged value at each (step, variable) is the value the phase step returned there; NaN elsewhere."""
    returned = []  # per step of the run, in order: the figures returned
    for drive, phase in list(PHASES.items()):
        def spy(*args, _step=phase.step):
            result = _step(*args)
            returned.append({k: v.numpy().copy() for k, v in result.figures.items()})
            return result
        monkeypatch.setitem(PHASES, drive, SpiedPhase(phase, spy))
    sim = Simulator(tiny_config("scenario=pad", *SMALL), tmp_path)
    live(sim, EPOCHS)
    with xr.open_dataset(tmp_path / "activity.nc") as ds:
        activity = ds.isel(brain=0).load()
    names = ["loss_reconstruction", "loss_kl", "loss_latent", "loss_discriminator", "discriminator_output",
             "activity_mean", "active_fraction", "population_sparseness"]  # the last three per area: (area,)
    assert activity.sizes["step"] == len(returned)
    for step, figures in enumerate(returned):
        for name in names:
            value = activity[name][step].values
            if name in figures:
                np.testing.assert_array_equal(value, figures[name], err_msg=f"{step} {name}")
            else:
                assert np.isnan(value).all(), (step, name)
