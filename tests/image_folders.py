"""Folders of small image files, one subfolder per class, for the tests that read images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

#: Pillow modes of the images written, in turn: colour, colour with alpha, grayscale.
MODES = ("RGB", "RGBA", "L")


def write_image_folder(root: Path, counts: dict[str, int], seed: int = 0) -> Path:
    """``root`` with ``counts[name]`` PNG images of random pixels and sizes (5 to 11 pixels a
    side) in each subfolder ``name``; every third image of a class sits one folder deeper, and
    a text file sits beside the images, which the readers must skip."""
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        for i in range(count):
            height, width = (int(v) for v in rng.integers(5, 12, 2))
            mode = MODES[i % len(MODES)]
            shape = (height, width) if mode == "L" else (height, width, len(mode))
            folder = root / name / ("deeper" if i % 3 == 2 else "")
            folder.mkdir(parents=True, exist_ok=True)
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"image_{i:02d}.png")
        (root / name / "notes.txt").write_text("not an image")
    return root
