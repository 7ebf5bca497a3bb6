"""numkeras.recipe.dropout: the recipe's name for the AnnealedDropout callback."""

from __future__ import annotations

from numkeras import callbacks, registry
from numkeras.callbacks import annealed_dropout
from numkeras.recipe import dropout


def test_the_recipe_names_the_callbacks_own_class():
    assert dropout.AnnealedDropout is callbacks.AnnealedDropout
    assert dropout.dropout_layers is annealed_dropout.dropout_layers


def test_a_config_naming_annealed_dropout_still_builds_it():
    # Configs written when the class lived in the recipe name it by its bare class name.
    rebuilt = registry.deserialize(
        {"class_name": "AnnealedDropout", "config": {"final_epoch": 3, "final_rate": 0.1}}
    )
    assert type(rebuilt) is callbacks.AnnealedDropout
    assert (rebuilt.final_epoch, rebuilt.final_rate) == (3, 0.1)
