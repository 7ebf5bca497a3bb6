"""Keras's classic MNIST convolutional network, trained with numkeras.

Trains on the 10,000 real MNIST training digits packaged with numkeras
(numkeras/datasets/data) and reports the accuracy on the official 10,000 test digits. Three epochs
of batch 128 reach about 97%. `python examples/mnist_cnn.py 12` trains for 12 epochs.
"""

import sys
import time

from numkeras.datasets import mnist
from numkeras.layers import Dense, Dropout, Flatten
from numkeras.layers.conv import Conv2D
from numkeras.layers.pooling import MaxPooling2D
from numkeras.models import Sequential
from numkeras.utils import set_random_seed, to_categorical

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
BATCH_SIZE = 128
NUM_CLASSES = 10

set_random_seed(1)
data = mnist.load(sample=True)
print(data.source)
(x_train, y_train), (x_test, y_test) = data.data
x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
y_train = to_categorical(y_train, NUM_CLASSES)
y_test = to_categorical(y_test, NUM_CLASSES)
print(f"{len(x_train)} training and {len(x_test)} test images of shape {x_train.shape[1:]}")

model = Sequential()
model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
model.add(Conv2D(64, (3, 3), activation="relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(NUM_CLASSES, activation="softmax"))
model.summary()

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

start = time.perf_counter()
model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    verbose=1,
    validation_data=(x_test, y_test),
)
print(f"Trained in {time.perf_counter() - start:.1f} s")

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", round(float(score[0]), 4))
print("Test accuracy:", round(float(score[1]), 4))
