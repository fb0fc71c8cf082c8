"""Planning: each step's cache id, and what a change of one parameter re-renders."""

import pytest

from engine.canonical import hash_object
from engine.dag import execute, plan
from engine.dag.validate import validate
from engine.errors import InvalidParams

RECIPE = validate("""
name: two-branches
params:
  turn: {type: float, default: 30, minimum: -180, maximum: 180}
dag:
  nodes:
    - {id: a, type: SOURCE, config: {input: true, name: a}}
    - {id: b, type: SOURCE, config: {input: true, name: b}}
    - {id: left, type: TRANSFORM, inputs: [a], config: {op: hue, amount: {param: turn}}}
    - {id: right, type: TRANSFORM, inputs: [b], config: {op: contrast, amount: 1.5}}
    - {id: mix, type: BLEND, inputs: {a: left, b: right}, config: {mode: screen}}
  output: mix
""")
A, B = "a" * 64, "b" * 64


def test_a_step_id_is_the_hash_of_type_config_implementation_and_ordered_inputs():
    p = plan.build(RECIPE, inputs=[A, B])
    left = p.step("left")
    assert left.cache_id == hash_object({
        "type": "TRANSFORM", "config": {"op": "hue", "amount": 30.0},
        "impl": plan.impl_hash("TRANSFORM"), "inputs": [A]})
    mix = p.step("mix")
    assert mix.inputs == {"a": left.cache_id, "b": p.step("right").cache_id}
    assert p.step("a").cache_id == A and p.outputs == {"output": mix.cache_id}


def test_an_output_step_is_delivered_and_says_so_in_its_cache_id_and_no_other_does():
    p = plan.build(RECIPE, inputs=[A, B])
    mix = p.step("mix")
    assert mix.deliver and not any(s.deliver for s in p.steps if s.node != "mix")
    assert mix.cache_id == hash_object({
        "type": "BLEND", "config": mix.config, "impl": plan.impl_hash("BLEND"),
        "inputs": mix.inputs, "deliver": True})
    assert hash_object({"type": "BLEND", "config": mix.config, "impl": plan.impl_hash("BLEND"),
                        "inputs": mix.inputs}) != mix.cache_id


INKED = validate("""
name: inked
params:
  sigma: {type: float, default: 2.0, minimum: 0.3, maximum: 10}
  wide: {type: float, default: 1.6, minimum: 1, maximum: 100}
dag:
  nodes:
    - {id: in, type: SOURCE, config: {input: true, name: picture}}
    - {id: same, type: EFFECT, inputs: [in], config: {effect: identity}}
    - {id: ink, type: EFFECT, inputs: [same], config: {effect: dog,
       params: {sigma: {param: sigma}, k: {param: wide}, levels: 3}}}
  output: {picture: ink, original: same}
""")


def test_an_effects_own_params_take_the_runs_values_and_the_recipes_defaults():
    default = plan.build(INKED, inputs=[A]).step("ink")
    assert default.config["params"]["sigma"] == 2.0 and default.config["params"]["levels"] == 3
    assert default.config["params"]["k"] == 1.6
    chosen = plan.build(INKED, inputs=[A], params={"sigma": 4, "wide": 3}).step("ink")
    assert chosen.config["params"]["sigma"] == 4.0 and chosen.config["params"]["k"] == 3.0
    assert chosen.cache_id != plan.build(INKED, inputs=[A], params={"wide": 3}).step("ink").cache_id


def test_a_run_value_the_effect_refuses_is_refused_when_planned():
    # The recipe allows wide up to 100; dog's k stops at 5.
    with pytest.raises(InvalidParams, match="parameter 'k' of effect 'dog'"):
        plan.build(INKED, inputs=[A], params={"wide": 50})


def test_identity_of_an_input_is_no_step_and_delivers_the_input_itself():
    p = plan.build(INKED, inputs=[A])
    assert [s.node for s in p.steps] == ["in", "ink"]
    assert p.outputs["original"] == A and p.step("ink").inputs == [A]
    identity = validate("""
name: identity
dag:
  nodes:
    - {id: image, type: SOURCE, config: {input: true, name: image}}
    - {id: identity, type: EFFECT, inputs: [image], config: {effect: identity}}
  output: identity
""")
    alone = plan.build(identity, inputs=[B])
    assert alone.outputs == {"output": B} and [s.type for s in alone.steps] == ["SOURCE"]
    assert not alone.steps[0].deliver


