"""Text fingerprints: MinHash over word 5-gram shingles of normalised passages.

How a text becomes fingerprints (identical for registration and scanning):

1. :func:`~mediamanager.fingerprint.normalize.normalized_bytes` normalises it; words are the runs
   of letters and digits;
2. the words are cut into **passages**: a text of at most ``SINGLE_PASSAGE_MAX`` (768) words is one
   passage; a longer text is cut into windows of ``PASSAGE_WORDS`` (512) words every
   ``PASSAGE_STRIDE`` (256) words, the last window ending at the last word. Overlapping
   windows mean that any copied stretch of at least 512 words shares at least 3/4 of a window
   with a registered passage, so a copied chapter of a book matches even though the rest of the
   book is absent (and vice versa). Queries are cut the same way: smaller query windows were
   measured and found neither more accurate nor faster (BENCHMARKS.md);
3. each word is hashed (8-byte chunks + fmix64, for a whole batch at once in NumPy),
   consecutive word hashes are combined into one 64-bit hash per 5-word shingle, and rensa's ``RMinHash`` turns the shingle hashes of all
   passages of a batch into 128 32-bit minimum values in one native call;
4. the number of distinct shingles (the set size) is stored beside the signature, so that the
   index can estimate containment: ``|A∩B| ≈ J(|A|+|B|)/(1+J)``.

Fingerprint encoding: ``Fingerprint(kind="minhash", value=..., size=set size, part=passage no.)``
where ``value`` is ``"mh1:"`` followed by standard base64 of the 128 uint32 values,
little-endian (512 bytes, 688 characters). The ``mh1`` tag covers the normaliser, shingle
width, hash seed and permutation count; any change bumps it, and older values are refused
with :class:`~mediamanager.errors.InvalidFingerprintError`.
"""

from __future__ import annotations

import array
import base64
import binascii
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mediamanager.errors import InvalidFingerprintError
from mediamanager.fingerprint.normalize import normalized_bytes
from mediamanager.model import Fingerprint

__all__ = [
    "MAX_PROBES",
    "MINHASH_KIND",
    "NUM_PERM",
    "PASSAGE_STRIDE",
    "PASSAGE_WORDS",
    "PROBE_PART_BASE",
    "PROBE_STRIDE",
    "PROBE_WORDS",
    "SHINGLE_WORDS",
    "SINGLE_PASSAGE_MAX",
    "SketchBatch",
    "TextSketch",
    "batch_from_fingerprints",
    "decode_signature",
    "decode_signatures",
    "encode_signature",
    "passage_bounds",
    "sketch_batch",
    "sketch_text",
    "sketch_texts",
    "sketches_from_fingerprints",
    "text_fingerprints",
]

MINHASH_KIND = "minhash"
SIGNATURE_TAG = "mh1:"
NUM_PERM = 128
SEED = 0x6D6D  # "mm"; part of the mh1 definition
SHINGLE_WORDS = 5
PASSAGE_WORDS = 512
PASSAGE_STRIDE = 256
SINGLE_PASSAGE_MAX = 768
PROBE_WORDS = 64  # query-only probe windows (sketch_batch): a 100-word excerpt fills one
PROBE_STRIDE = 32  # 16 was measured too: same recall, twice the MinHash work
MAX_PROBES = 128
PROBE_PART_BASE = 50_000  # probe part numbers, far above any passage number (API: part <= 100,000)

U32Array = npt.NDArray[np.uint32]
U64Array = npt.NDArray[np.uint64]
U8Array = npt.NDArray[np.uint8]

# Odd 64-bit multipliers that give each position in a shingle its own weight, so that
# "a b c d e" and "e d c b a" hash differently; fmix64 below then spreads the bits.
_POSITION_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD],
    dtype=np.uint64,
)[:SHINGLE_WORDS]


@dataclass(frozen=True, slots=True)
class TextSketch:
    """The MinHash of one passage: 128 uint32 minima, its distinct-shingle count and passage number."""

    signature: U32Array
    size: int
    part: int

    def to_fingerprint(self) -> Fingerprint:
        return Fingerprint(MINHASH_KIND, encode_signature(self.signature), self.size, self.part)


def encode_signature(signature: U32Array) -> str:
    """``"mh1:"`` + base64 of the signature as little-endian uint32 (see module docstring)."""
    sig = np.asarray(signature, dtype="<u4")
    if sig.shape != (NUM_PERM,):
        raise InvalidFingerprintError(f"a text signature has {NUM_PERM} values, got shape {sig.shape}")
    return SIGNATURE_TAG + base64.b64encode(sig.tobytes()).decode("ascii")


