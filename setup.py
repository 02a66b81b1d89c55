"""Builds the one C extension (text fingerprint kernels); everything else is declared in pyproject.toml.

``optional=True``: without a C compiler the package still installs and
``mediamanager.fingerprint.text`` computes the same fingerprints through rensa, only slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "mediamanager.fingerprint._textkernel",
            ["src/mediamanager/fingerprint/_textkernel.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
