"""The manifest repository (Alembic 0002, 0003) and resolution: watermark first, PDQ fallback."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from mediamanager.errors import ConflictError, InputError, NotFoundError
from mediamanager.provenance.c2pa_sign import sign_file
from mediamanager.provenance.keys import PkiPaths
from mediamanager.provenance.repository import ManifestRecord, ManifestRepository, SoftBinding
from mediamanager.provenance.resolve import binding_value, record_for_signed_asset, resolve_image_bytes
from mediamanager.provenance.watermark.image import ALG, embed_image_file
from mediamanager.registry.store.engine import make_engine, upgrade_schema


@pytest.fixture
def repo(db_url: str) -> Iterator[ManifestRepository]:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    yield ManifestRepository(engine)
    engine.dispose()


def _strip(data: bytes, quality: int = 80, scale: float = 1.0) -> bytes:
    """Re-encode as a fresh JPEG: every byte of metadata (and the C2PA manifest) is gone."""
    im = Image.open(io.BytesIO(data)).convert("RGB")
    if scale != 1.0:
        im = im.resize((int(im.width * scale), int(im.height * scale)))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _alembic_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from mediamanager.registry.store.engine import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def test_migration_creates_the_tables(repo: ManifestRepository) -> None:
    names = set(sa.inspect(repo.engine).get_table_names())
    assert {"provenance_manifests", "provenance_soft_bindings"} <= names
    with repo.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _alembic_head()  # migrated all the way, whatever the newest revision is
    columns = {c["name"] for c in sa.inspect(repo.engine).get_columns("provenance_manifests")}
    assert "owner_id" in columns


def test_delete_only_the_owners_own_manifest(repo: ManifestRepository) -> None:
    repo.add(
        ManifestRecord(
            "urn:c2pa:o1", "image/png", {}, bindings=(SoftBinding(ALG, "AQID"),), owner_id="a" * 32
        )
    )
    repo.add(ManifestRecord("urn:c2pa:o2", "image/png", {}))  # no API owner
    assert repo.get("urn:c2pa:o1").owner_id == "a" * 32 and repo.get("urn:c2pa:o2").owner_id is None
    for manifest_id, owner in (
        ("urn:c2pa:o1", "b" * 32),
        ("urn:c2pa:o2", "a" * 32),
        ("urn:c2pa:none", "a" * 32),
    ):
        with pytest.raises(NotFoundError):
            repo.delete(manifest_id, owner_id=owner)
    assert repo.by_binding(ALG, "AQID") == ["urn:c2pa:o1"]
    repo.delete("urn:c2pa:o1", owner_id="a" * 32)
    assert repo.by_binding(ALG, "AQID") == []
    with pytest.raises(NotFoundError):
        repo.get("urn:c2pa:o1")


def test_store_get_and_find(repo: ManifestRepository) -> None:
    record = ManifestRecord(
        manifest_id="urn:c2pa:abc",
        format="image/png",
        manifest_json={"active_manifest": "urn:c2pa:abc"},
        manifest_bytes=b"\x00jumb",
        pdq="f" * 64,
        pdq_quality=100,
        bindings=(SoftBinding(ALG, "AAECAw=="),),
    )
    repo.add(record)
    got = repo.get("urn:c2pa:abc")
    assert got.manifest_json == record.manifest_json and got.manifest_bytes == b"\x00jumb"
    assert got.bindings == record.bindings
    assert repo.by_binding(ALG, "AAECAw==") == ["urn:c2pa:abc"]
    assert repo.by_binding(ALG, "other") == [] and repo.by_binding("x", "AAECAw==") == []
    near = "0" + "f" * 63  # 4 bits away
    assert repo.nearest_pdq(near, max_distance=10) == [("urn:c2pa:abc", 4)]
    assert repo.nearest_pdq("0" * 64, max_distance=31) == []
    with pytest.raises(ConflictError):
        repo.add(record)
    with pytest.raises(NotFoundError):
        repo.get("urn:c2pa:missing")
    with pytest.raises(InputError):
        repo.add(ManifestRecord("urn:x", "image/png", {}, pdq="zz"))


def test_stripped_watermarked_image_resolves_by_watermark(
    repo: ManifestRepository, photos: list[Path], pki: PkiPaths, tmp_path: Path
) -> None:
    payload = 0x5EEDF00D
    marked = embed_image_file(photos[0], tmp_path / "marked.png", payload)
    signed = tmp_path / "signed.png"
    result = sign_file(
        marked, signed, key=pki.signer_key, cert_chain=pki.chain, soft_binding=payload.to_bytes(4, "big")
    )
    repo.add(
        record_for_signed_asset(
            signed.read_bytes(),
            mime="image/png",
            manifest_id=result.manifest_id,
            manifest_json=result.manifest_json,
            payload=payload,
        )
    )
    assert repo.by_binding(ALG, binding_value(payload)) == [result.manifest_id]
    stripped = _strip(signed.read_bytes(), quality=60, scale=0.5)
    found = resolve_image_bytes(stripped, repo)
    assert found.method == "watermark" and found.manifest_ids == (result.manifest_id,)


def test_unmarked_image_falls_back_to_pdq(repo: ManifestRepository, photos: list[Path]) -> None:
    original = photos[1].read_bytes()
    repo.add(
        record_for_signed_asset(
            original, mime="image/jpeg", manifest_id="urn:c2pa:pdq-only", manifest_json={}
        )
    )
    found = resolve_image_bytes(_strip(original, quality=50), repo)
    assert found.method == "pdq" and found.manifest_ids == ("urn:c2pa:pdq-only",)
    assert found.pdq_distance is not None and found.pdq_distance <= 31
    # a different photo leads nowhere
    other = resolve_image_bytes(photos[2].read_bytes(), repo)
    assert other.method is None and other.manifest_ids == ()


def test_flat_images_are_not_matched_by_pdq(repo: ManifestRepository) -> None:
    buf = io.BytesIO()
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(buf, "PNG")
    flat = buf.getvalue()
    repo.add(record_for_signed_asset(flat, mime="image/png", manifest_id="urn:c2pa:flat", manifest_json={}))
    found = resolve_image_bytes(flat, repo)
    assert found.method is None and any("too flat" in n for n in found.notes)


def test_migration_downgrades_cleanly(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from mediamanager.registry.store.engine import MIGRATIONS_DIR

    engine = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    upgrade_schema(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    names = set(sa.inspect(engine).get_table_names())
    assert "provenance_manifests" not in names and "provenance_soft_bindings" not in names
    assert "works" in names
    upgrade_schema(engine)
    assert "provenance_manifests" in set(sa.inspect(engine).get_table_names())
    engine.dispose()
