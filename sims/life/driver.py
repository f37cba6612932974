"""The one driver of a life, for a lone brain and a cohort alike: the progress bar, the signals that stop a run after
a save (sims.life.interrupts), the health check every ~1/20 epoch (the loop's only host synchronisation), the epoch's wall
time, and which brains live the next day.

What it drives is a `Life`: brains (Simulators, each with its own epoch protocol) and how a day of some of them is
lived. A lone brain is the life of one brain whose days are its own (`sims.life.simulator.Lone`); a cohort computes the
day of several together (`sims.life.cohort.Cohort`). Brains at different points of their lives (a cohort killed between
two brains' checkpoints) are brought level first: each day is lived by the brains furthest behind.
"""
import time
from typing import Protocol

from tqdm import tqdm

from sims.life.interrupts import Interrupts


class Life(Protocol):
    members: list  # the brains (sims.life.simulator.Simulator), each at its own epoch and day
    outcomes: list[str | None]  # per brain: None while it lives (or lived to its end), else why it stopped
    saved: str  # where a signal's save went, for its one line

    def live_day(self, front: list[int]) -> None:
        """The brains of `front` (all at one point of their lives, their epochs begun) live a day and its night."""

    def end_epoch(self, done: list[int], seconds: dict[int, float]) -> None:
        """The brains of `done` end their epochs (evaluation, activity file, checkpoint); seconds: their wall time."""

    def check_health(self, front: list[int], checked: dict[int, int]) -> None:
        """Rows [checked[i], now) of each brain's recorder, and its weights, are finite; else the brain stops (a lone
        brain raises Diverged, a cohort notes it in `outcomes` and lives on without it). Updates `checked`."""

    def save(self, brains: list[int]) -> None:
        """The brains' activity files and checkpoints of where they are now."""


def drive(life: Life) -> None:
    """Live every brain of `life` to its `epochs`, day by day, the brains furthest behind first."""
    members = life.members
    position = lambda i: (members[i].epoch, members[i].day_in_epoch)
    active = lambda: [i for i, m in enumerate(members) if life.outcomes[i] is None and m.epoch <= m.cfg.epochs]
    days = members[0].days_per_epoch
    every = max(1, days // 20)
    started, checked = {}, {}  # brain -> when its epoch began (wall clock), its rows checked for divergence
    lone = len(members) == 1
    lived = sum(min(m.cfg.epochs, m.epoch - 1) * days + m.day_in_epoch * (m.epoch <= m.cfg.epochs) for m in members)
    with Interrupts() as interrupts, \
            tqdm(total=sum(m.cfg.epochs for m in members) * days, initial=lived, unit="day" if lone else "brain-day",
                 disable=not members[0].cfg.progress, dynamic_ncols=True) as bar:
        while brains := active():
            now = time.perf_counter()
            if done := [i for i in brains if members[i].epoch_done]:  # also a brain saved at its epoch's end
                life.end_epoch(done, {i: now - started.pop(i, now) for i in done})
                continue
            behind = min(map(position, brains))
            front = [i for i in brains if position(i) == behind]
            for i in front:
                if members[i].day_in_epoch == 0:
                    members[i].begin_epoch()
                if i not in started:
                    started[i], checked[i] = now, members[i].recorder.rows
            first = checked[front[0]]
            life.live_day(front)
            bar.update(len(front))
            epoch, day = members[front[0]].epoch, members[front[0]].day_in_epoch
            if day % every == 0 or day == days:  # one host synchronisation every ~1/20 epoch
                life.check_health(front, checked)
                if members[0].cfg.progress:
                    bar.set_description(f"epoch {epoch}/{members[front[0]].cfg.epochs} day {day}/{days}")
                    if lone:
                        recent = members[0].recorder.recent(checked[0] - first)
                        bar.set_postfix({k.removeprefix("loss_"): f"{v:.3f}" for k, v in recent.items()}, refresh=False)
            if interrupts.pending is not None:
                life.save(active())
                interrupts.stop(life.saved)
