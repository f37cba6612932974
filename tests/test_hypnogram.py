"""Hypnograms: YASA codes by hand on real tiny runs (a protocol by day with arousals, one by epoch with REM
deprivation), UNS for the padding of runs opened together, the CSV export and its command line, the protocol's blocks
in days, and the figures that shade them."""
import json
import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from analysis import figures, hypnogram, style
from analysis.hypnogram import Block, export_hypnogram, manipulation_blocks, protocol_blocks, yasa_codes
from analysis.hypnogram_plot import hypnogram_figure
from analysis.load import open_run, open_runs

matplotlib.use("Agg")
TINY = ["data=shapes", "data.train_size=64", "data.test_size=50", "cortex.channels=[3,8,16,32]", "cortex.latent_dim=32", "record.units_per_area=16", "record.probes_per_class=2",
        "optim.batch_size=16", "eval.every=0", "progress=false", "device=cpu", "keep_epoch_cortex=false"]  # 4 days/epoch
BY_DAY = ["epochs=2", "protocol.unit=day", "protocol.blocks=[{name:base,start:0,stop:2},"
          "{name:frag,start:2,stop:4,arousals:1},{name:rec,start:4}]"]
BY_EPOCH = ["epochs=3", "protocol=rem_deprivation", "protocol.blocks.0.stop=2", "protocol.blocks.1.start=2",
            "protocol.blocks.1.stop=3", "protocol.blocks.2.start=3", "protocol.blocks.1.keep.REM=0.0"]


@pytest.fixture(scope="module")
def runs(run_nights, tmp_path_factory):
    """Two real runs: by day (8 days, arousals on days 2 and 3) and by epoch (12 days, no REM on days 4..7)."""
    folder = tmp_path_factory.mktemp("hypnogram")
    done = run_nights([[*TINY, *BY_DAY, f"hydra.run.dir={folder / 'by_day'}"],
                       [*TINY, *BY_EPOCH, f"hydra.run.dir={folder / 'by_epoch'}"]])
    assert all(d.returncode == 0 for d in done), [d.stderr[-2000:] for d in done]
    return folder / "by_day", folder / "by_epoch"


def test_codes_by_hand_under_a_protocol_by_epoch(runs):
    ds = open_run(runs[1])
    expected = []
    for day in range(12):
        expected += [0, 2] if 4 <= day < 8 else [0, 2, 4]  # Wake, NREM, REM; the deprivation block keeps no REM
    codes = yasa_codes(ds)
    assert codes.dtype == np.int8 and codes.dims == ("brain", "step")
    assert codes.values[0].tolist() == expected


