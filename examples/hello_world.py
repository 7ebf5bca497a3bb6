"""The course's "Hello world" of deep learning, as its slides write it (Keras 1 spelling).

Runs on the real MNIST digits: the full set when numkeras finds or downloads it, otherwise the
sample packaged with numkeras. The slides train for 20 epochs; `python examples/hello_world.py 2`
trains for 2.
"""

import sys

from numkeras.datasets import mnist
from numkeras.layers import Activation, Dense
from numkeras.models import Sequential
from numkeras.optimizers import SGD
from numkeras.utils import np_utils

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 20


def load_data():
    data = mnist.load()
    print(data.source)
    (x_train, y_train), (x_test, y_test) = data.data
    number = 10000
    x_train = x_train[0:number]
    y_train = y_train[0:number]
    x_train = x_train.reshape(number, 28 * 28)
    x_test = x_test.reshape(x_test.shape[0], 28 * 28)
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    y_train = np_utils.to_categorical(y_train, 10)
    y_test = np_utils.to_categorical(y_test, 10)
    x_train = x_train / 255
    x_test = x_test / 255
    return (x_train, y_train), (x_test, y_test)


(x_train, y_train), (x_test, y_test) = load_data()

model = Sequential()
model.add(Dense(input_dim=28 * 28, output_dim=500))
model.add(Activation("sigmoid"))
model.add(Dense(output_dim=500))
model.add(Activation("sigmoid"))
model.add(Dense(output_dim=10))
model.add(Activation("softmax"))

model.compile(loss="mse", optimizer=SGD(lr=0.1), metrics=["accuracy"])

model.fit(x_train, y_train, batch_size=100, nb_epoch=EPOCHS)

score = model.evaluate(x_test, y_test)
print("Total loss on Testing Set:", score[0])
print("Accuracy of Testing Set:", score[1])

result = model.predict(x_test)
