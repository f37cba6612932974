"""Nights from hypnograms (sims/life/hypnograms.py): a hand-written hypnogram mapped to the steps written down by hand;
the same night read from CSV, TSV, EDF+ (written with MNE) and yasa.Hypnogram; bad hypnograms in one line; the
paper's night as a hypnogram equal to the default run; resume and cohort equal to an uninterrupted lone run; and the
round trip: a night slept and exported back to YASA keeps its stages and statistics."""
import re
import subprocess
import sys
from pathlib import Path

import mne
import numpy as np
import pytest
import torch
import yasa
from omegaconf import OmegaConf

from analysis.hypnogram import as_yasa
from analysis.load import open_run
from neuromod import BrainState
from records.checkpoints import load_checkpoint
from records.errors import PadError
from sims.life.hypnograms import Run, lived, load_nights, read_file, runs, save_csv
from sims.life.nights import NightPlanner
from sims.life.simulator import Simulator, run
from sims.life.validation import validate
from tests.helpers import merged, tiny_config
from tests.test_cohort import RTOL, assert_same_brains, lone_and_cohort
from tests.test_resume import assert_same, without_wall_clock

# 20 epochs of 30 s: 1 min awake before sleep onset, N1, N2, N3, a brief awakening, REM with an unscored epoch in it,
# then the final awakening
TWENTY = ["W", "W", "N1", "N2", "N2", "N3", "N3", "N3", "N2", "W", "N2", "R", "R", "R", "UNS", "R", "N2", "W", "W", "W"]
NREM, REM, WAKE = BrainState.NREM, BrainState.REM, BrainState.WAKE
SMALL = ["data.train_size=48", "optim.batch_size=16", "eval.every=0", "progress=false", "keep_epoch_cortex=false",
         "epochs=2"]


def csv(path: Path, stages, extra: str = "") -> Path:
    path.write_text("stage" + extra + "\n" + "".join(f"{s}\n" for s in stages))
    return path


def block(source, minutes: float = 0.5, **more) -> str:
    extra = "".join(f",{k}:{v}" for k, v in more.items())
    return (f"protocol.blocks=[{{name:sleep,start:1,hypnogram:{{source:'{source}',minutes_per_step:{minutes}{extra}}}}}]")


# --- the mapping, by hand ---------------------------------------------------------------------------------------------
def test_a_hand_written_night_maps_to_the_runs_written_down_by_hand():
    """Sleep onset at epoch 2 (the first N1), final awakening after epoch 16; N1 is NREM, N2 and N3 apart, the
    awakening a Wake run, the unscored epoch skipped inside the REM run."""
    assert runs(tuple(TWENTY)) == [Run(NREM, 3, False), Run(NREM, 3, True), Run(NREM, 1, False), Run(WAKE, 1, False),
                                   Run(NREM, 1, False), Run(REM, 4, False), Run(NREM, 1, False)]
    assert runs(tuple(TWENTY), n1="wake")[:2] == [Run(WAKE, 1, False), Run(NREM, 2, False)]
    assert runs(tuple(TWENTY), n1="skip")[0] == Run(NREM, 2, False)


def test_whole_steps_draw_nothing_and_fractions_round_with_their_probability():
    never = lambda n: pytest.fail("drew for a night of whole steps")
    assert lived(runs(tuple(TWENTY)), 0.5, never) == runs(tuple(TWENTY))  # one step per epoch
    # 1 minute a step (2 epochs): 1.5, 1.5, 0.5, 0.5 (the awakening), 0.5, 2, 0.5 steps; six fractions, drawn in one
    # call; a draw below the fraction rounds up
    calls = []
    rand = lambda n: calls.append(n) or [0.4, 0.6, 0.4, 0.6, 0.4, 0.4]
    assert lived(runs(tuple(TWENTY)), 1.0, rand) == [Run(NREM, 2, False), Run(NREM, 1, True), Run(NREM, 1, False),
                                                     Run(NREM, 1, False), Run(REM, 2, False), Run(NREM, 1, False)]
    assert calls == [6]
    rng = np.random.default_rng(0)  # on average each state keeps its epochs / 2 steps: NREM (N1, N2) 6 epochs, N3 3,
    kinds = [(NREM, False), (NREM, True), (WAKE, False), (REM, False)]  # the awakening 1, REM 4
    totals = [[sum(r.epochs for r in lived(runs(tuple(TWENTY)), 1.0, lambda n: rng.random(n).tolist())
                   if (r.state, r.n3) == kind) for kind in kinds] for _ in range(4000)]
    np.testing.assert_allclose(np.mean(totals, axis=0), [3.0, 1.5, 0.5, 2.0], atol=0.04)


