"""examples/addition_rnn.py: the sequence-to-sequence LSTM answers at least 95% of held-out
3-digit additions exactly."""

from __future__ import annotations

import numpy as np
import pytest


def test_questions_are_distinct_padded_and_answered(example):
    module = example("addition_rnn")
    questions, answers = module.make_questions(500, np.random.default_rng(0))
    pairs = {tuple(sorted(map(int, q.split("+")))) for q in questions}
    assert len(pairs) == 500
    for question, answer in zip(questions, answers):
        assert len(question) == 7 and len(answer) == 4
        assert sum(map(int, question.split("+"))) == int(answer)
    table = module.CharacterTable(module.CHARS)
    codes = table.encode(questions[:3], 7)
    assert codes.shape == (3, 7, 12) and (codes.sum(axis=-1) == 1).all()
    assert table.decode(codes) == questions[:3]


@pytest.mark.slow
def test_answers_95_percent_of_held_out_questions_exactly(example):
    assert example("addition_rnn").main() >= 0.95
