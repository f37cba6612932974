import pytest

from neuromod import BrainState, Drive, LevelMode, LevelsConfig, NeuromodConfig, NeuromodController, Neuromodulators
from neuromod.drugs import DRUGS, apply, effect


def test_defaults_reproduce_the_papers_table():
    c = NeuromodController()
    wake, nrem, rem = (c.plasticity_of(s) for s in (BrainState.WAKE, BrainState.NREM, BrainState.REM))
    # Wake: sensory drive, discriminator taught "external", G plastic with normal sign
    assert (wake.drive, wake.discriminator_gate, wake.discriminator_target, wake.generator_sign) == (Drive.SENSORY, True, 1.0, 1)
    # NREM: replay, discriminator gated off, G not plastic
    assert (nrem.drive, nrem.discriminator_gate, nrem.generator_sign) == (Drive.REPLAY, False, 0)
    assert not nrem.generator_plastic
    # REM: recombination, discriminator taught "internal", G sign-switched
    assert (rem.drive, rem.discriminator_gate, rem.discriminator_target, rem.generator_sign) == (Drive.RECOMBINATION, True, 0.0, -1)


def test_levels_follow_the_paper_qualitatively():
    c = NeuromodController()
    wake, nrem, rem = (c.levels(s) for s in BrainState)
    assert wake.ach > nrem.ach and wake.na > nrem.na  # NREM: both reduced
    assert rem.ach >= wake.ach * 0.9 and rem.na < nrem.na  # REM: high ACh, NA near zero


def test_rules_are_functions_of_the_levels():
    c = NeuromodController(NeuromodConfig(ach_threshold=0.5, na_threshold=0.5))
    assert c.plasticity(Neuromodulators(ach=0.0, na=1.0)).discriminator_gate is False  # NA without ACh: no teaching
    assert c.plasticity(Neuromodulators(ach=0.0, na=1.0)).generator_sign == 1
    assert c.plasticity(Neuromodulators(ach=0.6, na=0.4)).drive == Drive.RECOMBINATION  # a cholinergic NREM dreams like REM
    assert c.plasticity(Neuromodulators(ach=0.49, na=0.49)).drive == Drive.REPLAY


def test_levels_are_configuration():
    c = NeuromodController(NeuromodConfig(rem=LevelsConfig(ach=0.1, na=0.0)))
    assert c.levels(BrainState.REM) == Neuromodulators(ach=0.1, na=0.0)
    assert c.plasticity_of(BrainState.REM).drive == Drive.REPLAY

TH = 0.5
# (ach, na) -> (drive, gate, target, sign): the paper's rules, the same in both modes
RULES = {
    (TH - 0.01, TH - 0.01): (Drive.REPLAY, False, 0.0, 0),
    (TH, TH - 0.01): (Drive.RECOMBINATION, True, 0.0, -1),
    (TH + 0.3, TH - 0.01): (Drive.RECOMBINATION, True, 0.0, -1),
    (TH - 0.01, TH): (Drive.SENSORY, False, 1.0, 1),
    (TH, TH): (Drive.SENSORY, True, 1.0, 1),
    (TH + 0.3, TH + 0.7): (Drive.SENSORY, True, 1.0, 1),
}


@pytest.mark.parametrize("mode", list(LevelMode))
@pytest.mark.parametrize("levels", RULES)
def test_both_modes_apply_the_rules_at_below_and_above_each_threshold(mode, levels):
    c = NeuromodController(NeuromodConfig(ach_threshold=TH, na_threshold=TH, mode=mode))
    ach, na = levels
    p = c.plasticity(Neuromodulators(ach=ach, na=na))
    assert (p.drive, p.discriminator_gate, p.discriminator_target, p.generator_sign) == RULES[levels]
    if mode == LevelMode.thresholds:  # a modulator acts fully or not at all
        assert (p.discriminator_gain, p.generator_gain) == (1.0, 1.0)
    else:  # where it acts, its level is the gain; below threshold the gate is closed, whatever the gain
        assert p.discriminator_gain == (ach if ach >= TH else 1.0)
        assert p.generator_gain == (na if na >= TH else 1.0)


def test_graded_mode_makes_a_half_dose_half_an_effect():
    graded = NeuromodController(NeuromodConfig(mode=LevelMode.graded))
    thresholds = NeuromodController(NeuromodConfig())
    full, half = Neuromodulators(ach=1.0, na=0.0), Neuromodulators(ach=0.75, na=0.0)
    assert thresholds.plasticity(half) == thresholds.plasticity(full)  # thresholds: a half dose is no dose
    assert graded.plasticity(half).discriminator_gain == 0.75 and graded.plasticity(full).discriminator_gain == 1.0


def test_drug_effect_dose_tolerance_and_withdrawal_by_hand():
    scopolamine = DRUGS["scopolamine"]  # tolerance over 3 nights, withdrawal 0.5 over 2 nights
    assert [effect(scopolamine, 1.0, n, None) for n in (1, 2, 3, 4)] == pytest.approx([1.0, 2 / 3, 1 / 3, 0.0], abs=1e-15)
    assert [effect(scopolamine, 1.0, None, k) for k in (1, 2, 3)] == [-0.5, -0.25, 0.0]
    assert effect(scopolamine, 0.5, 1, None) == 0.5 and effect(DRUGS["physostigmine"], 1.0, 10, None) == 1.0
    rem = Neuromodulators(ach=1.0, na=0.0)
    assert apply(scopolamine, rem, BrainState.REM, 1.0).ach == pytest.approx(0.3, abs=1e-15)
    assert apply(scopolamine, rem, BrainState.REM, -0.5).ach == pytest.approx(1.35, abs=1e-15)  # rebound: more ACh
    assert apply(scopolamine, rem, BrainState.NREM, 1.0) == rem  # only where it acts
    assert apply(DRUGS["ssri"], rem, BrainState.REM, 1.0) == Neuromodulators(ach=1.0, na=0.6)


def test_each_named_drug_changes_the_controllers_verdict_where_its_literature_says():
    c = NeuromodController()
    verdict = lambda name, state: c.plasticity(apply(DRUGS[name], c.levels(state), state, 1.0)).drive
    assert verdict("scopolamine", BrainState.REM) == Drive.REPLAY  # REM loses its adversarial (ACh-alone) drive
    assert verdict("physostigmine", BrainState.NREM) == Drive.RECOMBINATION  # NREM dreams ACh-driven
    assert verdict("ssri", BrainState.REM) == Drive.SENSORY  # NA kept up: adversarial REM suppressed
    assert verdict("clonidine", BrainState.WAKE) == Drive.SENSORY  # Wake keeps its NA above threshold
    assert apply(DRUGS["donepezil"], c.levels(BrainState.REM), BrainState.REM, 1.0).ach == 1.5
    assert all(d.fact for d in DRUGS.values())
