"""``mediamanager signals embed`` through Typer's CliRunner, read back with ``read_embedded``."""

from __future__ import annotations

from pathlib import Path

from signals_testlib import stated
from typer.testing import CliRunner

from mediamanager.cli.main import app
from mediamanager.model import Conditions, Purpose, Use
from mediamanager.signals.embedded import read_embedded

runner = CliRunner()
PREFS = "genai-train=deny,ai-input=allow-if:attribution"


def _stated(path: Path) -> dict[Purpose, tuple[Use, Conditions]]:
    ev = read_embedded(path.read_bytes(), path.name)
    assert not [e.error for e in ev if e.error]
    return stated(ev)


EXPECTED = {
    Purpose.GENAI_TRAIN: (Use.DENY, Conditions()),
    Purpose.AI_INPUT: (Use.ALLOW_IF, Conditions(attribution=True)),
}


def test_embed_is_registered_with_an_example() -> None:
    result = runner.invoke(app, ["signals", "embed", "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output


def test_embed_xmp_default(tmp_path: Path, test_data: Path) -> None:
    out = tmp_path / "out.png"
    src = test_data / "c2pa-python-fixtures/files-for-signing-tests/libpng-test.png"
    result = runner.invoke(app, ["signals", "embed", str(src), "--prefs", PREFS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "XMP" in result.output and "C2PA" not in result.output
    assert _stated(out) == EXPECTED
    assert {e.source for e in read_embedded(out.read_bytes())} == {"iptc-xmp"}


def test_embed_c2pa_and_xmp(tmp_path: Path, test_data: Path) -> None:
    d = test_data / "c2pa-python-fixtures"
    out = tmp_path / "out.jpg"
    result = runner.invoke(
        app,
        [
            "signals",
            "embed",
            str(d / "A.jpg"),
            "--prefs",
            PREFS,
            "--out",
            str(out),
            "--c2pa",
            "--key",
            str(d / "ed25519.pem"),
            "--cert",
            str(d / "ed25519.pub"),
            "--xmp",
        ],
    )
    assert result.exit_code == 0, result.output
    assert _stated(out) == EXPECTED
    assert {e.source for e in read_embedded(out.read_bytes())} == {"iptc-xmp", "c2pa", "cawg"}


def test_embed_errors_are_clear(tmp_path: Path, test_data: Path) -> None:
    d = test_data / "c2pa-python-fixtures"
    out = tmp_path / "o.jpg"
    bad_spec = runner.invoke(
        app, ["signals", "embed", str(d / "A.jpg"), "--prefs", "genai-train=perhaps", "--out", str(out)]
    )
    assert bad_spec.exit_code == 2 and "cannot parse" in bad_spec.output
    no_key = runner.invoke(
        app, ["signals", "embed", str(d / "A.jpg"), "--prefs", PREFS, "--out", str(out), "--c2pa"]
    )
    assert no_key.exit_code == 2 and "--key" in no_key.output
    out.write_bytes(b"keep me")
    exists = runner.invoke(app, ["signals", "embed", str(d / "A.jpg"), "--prefs", PREFS, "--out", str(out)])
    assert exists.exit_code == 2 and out.read_bytes() == b"keep me"
    pdf = runner.invoke(
        app,
        [
            "signals",
            "embed",
            str(test_data / "c2pa-rs-fixtures/basic.pdf"),
            "--prefs",
            PREFS,
            "--out",
            str(tmp_path / "o.pdf"),
        ],
    )
    assert pdf.exit_code == 2 and "cannot embed XMP" in pdf.output
    assert not (tmp_path / "o.pdf").exists()
