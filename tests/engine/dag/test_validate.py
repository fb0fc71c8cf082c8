"""Recipe documents: one normalized form and hash, and every problem reported per node."""

import pytest

from engine.dag.document import RecipeInvalid
from engine.dag.validate import validate

BASE = """
name: chain
dag:
  nodes:
    - {id: in, type: SOURCE, config: {input: true, name: picture}}
    - {id: ink, type: EFFECT, inputs: [in], config: {effect: dog}}
    - {id: warm, type: TRANSFORM, inputs: [ink], config: {op: hue, amount: 20}}
  output: warm
"""


def problems(source) -> list[dict]:
    with pytest.raises(RecipeInvalid) as caught:
        validate(source)
    return caught.value.errors


def test_comments_whitespace_key_and_node_order_do_not_change_the_hash():
    reordered = """
# a comment
dag:
  output: warm
  nodes:
    - {type: TRANSFORM, id: warm, inputs: [ink], config: {amount: 20.0, op: hue}}
    - {id: in,   type: SOURCE, config: {name: picture, input: true}}
    - {id: ink, type: EFFECT, inputs: [in], config: {effect: dog, params: {}}}
name: chain
"""
    assert validate(BASE) == validate(reordered)


def test_changing_a_node_changes_the_normalized_recipe():
    assert validate(BASE) != validate(BASE.replace("amount: 20", "amount: 21"))


def test_json_is_accepted_as_well_as_yaml():
    import json

    import yaml

    assert validate(json.dumps(yaml.safe_load(BASE))) == validate(BASE)


def test_defaults_are_filled_in():
    nodes = {n["id"]: n for n in validate(BASE)["dag"]["nodes"]}
    assert nodes["ink"]["config"]["params"]["levels"] >= 1
    assert nodes["in"]["config"] == {"input": True, "name": "picture", "list": False,
                                     "kind": "any", "duration": 0.0}


@pytest.mark.parametrize("change, node, words", [
    (("type: TRANSFORM", "type: WOBBLE"), "warm", "unknown type 'WOBBLE'"),
    (("effect: dog", "effect: cat"), "ink", "unknown effect 'cat'"),
    (("effect: dog}", "effect: dog, params: {glow: 1}}"), "ink", "unknown parameter 'glow'"),
    (("amount: 20", "amount: 9000"), "warm", "between"),
    (("op: hue", "op: spin"), "warm", "must be one of"),
    (("inputs: [ink]", "inputs: []"), "warm", "takes 1 input(s), got 0"),
    (("inputs: [ink]", "inputs: [ink, in]"), "warm", "takes 1 input(s), got 2"),
    (("inputs: [ink]", "inputs: [ghost]"), "warm", "'ghost' is not a node"),
    (("config: {input: true, name: picture}", "config: {}"), "in", "a SOURCE is either"),
])
def test_each_mistake_is_reported_on_its_node(change, node, words):
    found = problems(BASE.replace(*change))
    assert any(p["node"] == node and words in p["message"] for p in found), found


def test_several_mistakes_are_all_reported_at_once():
    broken = BASE.replace("effect: dog", "effect: cat").replace("op: hue", "op: spin")
    assert {p["node"] for p in problems(broken)} == {"ink", "warm"}


def test_a_cycle_names_the_nodes_on_it_and_not_those_below_it():
    found = problems("""
name: loop
dag:
  nodes:
    - {id: in, type: SOURCE, config: {input: true, name: x}}
    - {id: a, type: BLEND, inputs: {a: in, b: c}}
    - {id: b, type: TRANSFORM, inputs: [a]}
    - {id: c, type: TRANSFORM, inputs: [b]}
    - {id: d, type: TRANSFORM, inputs: [c]}
  output: d
""")
    assert {p["node"] for p in found if "cycle" in p["message"]} == {"a", "b", "c"}


def test_a_cycle_deep_in_a_long_chain_is_found_without_recursion():
    count = 250
    lines = ["name: deep", "dag:", "  nodes:",
             "    - {id: n0, type: SOURCE, config: {input: true, name: x}}",
             f"    - {{id: n1, type: BLEND, inputs: {{a: n0, b: n{count - 1}}}}}"]
    lines += [f"    - {{id: n{i}, type: TRANSFORM, inputs: [n{i - 1}]}}" for i in range(2, count)]
    lines.append(f"  output: n{count - 1}")
    found = problems("\n".join(lines))
    assert len([p for p in found if "cycle" in p["message"]]) == count - 1


def test_a_node_no_output_uses_is_reported():
    text = BASE.replace("  output: warm", "    - {id: stray, type: TRANSFORM, inputs: [in]}\n"
                                          "  output: warm")
    assert problems(text) == [{"node": "stray", "message": "is not used by any output"}]


