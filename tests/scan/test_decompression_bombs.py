"""WebDataset decompression amplification is bounded (D7): members over the cap are error rows, RSS stays low.

The bomb is the red-team report's shape, scaled down: 12 members of 64 MiB of zeros, gzip'd, named
``.tar`` (about 9 MB on disk for 768 MiB inflated). With the default 32 MiB member cap every member
is an error row, and the scan's peak RSS stays under 600 MB; before the fix it held each member whole
and a batch of them at once (5 GB for the report's 12 x 200 MiB).
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
from scan_fixtures import Registered

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")
MEMBER = 64 * 1024 * 1024
RSS_LIMIT_KIB = 600 * 1024


class _Zeros(io.RawIOBase):
    def __init__(self, n: int) -> None:
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
        k = min(len(buf), self.left)
        buf[:k] = bytes(k)
        self.left -= k
        return k


def _bomb(path: Path, members: int) -> None:
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for i in range(members):
            info = tarfile.TarInfo(f"s{i:03d}.txt")
            info.size = MEMBER
            tar.addfile(info, io.BufferedReader(_Zeros(MEMBER)))
        small = b"a small text member that is read as usual"
        info = tarfile.TarInfo("ok.txt")
        info.size = len(small)
        tar.addfile(info, io.BytesIO(small))


def _peak_rss_kib(cmd: list[str]) -> tuple[int, str]:
    wrapper = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(r.stderr)\n"
    )
    res = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, timeout=600)
    rc, peak = res.stdout.split()
    assert rc == "0", res.stderr[-3000:]
    return int(peak), res.stderr


def test_gzip_bomb_members_are_error_rows_in_bounded_memory(
    text_registry: Registered, tmp_path: Path
) -> None:
    bomb = tmp_path / "gzbomb.tar"
    _bomb(bomb, 12)
    assert bomb.stat().st_size < 16 * 1024 * 1024
    out = tmp_path / "out"
    peak, _ = _peak_rss_kib(
        [MEDIAMANAGER, "scan", "run", str(bomb), "--format", "webdataset", "--purpose", "genai-train",
         "--registry", str(text_registry.snapshot), "--out", str(out), "--key", str(tmp_path / "k.pem"),
         "--unknown", "keep"]
    )  # fmt: skip
    rows = pq.read_table(out / "decisions.parquet").to_pylist()
    assert [r["outcome"] for r in rows] == ["error"] * 12 + ["keep"]
    assert rows[0]["error"] == (
        "tar member s000.txt is 67,108,864 bytes; members over 33,554,432 bytes are not read "
        "(MEDIAMANAGER_SCAN_MAX_MEMBER_BYTES)"
    )
    assert peak < RSS_LIMIT_KIB, f"peak RSS {peak} KiB"


def test_member_cap_is_a_setting(text_registry: Registered, tmp_path: Path) -> None:
    data = tmp_path / "small.tar"
    with tarfile.open(data, "w") as tar:
        for name, body in (("a.txt", b"x" * 2000), ("b.txt", b"short text")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    out = tmp_path / "out"
    res = subprocess.run(
        [MEDIAMANAGER, "scan", "run", str(data), "--purpose", "genai-train", "--registry",
         str(text_registry.snapshot), "--out", str(out), "--key", str(tmp_path / "k.pem"), "--unknown", "keep"],
        capture_output=True, text=True, env={**__import__("os").environ, "MEDIAMANAGER_SCAN_MAX_MEMBER_BYTES": "1000"},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    rows = pq.read_table(out / "decisions.parquet").to_pylist()
    assert [(r["item_id"], r["outcome"]) for r in rows] == [("a", "error"), ("b", "keep")]