def decode_signature(value: str) -> U32Array:
    """Inverse of :func:`encode_signature`; raises InvalidFingerprintError for anything else."""
    if not value.startswith(SIGNATURE_TAG):
        raise InvalidFingerprintError(
            f"text MinHash value must start with {SIGNATURE_TAG!r} (fingerprint version mismatch?)"
        )
    try:
        raw = base64.b64decode(value[len(SIGNATURE_TAG) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidFingerprintError(f"text MinHash value is not valid base64: {exc}") from None
    if len(raw) != NUM_PERM * 4:
        raise InvalidFingerprintError(
            f"text MinHash value must decode to {NUM_PERM * 4} bytes, got {len(raw)}"
        )
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)


_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = np.full(256, 255, np.uint8)
_B64_VALUE[np.frombuffer(_B64_ALPHABET, np.uint8)] = np.arange(64, dtype=np.uint8)
_B64_CHARS = -(-NUM_PERM * 4 // 3) * 4  # 684, the last one '=' padding


def decode_signatures(values: Sequence[str]) -> U32Array:
    """:func:`decode_signature` of many values at once, as an ``(n, NUM_PERM)`` matrix.

    One NumPy pass over all values instead of a base64 call per value (a scan looks up about
    20 sketches per text); any value it cannot take whole goes through :func:`decode_signature`,
    which raises the same errors as before.
    """
    n = len(values)
    tag, width = len(SIGNATURE_TAG), len(SIGNATURE_TAG) + _B64_CHARS
    joined = "".join(values)
    if n and len(joined) == n * width and joined.isascii():
        chars = np.frombuffer(joined.encode("ascii"), np.uint8).reshape(n, width)
        body = chars[:, tag : width - 1]
        six = _B64_VALUE[body]
        if (
            (chars[:, :tag] == np.frombuffer(SIGNATURE_TAG.encode(), np.uint8)).all()
            and (chars[:, -1] == ord("=")).all()
            and (six != 255).all()
        ):
            # 683 six-bit values carry 4098 bits: 512 bytes and 2 spare bits.
            padded = np.zeros((n, _B64_CHARS), np.uint8)
            padded[:, : _B64_CHARS - 1] = six
            q = padded.reshape(n, -1, 4).astype(np.uint32)
            word = (q[..., 0] << 18) | (q[..., 1] << 12) | (q[..., 2] << 6) | q[..., 3]
            raw = np.stack([(word >> 16) & 255, (word >> 8) & 255, word & 255], axis=-1).astype(np.uint8)
            return raw.reshape(n, -1)[:, : NUM_PERM * 4].copy().view("<u4").astype(np.uint32)
    if not n:
        return np.empty((0, NUM_PERM), np.uint32)
    return np.stack([decode_signature(v) for v in values])


def passage_bounds(num_words: int) -> list[tuple[int, int]]:
    """Word ranges ``[start, end)`` of the passages of a text with ``num_words`` words."""
    if num_words <= 0:
        return []
    if num_words <= SINGLE_PASSAGE_MAX:
        return [(0, num_words)]
    bounds = [(s, s + PASSAGE_WORDS) for s in range(0, num_words - PASSAGE_WORDS, PASSAGE_STRIDE)]
    bounds.append((num_words - PASSAGE_WORDS, num_words))
    return bounds


def _fmix64(h: U64Array) -> U64Array:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


# _BYTE_MASKS[r] keeps the first r bytes of a little-endian 8-byte chunk.
_BYTE_MASKS = np.array([(1 << (8 * r)) - 1 for r in range(8)] + [2**64 - 1], dtype=np.uint64)


def _load8(joined: bytes, cstart: npt.NDArray[np.intp]) -> U64Array:
    """The 8 bytes at each offset in ``cstart`` as little-endian uint64 (``joined`` is padded)."""
    # A view whose element i is the (unaligned) 8 bytes starting at byte i: one gather.
    every_offset = np.ndarray((len(joined) - 7,), dtype="<u8", buffer=joined, strides=(1,))
    return every_offset[cstart]


def _word_hashes(joined: bytes, starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]) -> U64Array:
    """One 64-bit hash per word (see :func:`_chunked_word_hashes`), with a shortcut for the ~90 %
    of words that fit one 8-byte chunk (same values: their only chunk has offset 0)."""
    lengths = ends - starts
    short = lengths <= 8
    out = np.empty(len(starts), np.uint64)
    with np.errstate(over="ignore"):
        idx = np.flatnonzero(short)
        out[idx] = _fmix64(_load8(joined, starts[idx]) & _BYTE_MASKS[lengths[idx]])
    idx = np.flatnonzero(~short)
    if len(idx):
        out[idx] = _chunked_word_hashes(joined, starts[idx], ends[idx])
    return out


def _chunked_word_hashes(joined: bytes, starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]) -> U64Array:
    """One 64-bit hash per word, for all words at once.

    Each word is read as 8-byte little-endian chunks (bytes past its end masked to zero);
    chunk ``j`` is offset by ``j`` times a constant, mixed with fmix64, and the chunks of a
    word are summed. NumPy works per 8-byte chunk instead of per byte or per Python word
    object (``bytes.split`` + xxhash per word costs about 100 ns a word).
    ``joined`` must end with at least 8 padding bytes.
    """
    nchunks = (ends - starts + 7) >> 3
    first_chunk = np.cumsum(nchunks) - nchunks
    word_of_chunk = np.repeat(np.arange(len(starts), dtype=np.intp), nchunks)
    chunk_no = np.arange(len(word_of_chunk), dtype=np.intp) - first_chunk[word_of_chunk]
    cstart = starts[word_of_chunk] + 8 * chunk_no
    keep = np.minimum(ends[word_of_chunk] - cstart, 8)
    with np.errstate(over="ignore"):
        chunks = _load8(joined, cstart) & _BYTE_MASKS[keep]
        chunks += chunk_no.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        mixed = _fmix64(chunks)
        if not len(mixed):
            return mixed
        return np.add.reduceat(mixed, first_chunk)


