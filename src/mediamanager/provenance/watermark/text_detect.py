"""Model-free text watermark detection: the key and the tokenizer, no language model.

For KGW, each scored token is green with probability ``gamma`` when the text
was written without the key, so the number of green tokens among ``n`` scored
ones is Binomial(n, gamma) and its upper tail is an exact p-value. For
SynthID-Text the ``depth`` g-values per scored token are fair coin flips under
the same hypothesis, so their sum is Binomial(n * depth, 1/2).

The test is only valid when scored events are distinct, so by default every
(context, token) n-gram is scored once, at its first occurrence: repetition
loops would otherwise inflate (or deflate) z on text that carries no mark.

``windowed=True`` runs WinMax (Kirchenbauer et al. 2024): the best-scoring
window over a geometric grid of window sizes and offsets, which finds a
watermarked passage pasted into a longer human text. Its p-value is corrected
(Bonferroni) for the number of windows tried. Against several keys, the
per-key p-values are corrected again (Holm by default).

Verdicts are about the watermark only: "watermarked" (p <= fpr after the
corrections), "not-watermarked", or "undecided" when too few tokens can be
scored to reach the requested false-positive rate. Nothing here says whether
a text was written by a machine; an unmarked text may still be.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from mediamanager.errors import InputError, require_extra
from mediamanager.provenance.watermark.text import KgwParams, kgw_hash_np, synthid_keys
from mediamanager.provenance.watermark.text_keys import TextWatermarkKey

__all__ = [
    "DEFAULT_FPR",
    "TextDetection",
    "TextDetectionReport",
    "WindowScore",
    "adjust_p_values",
    "detect_ids",
    "detect_text",
]

DEFAULT_FPR = 1e-5
Verdict = Literal["watermarked", "not-watermarked", "undecided"]
Correction = Literal["holm", "bonferroni", "none"]
_MAX_TOKENS = 5_000_000
_WINDOW_GROWTH = 1.25
_WINDOW_STRIDE_FRACTION = 8


@dataclass(frozen=True)
class WindowScore:
    """The best window WinMax found: token span ``[start, end)`` of the text and its scores."""

    start: int
    end: int
    char_start: int | None
    char_end: int | None
    tokens_scored: int
    green_tokens: int
    z_score: float
    p_value: float
    windows_tested: int
    p_value_corrected: float


@dataclass(frozen=True)
class TextDetection:
    """The outcome of testing one text against one key."""

    key_id: str
    scheme: str
    verdict: Verdict
    reason: str
    tokens_total: int
    tokens_scored: int
    green_tokens: int
    green_fraction: float | None
    z_score: float | None
    p_value: float | None
    p_value_adjusted: float | None
    fpr: float
    window: WindowScore | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TextDetectionReport:
    """Detections of one text against one or more keys, with the multiple-testing correction used."""

    verdict: Verdict
    key_id: str | None
    correction: str
    fpr: float
    detections: tuple[TextDetection, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "key_id": self.key_id,
            "correction": self.correction,
            "fpr": self.fpr,
            "keys_tested": len(self.detections),
            "detections": [d.to_dict() for d in self.detections],
        }


def adjust_p_values(p_values: Sequence[float], correction: Correction = "holm") -> list[float]:
    """Family-wise adjusted p-values (Holm step-down or Bonferroni), in the input order."""
    m = len(p_values)
    if correction == "none" or m <= 1:
        return [min(1.0, p) for p in p_values]
    if correction == "bonferroni":
        return [min(1.0, p * m) for p in p_values]
    if correction != "holm":
        raise InputError(f"unknown correction {correction!r}: use holm, bonferroni or none")
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _binom_sf(successes: np.ndarray | int, trials: np.ndarray | int, p: float) -> np.ndarray:
    """P(X >= successes) for X ~ Binomial(trials, p): the exact one-sided p-value."""
    # scipy.special's ufunc, not scipy.stats.binom.sf: the same value without ~100 us of overhead per call
    special: Any = require_extra("scipy.special", "text-watermark")

    return np.asarray(special.bdtrc(np.asarray(successes) - 1, trials, p), dtype=float)


def _z(successes: float, trials: float, p: float) -> float:
    return float((successes - p * trials) / math.sqrt(trials * p * (1.0 - p)))


def _min_tokens(fpr: float, p: float, floor: int) -> int:
    """The fewest scored events for which even a perfect score could reach ``fpr``."""
    return max(floor, math.ceil(math.log(fpr) / math.log(p)))


def _as_ids(token_ids: Sequence[int] | np.ndarray) -> np.ndarray:
    ids = np.asarray(token_ids)
    if ids.ndim != 1:
        raise InputError("token ids must be a flat sequence")
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise InputError("token ids must be integers")
    if ids.size > _MAX_TOKENS:
        raise InputError(f"text too long to score: {ids.size} tokens (limit {_MAX_TOKENS})")
    return ids.astype(np.int64, copy=False)


def _scored_events(
    ids: np.ndarray, key: TextWatermarkKey, ignore_repeated_ngrams: bool
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(positions, successes per position, trials per position, first scored offset) for a key.

    Positions index the candidate token in ``ids``; successes are green flags
    (KGW) or g-value sums (SynthID); trials is 1 (KGW) or ``depth`` (SynthID).
    """
    valid = (ids >= 0) if key.vocab_size is None else (ids >= 0) & (ids < key.vocab_size)
    if key.scheme == "kgw":
        h = key.context_width
        params = KgwParams.from_key(key)
        hashes = kgw_hash_np(params, np.where(valid, ids, 0))
        success = ((hashes >> np.uint64(32)) < np.uint64(params.threshold32)).astype(np.int64)
        trials = 1
    else:
        h = key.ngram_len - 1
        hashes, success = _synthid_g_sums(ids, key, valid)
        trials = key.depth
    n_pos = max(0, ids.shape[0] - h)
    ok = np.ones(n_pos, dtype=bool)
    for j in range(h + 1):  # every token of the n-gram must lie in the key's vocabulary
        ok &= valid[j : j + n_pos]
    if ignore_repeated_ngrams and n_pos:
        first = np.zeros(n_pos, dtype=bool)
        _, idx = np.unique(hashes, return_index=True)
        first[idx] = True
        ok &= first
    positions = np.nonzero(ok)[0] + h
    return positions, success[ok], trials, h