def test_the_planner_lives_the_hypnogram_in_order_n3_weighted(tmp_path):
    source = csv(tmp_path / "night.csv", TWENTY)
    cfg = OmegaConf.to_object(tiny_config(*SMALL, "protocol.name=human", block(source, n3_weight=2.0)))
    night = NightPlanner(cfg, 3).night(0, torch.Generator().manual_seed(0))
    got = [(s.state, s.weight, s.daytime) for s in night.steps]
    wake, n2, n3, rem = (WAKE, 1.0, True), (NREM, 1.0, False), (NREM, 2.0, False), (REM, 1.0, False)
    assert got == [wake, n2, n2, n2, n3, n3, n3, n2, (WAKE, 1.0, False), n2, rem, rem, rem, rem, n2]
    assert (night.planned, night.arousals, night.block) == (13, 1, "sleep")


def test_night_k_of_a_block_lives_the_sources_night_k_mod_n(tmp_path):
    multi = tmp_path / "two.csv"
    multi.write_text("night,stage\n" + "".join(f"a,{s}\n" for s in ["N2", "R"]) + "".join(f"b,{s}\n" for s in ["N3"]))
    cfg = OmegaConf.to_object(tiny_config(*SMALL, "protocol.name=human", "protocol.unit=day",
                                          "protocol.blocks=[{name:base,start:0,stop:2},{name:sleep,start:2,"
                                          f"hypnogram:{{source:'{multi}',minutes_per_step:0.5}}}}]"))
    planner, generator = NightPlanner(cfg, 10), torch.Generator().manual_seed(0)
    nights = [[s.state for s in planner.night(day, generator).steps[1:]] for day in range(6)]
    assert nights == [[NREM, REM], [NREM, REM], [NREM, REM], [NREM], [NREM, REM], [NREM]]


# --- sources -----------------------------------------------------------------------------------------------------------
def write_edf(path: Path, stages: list[str], durations: list[float] | None = None) -> Path:
    """An EDF+ file of one dummy channel whose annotations are the hypnogram, as Sleep-EDF's are."""
    names = {"W": "Sleep stage W", "N1": "Sleep stage 1", "N2": "Sleep stage 2", "N3": "Sleep stage 3",
             "R": "Sleep stage R", "UNS": "Sleep stage ?"}
    durations = durations or [30.0] * len(stages)
    onsets = np.concatenate([[0], np.cumsum(durations)[:-1]])
    raw = mne.io.RawArray(np.zeros((1, int(sum(durations)) * 10)), mne.create_info(["x"], 10, "misc"), verbose=False)
    raw.set_annotations(mne.Annotations(onsets, durations, [names[s] for s in stages]))
    mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose=False)
    return path


