"""Text watermark without the real model: the keyed hash, the statistics, keys, and a tiny random LM."""

from __future__ import annotations

import json
import math
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediamanager.errors import ConflictError, InputError, NotFoundError
from mediamanager.provenance.watermark.text import (
    GeneratedText,
    KgwLogitsProcessor,
    KgwParams,
    generate_text,
    kgw_green_np,
    kgw_green_torch,
)
from mediamanager.provenance.watermark.text_detect import adjust_p_values, detect_ids
from mediamanager.provenance.watermark.text_keys import (
    TextWatermarkKey,
    TextWatermarkKeyring,
    new_text_key,
)

torch = pytest.importorskip("torch", reason="the text-watermark extra (torch) is required for these tests")
torch.set_num_threads(1)

VOCAB = 512


class _CharTokenizer:
    """A byte-level tokenizer just rich enough for ``generate_text`` with a tiny random model."""

    pad_token_id = 0
    eos_token_id = 1
    all_special_ids = (0, 1)
    padding_side = "right"

    def __call__(self, texts: list[str], **_: object) -> dict[str, torch.Tensor]:
        rows = [[2 + b for b in t.encode()] for t in texts]
        width = max(len(r) for r in rows)
        ids = torch.tensor([[0] * (width - len(r)) + r for r in rows])
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
        return {"input_ids": ids, "attention_mask": mask}

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return " ".join(str(i) for i in ids)


@pytest.fixture(scope="module")
def tiny_model() -> object:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=1,
    )
    model = LlamaForCausalLM(config)
    model.eval()
    return model


# ---- the keyed green-list hash ----


@settings(max_examples=40, deadline=None)
@given(
    ctx=st.lists(st.integers(0, 60_000), min_size=4, max_size=4),
    width=st.integers(1, 4),
    self_hash=st.booleans(),
    gamma=st.sampled_from([0.1, 0.25, 0.5, 0.9]),
)
def test_torch_and_numpy_green_lists_agree_bit_for_bit(
    ctx: list[int], width: int, self_hash: bool, gamma: float
) -> None:
    params = KgwParams.from_key(new_text_key("k", context_width=width, self_hash=self_hash, gamma=gamma))
    context = ctx[-width:]
    vocab = 1000
    mask = kgw_green_torch(params, torch.tensor([context]), vocab)[0].numpy()
    expected = np.array([kgw_green_np(params, np.array([*context, v]))[0] for v in range(vocab)])
    assert (mask == expected).all()


def test_green_fraction_is_gamma_and_depends_on_key_and_context() -> None:
    ids = np.random.default_rng(0).integers(0, 49_152, 200_000)
    a = KgwParams.from_key(new_text_key("a", gamma=0.25))
    b = KgwParams.from_key(new_text_key("b", gamma=0.25))
    ga, gb = kgw_green_np(a, ids), kgw_green_np(b, ids)
    assert abs(ga.mean() - 0.25) < 0.005
    assert abs(gb.mean() - 0.25) < 0.005
    # another key gives another (independent) green list: agreement is gamma^2 + (1-gamma)^2
    assert abs((ga == gb).mean() - (0.25**2 + 0.75**2)) < 0.01
    # another context gives another green list for the same candidate
    params = KgwParams.from_key(new_text_key("c"))
    greens = kgw_green_torch(params, torch.tensor([[5], [6]]), 49_152).numpy()
    assert greens.mean(axis=1).min() > 0.2 and (greens[0] != greens[1]).mean() > 0.3


def test_processor_adds_delta_to_green_tokens_only() -> None:
    key = new_text_key("k", delta=3.0)
    proc = KgwLogitsProcessor(key)
    scores = torch.zeros(2, 300)
    out = proc(torch.tensor([[9, 10], [9, 11]]), scores)
    green = kgw_green_torch(KgwParams.from_key(key), torch.tensor([[10], [11]]), 300)
    assert torch.equal(out, green.float() * 3.0)
    with pytest.raises(InputError):
        KgwLogitsProcessor(new_text_key("s", scheme="synthid"))


# ---- statistics ----


def test_exact_binomial_p_value_and_z_match_the_formulas() -> None:
    from scipy.stats import binom

    key = new_text_key("k")
    ids = np.random.default_rng(1).integers(0, 49_152, 400)
    det = detect_ids(ids, [key]).detections[0]
    n, g = det.tokens_scored, det.green_tokens
    assert n == 399  # first token has no context; random bigrams are all distinct
    assert det.p_value == pytest.approx(binom.sf(g - 1, n, 0.25))
    assert det.z_score == pytest.approx((g - 0.25 * n) / math.sqrt(n * 0.25 * 0.75))
    assert det.green_fraction == pytest.approx(g / n)
    assert det.verdict == "not-watermarked"


