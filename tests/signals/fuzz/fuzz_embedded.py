"""Atheris fuzz target for the embedded-signal readers (C2PA/CAWG, XMP, container walkers).

Run briefly (CI)::

    python tests/signals/fuzz/fuzz_embedded.py -atheris_runs=20000 -max_len=65536 [CORPUS_DIR]

A seed corpus helps: point it at a folder of small JPEG/PNG/TIFF/WebP/PDF/XMP files. The
properties are those of ``tests/signals/test_embedded_fuzz.py``: nothing raises, and an error entry
never carries a use.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from mediamanager.model import Use
    from mediamanager.signals.embedded import read_embedded
    from mediamanager.signals.xmp import read_xmp_packet

_NAMES = (None, "a.jpg", "a.png", "a.tif", "a.webp", "a.pdf", "a.xmp")


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    name = _NAMES[fdp.ConsumeIntInRange(0, len(_NAMES) - 1)]
    content = fdp.ConsumeBytes(fdp.remaining_bytes())
    for evidence in (read_embedded(content, name), read_xmp_packet(content, "fuzz")):
        for e in evidence:
            if e.error is not None and e.use is not Use.UNKNOWN:
                raise AssertionError(f"error entry carries a use: {e}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