def test_an_input_of_the_wrong_kind_is_reported():
    text = BASE.replace("inputs: [ink]", "inputs: [beats]").replace(
        "  output: warm", "    - {id: beats, type: ANALYZE, inputs: [ink]}\n  output: warm")
    assert any("gives data" in p["message"] for p in problems(text))


def test_too_many_nodes_and_yaml_aliases_and_bad_yaml_are_refused():
    many = "name: big\ndag:\n  nodes:\n" + "".join(
        f"    - {{id: n{i}, type: SOURCE, config: {{hash: {'0' * 64}}}}}\n" for i in range(300))
    assert "1 to 256 nodes" in problems(many + "  output: n0\n")[0]["message"]
    assert "aliases" in problems("a: &x [1]\nb: *x\n")[0]["message"]
    assert "line 2" in problems("name: x\n  bad: [\n")[0]["message"]


def test_recipe_params_are_typed_and_referenced_values_are_checked():
    text = BASE.replace("name: chain", "name: chain\nparams:\n  turn: {type: float, default: 20,"
                                       " minimum: -90, maximum: 90}").replace(
        "amount: 20", "amount: {param: turn}")
    recipe = validate(text)
    warm = next(n for n in recipe["dag"]["nodes"] if n["id"] == "warm")
    assert warm["config"]["amount"] == {"param": "turn"}
    assert "unknown param 'spin'" in problems(text.replace("param: turn", "param: spin"))[0][
        "message"]
    too_big = text.replace("default: 20", "default: 500").replace("maximum: 90", "maximum: 900")
    assert any(p["node"] == "warm" for p in problems(too_big))


@pytest.mark.parametrize("source", [[1, 2], 5, None, b"\xff\xfe", "", "just text", "{}"])
def test_anything_but_a_mapping_is_refused_as_a_recipe(source):
    assert problems(source)


def test_random_damage_to_real_recipes_is_reported_never_crashes(demo_recipe_paths):
    """A deterministic fuzz: every value of the demo recipes, swapped for
    values of other types, must give a valid recipe or RecipeInvalid."""
    import random

    import yaml

    rng = random.Random(20261129)
    junk = [None, True, 0, -1, 1e308, "", "x" * 300, "\u202e", [], [[]], {}, {"param": []},
            {"param": "nope"}, [1, "a", None], {"id": 1}, "SOURCE", ["out"], {"a": {"b": []}}]
    assert demo_recipe_paths, "no demo recipes found"
    documents = [yaml.safe_load(p.read_text()) for p in demo_recipe_paths]

    def paths(value, prefix=()):
        yield prefix
        if isinstance(value, dict):
            for key, item in value.items():
                yield from paths(item, (*prefix, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from paths(item, (*prefix, index))

    refused = 0
    for document in documents:
        for path in list(paths(document))[1:]:
            for replacement in rng.sample(junk, 4):
                damaged = yaml.safe_load(yaml.safe_dump(document))
                target = damaged
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = replacement
                try:
                    validate(damaged)
                except RecipeInvalid:
                    refused += 1
    # Most damage is refused (a null dag, a list for a node): a validator
    # that accepted everything would otherwise pass here too.
    assert refused, "no damaged recipe was refused"


EFFECT_PARAMS = """
name: inked
params:
  sigma: {type: float, default: 2.5, minimum: 0.3, maximum: 10}
dag:
  nodes:
    - {id: in, type: SOURCE, config: {input: true, name: picture}}
    - {id: ink, type: EFFECT, inputs: [in], config: {effect: dog, params: {sigma: {param: sigma}}}}
  output: ink
"""


def test_an_effects_own_params_may_refer_to_recipe_params_and_keep_the_reference():
    ink = {n["id"]: n for n in validate(EFFECT_PARAMS)["dag"]["nodes"]}["ink"]
    assert ink["config"]["params"]["sigma"] == {"param": "sigma"}
    assert ink["config"]["params"]["levels"] == 5  # the effect's other params, filled in


@pytest.mark.parametrize("change, words", [
    (("{param: sigma}}", "{param: sigmund}}"), "config 'params.sigma' refers to unknown param"),
    (("default: 2.5, minimum: 0.3", "default: 0.1, minimum: 0"),
     "parameter 'sigma' of effect 'dog'"),
])
def test_a_bad_reference_in_an_effects_params_is_reported_on_its_node(change, words):
    found = problems(EFFECT_PARAMS.replace(*change))
    assert any(e["node"] == "ink" and words in e["message"] for e in found), found

