"""``mediamanager demo``: a registry on a SQLite file, sample works registered and looked up over real HTTP.

The sample content is generated here (seeded, so runs are repeatable): two texts
and an image, plus altered copies of each (edited and truncated text, a resized
JPEG re-encoding of the image). Nothing is read from outside the package.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediamanager.api.app import create_app
from mediamanager.api.server import RunningServer, serve_in_thread
from mediamanager.client import RegistryApi
from mediamanager.errors import MediaManagerError
from mediamanager.lookup import LookupQuery
from mediamanager.registry.bulk import fingerprints_only_body
from mediamanager.settings import Settings

__all__ = ["DemoResult", "SampleWork", "run_demo", "sample_works"]

_WORDS = [
    "river",
    "mountain",
    "lantern",
    "harbour",
    "quiet",
    "morning",
    "letter",
    "garden",
    "silver",
    "window",
    "distant",
    "bridge",
    "story",
    "winter",
    "orchard",
    "candle",
    "meadow",
    "whisper",
    "painter",
    "thunder",
    "valley",
    "compass",
    "journey",
    "market",
    "evening",
    "shadow",
    "ribbon",
    "island",
    "forest",
    "chapter",
    "stone",
    "feather",
    "echo",
    "season",
    "voyage",
    "meadowlark",
    "cobble",
    "copper",
    "velvet",
    "amber",
    "tide",
    "signal",
    "archive",
    "canvas",
    "engine",
    "harvest",
    "pocket",
    "mirror",
    "ladder",
    "glacier",
    "beacon",
    "timber",
    "puzzle",
    "saddle",
    "wander",
]


@dataclass(frozen=True)
class SampleWork:
    """One generated work, its altered copy, and what the demo registers for it."""

    name: str
    filename: str
    content: bytes
    altered: bytes
    altered_name: str
    how_altered: str
    preferences: str
    fingerprints_only: bool = False


def _prose(seed: int, words: int) -> str:
    rng = random.Random(seed)
    sentences: list[str] = []
    count = 0
    while count < words:
        n = rng.randint(8, 18)
        sentence = " ".join(rng.choice(_WORDS) for _ in range(n))
        sentences.append(sentence.capitalize() + ".")
        count += n
    return " ".join(sentences)


def _edit_text(text: str, seed: int) -> str:
    rng = random.Random(seed)
    words = text.split()
    for i in range(len(words)):
        if rng.random() < 0.04:
            words[i] = rng.choice(_WORDS)
    kept = words[: int(len(words) * 0.8)]
    return "Reposted from the web.\n\n" + " ".join(kept) + "\n\nShare this article."


def _image(seed: int) -> tuple[bytes, bytes]:
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", (640, 480))
    draw = ImageDraw.Draw(img)
    for y in range(480):
        draw.line([(0, y), (640, y)], fill=(y // 2, 80 + y // 4, 200 - y // 3))
    for _ in range(25):
        x0, y0 = rng.randint(0, 600), rng.randint(0, 440)
        x1, y1 = x0 + rng.randint(20, 200), y0 + rng.randint(20, 160)
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=colour)
    original = io.BytesIO()
    img.save(original, "PNG")
    altered = io.BytesIO()
    img.resize((480, 360)).save(altered, "JPEG", quality=70)
    return original.getvalue(), altered.getvalue()


def sample_works() -> list[SampleWork]:
    """The demo's generated works and their altered copies."""
    essay = _prose(7, 700)
    story = _prose(11, 500)
    png, jpeg = _image(3)
    return [
        SampleWork(
            "essay",
            "essay.txt",
            essay.encode(),
            _edit_text(essay, 1).encode(),
            "essay-copy.txt",
            "4% of words changed, cut to 80%, wrapped in boilerplate",
            "genai-train=deny,ai-input=allow-if:attribution",
        ),
        SampleWork(
            "story",
            "story.txt",
            story.encode(),
            _edit_text(story, 2).encode(),
            "story-copy.txt",
            "4% of words changed, cut to 80%, wrapped in boilerplate",
            "",
            fingerprints_only=True,
        ),
        SampleWork(
            "picture",
            "picture.png",
            png,
            jpeg,
            "picture-copy.jpg",
            "resized to 75% and re-encoded as JPEG q70",
            "ai-train=deny,search=allow",
        ),
    ]


