"""Keras's classic sequence-to-sequence example: an LSTM learns to add two numbers of up to 3
digits, reading the question as characters ("535+61 ") and writing the answer ("596 ").

An encoder LSTM reads the question (reversed, as Keras's example does: Sutskever et al. 2014
found that reversed inputs make sequence-to-sequence LSTMs learn faster) into one vector;
RepeatVector hands that vector to each of the answer's 4 steps; a decoder LSTM with
return_sequences and a TimeDistributed softmax write one character per step. With the defaults
below (8 epochs over 30,000 questions, about 20 s on 2 cores) about 99% of 2,000 held-out
questions (pairs never seen in training) get every character right, with seeds 1, 2 and 3 alike.
`python examples/addition_rnn.py 10` trains for 10 epochs.
"""

import sys
import time

import numpy as np

from numkeras.layers import LSTM, Dense, Input, RepeatVector, TimeDistributed
from numkeras.models import Sequential
from numkeras.optimizers import Adam
from numkeras.schedules import CosineDecay
from numkeras.utils import set_random_seed

DIGITS = 3
QUESTION_LENGTH = DIGITS + 1 + DIGITS  # "999+999"
ANSWER_LENGTH = DIGITS + 1  # "1998"
CHARS = "0123456789+ "
HIDDEN = 128
BATCH_SIZE = 64
LEARNING_RATE = 0.01


class CharacterTable:
    """One-hot codes of strings over a fixed alphabet, and back."""

    def __init__(self, chars: str):
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    def encode(self, texts: list[str], length: int) -> np.ndarray:
        """``(len(texts), length, len(chars))`` one-hot rows; every text has ``length`` chars."""
        codes = np.array([[self.index[c] for c in text] for text in texts])
        return np.eye(len(self.chars), dtype="float32")[codes.reshape(-1, length)]

    def decode(self, probabilities: np.ndarray) -> list[str]:
        """The most likely character at each step of each row."""
        return ["".join(self.chars[i] for i in row) for row in probabilities.argmax(axis=-1)]


def make_questions(count: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """``count`` distinct questions ``a+b`` (``a + b`` and ``b + a`` count once) with numbers
    of 1 to 3 digits, padded with spaces, and their answers."""
    seen: set[tuple[int, int]] = set()
    questions, answers = [], []
    while len(questions) < count:
        a, b = (int(rng.integers(0, 10 ** int(rng.integers(1, DIGITS + 1)))) for _ in range(2))
        if (min(a, b), max(a, b)) in seen:
            continue
        seen.add((min(a, b), max(a, b)))
        questions.append(f"{a}+{b}".ljust(QUESTION_LENGTH))
        answers.append(str(a + b).ljust(ANSWER_LENGTH))
    return questions, answers


def build_model() -> Sequential:
    model = Sequential()
    model.add(Input(shape=(QUESTION_LENGTH, len(CHARS))))
    model.add(LSTM(HIDDEN))  # the encoder: the whole question in one vector
    model.add(RepeatVector(ANSWER_LENGTH))  # that vector at every step of the answer
    model.add(LSTM(HIDDEN, return_sequences=True))  # the decoder
    model.add(TimeDistributed(Dense(len(CHARS), activation="softmax")))
    return model


def main(epochs: int = 8, training_size: int = 30_000, seed: int = 1) -> float:
    """Train for ``epochs`` on ``training_size`` questions; return the fraction of 2,000
    held-out questions answered exactly."""
    set_random_seed(seed)
    table = CharacterTable(CHARS)
    questions, answers = make_questions(training_size + 2_000, np.random.default_rng(seed))
    # Reversed questions: each number's last digit, which the sum needs first, comes first.
    x = table.encode([q[::-1] for q in questions], QUESTION_LENGTH)
    y = table.encode(answers, ANSWER_LENGTH)
    x_train, y_train = x[:training_size], y[:training_size]
    x_test, test_answers = x[training_size:], answers[training_size:]
    print(f"{training_size} training questions, {len(x_test)} held out, e.g. {questions[0]!r}")

    model = build_model()
    model.summary()
    # A high learning rate that decays to 0 by the last step (cosine): fast progress early, and
    # the last epochs settle the answers rather than jitter around them.
    steps = epochs * -(-training_size // BATCH_SIZE)
    optimizer = Adam(CosineDecay(LEARNING_RATE, steps))
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=2)
    print(f"Trained in {time.perf_counter() - start:.1f} s")

    guesses = table.decode(model.predict(x_test, verbose=0))
    for question, answer, guess in list(zip(questions[training_size:], test_answers, guesses))[:5]:
        print(f"{question} = {guess} {'right' if guess == answer else 'wrong, ' + answer}")
    exact = float(np.mean([g == a for g, a in zip(guesses, test_answers)]))
    print(f"Exact answers on held-out questions: {exact:.4f}")
    return exact


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
