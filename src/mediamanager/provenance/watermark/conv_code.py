"""A rate-1/4, constraint-length-7 convolutional code with soft-decision Viterbi decoding.

Why our own: the watermark's bit errors are independent and come with a confidence (the correlation),
which a bit-level code decoded with soft decisions exploits; Reed-Solomon (``reedsolo``) works on
bytes and wastes a whole symbol on one flipped bit, and no packaged BCH/Viterbi decoder is installed.
The code is the NASA K=7 family (generators 0o133, 0o171, 0o165, 0o117), zero-terminated.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CONSTRAINT", "GENERATORS", "coded_length", "decode", "encode"]

CONSTRAINT = 7
GENERATORS = (0o133, 0o171, 0o165, 0o117)
_STATES = 1 << (CONSTRAINT - 1)


def _parity(x: int) -> int:
    return bin(x).count("1") & 1


# _OUT[state, bit] -> the len(GENERATORS) output bits; _NEXT[state, bit] -> next state.
_OUT = np.zeros((_STATES, 2, len(GENERATORS)), dtype=np.int8)
_NEXT = np.zeros((_STATES, 2), dtype=np.int64)
for _s in range(_STATES):
    for _b in range(2):
        _reg = (_b << (CONSTRAINT - 1)) | _s
        _OUT[_s, _b] = [_parity(_reg & g) for g in GENERATORS]
        _NEXT[_s, _b] = _reg >> 1


def coded_length(data_bits: int) -> int:
    """Number of coded bits for ``data_bits`` message bits (including the zero tail)."""
    return (data_bits + CONSTRAINT - 1) * len(GENERATORS)


def encode(bits: np.ndarray) -> np.ndarray:
    """Encode a 0/1 array; returns 0/1 int8 array of :func:`coded_length` bits."""
    state = 0
    out: list[np.ndarray] = []
    for b in [*(int(x) for x in bits), *([0] * (CONSTRAINT - 1))]:
        out.append(_OUT[state, b])
        state = int(_NEXT[state, b])
    return np.concatenate(out).astype(np.int8)


def decode(soft: np.ndarray, data_bits: int) -> np.ndarray:
    """Maximum-likelihood message for soft values (positive means bit 1, magnitude is confidence)."""
    steps = data_bits + CONSTRAINT - 1
    r = np.asarray(soft, dtype=np.float64).reshape(steps, len(GENERATORS))
    signs = 2.0 * _OUT - 1.0  # (_STATES, 2, g)
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    back = np.zeros((steps, _STATES), dtype=np.int64)
    back_bit = np.zeros((steps, _STATES), dtype=np.int8)
    for t in range(steps):
        branch = signs @ r[t]  # (_STATES, 2): correlation of each branch with the received values
        allowed = 1 if t < data_bits else 0  # tail forces zeros
        new_metric = np.full(_STATES, -np.inf)
        for b in range(allowed + 1):
            cand = metric + branch[:, b]
            nxt = _NEXT[:, b]
            order = np.argsort(cand)  # write best last so it wins on duplicate targets
            better = cand[order] > new_metric[nxt[order]]
            idx = order[better]
            new_metric[nxt[idx]] = cand[idx]
            back[t, nxt[idx]] = idx
            back_bit[t, nxt[idx]] = b
        metric = new_metric
    state = 0
    bits = np.zeros(steps, dtype=np.int8)
    for t in range(steps - 1, -1, -1):
        bits[t] = back_bit[t, state]
        state = int(back[t, state])
    return bits[:data_bits]