@dataclass
class DemoResult:
    """What the demo did; ``ok`` when every altered copy was found with its preferences."""

    url: str
    db_path: Path
    owner_id: str = ""
    token: str = ""
    registered: list[dict[str, Any]] = field(default_factory=list)
    lookups: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    server: RunningServer | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and bool(self.lookups) and all(r["found"] for r in self.lookups)


def _register(api: RegistryApi, s: SampleWork, fingerprint_content: Any) -> dict[str, Any]:
    meta = {"title": s.name, "creator": "Ada Example", "collection": "demo"}
    if s.fingerprints_only:
        fp = fingerprint_content(s.content, filename=s.filename)
        reg = api.register_fingerprints(fingerprints_only_body(fp, meta, preferences=s.preferences))
    else:
        reg = api.upload_work(s.filename, s.content, fields={**meta, "preferences": s.preferences or None})
    return reg.work


def run_demo(
    db_path: Path, *, port: int = 0, keep_serving: bool = False, say: Callable[[str], None] = print
) -> DemoResult:
    """Run the whole demo; the server stays up (``result.server``) when ``keep_serving``."""
    from mediamanager.fingerprint import fingerprint_content

    db_path = db_path.resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    settings = Settings(db_url=f"sqlite:///{db_path}", port=port)
    server = serve_in_thread(create_app(settings), "127.0.0.1", port)
    result = DemoResult(server.url, db_path)
    say(f"registry up at {server.url} (OpenAPI docs at {server.url}/docs), database {db_path}")
    try:
        with RegistryApi(server.url, "", timeout=60) as api:
            created = api.create_owner("Ada Example", kind="person")
            result.owner_id, result.token = created["owner"]["id"], created["token"]["token"]
            api.token = result.token
            say(f"created owner Ada Example ({result.owner_id}) and an API token")
            api.set_collection_preferences("demo", "tdm=allow,search=allow")
            say("set collection 'demo' preferences: tdm=allow,search=allow")
            registered: list[tuple[SampleWork, dict[str, Any]]] = []
            for s in sample_works():
                try:
                    work = _register(api, s, fingerprint_content)
                except MediaManagerError as exc:
                    result.failures.append(f"{s.name}: {exc}")
                    say(f"could not register {s.name!r}: {exc}")
                    continue
                registered.append((s, work))
                result.registered.append(work)
                how = (
                    "fingerprints only (content stayed here)"
                    if s.fingerprints_only
                    else "uploaded (fingerprinted by the server, content discarded)"
                )
                say(
                    f"registered {s.name!r} [{work['media_type']}] {how}: work {work['id']}, "
                    f"ISCC {work['iscc']}, work-level preferences: {s.preferences or 'none (collection applies)'}"
                )
            for s, work in registered:
                fp = fingerprint_content(s.altered, filename=s.altered_name)
                query = LookupQuery(s.altered_name, fp.sha256, fp.media_type, tuple(fp.fingerprints))
                best = next(iter(api.lookup([query])[0].matches), None)
                found = best is not None and best.work_id == work["id"]
                rules = best.preferences.to_dict(effective=True)["rules"] if best else {}
                summary = {
                    p: f"{r['use']} (from {r['evidence'][0]['location'].split(':')[0] if r['evidence'] else '-'})"
                    for p, r in rules.items()
                }
                match = best.to_dict() if best else None
                result.lookups.append({"copy": s.altered_name, "found": found, "match": match})
                if best is None:
                    say(f"looked up {s.altered_name} ({s.how_altered}): NOT FOUND")
                else:
                    say(
                        f"looked up {s.altered_name} ({s.how_altered}): matched {best.title!r} "
                        f"score {best.score:.2f} via {best.kind}; effective: "
                        + ", ".join(f"{p}={u}" for p, u in summary.items())
                    )
            report = api.audit_verify()
            say(f"audit log: {report['entries']} entries, chain {'intact' if report['ok'] else 'BROKEN'}")
    except BaseException:
        server.stop()
        raise
    if keep_serving:
        result.server = server
    else:
        server.stop()
    return result
