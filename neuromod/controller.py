"""The controller: brain state -> neuromodulator levels -> plasticity. The rules are written once, here."""
from neuromod.config import LevelMode, NeuromodConfig
from neuromod.plasticity import Drive, Plasticity
from neuromod.states import BrainState, Neuromodulators


class NeuromodController:
    def __init__(self, cfg: NeuromodConfig = NeuromodConfig()):
        self.cfg = cfg
        for state in BrainState:
            levels = self.levels(state)
            if not (levels.ach >= 0 and levels.na >= 0):  # also refuses NaN
                raise ValueError(f"neuromod.{state.value.lower()}: levels must be >= 0, got {levels}")

    def levels(self, state: BrainState) -> Neuromodulators:
        lv = getattr(self.cfg, state.value.lower())
        return Neuromodulators(ach=float(lv.ach), na=float(lv.na))

    def plasticity(self, levels: Neuromodulators) -> Plasticity:
        """The rules (paper, Figure 7):
        - NA present: sensory input drives V1, the discriminator's target is "external", G is plastic with normal sign;
        - ACh alone: recombined memories drive V1, target "internal", G's plasticity is sign-switched (adversarial);
        - neither: single memories are replayed, G is not plastic;
        - the discriminator's teaching signal is gated on by ACh.
        In graded mode the acting levels also set the gains: the discriminator's teaching signal is scaled by ACh,
        G's learning rate by NA where NA acts (in the ACh-alone state G follows the ACh-scaled signal already).
        """
        ach = levels.ach >= self.cfg.ach_threshold
        na = levels.na >= self.cfg.na_threshold
        if na:
            drive, sign = Drive.SENSORY, +1
        elif ach:
            drive, sign = Drive.RECOMBINATION, -1
        else:
            drive, sign = Drive.REPLAY, 0
        graded = self.cfg.mode == LevelMode.graded
        return Plasticity(drive=drive, discriminator_gate=ach, discriminator_target=1.0 if na else 0.0, generator_sign=sign,
                          discriminator_gain=levels.ach if graded and ach else 1.0,
                          generator_gain=levels.na if graded and na else 1.0)

    def plasticity_of(self, state: BrainState) -> Plasticity:
        return self.plasticity(self.levels(state))
