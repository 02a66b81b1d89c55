"""The false-positive arithmetic behind "detected": exact binomial tails on bit agreement.

Under the null hypothesis (the image carries no watermark of ours) every read bit is a fair coin,
independent of the others, because the bit patterns are orthogonal and keyed. A detector that decodes
the read bits to the nearest of ``2**k`` codewords and counts ``m`` agreements out of ``n`` bits is
fooled with probability at most ``hypotheses * 2**k * P(Binomial(n, 1/2) >= m)`` (union bound over
every codeword and every synchronisation hypothesis tested). That bound is what we report and threshold.
"""

from __future__ import annotations

import math
from functools import lru_cache

__all__ = ["binomial_tail", "false_positive_probability", "min_agreement_for"]


@lru_cache(maxsize=4096)
def binomial_tail(n: int, m: int) -> float:
    """Exact ``P(X >= m)`` for ``X ~ Binomial(n, 1/2)``, computed with integers (no float drift)."""
    if m <= 0:
        return 1.0
    if m > n:
        return 0.0
    return sum(math.comb(n, i) for i in range(m, n + 1)) / 2**n


def false_positive_probability(n: int, agreement: int, *, payload_bits: int, hypotheses: int = 1) -> float:
    """Chance that an unmarked image shows ``agreement`` of ``n`` bits with *some* valid codeword."""
    return min(1.0, hypotheses * 2**payload_bits * binomial_tail(n, agreement))


def min_agreement_for(n: int, fpr: float, *, payload_bits: int, hypotheses: int = 1) -> int:
    """The smallest agreement count whose false-positive probability is at most ``fpr``."""
    for m in range(n // 2, n + 1):
        if false_positive_probability(n, m, payload_bits=payload_bits, hypotheses=hypotheses) <= fpr:
            return m
    return n + 1
