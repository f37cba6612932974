"""The episodic store: latent codes tagged by the day they were stored, in a ring buffer on the device."""
import torch
from torch import Tensor


class Hippocampus:
    def __init__(self, capacity: int, dim: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32):
        self.capacity = capacity
        self.episodes = torch.zeros(capacity, dim, device=device, dtype=dtype)  # (capacity, dim)
        self.tags = torch.full((capacity,), -1, dtype=torch.int64, device=device)  # day each slot was stored; -1 empty
        self._next = 0  # next slot to write
        self._days: dict[int, list[tuple[int, int]]] = {}  # day -> contiguous (start, stop) slot ranges, kept on the host

    def store(self, z: Tensor, day: int) -> None:
        """Store a batch of episodes (n, dim) with today's tag, overwriting the oldest slots."""
        n = z.shape[0]
        if n > self.capacity:
            raise ValueError(f"hippocampus.capacity={self.capacity} cannot hold a day's {n} episodes")
        pieces = [(self._next, min(self._next + n, self.capacity))]
        if self._next + n > self.capacity:
            pieces.append((0, self._next + n - self.capacity))
        offset = 0
        for start, stop in pieces:
            self._forget(start, stop)
            self.episodes[start:stop] = z[offset : offset + stop - start].detach()
            self.tags[start:stop] = day
            offset += stop - start
        self._days.setdefault(day, []).extend(pieces)
        self._next = (self._next + n) % self.capacity

    def _forget(self, start: int, stop: int) -> None:
        for day in list(self._days):
            kept = [(a, b) for a, b in self._days[day] if b <= start or a >= stop]
            if len(kept) < len(self._days[day]):
                kept = []  # a partly overwritten day is forgotten whole
            if kept:
                self._days[day] = kept
            else:
                del self._days[day]

    def days(self) -> list[int]:
        return sorted(self._days)

    def recall_day(self, day: int, n: int, generator: torch.Generator) -> Tensor | None:
        """n episodes stored on `day`, in storage order if the day holds exactly n, else drawn without replacement.

        None if nothing of that day is held.
        """
        if day not in self._days:
            return None
        pieces = [self.episodes[a:b] for a, b in self._days[day]]
        episodes = pieces[0] if len(pieces) == 1 else torch.cat(pieces)  # a view where the day is contiguous
        if episodes.shape[0] == n:
            return episodes
        if episodes.shape[0] < n:
            raise ValueError(f"day {day} holds {episodes.shape[0]} episodes, fewer than the {n} asked for")
        pick = torch.randperm(episodes.shape[0], generator=generator, device=episodes.device)[:n]
        return episodes[pick]

    def state_dict(self) -> dict:
        days = {str(d): [list(p) for p in pieces] for d, pieces in self._days.items()}
        return {"episodes": self.episodes, "tags": self.tags, "next": self._next, "days": days}

    def load_state_dict(self, state: dict) -> None:
        self.episodes.copy_(state["episodes"])
        self.tags.copy_(state["tags"])
        self._next = int(state["next"])
        self._days = {int(d): [tuple(p) for p in pieces] for d, pieces in state["days"].items()}
