from neuromod import BrainState, Drive, LevelsConfig, NeuromodConfig, NeuromodController, Neuromodulators


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
