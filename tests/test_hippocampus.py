import pytest
import torch

from hippocampus import STRATEGIES, Hippocampus, HippocampusConfig, recall


def filled(days: int, n: int = 4, dim: int = 3, capacity: int = 8) -> Hippocampus:
    hc = Hippocampus(capacity, dim)
    for day in range(days):
        hc.store(torch.full((n, dim), float(day)) + torch.arange(n).view(n, 1) / 10, day)
    return hc


def test_store_tags_by_day_and_forgets_the_oldest_day_when_full():
    hc = filled(3)  # capacity 8 = two days of 4
    assert hc.days() == [1, 2]
    assert sorted(hc.tags.tolist()) == [1, 1, 1, 1, 2, 2, 2, 2]
    today = hc.recall_day(2, 4, torch.Generator())
    assert torch.equal(today[:, 0], torch.tensor([2.0, 2.1, 2.2, 2.3]))  # storage order when the day holds exactly n
    assert hc.recall_day(0, 4, torch.Generator()) is None


def test_wrapping_store_keeps_a_day_whole():
    hc = Hippocampus(10, 2)
    for day in range(4):
        hc.store(torch.full((4, 2), float(day)), day)
    assert hc.days() == [2, 3]  # day 3 wrapped around the end of the buffer
    assert torch.equal(hc.recall_day(3, 4, torch.Generator()), torch.full((4, 2), 3.0))


def test_the_papers_rem_mixture_and_first_batch_rule():
    hc, cfg = filled(2), HippocampusConfig()
    z, z_old = hc.recall_day(1, 4, torch.Generator()), hc.recall_day(0, 4, torch.Generator())
    gen = torch.Generator().manual_seed(5)
    mixed = recall(hc, "mix", cfg, day=1, n=4, first_day_of_epoch=False, generator=gen)
    eps = torch.randn(4, 3, generator=torch.Generator().manual_seed(5))
    assert torch.allclose(mixed, 0.25 * z + 0.25 * z_old + 0.5 * eps)
    first = recall(hc, "mix", cfg, day=1, n=4, first_day_of_epoch=True, generator=torch.Generator().manual_seed(5))
    assert torch.allclose(first, 0.5 * z + 0.5 * eps)


def test_named_strategies():
    hc, cfg = filled(2), HippocampusConfig()
    z, z_old = hc.recall_day(1, 4, torch.Generator()), hc.recall_day(0, 4, torch.Generator())
    eps = torch.randn(4, 3, generator=torch.Generator().manual_seed(6))
    seeds = lambda s: recall(hc, s, cfg, day=1, n=4, first_day_of_epoch=False, generator=torch.Generator().manual_seed(6))
    assert torch.equal(seeds("single"), z)
    assert torch.allclose(seeds("noise"), eps)
    assert torch.allclose(seeds("memories"), 0.5 * z + 0.5 * z_old)
    assert set(STRATEGIES) == {"mix", "memories", "single", "noise"}
    needs = {name: (s.needs_yesterday, s.needs_noise) for name, s in STRATEGIES.items()}
    assert needs == {"mix": (True, True), "memories": (True, False), "single": (False, False), "noise": (False, True)}


def test_recall_refuses_a_missing_yesterday_on_a_day_that_does_not_open_an_epoch():
    hc, cfg = Hippocampus(4, 3), HippocampusConfig()
    hc.store(torch.zeros(4, 3), day=0)
    hc.store(torch.ones(4, 3), day=1)  # day 0 overwritten: the store holds one day
    with pytest.raises(RuntimeError, match="needs day 0"):
        recall(hc, "mix", cfg, day=1, n=4, first_day_of_epoch=False, generator=torch.Generator())
    assert torch.equal(recall(hc, "single", cfg, day=1, n=4, first_day_of_epoch=False, generator=torch.Generator()),
                       torch.ones(4, 3))  # single episodes need no yesterday


def test_a_day_holding_more_episodes_than_asked_gives_distinct_ones():
    hc = Hippocampus(16, 1)
    hc.store(torch.arange(12.0).view(12, 1), day=0)
    picked = hc.recall_day(0, 5, torch.Generator().manual_seed(0)).flatten().tolist()
    assert len(set(picked)) == 5 and set(picked) <= set(range(12))
    with pytest.raises(ValueError):
        hc.recall_day(0, 13, torch.Generator())


def test_state_round_trip():
    hc = filled(3)
    clone = Hippocampus(8, 3)
    clone.load_state_dict(hc.state_dict())
    assert clone.days() == hc.days() and torch.equal(clone.episodes, hc.episodes)
    assert torch.equal(clone.recall_day(2, 4, torch.Generator()), hc.recall_day(2, 4, torch.Generator()))
