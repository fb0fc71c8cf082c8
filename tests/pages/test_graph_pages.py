"""The dashboard with graph recipes: the recipe page, the render form with
named inputs and params, and a run page with per-step progress."""

import pytest

from engine.dag import synth
from runs import steps
from runs.models import Run, Step
from tests.helpers import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def clips(artist_api):
    return [upload(artist_api, synth.as_file(synth.clip(seed=i, seconds=1.0))[0], f"c{i}.mp4")
            for i in range(2)]


def test_a_graph_recipe_page_shows_its_params_nodes_and_versions(browser, demo):
    page = browser.get("/recipes/beat-cuts").content.decode()
    assert 'id="graph-nodes"' in page and "SEQUENCE" in page and "beats_per_cut" in page
    assert "/recipes/beat-cuts/" in page and "latest" in page


def test_the_render_form_lays_out_a_graph_recipes_inputs_and_params(artist_browser, demo):
    page = artist_browser.get("/render", {"recipe": "beat-cuts"}).content.decode()
    assert 'name="in_music"' in page and 'name="in_videos"' in page
    assert 'name="param_beats_per_cut"' in page and "comma-separated" in page
    assert "data-render-form" in page


def test_the_render_form_starts_a_graph_run_with_params(artist_browser, artist_api, demo, clips,
                                                       tmp_path, django_capture_on_commit_callbacks):
    from tests import media_samples

    music = upload(artist_api, media_samples.wav(tmp_path / "m.wav").read_bytes(), "m.wav")
    with django_capture_on_commit_callbacks(execute=False):
        response = artist_browser.post("/render", {
            "recipe": "beat-cuts", "in_music": music, "in_videos": ", ".join(clips),
            "param_beats_per_cut": "2", "param_width": "", "param_transition": "fade"})
    assert response.status_code == 302, response.content.decode()[:2000]
    run = Run.objects.get()
    assert response["Location"] == f"/runs/{run.id}"
    assert run.params == {"beats_per_cut": 2, "transition": "fade"}
    assert [i["content_hash"] for i in run.inputs if i["name"] == "videos"] == [clips]


def test_a_bad_param_in_the_form_is_shown_and_starts_nothing(artist_browser, demo, clips):
    response = artist_browser.post("/render", {
        "recipe": "beat-cuts", "in_music": "cat", "in_videos": clips[0],
        "param_beats_per_cut": "lots"})
    assert response.status_code == 400 and "must be a whole number" in response.content.decode()
    assert "beats_per_cut" in response.content.decode() and not Run.objects.exists()
    over = artist_browser.post("/render", {
        "recipe": "beat-cuts", "in_music": "cat", "in_videos": clips[0],
        "param_beats_per_cut": "99"})
    assert over.status_code == 400 and "between" in over.content.decode()
    assert not Run.objects.exists()


def test_a_graph_run_page_shows_each_step_and_each_list_member(
        artist_browser, artist_api, demo, clips, django_capture_on_commit_callbacks):
    artist_api.post("/recipes", """
name: trim-all
dag:
  nodes:
    - {id: clips, type: SOURCE, config: {input: true, name: clips, list: true}}
    - {id: joined, type: SEQUENCE, inputs: {clips: clips}}
  output: joined
""", content_type="application/yaml")
    with django_capture_on_commit_callbacks(execute=False):
        run_id = artist_api.post("/runs", {"recipe": "trim-all", "inputs": {"clips": clips}},
                                 format="json").json()["run_id"]
        steps.render(Step.objects.get(type="SEQUENCE").pk, owner="test")
    page = artist_browser.get(f"/runs/{run_id}").content.decode()
    assert 'id="run-steps"' in page and "SEQUENCE" in page and "clips[2]" in page
    item_page = artist_browser.get(f"/cache/{clips[1]}/detail").content.decode()
    assert run_id[:12] in item_page  # the run that used it, through its list input