def test_csv_tsv_edf_and_yasa_sources_read_the_same_night(tmp_path):
    want = tuple(TWENTY)
    codes = {"W": 0, "N1": 1, "N2": 2, "N3": 3, "R": 4, "UNS": -2}
    (tmp_path / "night.tsv").write_text("epoch\tstage\n" + "".join(f"{i}\t{codes[s]}\n" for i, s in enumerate(TWENTY)))
    assert read_file(csv(tmp_path / "night.csv", TWENTY)) == [want]
    assert read_file(tmp_path / "night.tsv") == [want]
    assert read_file(write_edf(tmp_path / "night.edf", TWENTY)) == [want]
    hypnogram = yasa.Hypnogram([{"W": "WAKE", "R": "REM"}.get(s, s) for s in TWENTY], n_stages=5)
    assert read_file(save_csv([hypnogram, hypnogram], tmp_path / "yasa.csv")) == [want, want]
    minutes = yasa.Hypnogram(["N2", "REM"], n_stages=5, freq="1min")  # 2 epochs of 30 s each
    assert read_file(save_csv([minutes], tmp_path / "minutes.csv")) == [("N2", "N2", "R", "R")]


def test_a_folder_holds_its_nights_in_the_order_of_their_names(tmp_path):
    csv(tmp_path / "b.csv", ["N3"])
    csv(tmp_path / "a.csv", ["N2", "R"])
    (tmp_path / "notes.md").write_text("not a hypnogram")
    cfg = OmegaConf.to_object(tiny_config(block(tmp_path))).protocol.blocks[0].hypnogram
    assert load_nights(cfg) == (("N2", "R"), ("N3",))


