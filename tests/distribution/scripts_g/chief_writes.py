"""Each rank fits a small model with a CSVLogger and a ModelCheckpoint whose file names carry
the rank, in the folder ``argv[1]``: only rank 0's files may appear."""

import sys
from pathlib import Path

import numpy as np

import numkeras.distribution as dist
from numkeras.callbacks import CSVLogger, ModelCheckpoint
from numkeras.layers import Dense, Input
from numkeras.models import Sequential

dist.initialize()
dist.set_distribution(dist.DataParallel())
folder, r = Path(sys.argv[1]), dist.rank()
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 3)).astype(np.float32)
y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
model = Sequential([Input((3,)), Dense(1)])
model.compile("sgd", "mse")
callbacks = [
    CSVLogger(folder / f"log{r}.csv"),
    ModelCheckpoint(folder / f"ckpt{r}.numkeras", monitor="loss", save_best_only=True, verbose=1),
]
model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=callbacks)
