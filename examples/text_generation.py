"""Keras's classic character-level text generator: an LSTM learns which character comes next.

The text is "The Zen of Python" by Tim Peters, which ships with every Python as the `this` module
(stored ROT13-encoded in `this.s`; `import this` prints it). The model reads 20 characters at a
time and learns the next one; it then writes new text one character at a time, each drawn from its
predicted distribution sharpened or flattened by a temperature (low: safe and repetitive, high:
more surprising). `python examples/text_generation.py 20` trains for 20 epochs.
"""

import codecs
import contextlib
import io
import sys

import numpy as np

from numkeras.layers import LSTM, Dense, Input
from numkeras.models import Sequential
from numkeras.optimizers import Adam
from numkeras.utils import set_random_seed

MAXLEN = 20  # characters the model reads before guessing the next one
HIDDEN = 128
BATCH_SIZE = 64
TEMPERATURES = (0.2, 0.5, 1.0)


def zen_of_python() -> str:
    """The Zen of Python, decoded from the standard library's `this` module."""
    with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the Zen
        import this
    return codecs.decode(this.s, "rot13")


def sample(probabilities: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """An index drawn from ``softmax(log(p) / temperature)``: ``temperature`` 1 keeps ``p``,
    lower values favour the likeliest characters."""
    logits = np.log(np.maximum(probabilities.astype("float64"), 1e-12)) / temperature
    weights = np.exp(logits - logits.max())
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def generate(
    model: Sequential, seed_text: str, chars: str, length: int, temperature: float, rng
) -> str:
    """``length`` characters written by ``model``, each from the last ``MAXLEN`` before it."""
    index = {c: i for i, c in enumerate(chars)}
    text = seed_text
    for _ in range(length):
        window = np.zeros((1, MAXLEN, len(chars)), "float32")
        window[0, np.arange(MAXLEN), [index[c] for c in text[-MAXLEN:]]] = 1
        text += chars[sample(model.predict(window, verbose=0)[0], temperature, rng)]
    return text[len(seed_text) :]


def main(epochs: int = 40, seed: int = 1, length: int = 200) -> tuple[list[float], dict]:
    """Train for ``epochs``, print a sample of ``length`` characters at each temperature, and
    return the training losses by epoch and the samples by temperature."""
    set_random_seed(seed)
    text = zen_of_python()
    chars = "".join(sorted(set(text)))
    print(f"The Zen of Python: {len(text)} characters, {len(chars)} distinct")
    # Every window of MAXLEN characters, one-hot, and the character that follows it.
    starts = np.arange(len(text) - MAXLEN)
    codes = np.array([chars.index(c) for c in text])
    eye = np.eye(len(chars), dtype="float32")
    x = eye[codes[starts[:, None] + np.arange(MAXLEN)]]
    y = eye[codes[starts + MAXLEN]]

    model = Sequential()
    model.add(Input(shape=(MAXLEN, len(chars))))
    model.add(LSTM(HIDDEN))
    model.add(Dense(len(chars), activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=Adam(0.01))
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, verbose=2)

    rng = np.random.default_rng(seed)
    start = int(rng.integers(len(text) - MAXLEN))
    seed_text = text[start : start + MAXLEN]
    samples = {}
    for temperature in TEMPERATURES:
        samples[temperature] = generate(model, seed_text, chars, length, temperature, rng)
        print(f"\n--- temperature {temperature}, after {seed_text!r}:\n{samples[temperature]}")
    return history.history["loss"], samples


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