@dataclass(frozen=True, slots=True)
class SketchBatch:
    """Sketches of many texts as arrays: row ``i`` is passage ``parts[i]`` of text ``docs[i]``."""

    signatures: U32Array  # (m, NUM_PERM)
    sizes: U32Array  # (m,) distinct shingles
    parts: U32Array  # (m,)
    docs: U32Array  # (m,) index of the text in the batch
    num_texts: int

    def fingerprints(self) -> list[list[Fingerprint]]:
        """Each text's fingerprints (``TextSketch.to_fingerprint`` of each row, encoded in one pass)."""
        out: list[list[Fingerprint]] = [[] for _ in range(self.num_texts)]
        raw = memoryview(np.ascontiguousarray(self.signatures, dtype="<u4").tobytes())
        width = NUM_PERM * 4
        b64 = binascii.b2a_base64
        for row, (doc, size, part) in enumerate(
            zip(self.docs.tolist(), self.sizes.tolist(), self.parts.tolist(), strict=True)
        ):
            value = SIGNATURE_TAG + b64(raw[row * width : (row + 1) * width], newline=False).decode("ascii")
            out[doc].append(Fingerprint(MINHASH_KIND, value, size, part))
        return out

    def sketches(self) -> list[list[TextSketch]]:
        out: list[list[TextSketch]] = [[] for _ in range(self.num_texts)]
        for row, doc in enumerate(self.docs.tolist()):
            out[doc].append(TextSketch(self.signatures[row], int(self.sizes[row]), int(self.parts[row])))
        return out


