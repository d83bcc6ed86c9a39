"""Random draws and segment arithmetic shared by the generators."""

from __future__ import annotations

import numpy as np


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(key)))


def _choice(rng: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
    """Draw n indices from a cumulative probability vector."""
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)


def _lognormal(rng, median: float, sigma: float, lo: float, hi: float, n: int) -> np.ndarray:
    return np.clip(np.exp(np.log(median) + sigma * rng.standard_normal(n)), lo, hi)



def _segment_starts(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts
