"""``mediamanager watermark text``: keygen, keys, generate, detect, through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediamanager.cli.main import app
from mediamanager.provenance.watermark.text_keys import TextWatermarkKey, TextWatermarkKeyring

pytest.importorskip("torch", reason="the text-watermark extra (torch) is required for these tests")

runner = CliRunner()


@pytest.fixture
def keyring(tmp_path: Path) -> Path:
    """A keyring with two fixed KGW keys, so generation and detection are reproducible."""
    path = tmp_path / "keys.json"
    TextWatermarkKeyring(
        [
            TextWatermarkKey("cli-a", secret=bytes(range(32)), created="2026-11-22T00:00:00+00:00"),
            TextWatermarkKey("cli-b", secret=bytes(range(3, 35)), created="2026-11-22T00:00:00+00:00"),
        ]
    ).save(path)
    return path


def test_keygen_and_keys_never_print_secrets(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    made = runner.invoke(app, ["watermark", "text", "keygen", "--key-id", "k1", "--keyring", str(path)])
    assert made.exit_code == 0, made.output
    shown = json.loads(made.stdout)
    assert shown["key_id"] == "k1" and shown["gamma"] == 0.25 and "secret" not in shown
    secret = json.loads(path.read_text())["keys"][0]["secret"]
    assert len(secret) == 64 and secret not in made.output
    listed = runner.invoke(app, ["watermark", "text", "keys", "--keyring", str(path)])
    assert listed.exit_code == 0 and secret not in listed.output
    assert [k["key_id"] for k in json.loads(listed.stdout)] == ["k1"]
    again = runner.invoke(app, ["watermark", "text", "keygen", "--key-id", "k1", "--keyring", str(path)])
    assert again.exit_code == 2 and "already exists" in again.output
    runner.invoke(app, ["watermark", "text", "keygen", "--key-id", "k2", "--keyring", str(path)])
    retired = runner.invoke(app, ["watermark", "text", "retire", "--key-id", "k1", "--keyring", str(path)])
    assert retired.exit_code == 0 and json.loads(retired.stdout)["active"] is False
    assert [k.key_id for k in TextWatermarkKeyring.load(path).active()] == ["k2"]
    bad = runner.invoke(
        app, ["watermark", "text", "keygen", "--key-id", "k3", "--gamma", "1.5", "--keyring", str(path)]
    )
    assert bad.exit_code == 2 and "gamma" in bad.output


def test_generate_then_detect_round_trip(keyring: Path, tmp_path: Path) -> None:
    gen = runner.invoke(
        app,
        [
            "watermark", "text", "generate", "--key-id", "cli-a", "--keyring", str(keyring),
            "--prompt", "Write a short story about a fox who learns to sail.",
            "--max-new-tokens", "90", "--seed", "5", "--json",
        ],
    )  # fmt: skip
    assert gen.exit_code == 0, gen.output
    out = json.loads(gen.stdout)
    assert out["key_id"] == "cli-a" and out["model"] == "SmolLM2-135M-Instruct" and 0 < out["tokens"] <= 90
    text_file = tmp_path / "answer.txt"
    text_file.write_text(out["text"], encoding="utf-8")

    one = runner.invoke(
        app,
        [
            "watermark",
            "text",
            "detect",
            str(text_file),
            "--key-id",
            "cli-a",
            "--keyring",
            str(keyring),
            "--json",
        ],
    )
    assert one.exit_code == 0, one.output
    report = json.loads(one.stdout)
    assert report["verdict"] == "watermarked" and report["key_id"] == "cli-a", report
    det = report["detections"][0]
    assert det["p_value"] <= 1e-5 and det["tokens_scored"] > 40 and det["green_fraction"] > 0.4

    every = runner.invoke(
        app, ["watermark", "text", "detect", str(text_file), "--keyring", str(keyring), "--json"]
    )
    report = json.loads(every.stdout)
    assert report["keys_tested"] == 2 and report["correction"] == "holm" and report["key_id"] == "cli-a"
    by_id = {d["key_id"]: d for d in report["detections"]}
    assert by_id["cli-b"]["verdict"] == "not-watermarked"
    assert by_id["cli-a"]["p_value_adjusted"] == pytest.approx(2 * by_id["cli-a"]["p_value"])

    win = runner.invoke(
        app,
        [
            "watermark",
            "text",
            "detect",
            str(text_file),
            "--key-id",
            "cli-a",
            "--keyring",
            str(keyring),
            "--windowed",
            "--json",
        ],
    )
    assert win.exit_code == 0, win.output
    window = json.loads(win.stdout)["detections"][0]["window"]
    assert window is not None and 0 <= window["char_start"] < window["char_end"] <= len(out["text"])

    wrong = runner.invoke(
        app, ["watermark", "text", "detect", str(text_file), "--key-id", "cli-b", "--keyring", str(keyring)]
    )
    assert wrong.exit_code == 0 and wrong.stdout.startswith("verdict: not-watermarked")


def test_detect_bad_input(keyring: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    res = runner.invoke(app, ["watermark", "text", "detect", str(empty), "--keyring", str(keyring), "--json"])
    assert res.exit_code == 0
    report = json.loads(res.stdout)
    assert report["verdict"] == "undecided"
    assert all(d["reason"].startswith("not enough tokens to decide") for d in report["detections"])

    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 40)
    res = runner.invoke(
        app, ["watermark", "text", "detect", str(garbage), "--keyring", str(keyring), "--json"]
    )
    assert res.exit_code == 0 and json.loads(res.stdout)["verdict"] in ("undecided", "not-watermarked")

    missing_key = runner.invoke(
        app, ["watermark", "text", "detect", str(empty), "--key-id", "nope", "--keyring", str(keyring)]
    )
    assert missing_key.exit_code == 2 and "no text watermark key 'nope'" in missing_key.output
    no_file = runner.invoke(
        app, ["watermark", "text", "detect", str(tmp_path / "absent.txt"), "--keyring", str(keyring)]
    )
    assert no_file.exit_code == 2
    no_keys = runner.invoke(
        app, ["watermark", "text", "detect", str(empty), "--keyring", str(tmp_path / "none.json")]
    )
    assert no_keys.exit_code == 2 and "no text watermark key" in no_keys.output
    bad_ring = tmp_path / "bad.json"
    bad_ring.write_text("{not json")
    res = runner.invoke(app, ["watermark", "text", "keys", "--keyring", str(bad_ring)])
    assert res.exit_code == 2 and "not valid JSON" in res.output
