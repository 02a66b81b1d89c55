"""Statistical text watermark at generation time: a keyed KGW green list, or SynthID-Text.

KGW (Kirchenbauer et al. 2023) adds a bias ``delta`` to the logits of "green"
tokens, a keyed pseudo-random fraction ``gamma`` of the vocabulary that depends
on the previous ``h`` tokens. Detection then counts green tokens; it needs the
key and the tokenizer, never the model.

Why our own green-list function rather than ``transformers``' ``WatermarkLogitsProcessor``:
that one draws a vocabulary-sized permutation per token, so its detector costs
one ``torch.randperm`` per scored token (~3k tokens/s). Here a token is green iff
a keyed 64-bit hash of (key, context, candidate) falls below ``gamma * 2**32`` in
its top 32 bits. Each (context, candidate) pair is green independently with
probability ``gamma``, the exact binomial test applies, and the same function
runs vectorised over whole texts in numpy (detection) and over the vocabulary
in torch (generation). Both implementations are tested to agree bit for bit.

The hash (splitmix64 finaliser ``mix``; constants below; arithmetic mod 2**64)::

    tok(t)        = (t + 1) * GOLDEN
    lefthash:  s  = k0; for each context token c (oldest first): s = mix(s ^ tok(c))
    selfhash:  s  = min over u in context + [candidate] of (mix(k0 ^ tok(u)) >> 1)
    h             = mix(s ^ k1 ^ (candidate + 1) * CAND)
    green         = (h >> 32) < floor(gamma * 2**32)

``k0, k1`` are the first 16 bytes of ``sha256("mediamanager.kgw/1" || secret)``.
The hash is a fast keyed mixer, not a cryptographic PRF: like every KGW variant,
the green lists can be estimated from many watermarked samples (spoofing), most
easily with ``h = 1``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mediamanager.errors import InputError, require_extra
from mediamanager.provenance.watermark.text_keys import TextWatermarkKey

if TYPE_CHECKING:
    torch: Any = require_extra("torch", "text-watermark")

__all__ = [
    "GeneratedText",
    "KgwLogitsProcessor",
    "KgwParams",
    "generate_text",
    "kgw_green_np",
    "kgw_green_torch",
    "kgw_logits_processor",
    "synthid_config",
]

GOLDEN = 0x9E3779B97F4A7C15
CAND = 0xD6E8FEB86659FD93
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_U64 = np.uint64


@dataclass(frozen=True)
class KgwParams:
    """The numbers the KGW green-list test needs, derived from a key."""

    k0: int
    k1: int
    gamma: float
    context_width: int
    self_hash: bool

    @property
    def threshold32(self) -> int:
        """A token is green when the top 32 bits of its hash are below this."""
        return int(self.gamma * (1 << 32))

    @classmethod
    def from_key(cls, key: TextWatermarkKey) -> KgwParams:
        digest = hashlib.sha256(b"mediamanager.kgw/1" + key.secret).digest()
        return cls(
            k0=int.from_bytes(digest[:8], "little"),
            k1=int.from_bytes(digest[8:16], "little"),
            gamma=key.gamma,
            context_width=key.context_width,
            self_hash=key.self_hash,
        )


# ---- numpy (detection): arrays of uint64, wrapping arithmetic ----


def _mix_np(z: np.ndarray) -> np.ndarray:
    z = z ^ (z >> _U64(30))
    z *= _U64(_M1)
    z ^= z >> _U64(27)
    z *= _U64(_M2)
    z ^= z >> _U64(31)
    return z


def _tok_np(ids: np.ndarray) -> np.ndarray:
    return (ids.astype(np.uint64) + _U64(1)) * _U64(GOLDEN)


def kgw_hash_np(params: KgwParams, ids: np.ndarray) -> np.ndarray:
    """The 64-bit hash of every (context, token) pair in ``ids``: one per position ``h..n-1``."""
    h = params.context_width
    n = ids.shape[0]
    if n <= h:
        return np.empty(0, dtype=np.uint64)
    cand = ids[h:]
    if params.self_hash:
        anchor = _mix_np(_tok_np(ids) ^ _U64(params.k0)) >> _U64(1)
        seed = anchor[h:].copy()
        for j in range(h):
            np.minimum(seed, anchor[j : n - h + j], out=seed)
    else:
        seed = np.full(n - h, params.k0, dtype=np.uint64)
        for j in range(h):
            seed = _mix_np(seed ^ _tok_np(ids[j : n - h + j]))
    return _mix_np(seed ^ _U64(params.k1) ^ ((cand.astype(np.uint64) + _U64(1)) * _U64(CAND)))


def kgw_green_np(params: KgwParams, ids: np.ndarray) -> np.ndarray:
    """Whether each token from position ``h`` on is green under the key (bool array of length n - h)."""
    return (kgw_hash_np(params, ids) >> _U64(32)) < _U64(params.threshold32)


# ---- torch (generation): int64 tensors; same bits as the uint64 version ----
# torch has no unsigned 64-bit shifts or compares, so logical shifts are masked
# arithmetic shifts, and comparisons only ever see non-negative values.


def _s64(c: int) -> int:
    return c - (1 << 64) if c >= (1 << 63) else c


def _shr(z: torch.Tensor, s: int) -> torch.Tensor:
    return (z >> s) & ((1 << (64 - s)) - 1)


def _mix_t(z: torch.Tensor) -> torch.Tensor:
    """splitmix64's finaliser on int64 tensors, in place (one scratch buffer; this runs per token)."""
    torch: Any = require_extra("torch", "text-watermark")

    t = torch.empty_like(z)
    for shift, mult in ((30, _M1), (27, _M2)):
        torch.bitwise_right_shift(z, shift, out=t)
        t.bitwise_and_((1 << (64 - shift)) - 1)
        z.bitwise_xor_(t).mul_(_s64(mult))
    torch.bitwise_right_shift(z, 31, out=t)
    t.bitwise_and_((1 << 33) - 1)
    return z.bitwise_xor_(t)


