"""The speed grid: W1's network at other batch sizes and widths, trained by one framework.

    python benchmarks/grid.py FRAMEWORK BATCH WIDTH [EPOCHS]

FRAMEWORK: numkeras or keras (the backend comes from KERAS_BACKEND). Trains Dense
784-WIDTH-WIDTH-10 (ReLU, softmax + categorical cross-entropy, Adam(1e-3)), each Dense followed
by its Activation as in the course, on the first 30,000 Fashion-MNIST images in batches of BATCH,
shuffled, for EPOCHS epochs (3 by default). Reports the best of epochs 2..EPOCHS in seconds (the
grid's figure), their median, CPU seconds, minor page faults per epoch (fresh memory touched: a
warm step that allocates nothing large has few) and the peak resident memory.

``run.py --only grid`` runs every cell of :data:`CELLS` in fresh processes, numkeras and Keras
on JAX interleaved; ``profile_w1.py --batch B --width W`` says where a cell's step goes.
"""

from __future__ import annotations

import mlp
from common import argument, fashion_mnist, report

#: The grid's cells, (batch, width): the course's point, smaller and larger batches, and a wide
#: network (5.8 M weights) whose Adam update and products no longer fit in the caches.
CELLS = ((32, 500), (100, 500), (1000, 500), (100, 2048))
EXAMPLES = 30_000

if __name__ == "__main__":
    framework, batch, width = (
        argument(1, "numkeras"),
        int(argument(2, "100")),
        int(argument(3, "500")),
    )
    epochs = int(argument(4, "3"))
    runner = {"numkeras": mlp.run_numkeras, "keras": mlp.run_keras}[framework]
    report(**runner(fashion_mnist(limit=EXAMPLES), "seed", epochs, batch=batch, hidden_units=width))