def _word_spans(buf: U8Array) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Start and end byte offsets of the words (runs of bytes other than space)."""
    edge = np.empty(len(buf) + 1, np.int8)
    edge[0] = edge[-1] = 0
    np.not_equal(buf, 32, out=edge[1:].view(np.bool_))  # 1 inside a word, 0 on a separator
    step = np.diff(edge, append=np.int8(0))
    return np.flatnonzero(step == 1), np.flatnonzero(step == -1)


def _shingles_of_batch(bufs: Sequence[bytes]) -> tuple[U64Array, npt.NDArray[np.intp]]:
    """Per-word shingle hashes of all texts, and each text's first word index (length n+1).

    Word hashes come from :func:`_word_hashes` (the step that is a per-word Python loop
    elsewhere). The hash of the shingle starting at word ``i`` combines words ``i..i+4`` of the same text with
    position weights and fmix64; for the last four words of a text (which start no full
    shingle) it is meaningless and the caller ignores it, except for texts shorter than
    five words, whose single shingle is all their words.
    """
    joined = b" ".join(bufs) + b" " * 8  # a space separates texts; 8 bytes pad the 8-byte loads
    buf = np.frombuffer(joined, np.uint8)[: len(joined) - 8]
    doc_starts = np.zeros(len(bufs) + 1, np.intp)
    np.cumsum([len(b) + 1 for b in bufs], out=doc_starts[1:])
    starts, ends = _word_spans(buf)
    words = _word_hashes(joined, starts, ends)
    with np.errstate(over="ignore"):
        first_word = np.searchsorted(starts, doc_starts)
        n = len(words)
        padded = np.concatenate([words, np.zeros(SHINGLE_WORDS - 1, np.uint64)])
        acc = words * _POSITION_MULT[0]
        for j in range(1, SHINGLE_WORDS):
            acc += padded[j : j + n] * _POSITION_MULT[j]
        # A text of fewer than five words has one shingle of all its words: redo those few
        # entries without the neighbouring text's words.
        counts = np.diff(first_word)
        for doc in np.flatnonzero((counts > 0) & (counts < SHINGLE_WORDS)).tolist():
            i, k = int(first_word[doc]), int(counts[doc])
            acc[i] = (words[i : i + k] * _POSITION_MULT[:k]).sum(dtype=np.uint64)
        return _fmix64(acc), first_word


def _probe_windows(n_words: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], ...]:
    """Query-only probe windows: ``(docs, parts, start, end)`` (see :func:`sketch_batch`)."""
    n = np.asarray(n_words, np.intp)
    has = n > 2 * PROBE_WORDS
    stride = np.maximum(PROBE_STRIDE, -(-(n - PROBE_WORDS) // (MAX_PROBES - 1)))
    count = np.where(has, -(-(n - PROBE_WORDS) // stride) + 1, 0)
    docs = np.repeat(np.arange(len(n), dtype=np.intp), count)
    j = np.arange(int(count.sum()), dtype=np.intp) - np.repeat(np.cumsum(count) - count, count)
    start = np.minimum(j * stride[docs], n[docs] - PROBE_WORDS)
    return docs, PROBE_PART_BASE + j, start, start + PROBE_WORDS


def sketch_batch(texts: Iterable[str], *, probes: bool = False) -> SketchBatch:
    """Sketch every passage of every text in one pass (the fast path for many texts).

    ``probes=True`` (a query, never a registration) adds windows of :data:`PROBE_WORDS` words
    every :data:`PROBE_STRIDE` words (part numbers from :data:`PROBE_PART_BASE`) to texts of
    more than twice that many words. A 100-word excerpt of a registered work inside a long
    article shares under a fifth of a 512-word query window, too little for the overlap
    coefficient; it fills a whole probe window, which scores about 1.0 against the registered
    passage holding it (7 of 50 such excerpts were found without probes, 50 of 50 with them,
    BENCHMARKS.md). At most :data:`MAX_PROBES` per text (the stride grows past about 4,100
    words), so that a lookup item stays within the API's 256 fingerprints.
    """
    bufs = [normalized_bytes(t) for t in texts]
    shingles, first_word = _shingles_of_batch(bufs)
    size, stride, single = PASSAGE_WORDS, PASSAGE_STRIDE, SINGLE_PASSAGE_MAX
    # Windows of every text at once (same ranges as passage_bounds, which documents them).
    n_words = np.diff(first_word)
    n_windows = np.where(n_words == 0, 0, np.where(n_words <= single, 1, -(-(n_words - size) // stride) + 1))
    m = int(n_windows.sum())
    docs = np.repeat(np.arange(len(bufs), dtype=np.intp), n_windows)
    parts = np.arange(m, dtype=np.intp) - np.repeat(np.cumsum(n_windows) - n_windows, n_windows)
    n_doc = n_words[docs]
    multi = n_doc > single
    start = np.where(multi, np.minimum(parts * stride, n_doc - size), 0)
    end = np.where(multi, start + size, n_doc)
    if probes:
        extra = _probe_windows(n_words)
        docs, parts, start, end = (
            np.concatenate([a, b]) for a, b in zip((docs, parts, start, end), extra, strict=True)
        )
        order = np.argsort(docs, kind="stable")  # each text's windows together, passages first
        docs, parts, start, end = docs[order], parts[order], start[order], end[order]
        m = len(docs)
    if m == 0:
        empty = np.empty(0, np.uint32)
        return SketchBatch(np.empty((0, NUM_PERM), np.uint32), empty, empty, empty, len(bufs))
    win_start = first_word[docs] + start
    win_len = np.maximum(end - start - SHINGLE_WORDS + 1, 1)
    lengths = win_len.astype(np.intp)
    offsets = np.zeros(m + 1, np.intp)
    np.cumsum(lengths, out=offsets[1:])
    index = np.arange(offsets[-1], dtype=np.intp) + np.repeat(win_start - offsets[:-1], lengths)
    flat = shingles[index]
    sizes = _distinct_counts(flat, offsets)
    sigs = _minhash_matrix(flat, offsets.astype(np.uint64))
    return SketchBatch(sigs, sizes, parts.astype(np.uint32), docs.astype(np.uint32), len(bufs))


def _native_kernel() -> Any:
    """The C kernel (``_textkernel.c``, built by setup.py), or None where it was not built."""
    try:
        from mediamanager.fingerprint import _textkernel  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _textkernel


_KERNEL = _native_kernel()


def _distinct_counts(flat: U64Array, offsets: npt.NDArray[np.intp], *, native: bool = True) -> U32Array:
    """Distinct shingles (their top 40 bits) in each window ``flat[offsets[i]:offsets[i + 1]]``."""
    m = len(offsets) - 1
    if native and _KERNEL is not None:
        out = np.empty(m, np.uint32)
        bounds = offsets.astype(np.int64)
        _KERNEL.distinct_counts(np.ascontiguousarray(flat), bounds[:-1].copy(), bounds[1:].copy(), out)
        return out
    # NumPy: sort (window, hash) pairs packed into one uint64 and count changes.
    window_of = np.repeat(np.arange(m, dtype=np.uint64), np.diff(offsets))
    packed = np.sort((window_of << np.uint64(40)) | (flat >> np.uint64(24)))
    new = np.ones(len(packed), bool)
    new[1:] = packed[1:] != packed[:-1]
    return np.bincount((packed[new] >> np.uint64(40)).astype(np.intp), minlength=m).astype(np.uint32)


def _minhash_matrix(flat: U64Array, offsets: U64Array) -> U32Array:
    import rensa

    digests = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, NUM_PERM, SEED)
    # rensa hands rows back as Python lists; array.array is the cheapest way into NumPy.
    values = array.array("I", itertools.chain.from_iterable(digests.to_rows()))
    return np.frombuffer(values, dtype=np.uint32).reshape(-1, NUM_PERM).copy()


def sketch_texts(texts: Iterable[str], *, probes: bool = False) -> list[list[TextSketch]]:
    """The passage sketches of each text (an empty list for a text without words), in one batch."""
    return sketch_batch(texts, probes=probes).sketches()


def sketch_text(text: str, *, probes: bool = False) -> list[TextSketch]:
    """The passage sketches of one text (``[]`` when it has no words)."""
    return sketch_texts([text], probes=probes)[0]


def text_fingerprints(text: str, *, probes: bool = False) -> list[Fingerprint]:
    """Matching-grade fingerprints of a text: one ``minhash`` fingerprint per passage (and probe)."""
    return [s.to_fingerprint() for s in sketch_text(text, probes=probes)]


def sketches_from_fingerprints(fps: Iterable[Fingerprint]) -> list[TextSketch]:
    """The text sketches inside ``fps`` (other kinds are ignored); validates every value."""
    out = []
    for fp in fps:
        if fp.kind != MINHASH_KIND:
            continue
        _check_minhash(fp)
        out.append(TextSketch(decode_signature(fp.value), int(fp.size or 0), int(fp.part)))
    return out


def _check_minhash(fp: Fingerprint) -> None:
    if fp.size is None or fp.size <= 0:
        raise InvalidFingerprintError("a text MinHash fingerprint needs its shingle-set size (size > 0)")
    if fp.part < 0:
        raise InvalidFingerprintError("a fingerprint part number cannot be negative")


def batch_from_fingerprints(fps_per_text: Sequence[Iterable[Fingerprint]]) -> SketchBatch:
    """The text sketches of many fingerprint lists as one :class:`SketchBatch` (row docs = list index).

    Validates like :func:`sketches_from_fingerprints`; the signatures are decoded in one pass.
    """
    values: list[str] = []
    sizes: list[int] = []
    parts: list[int] = []
    docs: list[int] = []
    for doc, fps in enumerate(fps_per_text):
        for fp in fps:
            if fp.kind != MINHASH_KIND:
                continue
            _check_minhash(fp)
            values.append(fp.value)
            sizes.append(fp.size or 0)
            parts.append(fp.part)
            docs.append(doc)
    return SketchBatch(
        decode_signatures(values),
        np.asarray(sizes, np.uint32),
        np.asarray(parts, np.uint32),
        np.asarray(docs, np.uint32),
        len(fps_per_text),
    )