def test_identity_of_a_step_delivers_that_step():
    recipe = validate("""
name: warm-then-nothing
dag:
  nodes:
    - {id: in, type: SOURCE, config: {input: true, name: picture}}
    - {id: warm, type: TRANSFORM, inputs: [in], config: {op: hue, amount: 20}}
    - {id: same, type: EFFECT, inputs: [warm], config: {effect: identity}}
  output: same
""")
    p = plan.build(recipe, inputs=[A])
    assert p.step("warm").deliver and p.outputs == {"output": p.step("warm").cache_id}


def test_named_and_positional_inputs_plan_alike_and_order_matters():
    assert plan.build(RECIPE, inputs={"a": A, "b": B}) == plan.build(RECIPE, inputs=[A, B])
    assert plan.build(RECIPE, inputs=[B, A]).outputs != plan.build(RECIPE, inputs=[A, B]).outputs


def test_changing_one_param_changes_that_step_and_what_depends_on_it_only():
    before = {s.node: s.cache_id for s in plan.build(RECIPE, inputs=[A, B]).steps}
    after = {s.node: s.cache_id for s in plan.build(RECIPE, inputs=[A, B],
                                                    params={"turn": 45}).steps}
    assert {n for n in before if before[n] != after[n]} == {"left", "mix"}


def test_an_asset_name_resolves_to_the_same_step_ids_as_its_hash():
    by_name = plan.build(RECIPE, inputs=["cat", B], resolve={"cat": A}.__getitem__)
    assert by_name == plan.build(RECIPE, inputs=[A, B])


@pytest.mark.parametrize("inputs, params, words", [
    ([A], None, r"takes 2 input\(s\)"),
    ([A, B, A], None, r"takes 2 input\(s\) \(a, b\), got 3"),
    ({"a": A}, None, "missing b"),
    ({"a": A, "b": B, "c": A}, None, "unknown c"),
    ([A, B], {"spin": 1}, "unknown recipe param"),
    ([A, B], {"turn": 999}, "between"),
    ([A, "not-a-hash"], None, "not a content hash"),
])
def test_bad_run_inputs_and_params_are_refused_with_a_reason(inputs, params, words):
    with pytest.raises(InvalidParams, match=words):
        plan.build(RECIPE, inputs=inputs, params=params)


def test_a_rerun_with_one_param_changed_executes_only_the_changed_steps(store, ctx, media):
    recipe = validate(RECIPE)
    a, b = media["stills"][0], media["stills"][1]
    first = execute.execute(plan.build(recipe, inputs=[a, b]), ctx)
    assert len(ctx.executed) == 3  # left, right, mix
    again = execute.Context(store, ctx.limits, temp_dir=ctx.temp_dir)
    assert execute.execute(plan.build(recipe, inputs=[a, b]), again) == first
    assert again.executed == []
    changed = execute.Context(store, ctx.limits, temp_dir=ctx.temp_dir)
    p = plan.build(recipe, inputs=[a, b], params={"turn": 90})
    execute.execute(p, changed)
    assert changed.executed == [p.step("left").cache_id, p.step("mix").cache_id]


def test_the_demo_recipes_are_valid(demo_recipe_paths):
    assert demo_recipe_paths, "no demo recipes found"
    for path in demo_recipe_paths:
        assert validate(path.read_text())["name"] == path.stem


def test_a_change_to_a_helper_an_executor_borrows_changes_its_steps_ids(monkeypatch):
    # SEQUENCE, LAYER and BLEND resize with RESIZE's code; every step stores
    # its value through the shared readers and writers.
    real = plan.inspect.getsource
    before = {t: plan.impl_hash(t) for t in ("SEQUENCE", "LAYER", "EFFECT", "MUX")}

    def edited(name):
        def getsource(module):
            text = real(module)
            return text + "\n# edited" if module.__name__ == name else text
        return getsource

    for name, changed in (("engine.dag.ops.resize", {"SEQUENCE", "LAYER"}),
                          ("engine.dag.ops._encode", {"SEQUENCE", "LAYER", "EFFECT", "MUX"})):
        monkeypatch.setattr(plan.inspect, "getsource", edited(name))
        plan.impl_hash.cache_clear()
        after = {t: plan.impl_hash(t) for t in before}
        assert {t for t in before if after[t] != before[t]} == changed
    plan.impl_hash.cache_clear()