BAD = {  # file name, its text -> the end of the one line
    "unknown stage": ("x.csv", "stage\nN2\nN5\n", "x.csv, line 3: unknown sleep stage 'N5' (W, N1, N2, N3, R, ART, "
                                                  "UNS, or YASA's codes -2..4)"),
    "no stage column": ("x.csv", "state\nN2\n", "x.csv: no `stage` column (columns: state)"),
    "empty night": ("x.csv", "stage\n", "x.csv: an empty night (no epochs)"),
    "no sleep": ("x.csv", "stage\nW\nUNS\n", "x.csv: a night without sleep (stages: UNS, W)"),
    "epoch length": ("x.csv", "stage,duration\nN2,30\nR,20\n", "x.csv, line 3: an epoch of 20 s; a hypnogram's "
                                                                "epochs are 30 s"),
    "unreadable edf": ("x.edf", "not an EDF file", "x.edf: not a readable EDF+ hypnogram (no EDF header)"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_hypnogram_is_one_line_naming_the_file(case, tmp_path):
    name, text, problem = BAD[case]
    (tmp_path / name).write_text(text)
    with pytest.raises(PadError) as error:
        validate(OmegaConf.to_object(tiny_config(block(tmp_path / name))))
    assert str(error.value) == f"protocol.blocks[0].hypnogram.source: {tmp_path}/{problem}"


def test_an_edf_stage_that_is_not_whole_epochs_names_its_epoch(tmp_path):
    edf = write_edf(tmp_path / "x.edf", ["N2", "R"], [30.0, 45.0])
    with pytest.raises(PadError, match=r"x.edf, epoch 1: 'Sleep stage R' lasts 45 s, not a multiple of 30 s"):
        read_file(edf)


def test_missing_sources_unknown_profiles_and_the_homeostat_are_refused(tmp_path, cli_env):
    for source, problem in [(tmp_path / "none.csv", "no such hypnogram file or folder"),
                            ("profile:teenager", "no such night profile (profiles: healthy_young, healthy_older, "
                                                 "depression, narcolepsy, insomnia)")]:
        with pytest.raises(PadError, match=re.escape(problem)):
            validate(OmegaConf.to_object(tiny_config(block(source))))
    with pytest.raises(PadError, match="set homeostat.enabled=false"):
        validate(OmegaConf.to_object(tiny_config(block("profile:insomnia"), "homeostat.enabled=true")))
    done = subprocess.run([sys.executable, "sims/run_night.py", block(tmp_path / "none.csv")], env=cli_env,
                          cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no such hypnogram" in done.stderr, done.stderr


# --- runs ---------------------------------------------------------------------------------------------------------------
def test_the_papers_night_as_a_hypnogram_equals_the_default_run(tmp_path):
    """One N2 and one R epoch at 30 s a step: the night of one NREM and one REM step, with no draw."""
    source = csv(tmp_path / "paper.csv", ["N2", "R"])
    default = run(tiny_config(*SMALL, "dtype=float64"), tmp_path / "default")
    slept = run(tiny_config(*SMALL, "dtype=float64", "protocol.name=paper", block(source)), tmp_path / "hypnogram")
    got, want = (load_checkpoint(d / "checkpoints" / "last.pt") for d in (slept, default))
    assert_same(got["brain"], want["brain"], "brain")
    assert_same(got["recorder"]["steps"], want["recorder"]["steps"], "figures")
    assert_same(got["streams"], want["streams"], "streams")


def test_a_run_sleeping_profile_nights_resumes_as_if_never_stopped(tmp_path):
    cfg = tiny_config(*SMALL, "protocol.name=human", block("profile:narcolepsy", minutes=60))
    reference = run(cfg, tmp_path / "reference")
    stopped = Simulator(cfg, tmp_path / "stopped")
    stopped.begin_epoch()
    for _ in range(2):
        stopped.live_day()
    stopped.save()  # what a signal does mid-epoch
    resumed = Simulator(cfg, tmp_path / "stopped")
    assert (resumed.epoch, resumed.day_in_epoch) == (1, 2)
    resumed.run()
    got, want = (load_checkpoint(d / "checkpoints" / "last.pt") for d in (tmp_path / "stopped", reference))
    for key in ("brain", "planner", "streams", "epoch", "day_in_epoch"):
        assert_same(got[key], want[key], key)
    assert_same(without_wall_clock(got["recorder"]), without_wall_clock(want["recorder"]), "recorder")


def test_brains_of_different_night_profiles_in_one_cohort_equal_their_lone_runs(tmp_path):
    small = [*SMALL, "dtype=float64", "record.every_days=1", "protocol.name=human"]
    cfgs = {(name, 0): tiny_config(*small, block(f"profile:{name}", minutes=45))
            for name in ("healthy_young", "depression", "narcolepsy")}
    assert_same_brains(lone_and_cohort(tmp_path, cfgs, "loop"), RTOL["float64"])


def test_a_night_slept_and_exported_keeps_its_stages_and_statistics(tmp_path):
    """The start of a generated insomnia night at one step per 30-s epoch: YASA's statistics of what the brain lived
    equal those of the hypnogram's sleep period with N1, N2 and N3 as NREM (YASA's 3-stage coding)."""
    night = load_nights(OmegaConf.to_object(tiny_config(block("profile:insomnia", nights=1))).protocol.blocks[0]
                        .hypnogram)[0]
    night = night[:night.index("R") + 60]  # up to 30 min after its first REM epoch: a step per epoch is slow
    assert {"W", "N1", "N2", "N3", "R"} <= set(night) and len(night) < 600
    source = csv(tmp_path / "night.csv", night)
    run(tiny_config(*merged(SMALL, "epochs=1"), "protocol.name=human", block(source)), tmp_path / "run")
    exported = as_yasa(open_run(tmp_path / "run"))
    assert len(exported) == 3 and exported[0].freq == "30s"  # 3 days: 48 images in batches of 16
    sleep = [i for i, s in enumerate(night) if s not in ("W", "UNS")]
    three = {"W": "WAKE", "N1": "NREM", "N2": "NREM", "N3": "NREM", "R": "REM"}
    period = [three[s] for s in night[sleep[0]:sleep[-1] + 1] if s != "UNS"]
    assert exported[0].hypno.tolist() == period
    imported = yasa.Hypnogram(period, n_stages=3).sleep_statistics()
    lived_stats = exported[0].sleep_statistics()
    for key in ("TST", "WASO", "SPT", "%NREM", "%REM", "Lat_REM"):
        assert lived_stats[key] == pytest.approx(imported[key]), key
    assert exported[0].transition_matrix()[0].shape == (3, 3)
