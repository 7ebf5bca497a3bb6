"""The one thing pyproject.toml cannot yet say without a warning: the C extensions.

``numkeras._kernels``, ``numkeras._conv_kernels`` and ``numkeras._recurrent_kernels`` hold the
fused loops of ``numkeras/kernels.py``. They are optional: on a machine without a C compiler
numkeras still installs and runs every loop through NumPy. No contraction into fused
multiply-adds, so that the loops give NumPy's bits; no ``errno`` and no trapping floating-point
exceptions (which NumPy does not use either), so that ``sqrtf`` and comparisons vectorise.
POSIX threads (``-pthread``) split the loops over large arrays across the cores
(``src/numkeras/_parallel.h``).
"""

from setuptools import Extension, setup


def kernel_extension(name: str) -> Extension:
    """The optional extension ``numkeras.<name>``, built from ``src/numkeras/<name>.c``."""
    return Extension(
        f"numkeras.{name}",
        sources=[f"src/numkeras/{name}.c"],
        depends=["src/numkeras/_buffers.h", "src/numkeras/_parallel.h"],
        extra_compile_args=[
            "-O3",
            "-ffp-contract=off",
            "-fno-math-errno",
            "-fno-trapping-math",
            "-pthread",
        ],
        extra_link_args=["-pthread"],
        optional=True,
    )


setup(
    ext_modules=[
        kernel_extension(name) for name in ("_kernels", "_conv_kernels", "_recurrent_kernels")
    ]
)
