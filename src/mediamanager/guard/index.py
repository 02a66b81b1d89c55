"""The regurgitation index: winnowed word k-grams with a one-byte-per-token verification array.

Design (why it is ≤ 3 bytes per registered token and still finds every 15-word span):

* every registered text is cut into words (:mod:`.tokens`); each word keeps **one check byte**
  (``tokens.u8``, 1 byte/token, memory-mapped);
* the 32-bit hashes of its word ``K``-grams (K = 5) are **winnowed** with a window of ``W`` = 11
  k-grams: the minimum of every window is kept (Schleimer et al., 2003). Any run of
  ``W + K - 1`` = 15 shared words contains one whole window, whose minimum was kept, so a
  15-word copy always hits at least one stored k-gram; about ``2 / (W + 1)`` of positions are
  kept. Each kept k-gram costs a uint32 hash (``hashes.u4``, sorted) and the uint32 global
  token position of its first word (``positions.u4``): 8 bytes × 1/6 ≈ 1.3 bytes/token;
* a hit is **verified** by walking the diagonal (query word ``j`` against registered token
  ``p + j - i``) over the check bytes, within the registered work only: a reported span has at
  least ``min_words`` (15) agreeing words, the k-gram's 32 bits and one byte per further word
  (a chance agreement of 10 extra bytes is 2^-80). Gaps of up to ``max_gap`` disagreeing words
  (one substituted word) inside a span are bridged, so near-verbatim copies stay one span.

Storing 15-gram hashes for every position would need 8 bytes/token (hash + position); k-gram
sampling without the check bytes cannot tell a shared 5-word phrase from a 15-word copy.
``works.json`` holds each work's first token and its owner's terms (the snapshot never holds
texts, so the index is built from texts the caller supplies: the registry's kept content or
a local file).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from mediamanager.errors import InputError
from mediamanager.fingerprint.index.base import atomic_directory
from mediamanager.guard.tokens import check_bytes, kgram_hashes, words

__all__ = ["K", "VerbatimIndex", "W", "winnow"]

FORMAT = "mediamanager-guard-verbatim-index"
VERSION = 1
K = 5
W = 11


def winnow(kgrams: npt.NDArray[np.uint32], w: int = W) -> npt.NDArray[np.int64]:
    """Positions of the kept k-grams: the rightmost minimum of every window of ``w``."""
    n = len(kgrams)
    if n == 0:
        return np.empty(0, np.int64)
    if n <= w:
        return np.array([n - 1 - int(np.argmin(kgrams[::-1]))], np.int64)
    win = sliding_window_view(kgrams, w)
    rightmost = w - 1 - np.argmin(win[:, ::-1], axis=1)
    return np.unique(rightmost + np.arange(len(win)))


class VerbatimIndex:
    """Registered texts as winnowed k-grams plus check bytes; :meth:`save` / :meth:`load` (mmap)."""

    def __init__(self) -> None:
        self.works: list[dict[str, Any]] = []
        self._starts: list[int] = [0]
        self._tok_parts: list[npt.NDArray[np.uint8]] = []
        self._hash_parts: list[npt.NDArray[np.uint32]] = []
        self._pos_parts: list[npt.NDArray[np.uint32]] = []
        self.tokens: npt.NDArray[np.uint8] = np.empty(0, np.uint8)
        self.hashes: npt.NDArray[np.uint32] = np.empty(0, np.uint32)
        self.positions: npt.NDArray[np.uint32] = np.empty(0, np.uint32)
        self.work_starts: npt.NDArray[np.int64] = np.zeros(1, np.int64)
        self._dirty = False

    # -- building ------------------------------------------------------------------------------

    def add_text(self, text: str, work: Mapping[str, Any]) -> int:
        """Register one text for ``work`` (a JSON-able dict: work_id, owner, terms); its word count."""
        if not isinstance(text, str):
            raise InputError("a registered text must be a string")
        return self.add_word_hashes(words(text).hashes, work)

    def add_word_hashes(self, hashes: npt.NDArray[np.uint64], work: Mapping[str, Any]) -> int:
        """Register already-normalised word hashes (used for synthetic benchmark corpora)."""
        if "work_id" not in work:
            raise InputError("a registered work needs a work_id")
        base = self._starts[-1]
        n = len(hashes)
        if base + n >= 2**32:
            raise InputError("the verbatim index holds at most 2^32 tokens")
        self.works.append(dict(work))
        self._starts.append(base + n)
        self._tok_parts.append(check_bytes(hashes))
        kg = kgram_hashes(hashes, K)
        keep = winnow(kg)
        self._hash_parts.append(kg[keep])
        self._pos_parts.append((keep + base).astype(np.uint32))
        self._dirty = True
        return n

    def _flush(self) -> None:
        if not self._dirty:
            return
        tokens = np.concatenate([np.asarray(self.tokens), *self._tok_parts])
        hashes = np.concatenate([np.asarray(self.hashes), *self._hash_parts])
        positions = np.concatenate([np.asarray(self.positions), *self._pos_parts])
        order = np.argsort(hashes, kind="stable")
        self.tokens, self.hashes, self.positions = tokens, hashes[order], positions[order]
        self.work_starts = np.asarray(self._starts, np.int64)
        self._tok_parts, self._hash_parts, self._pos_parts = [], [], []
        self._dirty = False

    @property
    def num_tokens(self) -> int:
        return int(self._starts[-1])

    def nbytes(self) -> int:
        """Bytes of the arrays a check reads (tokens, hashes, positions, work starts)."""
        self._flush()
        return int(self.tokens.nbytes + self.hashes.nbytes + self.positions.nbytes + self.work_starts.nbytes)

    # -- reading -------------------------------------------------------------------------------

    def arrays(self) -> tuple[Any, Any, Any, Any]:
        self._flush()
        return self.tokens, self.hashes, self.positions, self.work_starts

    # -- persistence ---------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the index directory (replaced atomically: written beside it, then renamed)."""
        self._flush()
        with atomic_directory(Path(path), prefix=".verbatim-") as tmp:
            self.tokens.astype(np.uint8).tofile(tmp / "tokens.u8")
            self.hashes.astype("<u4").tofile(tmp / "hashes.u4")
            self.positions.astype("<u4").tofile(tmp / "positions.u4")
            np.save(tmp / "work-starts.npy", self.work_starts.astype("<i8"))
            (tmp / "works.json").write_text(json.dumps(self.works))
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "k": K,
                "w": W,
                "normalizer": 1,
                "tokens": self.num_tokens,
                "fingerprints": len(self.hashes),
                "works": len(self.works),
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> VerbatimIndex:
        """Open a saved index; the three big arrays are memory-mapped read-only."""
        root = Path(path)
        try:
            manifest = json.loads((root / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"no readable verbatim index at {root}: {exc}") from None
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise InputError(f"{root} is not a version-{VERSION} guard verbatim index")
        if manifest.get("k") != K or manifest.get("w") != W:
            raise InputError(f"{root} was built with k={manifest.get('k')}, w={manifest.get('w')}")
        idx = cls()
        try:
            n, m = int(manifest["tokens"]), int(manifest["fingerprints"])

            def mm(name: str, dtype: str, count: int) -> Any:
                if count == 0:
                    return np.empty(0, dtype)
                return np.memmap(root / name, dtype=dtype, mode="r", shape=(count,))

            idx.tokens = mm("tokens.u8", "u1", n)
            idx.hashes = mm("hashes.u4", "<u4", m)
            idx.positions = mm("positions.u4", "<u4", m)
            idx.work_starts = np.load(root / "work-starts.npy")
            idx.works = json.loads((root / "works.json").read_text())
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"corrupt verbatim index at {root}: {exc}") from None
        if len(idx.work_starts) != len(idx.works) + 1 or int(idx.work_starts[-1]) != n:
            raise InputError(f"corrupt verbatim index at {root}: work table and tokens disagree")
        idx._starts = [int(x) for x in idx.work_starts]
        return idx


def build_index(records: Iterable[tuple[str, Mapping[str, Any]]]) -> VerbatimIndex:
    """An index of ``(text, work)`` pairs."""
    idx = VerbatimIndex()
    for text, work in records:
        idx.add_text(text, work)
    return idx
