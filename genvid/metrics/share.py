"""A validation set split among the processes of a training run, so that none waits for another's whole pass.

With `Share(i, n, gather)` process i scores clips i, i + n, i + 2n, ... and `join` hands every process all
the rows (`gather` is a collective such as accelerate's `gather_object`), in clip order: the protocol's
means are then those of one process scoring every clip.  Without a share (or `Share()`) one process scores all.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Share:
    index: int = 0
    count: int = 1
    gather: Callable[[list], list] | None = None  # every process's list, concatenated, on every process

    def mine(self, items) -> list[tuple[int, object]]:
        """(k, item) for this process's items."""
        return [(k, x) for k, x in enumerate(items) if k % self.count == self.index]

    def join(self, rows: list[tuple]) -> list[tuple]:
        """Every process's rows (each starting with its clip number k), sorted by k."""
        if self.gather is not None:
            rows = self.gather(rows)
        return sorted(rows, key=lambda r: r[0])
