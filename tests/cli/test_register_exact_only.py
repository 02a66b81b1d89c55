"""Issue 10: registering a clip too short to fingerprint says that only byte-exact copies will be found."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from mediamanager.api.app import create_app
from mediamanager.api.server import serve_in_thread
from mediamanager.cli.main import app
from mediamanager.settings import Settings

runner = CliRunner()
WARNING = "warning: only byte-exact copies of this audio work will be found"


def test_short_clip_registration_warns_and_a_photo_does_not(tmp_path: Path, test_data: Path) -> None:
    clips = test_data / "fsdd-spoken-digits" / "recordings"  # spoken digits, 0.3-0.8 s each
    picture = sorted((test_data / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))[3]
    app_ = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'reg.db'}"))
    with serve_in_thread(app_) as server:
        out = runner.invoke(app, ["owners", "create", "Voice", "--registry", server.url])
        assert out.exit_code == 0, out.output
        token = out.output.split("token ", 1)[1].split()[0]
        reg = ["--registry", server.url, "--token", token, "--prefs", "genai-train=deny"]
        for name, flags in (("0_george_0.wav", []), ("1_george_0.wav", ["--fingerprints-only"])):
            short = runner.invoke(app, ["register", str(clips / name), *flags, *reg])
            assert short.exit_code == 0, short.output
            assert short.output.count(WARNING) == 1, short.output
            assert "shorter than about 1.6 s" in short.output
        photo = runner.invoke(app, ["register", str(picture), *reg])
        assert photo.exit_code == 0, photo.output
        assert "warning" not in photo.output
    app_.state.engine.dispose()
