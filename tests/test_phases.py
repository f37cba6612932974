"""Each phase step changes exactly the pathways its plasticity allows, in the direction the paper prescribes."""
import copy

import torch

from cortex import CortexConfig
from cortex.population import NAMES as POPULATION
from neuromod import BrainState, NeuromodController
from sims.life.brain import Brain
from sims.life.config import IdleParameters, NremPhase, OptimConfig, RemPhase, WakePhase
from sims.life.phases import NREM as NREM_PHASE, REM as REM_PHASE, WAKE as WAKE_PHASE
from sims.life.phases.learning import discriminator_loss

CONTROLLER = NeuromodController()
WAKE, NREM, REM = (CONTROLLER.plasticity_of(s) for s in (BrainState.WAKE, BrainState.NREM, BrainState.REM))


def make_brain(seed: int = 0, idle: str = "momentum") -> Brain:
    return Brain.build(CortexConfig(channels=[3, 8, 16, 32], latent_dim=32), OptimConfig(idle_parameters=IdleParameters(idle)),
                       64, seed, torch.device("cpu"))


def snapshot(brain: Brain) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in brain.cortex.state_dict().items()}


def changed(before: dict, brain: Brain) -> set[str]:
    return {k for k, v in brain.cortex.state_dict().items() if not torch.equal(v, before[k])}


def groups(brain: Brain) -> dict[str, set[str]]:
    names = brain.cortex.state_dict().keys()
    top = f"areas.{len(brain.cortex.areas) - 1}.ff."
    return {
        "trunk": {k for k in names if ".ff." in k and not k.startswith(top)},
        "latent_head": {k for k in names if k.startswith(top)},
        "discriminator": {k for k in names if k.startswith("discriminator.")},
        "G": {k for k in names if ".fb." in k},
    }


def images(n: int = 16) -> torch.Tensor:
    return torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_wake_changes_both_pathways_and_returns_the_episode():
    brain, gen = make_brain(), torch.Generator().manual_seed(0)
    before = snapshot(brain)
    x = images()
    z_expected = brain.cortex.encode(x).z.detach()
    figures, z = WAKE_PHASE.step(brain, x, WAKE, WakePhase(), gen)  # a StepResult: (figures, episodes)
    g = groups(brain)
    assert changed(before, brain) == g["trunk"] | g["latent_head"] | g["discriminator"] | g["G"]
    assert torch.equal(z, z_expected)  # the episode is z before the update
    assert set(figures) == {"loss_reconstruction", "loss_kl", "loss_discriminator", "discriminator_output", *POPULATION}


def test_wake_without_ach_has_no_discriminator_teaching():
    brain, gen = make_brain(), torch.Generator().manual_seed(0)
    before = snapshot(brain)
    plasticity = CONTROLLER.plasticity(CONTROLLER.levels(BrainState.WAKE).__class__(ach=0.0, na=1.0))
    figures, _ = WAKE_PHASE.step(brain, images(), plasticity, WakePhase(), gen)
    assert "loss_discriminator" not in figures
    assert not changed(before, brain) & groups(brain)["discriminator"]


def test_nrem_changes_only_the_encoders_trunk_and_latent_head():
    brain, gen = make_brain(), torch.Generator().manual_seed(0)
    before, g_opt = snapshot(brain), copy.deepcopy(brain.generator_optimizer.state_dict())
    episodes = torch.randn(16, 32, generator=gen)
    figures = NREM_PHASE.step(brain, episodes, NREM, NremPhase(), gen).figures
    g = groups(brain)
    assert changed(before, brain) == g["trunk"] | g["latent_head"]
    assert brain.generator_optimizer.state_dict() == g_opt  # G's Adam state untouched
    disc = brain.cortex.discriminator.weight
    assert disc not in brain.encoder_optimizer.state  # no Adam moments for the discriminator head
    assert set(figures) == {"loss_latent", *POPULATION}


def test_rem_moves_g_up_and_e_down_the_rem_loss_gradient_as_one_adam_step():
    brain, gen = make_brain(), torch.Generator().manual_seed(0)
    seeds = torch.randn(16, 32, generator=torch.Generator().manual_seed(2))
    # Independent route: the REM loss's gradient on a copy, and Adam's first step written out by hand.
    twin = copy.deepcopy(brain.cortex)
    loss = discriminator_loss(twin.discriminate(twin.trunk(twin.generate(seeds))[-1]), 0.0)
    params = dict(twin.named_parameters())
    grads = dict(zip(params, torch.autograd.grad(loss, list(params.values()), allow_unused=True)))
    lr, eps = OptimConfig().lr, 1e-8  # float32 rounding of a 0.02-sized weight is ~2e-9
    before = snapshot(brain)
    REM_PHASE.step(brain, seeds, REM, RemPhase(), gen)
    g = groups(brain)
    after = brain.cortex.state_dict()
    for name in g["trunk"] | g["discriminator"]:  # E descends: theta - lr * g / (|g| + eps)
        expected = before[name] - lr * grads[name] / (grads[name].abs() + eps)
        assert torch.allclose(after[name], expected, atol=1e-8, rtol=0), name
    for name in g["G"]:  # G ascends: theta + lr * g / (|g| + eps)
        expected = before[name] + lr * grads[name] / (grads[name].abs() + eps)
        assert torch.allclose(after[name], expected, atol=1e-8, rtol=0), name
    for name in g["latent_head"]:
        assert grads[name] is None and torch.equal(after[name], before[name])


