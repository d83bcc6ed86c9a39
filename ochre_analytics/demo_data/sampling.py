"""Random draws and segment arithmetic shared by the generators."""

from __future__ import annotations

import numpy as np


def seeded_rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent random generator per (seed, stream key): each part of the data draws
    from its own stream, so adding draws to one part never shifts another."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(stream)))


def draw_from_cumulative(rng: np.random.Generator, cumulative: np.ndarray,
                         n: int) -> np.ndarray:
    """Draw n indices from a cumulative probability vector."""
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"),
                      len(cumulative) - 1)


def clipped_lognormal(rng, median: float, sigma: float, low: float, high: float,
                      n: int) -> np.ndarray:
    """n lognormal draws around `median`, clipped to [low, high]."""
    return np.clip(np.exp(np.log(median) + sigma * rng.standard_normal(n)), low, high)


def segment_starts(counts: np.ndarray) -> np.ndarray:
    """Where each segment starts when segments of `counts` items are laid end to end."""
    starts = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts
