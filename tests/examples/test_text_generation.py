"""examples/text_generation.py: a character-level LSTM learns the Zen of Python and writes
text made of its characters."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_loss_falls_and_samples_use_the_texts_characters(example):
    module = example("text_generation")
    text = module.zen_of_python()
    assert text.startswith("The Zen of Python, by Tim Peters")
    losses, samples = module.main()
    # From about ln(45) ≈ 3.8 (a uniform guess over the 45 characters) to near memorization.
    assert losses[-1] < 0.1 * losses[0], losses
    assert sorted(samples) == list(module.TEMPERATURES)
    for sample in samples.values():
        assert len(sample) == 200 and set(sample) <= set(text)