def optimizer_states(brain: Brain):
    return copy.deepcopy((brain.encoder_optimizer.state_dict(), brain.generator_optimizer.state_dict()))


def same_states(a, b) -> bool:
    return all(x["param_groups"] == y["param_groups"] and x["state"].keys() == y["state"].keys()
               and all(torch.equal(x["state"][k][m], y["state"][k][m]) for k in y["state"] for m in y["state"][k])
               for x, y in zip(a, b))


def test_switched_off_rem_and_frozen_idle_nrem_leave_weights_and_optimizer_state_untouched():
    brain, gen = make_brain(idle="frozen"), torch.Generator().manual_seed(0)
    WAKE_PHASE.step(brain, images(), WAKE, WakePhase(), gen)  # give the optimizers some state
    before, states = snapshot(brain), optimizer_states(brain)
    episodes = torch.randn(16, 32, generator=gen)
    assert NREM_PHASE.step(brain, episodes, NREM, NremPhase(weight=0.0), gen).figures == {}
    assert REM_PHASE.step(brain, episodes, REM, RemPhase(weight=0.0), gen).figures == {}
    assert not changed(before, brain)
    assert same_states(optimizer_states(brain), states)


def test_momentum_semantics_moves_idle_parameters_on_their_adam_momentum_alone():
    """The authors' N = 0 slot under PyTorch 1.x: E steps with zero gradients; by hand, Adam's update of a parameter
    with moments (m, v) at step t and gradient 0 is -lr * (b1 m / (1 - b1^(t+1))) / (sqrt(b2 v / (1 - b2^(t+1))) + eps).
    G (not plastic in NREM) and the REM slot with R = 0 stay untouched."""
    brain, gen = make_brain(idle="momentum"), torch.Generator().manual_seed(0)
    WAKE_PHASE.step(brain, images(), WAKE, WakePhase(), gen)
    before, states = snapshot(brain), optimizer_states(brain)
    lr, (b1, b2), eps = OptimConfig().lr, (OptimConfig().beta1, OptimConfig().beta2), 1e-8
    assert NREM_PHASE.step(brain, torch.randn(16, 32, generator=gen), NREM, NremPhase(weight=0.0), gen).figures == {}
    encoder = brain.encoder_optimizer
    names = {id(p): n for n, p in brain.cortex.named_parameters()}
    for k, p in enumerate(p for group in encoder.param_groups for p in group["params"]):
        m, v, t = (states[0]["state"][k][key] for key in ("exp_avg", "exp_avg_sq", "step"))
        t = float(t) + 1
        expected = before[names[id(p)]] - lr * (b1 * m / (1 - b1**t)) / ((b2 * v / (1 - b2**t)).sqrt() + eps)
        assert torch.allclose(p.detach(), expected, atol=1e-8, rtol=0), names[id(p)]  # float32 rounding ~2e-9
        assert float(encoder.state[p]["step"]) == t
    assert not changed(before, brain) & groups(brain)["G"]
    after_nrem = snapshot(brain)
    REM_PHASE.step(brain, torch.randn(16, 32, generator=gen), REM, RemPhase(weight=0.0), gen)
    assert not changed(after_nrem, brain)


def test_momentum_semantics_moves_the_discriminator_head_in_nrem_and_the_latent_head_in_rem():
    for idle, moves in (("momentum", True), ("frozen", False)):
        brain, gen = make_brain(idle=idle), torch.Generator().manual_seed(0)
        WAKE_PHASE.step(brain, images(), WAKE, WakePhase(), gen)
        g = groups(brain)
        before = snapshot(brain)
        NREM_PHASE.step(brain, torch.randn(16, 32, generator=gen), NREM, NremPhase(), gen)
        assert bool(changed(before, brain) & g["discriminator"]) == moves, idle
        before = snapshot(brain)
        REM_PHASE.step(brain, torch.randn(16, 32, generator=gen), REM, RemPhase(), gen)
        assert bool(changed(before, brain) & g["latent_head"]) == moves, idle