def test_arousals_are_wake_inside_the_night(runs):
    table = hypnogram.hypnogram_table(open_run(runs[0]))
    assert list(table.columns) == ["step", "epoch", "day", "night", "block", "state", "yasa"]
    for day, rows in table.groupby("day"):
        assert rows.yasa.iloc[0] == 0 and rows.night.iloc[0] == -1  # the day's own Wake step
        night = rows.iloc[1:]
        assert (night.night == day).all()
        if day in (2, 3):  # one arousal somewhere in the night: Wake, coded 0, with night >= 0
            assert sorted(night.yasa) == [0, 2, 4] and (night[night.state == "WAKE"].block == "frag").all()
        else:
            assert night.yasa.tolist() == [2, 4]
    assert table.epoch.tolist() == (1 + table.day // 4).tolist()


def test_padded_steps_of_runs_opened_together_are_unscored(runs):
    ds = open_runs([str(r) for r in runs])
    codes = yasa_codes(ds).values
    lived = (8 * 3 + 2, 4 * 3 + 4 * 2 + 4 * 3)  # by day: 8 days of 3 steps and 2 arousals; by epoch: 12 days
    assert ds.sizes["step"] == max(lived)
    for brain, n in enumerate(lived):
        assert (codes[brain, n:] == -2).all() and np.isin(codes[brain, :n], [0, 2, 4]).all()


def test_protocol_blocks_in_days(runs):
    assert protocol_blocks(open_run(runs[0])) == [("base", 0, 2), ("frag", 2, 4), ("rec", 4, 8)]
    blocks = protocol_blocks(open_run(runs[1]))  # epochs [1, 2), [2, 3), [3, -) of 4 days
    assert blocks == [Block("baseline", 0, 4), Block("deprivation", 4, 8), Block("recovery", 8, 12)]
    assert manipulation_blocks(blocks) == [blocks[1]] and manipulation_blocks(blocks, "recovery") == [blocks[2]]
    assert hypnogram.days_per_epoch(open_run(runs[1])) == 4
    ds = open_runs([str(r) for r in runs])  # per brain, from each run's own config
    assert [b.name for b in protocol_blocks(ds, 1)] == ["baseline", "deprivation", "recovery"]
    assert protocol_blocks(ds, 0)[1] == ("frag", 2, 4)


def test_the_file_says_its_blocks_and_days_as_the_brain_lived_them(runs):
    """The attributes the simulator writes (records.variables) against another route: the runs of the per-step
    `block` coordinate, and the epoch of each step."""
    for run in runs:
        ds = open_run(run)
        assert protocol_blocks(ds) == hypnogram.lived_blocks(ds)
        day, epoch = ds.day.values, ds.step_epoch.values
        assert (epoch == 1 + day // ds.attrs["days_per_epoch"]).all()
    assert json.loads(open_run(runs[1]).attrs["protocol_blocks"])[2] == {"name": "recovery", "first_day": 8,
                                                                         "stop_day": None}


def test_export_and_command_line(runs, tmp_path, capsys):
    path = export_hypnogram(runs[1], tmp_path / "h.csv")
    table = pd.read_csv(path, keep_default_na=False)
    assert table.yasa.tolist() == yasa_codes(open_run(runs[1])).values[0].tolist()
    assert table.block.tolist()[:3] == ["baseline"] * 3 and set(table.state) == {"WAKE", "NREM", "REM"}
    assert hypnogram.main([str(runs[0])]) == runs[0] / "hypnogram.csv"
    assert capsys.readouterr().out.strip() == str(runs[0] / "hypnogram.csv")
    for argv, message in (([str(tmp_path / "none")], "no such run directory"),
                          ([str(runs[0]), "--out", str(tmp_path)], "is a folder, not a file"),
                          ([str(runs[0]), "--brain", "3"], "--brain 3: the run holds 1 brain(s)")):
        with pytest.raises(SystemExit) as exit_:
            hypnogram.main(argv)
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and len(err.splitlines()) == 1 and message in err, err


def test_the_export_loads_in_yasa(runs, tmp_path):
    import yasa  # a test dependency (pyproject's `test` extra): this test runs, never skips
    table = pd.read_csv(export_hypnogram(runs[0], tmp_path / "h.csv"), keep_default_na=False)
    hyp = yasa.Hypnogram(table.state.tolist(), n_stages=3, freq="1min")
    assert hyp.n_epochs == len(table) and hyp.as_int().tolist() == table.yasa.tolist()


def spans(ax) -> list[tuple[float, float]]:
    """(x0, x1) of the tinted (manipulation) blocks drawn on `ax`."""
    return [(round(p.get_x(), 6), round(p.get_x() + p.get_width(), 6)) for p in ax.patches
            if isinstance(p, Rectangle) and to_hex(p.get_facecolor()) == style.BLOCK_COLOR]


def test_the_hypnogram_figure_shows_blocks_and_arousals(runs):
    ds = open_runs([str(r) for r in runs])
    fig = hypnogram_figure(ds, days=4)
    overviews = [ax for ax in fig.axes if ax.get_xlabel() == "day"]
    assert len(overviews) == 2
    by_day = next(ax for ax in overviews if "frag" in [t.get_text() for t in ax.texts])
    assert {t.get_text() for t in by_day.texts} == {"base", "frag", "rec"}
    assert spans(by_day) == [(2.0, 4.0)]  # only the manipulation is tinted
    marks = [line for line in by_day.get_lines() if line.get_label() == "arousal"]
    assert len(marks) == 1 and len(marks[0].get_xdata()) == 2 and set(np.floor(marks[0].get_xdata())) == {2, 3}
    windows = [ax.get_title() for ax in fig.axes if ax.get_title().startswith("days")]  # around the manipulation
    assert sorted(windows) == ["days 0-3: base, frag", "days 2-5: baseline, deprivation"]


def test_time_course_figures_shade_the_blocks(runs):
    ds = open_run(runs[1]).assign(readout_accuracy=(("brain", "epoch"), [[10.0, 20.0, 30.0]]))
    ds = ds.assign_coords(epoch=[1, 2, 3])
    ax = figures.plot_readout(ds).axes[0]
    assert spans(ax) == [(1.5, 2.5)]  # epoch 2 (days 4..7) spans 1.5 .. 2.5
    assert {t.get_text() for t in ax.texts} >= {"baseline", "deprivation", "recovery"}
    assert spans(figures.plot_readout(ds, blocks=[]).axes[0]) == []
    ax = figures.plot_readout(ds, blocks=[("drug", 8, 12)]).axes[0]  # blocks given by hand; one block: tinted
    assert spans(ax) == [(2.5, 3.5)]
