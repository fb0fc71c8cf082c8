"""The render form: the chosen recipe's inputs by name and its params, each
shown with its type, range and default, submitted as the run's params."""

import re

import pytest

from cache.services import cache_store_bytes
from dashboard.forms import param_spec
from engine import effects
from runs.models import Recipe, Run
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def picture():
    return cache_store_bytes(images.png(seed=31), origin="uploaded", name="p.png").pk


def param_block(page: str, name: str) -> str:
    match = re.search(rf'<div class="param" data-param="{name}">(.*?)</div>', page, re.S)
    assert match, f"no field for param {name}"
    return match.group(1)


def test_the_form_shows_each_of_dogs_params_with_its_type_range_and_default(artist_browser):
    response = artist_browser.get("/render", {"recipe": "dog"})
    assert response.status_code == 200
    page = response.content.decode()
    sigma = param_block(page, "sigma")
    assert '<span class="param-spec">float, 0.3 to 10, default 1.4</span>' in sigma
    assert 'type="number"' in sigma and 'min="0.3"' in sigma and 'max="10"' in sigma
    assert 'placeholder="1.4"' in sigma and "larger gives bolder" in sigma
    assert '<span class="param-spec">int, 2 to 32, default 5</span>' in param_block(page, "levels")
    # Every param the effect declares, as the effect declares it.
    for param in effects.get_effect("dog").params:
        block = param_block(page, param.name)
        assert f"float, {param.minimum:g} to" in block or f"int, {param.minimum} to" in block
        assert f"default {param.default:g}" in block
    assert 'name="in_image"' in page and "a still, an animation or a video" in page


def test_the_params_that_were_set_are_the_runs_params(artist_browser, picture,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = artist_browser.post("/render", {
            "recipe": "dog", "in_image": picture, "param_sigma": "2.5", "param_levels": "8",
            "param_k": "", "output_name": "inked"})
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.id}"
    assert run.params == {"sigma": 2.5, "levels": 8}  # the blank one keeps its default
    assert run.inputs == [{"name": "image", "content_hash": picture}]
    assert run.output_name == "inked" and run.owner.username == "painter"


def test_a_param_of_the_wrong_type_or_out_of_range_is_shown_and_starts_nothing(
        artist_browser, picture):
    for value, message in (("lots", "levels must be a whole number"),
                           ("99", "levels must be between 2 and 32"),
                           ("2.5", "levels must be a whole number")):
        response = artist_browser.post("/render", {"recipe": "dog", "in_image": picture,
                                                   "param_levels": value})
        assert response.status_code == 400 and message in response.content.decode(), value
    assert not Run.objects.exists()


def test_a_missing_input_or_an_unknown_one_is_explained(artist_browser, picture):
    missing = artist_browser.post("/render", {"recipe": "diptych", "in_left": picture})
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()
    unknown = artist_browser.post("/render", {"recipe": "dog", "in_image": "no-such-asset"})
    assert unknown.status_code == 400 and "no-such-asset" in unknown.content.decode()
    assert not Run.objects.exists()


def test_another_recipe_lays_out_its_own_inputs_and_params(artist_browser):
    page = artist_browser.get("/render", {"recipe": "diptych", "inputs": ["one", "two"]})
    html = page.content.decode()
    assert 'name="in_left" value="one"' in html and 'name="in_right" value="two"' in html
    assert '<option value="diptych" selected>' in html and 'id="render-params"' not in html
    pixel = artist_browser.get("/render", {"recipe": "pixel-art"}).content.decode()
    declared = Recipe.objects.get(name="pixel-art").definition["params"]
    assert set(re.findall(r'data-param="([^"]+)"', pixel)) == set(declared)
    for name, decl in declared.items():
        assert f'<span class="param-spec">{param_spec(decl)}</span>' in param_block(pixel, name)


def test_an_unknown_recipe_says_so_and_offers_the_default(artist_browser):
    response = artist_browser.get("/render", {"recipe": "nope"})
    assert response.status_code == 404
    assert "no recipe named 'nope'; here is dog" in response.content.decode()
    assert 'data-param="sigma"' in response.content.decode()


def test_choice_and_yes_or_no_params_are_menus_that_default_to_blank(artist_browser, artist_api):
    created = artist_api.post("/recipes", """
name: mix-and-blend
params:
  mode: {type: choice, default: average, choices: [average, screen, multiply]}
  loud: {type: bool, default: true, help: normalize the mix}
dag:
  nodes:
    - {id: a, type: SOURCE, config: {input: true, name: a}}
    - {id: b, type: SOURCE, config: {input: true, name: b}}
    - {id: blended, type: BLEND, inputs: {a: a, b: b}, config: {mode: {param: mode}}}
    - {id: mixed, type: AUDIO_MIX, inputs: [a], config: {normalize: {param: loud}}}
  output: {picture: blended, sound: mixed}
""", content_type="application/yaml")
    assert created.status_code == 201, created.json()
    page = artist_browser.get("/render", {"recipe": "mix-and-blend"}).content.decode()
    mode = param_block(page, "mode")
    assert "choice, one of average, screen, multiply, default average" in mode
    assert '<option value="" selected>default (average)</option>' in mode
    assert '<option value="screen">screen</option>' in mode
    loud = param_block(page, "loud")
    assert "bool, default yes" in loud and '<option value="false">no</option>' in loud
