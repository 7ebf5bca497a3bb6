"""The one thing pyproject.toml cannot yet say without a warning: the C extension.

``numkeras._kernels`` holds the fused element-wise loops of ``numkeras/kernels.py``. It is
optional: on a machine without a C compiler numkeras still installs and runs every loop
through NumPy. No contraction into fused multiply-adds, so that the loops give NumPy's bits;
no ``errno`` and no trapping floating-point exceptions (which NumPy does not use either), so
that ``sqrtf`` and comparisons vectorise.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "numkeras._kernels",
            sources=["src/numkeras/_kernels.c"],
            depends=["src/numkeras/_buffers.h"],
            extra_compile_args=[
                "-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"
            ],
            optional=True,
        )
    ]
)
