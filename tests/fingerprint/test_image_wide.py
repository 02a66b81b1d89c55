"""16-bit and float images: bounded decode (red-team D7) and the same hashes as their 8-bit content."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediamanager.errors import MediaTooLargeError
from mediamanager.fingerprint.image import hamming_hex, image_fingerprints
from mediamanager.fingerprint.limits import Limits

# Measured on the loaded 2-core development machine: the old float64 path took 11.1 s and
# 1,000 MB of peak RSS for this file in `mediamanager fingerprint`; the bounded path 2.2 s and
# 217 MB (the interpreter with numpy, OpenCV and Pillow imported is about 110 MB of that).
MAX_RSS_MB = 400
MAX_WALL_S = 6.0

# The child reports its own peak RSS: VmHWM belongs to the process image after exec, whereas
# ru_maxrss also counts the forked copy of the (large) pytest parent before exec.
_CHILD = """
import pathlib, resource, sys, time
from mediamanager.cli.main import app
started = time.monotonic()
try:
    app(["fingerprint", "--json", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
status = pathlib.Path("/proc/self/status")
hwm = [line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM:")] if status.exists() else []
peak = hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"@@ {code} {time.monotonic() - started:.3f} {peak}", file=sys.stderr)
"""


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_16bit_bomb_is_bounded_in_a_fresh_process(tmp_path: Path) -> None:
    # the report's bomb-7000sq-16bit.png: 7000x7000 16-bit zeros, about 95 KB of PNG, 49 Mpx
    bomb = tmp_path / "bomb-7000sq-16bit.png"
    Image.new("I;16", (7000, 7000)).save(bomb)
    assert bomb.stat().st_size < 100_000
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(bomb)], capture_output=True, text=True, timeout=120, check=False
    )
    wall = time.monotonic() - started
    marker = [line for line in proc.stderr.splitlines() if line.startswith("@@ ")]
    assert marker, proc.stderr
    code, _, rss_kb = marker[-1].split()[1:]
    assert int(rss_kb) / 1024 < MAX_RSS_MB, f"peak RSS {int(rss_kb) / 1024:.0f} MB"
    assert wall < MAX_WALL_S, f"wall {wall:.1f} s"
    # the result is a fingerprint: a flat image, so PDQ's own quality rule gives 0 (too flat)
    assert code == "0", proc.stdout + proc.stderr
    record = json.loads(proc.stdout)
    pdq = [fp for fp in record["fingerprints"] if fp["kind"] == "pdq"]
    assert len(pdq) == 25 and pdq[0]["size"] == 0  # parts 0-24; a flat image has no trimmed part


def _gradient16(width: int, height: int) -> np.ndarray:
    x = np.linspace(0.0, 1.0, width)[None, :]
    y = np.linspace(0.0, 1.0, height)[:, None]
    pattern = 0.5 + 0.25 * np.sin(9 * x + 4 * y) + 0.25 * np.cos(13 * x * y + 3 * y)
    return np.round(pattern * 65535).astype(np.uint16)


@pytest.mark.parametrize("size", [(640, 480), (4200, 2600)])
def test_16bit_hashes_its_8bit_content(size: tuple[int, int]) -> None:
    wide = _gradient16(*size)
    # oracle: the 8-bit image a viewer shows, min-max stretched by numpy, through the 8-bit path
    span = float(wide.max()) - float(wide.min())
    narrow = ((wide.astype(np.float64) - float(wide.min())) * (255.0 / span)).astype(np.uint8)
    got = image_fingerprints(_png(Image.fromarray(wide)), Limits(), variants=False, local=False)
    want = image_fingerprints(_png(Image.fromarray(narrow)), Limits(), variants=False, local=False)
    got_pdq, want_pdq = got[0].value, want[0].value
    if size[0] < 2048:  # below the working size nothing is reduced: the very same pixels
        assert got_pdq == want_pdq and got[1].value == want[1].value
    else:
        assert hamming_hex(got_pdq, want_pdq) <= 16  # PDQ's upstream tolerance for the same image


def test_decode_over_budget_is_refused() -> None:
    data = _png(Image.fromarray(_gradient16(300, 200)))
    with pytest.raises(MediaTooLargeError, match="over the budget of 1e-09 s"):
        image_fingerprints(data, Limits(max_decode_s=1e-9), variants=False)