def _tok_t(ids: torch.Tensor) -> torch.Tensor:
    return (ids.long() + 1) * _s64(GOLDEN)


def _vocab_terms(
    params: KgwParams, vocab_size: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-vocabulary constants of the hash: ``k1 ^ (v + 1) * CAND`` and the SelfHash anchor of ``v``."""
    torch: Any = require_extra("torch", "text-watermark")

    vocab = torch.arange(vocab_size, device=device, dtype=torch.long)
    cand = ((vocab + 1) * _s64(CAND)) ^ _s64(params.k1)
    anchor = _shr(_mix_t(_tok_t(vocab) ^ _s64(params.k0)), 1)
    return cand, anchor


def kgw_green_torch(
    params: KgwParams,
    context: torch.Tensor,
    vocab_size: int,
    terms: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """The green mask over the vocabulary for each row of ``context`` ([B, h] token ids) -> [B, V] bool.

    ``terms`` are :func:`_vocab_terms` for this vocabulary size, if the caller caches them.
    """
    torch: Any = require_extra("torch", "text-watermark")

    cand, anchor = terms if terms is not None else _vocab_terms(params, vocab_size, context.device)
    if params.self_hash:
        anchor_ctx = _shr(_mix_t(_tok_t(context) ^ _s64(params.k0)), 1).min(dim=1, keepdim=True).values
        z = torch.minimum(anchor[None, :], anchor_ctx).bitwise_xor_(cand[None, :])
    else:
        s = torch.full((context.shape[0],), _s64(params.k0), device=context.device, dtype=torch.long)
        for j in range(context.shape[1]):
            s = _mix_t(s ^ _tok_t(context[:, j]))
        z = s[:, None] ^ cand[None, :]
    z = _mix_t(z)
    return _shr(z, 32) < params.threshold32


def _logits_processor_base() -> type:
    transformers = require_extra("transformers", "text-watermark")
    return transformers.LogitsProcessor  # type: ignore[attr-defined]


class KgwLogitsProcessor:
    """A ``transformers`` logits processor that adds ``delta`` to the keyed green tokens.

    Pass it as ``model.generate(..., logits_processor=LogitsProcessorList([proc]))``.
    It runs before temperature and top-p (as in the KGW reference code), so the
    bias is applied to the model's raw logits. Positions without a full context
    of ``h`` tokens are left unbiased; detection does not score them either.
    """

    def __init__(self, key: TextWatermarkKey) -> None:
        if key.scheme != "kgw":
            raise InputError(f"key {key.key_id} is a {key.scheme} key, not a KGW key")
        self.params = KgwParams.from_key(key)
        self.delta = float(key.delta)
        self.vocab_size = key.vocab_size
        self._terms: dict[tuple[int, str], tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        h = self.params.context_width
        if input_ids.shape[1] < h:
            return scores
        vocab = scores.shape[-1]
        cache_key = (vocab, str(scores.device))
        if cache_key not in self._terms:
            self._terms[cache_key] = _vocab_terms(self.params, vocab, scores.device)
        green = kgw_green_torch(self.params, input_ids[:, -h:], vocab, self._terms[cache_key])
        if self.vocab_size is not None and self.vocab_size < scores.shape[-1]:
            green[:, self.vocab_size :] = False
        return scores + green.to(scores.dtype) * self.delta


def kgw_logits_processor(key: TextWatermarkKey) -> Any:
    """A ``transformers.LogitsProcessor`` (subclass) applying :class:`KgwLogitsProcessor` for ``key``."""
    proc = KgwLogitsProcessor(key)
    base = _logits_processor_base()
    wrapper_cls = type("KgwTransformersLogitsProcessor", (base,), {"__call__": lambda self, i, s: proc(i, s)})
    return wrapper_cls()


def synthid_keys(key: TextWatermarkKey) -> list[int]:
    """The per-layer SynthID-Text keys derived from the secret (``depth`` ints below 2**31)."""
    out: list[int] = []
    counter = 0
    while len(out) < key.depth:
        block = hashlib.sha256(b"mediamanager.synthid/1" + counter.to_bytes(4, "big") + key.secret).digest()
        out.extend(int.from_bytes(block[i : i + 4], "big") & 0x7FFFFFFF for i in range(0, 32, 4))
        counter += 1
    return out[: key.depth]


def synthid_config(key: TextWatermarkKey) -> Any:
    """``transformers.SynthIDTextWatermarkingConfig`` for a SynthID key."""
    if key.scheme != "synthid":
        raise InputError(f"key {key.key_id} is a {key.scheme} key, not a SynthID key")
    transformers = require_extra("transformers", "text-watermark")
    return transformers.SynthIDTextWatermarkingConfig(  # type: ignore[attr-defined]
        ngram_len=key.ngram_len, keys=synthid_keys(key), sampling_table_seed=0, sampling_table_size=2**16
    )


@dataclass(frozen=True)
class GeneratedText:
    """One generated continuation: its text, its token ids, and the key that marked it (if any)."""

    text: str
    token_ids: tuple[int, ...]
    key_id: str | None
    scheme: str | None


def generate_text(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    key: TextWatermarkKey | None,
    *,
    max_new_tokens: int = 200,
    min_new_tokens: int | None = None,
    temperature: float = 1.0,
    top_p: float = 1.0,
    chat: bool = False,
    seed: int | None = None,
) -> list[GeneratedText]:
    """Sample continuations of ``prompts`` (one batch), watermarked with ``key`` (or not, if ``None``).

    ``chat`` wraps each prompt in the tokenizer's chat template as a user turn.
    ``min_new_tokens`` (e.g. equal to ``max_new_tokens``) forces a fixed length, as in
    the KGW evaluation.
    """
    torch: Any = require_extra("torch", "text-watermark")

    if not prompts:
        return []
    if max_new_tokens < 1 or max_new_tokens > 4096:
        raise InputError("max_new_tokens must be in 1..4096")
    if not (temperature > 0.0) or not (0.0 < top_p <= 1.0):
        raise InputError("temperature must be > 0 and top_p in (0, 1]")
    transformers = require_extra("transformers", "text-watermark")
    if seed is not None:
        torch.manual_seed(seed)
    texts = list(prompts)
    if chat:
        texts = [
            tokenizer.apply_chat_template(
                [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
            )
            for p in texts
        ]
    old_side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # batched decoder-only generation needs the prompt flush right
    try:
        enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tokenizer.padding_side = old_side
    kwargs: dict[str, Any] = {
        "do_sample": True,
        "max_new_tokens": max_new_tokens,
        "temperature": temperature,
        "top_p": top_p,
        "top_k": 0,
        "pad_token_id": tokenizer.pad_token_id
        if tokenizer.pad_token_id is not None
        else tokenizer.eos_token_id,
    }
    if min_new_tokens is not None:
        kwargs["min_new_tokens"] = min_new_tokens
    if key is not None and key.scheme == "kgw":
        kwargs["logits_processor"] = transformers.LogitsProcessorList(  # type: ignore[attr-defined]
            [kgw_logits_processor(key)]
        )
    elif key is not None:
        kwargs["watermarking_config"] = synthid_config(key)
    with torch.inference_mode():
        out = model.generate(**enc, **kwargs)
    new = out[:, enc["input_ids"].shape[1] :]
    results = []
    special = set(tokenizer.all_special_ids)
    for row in new.tolist():
        ids = tuple(t for t in row if t not in special)
        results.append(
            GeneratedText(
                text=tokenizer.decode(list(ids), skip_special_tokens=True),
                token_ids=ids,
                key_id=None if key is None else key.key_id,
                scheme=None if key is None else key.scheme,
            )
        )
    return results
