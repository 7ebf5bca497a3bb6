"""The course's hello world trained data-parallel on several processes over MPI.

The network, data and recipe of `numkeras hello`: 784-500-500-10, ReLU, dropout 0.2, softmax
with cross-entropy, Adam, batch 100, on the 10,000 real training digits packaged with numkeras,
scored on the official 10,000 test digits. Two lines make it distributed (Keras 3's
`keras.distribution` API); the launcher starts the processes:

    mpiexec -n 2 python examples/mnist_distributed.py      # 2 ranks, 50 samples each per batch
    python examples/mnist_distributed.py                   # one process: the same training

Each global batch of 100 is split between the ranks and their gradients averaged, so N ranks
train the same model as one process (up to float32 summation order). Only rank 0 prints.
`python examples/mnist_distributed.py 3` trains for 3 epochs.
"""

import sys

import numkeras.distribution as dist
from numkeras.datasets import mnist
from numkeras.recipe.networks import course_mlp
from numkeras.utils import set_random_seed, to_categorical

BATCH_SIZE = 100
NUM_CLASSES = 10


def say(*values: object) -> None:
    """Print on rank 0 only: every rank computes the same figures."""
    if dist.is_chief():
        print(*values, flush=True)


def main(epochs: int = 5, seed: int = 1) -> float:
    """Train for ``epochs`` on every rank of the job and return the test accuracy."""
    dist.initialize()
    dist.set_distribution(dist.DataParallel())
    set_random_seed(seed)
    data = mnist.load(sample=True)
    say(data.source)
    say(f"Training on {dist.size()} process(es): {dist.list_devices()}")
    (x_train, y_train), (x_test, y_test) = data.data
    x_train = x_train.reshape(-1, 28 * 28).astype("float32") / 255
    x_test = x_test.reshape(-1, 28 * 28).astype("float32") / 255
    y_train = to_categorical(y_train, NUM_CLASSES)
    y_test = to_categorical(y_test, NUM_CLASSES)

    model = course_mlp()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    say("Test loss:", round(float(loss), 4))
    say("Test accuracy:", round(float(accuracy), 4))
    return float(accuracy)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
