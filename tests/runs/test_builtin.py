"""The built-in recipes: effect chains written as graphs, every effect
parameter a recipe param, and migration 0009's frozen copy of them."""

import importlib

import pytest

from engine import effects
from engine.canonical import hash_object
from engine.dag.validate import validate
from runs.builtin import CHAINS, builtin_documents, effect_chain

MIGRATION = importlib.import_module("runs.migrations.0009_recipes_are_graphs")


def test_the_migrations_copy_is_what_the_code_declares_today():
    # When an effect gains or changes a parameter this fails: seed_demo then
    # stores a new version, and the migration keeps the first, as it should.
    assert MIGRATION.BUILTIN == {n: validate(d) for n, d in builtin_documents().items()}
    for document in MIGRATION.BUILTIN.values():
        assert MIGRATION._hash(document) == hash_object(document)


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_every_effect_parameter_is_a_recipe_param_declared_as_the_effect_declares_it(name):
    document = validate(builtin_documents()[name])
    _, _, steps = CHAINS[name]
    for effect_name, values in steps:
        for param in effects.get_effect(effect_name).params:
            declared = document["params"][param.name]
            assert (declared["type"], declared["minimum"], declared["maximum"],
                    declared["help"]) == (param.kind, param.minimum, param.maximum, param.help)
            assert declared["default"] == values.get(param.name, param.default)


def test_the_chains_own_values_are_the_defaults():
    params = validate(builtin_documents()["sepia-print"])["params"]
    assert params["factor"]["default"] == 1.2 and params["amount"]["default"] == 1.0
    assert validate(builtin_documents()["pixel-art"])["params"]["levels"]["default"] == 6


def test_a_name_two_effects_share_is_prefixed_with_the_effect():
    document = validate(effect_chain("ink-and-poster", [("dog", {"levels": 4}),
                                                        ("posterize", {})]))
    assert {"dog_levels", "posterize_levels", "sigma"} <= set(document["params"])
    assert "levels" not in document["params"]
    assert document["params"]["dog_levels"]["default"] == 4


def test_picture_effects_take_pictures_and_identity_takes_anything():
    kinds = {name: {n["config"]["kind"] for n in validate(d)["dag"]["nodes"]
                    if n["type"] == "SOURCE"} for name, d in builtin_documents().items()}
    assert kinds["identity"] == {"any"}
    assert all(k == {"visual"} for name, k in kinds.items() if name != "identity")
    assert validate(builtin_documents()["diptych"])["dag"]["inputs"] == ["left", "right"]