def _synthid_g_sums(
    ids: np.ndarray, key: TextWatermarkKey, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per n-gram: an identity hash (for de-duplication) and the sum of its ``depth`` g-values."""
    torch: Any = require_extra("torch", "text-watermark")
    transformers: Any = require_extra("transformers", "text-watermark")

    n_pos = max(0, ids.shape[0] - (key.ngram_len - 1))
    if n_pos == 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    proc = transformers.SynthIDTextWatermarkLogitsProcessor(
        ngram_len=key.ngram_len,
        keys=synthid_keys(key),
        sampling_table_size=2**16,
        sampling_table_seed=0,
        context_history_size=1024,
        device=torch.device("cpu"),
    )
    safe = np.where(valid, ids, 0)
    with torch.inference_mode():
        batch = torch.from_numpy(safe.astype(np.int64))[None, :]
        g = proc.compute_g_values(batch).numpy()[0]  # [n_pos, depth]
    # de-duplicate on the whole n-gram, hashed with a keyless mixer
    ident = KgwParams(k0=0x5EED, k1=0, gamma=0.5, context_width=key.ngram_len - 1, self_hash=False)
    return kgw_hash_np(ident, safe), g.sum(axis=1).astype(np.int64)


def _winmax(
    successes: np.ndarray, trials: int, p: float, min_window: int
) -> tuple[int, int, int, float, int] | None:
    """Best window over scored events: (start, end, successes, raw p, windows tested)."""
    m = successes.shape[0]
    if m < min_window:
        return None
    prefix = np.concatenate(([0], np.cumsum(successes)))
    sizes: list[int] = []
    w = float(min_window)
    while int(w) < m:
        if not sizes or int(w) != sizes[-1]:
            sizes.append(int(w))
        w *= _WINDOW_GROWTH
    sizes.append(m)
    best: tuple[int, int, int, float] | None = None
    tested = 0
    for size in sizes:
        stride = max(1, size // _WINDOW_STRIDE_FRACTION)
        starts = np.arange(0, m - size + 1, stride)
        if starts[-1] != m - size:
            starts = np.append(starts, m - size)
        counts = prefix[starts + size] - prefix[starts]
        i = int(np.argmax(counts))
        tested += starts.shape[0]
        pv = float(_binom_sf(int(counts[i]), size * trials, p))
        if best is None or pv < best[3]:
            best = (int(starts[i]), int(starts[i]) + size, int(counts[i]), pv)
    assert best is not None
    return (*best, tested)


def _detect_one(
    ids: np.ndarray,
    key: TextWatermarkKey,
    *,
    fpr: float,
    ignore_repeated_ngrams: bool,
    windowed: bool,
    min_tokens: int,
    offsets: Sequence[tuple[int, int]] | np.ndarray | None,
) -> tuple[TextDetection, float]:
    """One key's detection, plus the p-value that enters the multiple-testing correction."""
    positions, succ, trials, h = _scored_events(ids, key, ignore_repeated_ngrams)
    p = key.gamma if key.scheme == "kgw" else 0.5
    n = int(positions.shape[0])
    green = int(succ.sum()) if n else 0
    need = _min_tokens(fpr, p**trials if trials > 1 else p, min_tokens)
    z = _z(green, n * trials, p) if n else None
    pv = float(_binom_sf(green, n * trials, p)) if n else None
    window: WindowScore | None = None
    decision_p = pv if pv is not None else 1.0
    if windowed and n >= need:
        found = _winmax(succ, trials, p, need)
        if found is not None:
            start, end, wg, wp, tested = found
            tok_start = int(positions[start]) - h
            tok_end = int(positions[end - 1]) + 1
            chars = (
                (int(offsets[tok_start][0]), int(offsets[tok_end - 1][1]))
                if offsets is not None
                else (None, None)
            )
            corrected = min(1.0, wp * tested)
            window = WindowScore(
                start=tok_start,
                end=tok_end,
                char_start=chars[0],
                char_end=chars[1],
                tokens_scored=end - start,
                green_tokens=wg,
                z_score=_z(wg, (end - start) * trials, p),
                p_value=wp,
                windows_tested=tested,
                p_value_corrected=corrected,
            )
            decision_p = corrected
    if n < need:
        verdict: Verdict = "undecided"
        reason = f"not enough tokens to decide: {n} scored, at least {need} needed for fpr {fpr:g}"
    else:
        verdict, reason = "not-watermarked", "p-value above the false-positive rate"
    detection = TextDetection(
        key_id=key.key_id,
        scheme=key.scheme,
        verdict=verdict,
        reason=reason,
        tokens_total=int(ids.shape[0]),
        tokens_scored=n,
        green_tokens=green,
        green_fraction=(green / (n * trials)) if n else None,
        z_score=z,
        p_value=pv,
        p_value_adjusted=None,
        fpr=fpr,
        window=window,
    )
    return detection, (decision_p if verdict != "undecided" else 1.0)


def detect_ids(
    token_ids: Sequence[int] | np.ndarray,
    keys: Sequence[TextWatermarkKey],
    *,
    fpr: float = DEFAULT_FPR,
    correction: Correction = "holm",
    ignore_repeated_ngrams: bool = True,
    windowed: bool = False,
    min_tokens: int = 16,
    offsets: Sequence[tuple[int, int]] | np.ndarray | None = None,
) -> TextDetectionReport:
    """Test token ids against each key; ``offsets`` (char spans per token) locate the best window."""
    if not keys:
        raise InputError("no text watermark key to test against: add one, or name one with --key-id")
    if not (0.0 < fpr < 1.0):
        raise InputError("fpr must lie strictly between 0 and 1")
    ids = _as_ids(token_ids)
    if offsets is not None and len(offsets) != ids.shape[0]:
        raise InputError("offsets must give one character span per token")
    results = [
        _detect_one(
            ids,
            key,
            fpr=fpr,
            ignore_repeated_ngrams=ignore_repeated_ngrams,
            windowed=windowed,
            min_tokens=min_tokens,
            offsets=offsets,
        )
        for key in keys
    ]
    adjusted = adjust_p_values([p for _, p in results], correction)
    detections = []
    for (det, _), adj in zip(results, adjusted, strict=True):
        if det.verdict != "undecided":
            marked = adj <= fpr
            reason = (
                f"p-value {adj:.3g} <= fpr {fpr:g}" + (" after correction" if len(keys) > 1 else "")
                if marked
                else f"p-value {adj:.3g} > fpr {fpr:g}"
            )
            det = replace(
                det,
                verdict="watermarked" if marked else "not-watermarked",
                reason=reason,
                p_value_adjusted=adj,
            )
        detections.append(det)
    marked_dets = [d for d in detections if d.verdict == "watermarked"]
    if marked_dets:
        best = min(marked_dets, key=lambda d: d.p_value_adjusted if d.p_value_adjusted is not None else 1.0)
        verdict: Verdict = "watermarked"
        key_id: str | None = best.key_id
    elif all(d.verdict == "undecided" for d in detections):
        verdict, key_id = "undecided", None
    else:
        verdict, key_id = "not-watermarked", None
    return TextDetectionReport(
        verdict=verdict, key_id=key_id, correction=correction, fpr=fpr, detections=tuple(detections)
    )


def detect_text(
    text: str,
    keys: Sequence[TextWatermarkKey],
    tokenizer: Any,
    **options: Any,
) -> TextDetectionReport:
    """Tokenize ``text`` (no special tokens added) and test it against each key; see :func:`detect_ids`."""
    if not isinstance(text, str):
        raise InputError("text must be a string")
    if len(text) > 20_000_000:
        raise InputError("text longer than 20 million characters")
    ids: list[int] = []
    offsets: np.ndarray | None = None
    if text:
        # character offsets cost memory per token: ask for them only when a window will be reported
        windowed = bool(options.get("windowed", False))
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=windowed)
        ids = list(enc["input_ids"])
        if windowed:
            offsets = np.asarray(enc["offset_mapping"], dtype=np.int64).reshape(-1, 2)
    return detect_ids(ids, keys, offsets=offsets, **options)
