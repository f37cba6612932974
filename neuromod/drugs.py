"""Drugs: changes of ACh and NA levels in some states, with a dose, tolerance and withdrawal.

Each named drug maps a pharmacological action onto the levels the controller reads (fractions of the waking level,
the paper's Figure 7), written next to the literature fact it stands for (../shared/DEPRIVATION.md). At a signed
strength s (the dose, faded by tolerance; negative in withdrawal) a level L becomes max(0, L (1 + s (factor - 1)) +
s added): factors for antagonists and agonists that scale a transmitter, `added` for reuptake inhibitors that keep a
transmitter up where it would be low. Tolerance fades the effect linearly
to nothing over `tolerance_nights` nights of treatment; withdrawal, for `withdrawal_nights` nights after the last
dose, moves the levels the other way by `withdrawal` times the full effect, fading linearly.
"""
from dataclasses import dataclass

from neuromod.states import BrainState, Neuromodulators


@dataclass(frozen=True)
class Drug:
    states: tuple[BrainState, ...]  # where it acts
    ach: float = 1.0  # factor on ACh at full effect
    na: float = 1.0  # factor on NA at full effect
    ach_added: float = 0.0  # ACh added at full effect
    na_added: float = 0.0  # NA added at full effect
    tolerance_nights: int = 0  # 0: no tolerance
    withdrawal_nights: int = 0  # 0: no withdrawal
    withdrawal: float = 0.0  # rebound, as a fraction of the full effect, the other way
    fact: str = ""


W, N, R = BrainState.WAKE, BrainState.NREM, BrainState.REM
DRUGS: dict[str, Drug] = {
    # Muscarinic antagonist: REM ACh falls below the controller's threshold, so REM loses its adversarial (ACh-alone)
    # plasticity; slow-wave sleep (already low ACh) unchanged.
    "scopolamine": Drug((R,), ach=0.3, tolerance_nights=3, withdrawal_nights=2, withdrawal=0.5,
                        fact="at night REM delayed and reduced, slow-wave sleep unchanged; tolerance over ~3 nights; "
                             "REM rebound on withdrawal; impairs encoding"),
    # Cholinesterase inhibitor given during slow-wave sleep: NREM ACh rises above the threshold, so NREM dreams become
    # ACh-driven (discriminator taught "internal", G sign-switched) instead of perturbed replay.
    "physostigmine": Drug((N,), ach=4.0,
                          fact="given during slow-wave sleep it blocked word-pair consolidation entirely; no effect "
                               "when given awake [Gais & Born 2004 PNAS]"),
    # Chronic cholinesterase inhibitor: more ACh in REM and Wake (stronger teaching in graded mode).
    "donepezil": Drug((W, R), ach=1.5,
                      fact="more REM, more vivid dreams; better procedural consolidation in older adults "
                           "[Schredl 2006; Hornung 2009]"),
    # alpha-2 agonist: less NA in every state (Wake keeps NA above threshold at the shipped factor).
    "clonidine": Drug((W, N, R), na=0.6,
                      fact="more NREM, less REM; lowering NA during sleep (not during wake) impairs odour memory "
                           "[Gais 2011 J Cogn Neurosci]"),
    # Serotonin (and NA) reuptake inhibitor: NA stays up in REM, above threshold, so REM becomes sensory-like
    # (normal-sign G, target "external"): adversarial REM is suppressed.
    "ssri": Drug((R,), na_added=0.6,
                 fact="REM strongly suppressed (almost abolished by SNRIs), yet overnight skill and word-pair "
                      "memory unimpaired [Rasch 2009 Nat Neurosci]"),
}


def effect(drug: Drug, dose: float, treated_nights: int | None, nights_since_last: int | None) -> float:
    """The fraction of the full effect tonight: dose faded by tolerance while treated; minus the withdrawal rebound
    after. treated_nights: nights of treatment so far including tonight (None: not treated tonight);
    nights_since_last: nights since the last treated night (None: never treated)."""
    if treated_nights is not None:
        fade = 1.0 if drug.tolerance_nights == 0 else max(0.0, 1 - (treated_nights - 1) / drug.tolerance_nights)
        return dose * fade
    if nights_since_last is None or drug.withdrawal_nights == 0 or nights_since_last > drug.withdrawal_nights:
        return 0.0
    return -dose * drug.withdrawal * (1 - (nights_since_last - 1) / drug.withdrawal_nights)


def apply(drug: Drug, levels: Neuromodulators, state: BrainState, strength: float) -> Neuromodulators:
    """Levels under `strength` (a signed fraction of the full effect) of the drug, in a state it acts on."""
    if state not in drug.states or strength == 0:
        return levels
    level = lambda value, factor, added: max(0.0, value * (1 + strength * (factor - 1)) + strength * added)
    return Neuromodulators(ach=level(levels.ach, drug.ach, drug.ach_added), na=level(levels.na, drug.na, drug.na_added))