def test_repeated_ngrams_are_scored_once_by_default() -> None:
    key = new_text_key("k")
    loop = np.tile(np.array([7, 8, 9, 10]), 200)  # a repetition loop: only 4 distinct bigrams
    dedup = detect_ids(loop, [key]).detections[0]
    raw = detect_ids(loop, [key], ignore_repeated_ngrams=False).detections[0]
    assert dedup.tokens_scored == 4 and dedup.verdict == "undecided"
    assert "not enough tokens to decide" in dedup.reason
    assert raw.tokens_scored == 799


def test_holm_and_bonferroni_corrections() -> None:
    p = [0.01, 0.04, 0.03, 0.5]
    assert adjust_p_values(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 1.0])
    assert adjust_p_values(p, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert adjust_p_values(p, "none") == pytest.approx(p)
    with pytest.raises(InputError):
        adjust_p_values(p, "fdr")  # type: ignore[arg-type]


def _planted(key: TextWatermarkKey, n: int, seed: int) -> np.ndarray:
    """A token sequence in which every token is green under ``key`` (the strongest possible mark)."""
    rng = np.random.default_rng(seed)
    params = KgwParams.from_key(key)
    out = [int(rng.integers(0, 49_152))]
    while len(out) < n:
        cand = rng.integers(0, 49_152, 64)
        green = kgw_green_torch(params, torch.tensor([out[-params.context_width :]]), 49_152)[0].numpy()
        out.append(int(next(c for c in cand if green[c])))
    return np.array(out)


def test_winmax_finds_a_watermarked_passage_inside_human_text() -> None:
    key = new_text_key("k")
    rng = np.random.default_rng(2)
    human_a, human_b = rng.integers(0, 49_152, 1500), rng.integers(0, 49_152, 1500)
    marked = _planted(key, 60, seed=3)
    doc = np.concatenate([human_a, marked, human_b])
    whole = detect_ids(doc, [key]).detections[0]
    win = detect_ids(doc, [key], windowed=True).detections[0]
    assert whole.verdict == "not-watermarked"  # diluted 60 in 3060
    assert win.verdict == "watermarked"
    assert win.window is not None
    assert win.window.start >= 1500 - 30 and win.window.end <= 1560 + 30
    assert win.window.p_value_corrected == pytest.approx(
        min(1.0, win.window.p_value * win.window.windows_tested)
    )
    # the windowed test does not invent a mark in unmarked text
    assert detect_ids(np.concatenate([human_a, human_b]), [key], windowed=True).verdict == "not-watermarked"


def test_several_keys_are_corrected_and_the_right_key_is_named() -> None:
    keys = [new_text_key(f"k{i}") for i in range(3)]
    report = detect_ids(_planted(keys[1], 40, seed=4), keys)
    assert report.verdict == "watermarked" and report.key_id == "k1"
    by_id = {d.key_id: d for d in report.detections}
    assert by_id["k1"].p_value_adjusted == pytest.approx(3 * by_id["k1"].p_value)  # Holm: smallest x m
    assert by_id["k0"].verdict == by_id["k2"].verdict == "not-watermarked"
    assert report.to_dict()["keys_tested"] == 3


def test_bad_input_gets_a_clear_result_never_a_false_detection() -> None:
    key = new_text_key("k", vocab_size=49_152)
    empty = detect_ids([], [key])
    assert empty.verdict == "undecided" and "not enough tokens" in empty.detections[0].reason
    assert empty.detections[0].z_score is None and empty.detections[0].p_value is None
    one = detect_ids([5], [key])
    assert one.verdict == "undecided"
    # token ids from a larger vocabulary than the key's tokenizer are not scored
    foreign = np.random.default_rng(5).integers(49_152, 200_000, 300)
    assert detect_ids(foreign, [key]).verdict == "undecided"
    mixed = np.random.default_rng(6).integers(0, 100_000, 500)
    det = detect_ids(mixed, [key]).detections[0]
    assert det.tokens_scored < 200 and det.verdict != "watermarked"
    with pytest.raises(InputError):
        detect_ids([[1, 2]], [key])
    with pytest.raises(InputError):
        detect_ids([1.5, 2.5], [key])
    with pytest.raises(InputError):
        detect_ids([1, 2], [])
    with pytest.raises(InputError):
        detect_ids([1, 2], [key], fpr=0.0)


def test_false_positive_rate_on_random_text_is_near_the_nominal_level() -> None:
    key = TextWatermarkKey("fixed", secret=bytes(range(32)))  # fixed, so the test is deterministic
    rng = np.random.default_rng(7)
    ps = np.array(
        [detect_ids(rng.integers(0, 49_152, 200), [key]).detections[0].p_value for _ in range(3000)]
    )
    from scipy.stats import binom

    for alpha in (0.05, 0.01):
        # the exact test's true size at alpha (<= alpha: the binomial is discrete), for n = 199 scored tokens
        critical = int(binom.isf(alpha, 199, 0.25)) + 1
        size = binom.sf(critical - 1, 199, 0.25)
        assert size <= alpha
        expected, sd = 3000 * size, math.sqrt(3000 * size * (1 - size))
        assert abs((ps <= alpha).sum() - expected) <= 4 * sd, (alpha, (ps <= alpha).sum(), expected)
    assert (ps <= 1e-3).sum() <= 10


# ---- keys ----


def test_keyring_round_trip_keeps_secrets_out_of_printouts(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring = TextWatermarkKeyring([new_text_key("a"), new_text_key("b", scheme="synthid", ngram_len=4)])
    ring.set_active("a", False)
    ring.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = TextWatermarkKeyring.load(path)
    assert [k.key_id for k in loaded.active()] == ["b"]
    assert loaded.get("a").secret == ring.get("a").secret
    assert loaded.get("b").ngram_len == 4
    secret_hex = ring.get("a").secret.hex()
    assert secret_hex not in repr(ring.get("a")) and secret_hex not in json.dumps(ring.get("a").public_dict())
    assert ring.get("a").check_value in json.dumps(ring.get("a").public_dict())
    with pytest.raises(ConflictError):
        ring.add(new_text_key("a"))
    with pytest.raises(NotFoundError):
        ring.get("zzz")
    assert len(TextWatermarkKeyring.load(tmp_path / "absent.json")) == 0


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"format": "other", "keys": []}',
        '{"format": "mediamanager.text-watermark-keyring/1", "keys": [{"key_id": "a", "secret": "zz"}]}',
        '{"format": "mediamanager.text-watermark-keyring/1", "keys": [{"key_id": "a", "secret": "00"}]}',
        '{"format": "mediamanager.text-watermark-keyring/1", "keys": [{"key_id": "bad id!", "secret": "'
        + "00" * 32
        + '"}]}',
        '{"format": "mediamanager.text-watermark-keyring/1", "keys": [{"key_id": "a", "secret": "'
        + "00" * 32
        + '", "gamma": 2}]}',
    ],
)
def test_malformed_keyrings_are_input_errors(tmp_path: Path, body: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(body)
    with pytest.raises(InputError):
        TextWatermarkKeyring.load(path)


# ---- generation with a tiny random model ----


def test_tiny_model_kgw_generation_is_detected_and_unmarked_is_not(tiny_model: object) -> None:
    key = new_text_key("k", vocab_size=VOCAB)
    other = new_text_key("other", vocab_size=VOCAB)
    tok = _CharTokenizer()
    marked = generate_text(tiny_model, tok, ["hello", "a longer prompt"], key, max_new_tokens=120, seed=1)
    plain = generate_text(tiny_model, tok, ["hello", "a longer prompt"], None, max_new_tokens=120, seed=1)
    assert all(isinstance(g, GeneratedText) and g.key_id == "k" for g in marked)
    for g in marked:
        report = detect_ids(list(g.token_ids), [key, other])
        assert report.verdict == "watermarked" and report.key_id == "k", report
    for g in plain:
        assert detect_ids(list(g.token_ids), [key, other]).verdict == "not-watermarked"


def test_tiny_model_synthid_generation_is_detected(tiny_model: object) -> None:
    key = new_text_key("sid", scheme="synthid", ngram_len=3, depth=20, vocab_size=VOCAB)
    kgw = new_text_key("kgw", vocab_size=VOCAB)
    tok = _CharTokenizer()
    (marked,) = generate_text(tiny_model, tok, ["hello"], key, max_new_tokens=80, seed=2)
    (plain,) = generate_text(tiny_model, tok, ["hello"], None, max_new_tokens=80, seed=2)
    det = detect_ids(list(marked.token_ids), [key]).detections[0]
    assert det.verdict == "watermarked" and det.scheme == "synthid"
    assert det.tokens_scored <= 78
    assert detect_ids(list(plain.token_ids), [key]).verdict == "not-watermarked"
    assert detect_ids(list(marked.token_ids), [kgw]).verdict == "not-watermarked"


def test_generation_rejects_bad_arguments(tiny_model: object) -> None:
    key = new_text_key("k")
    with pytest.raises(InputError):
        generate_text(tiny_model, _CharTokenizer(), ["x"], key, max_new_tokens=0)
    with pytest.raises(InputError):
        generate_text(tiny_model, _CharTokenizer(), ["x"], key, temperature=0.0)
    assert generate_text(tiny_model, _CharTokenizer(), [], key) == []
