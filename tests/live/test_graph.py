"""The graph drawn as SVG on the server: the layout, the recipe page, and the
run page with each step's state."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from cache.store import cache_path
from live import graph
from live.models import Event
from runs import services, steps
from runs.models import Run, RunStep
from tests.factories import UserFactory
from tests.helpers import upload
from tests.live.fixtures import picture

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def svg_of(html: str) -> ET.Element:
    found = re.search(r"<svg class=\"dag\".*?</svg>", html, re.S)
    assert found, "no graph on the page"
    return ET.fromstring(found.group(0))


def nodes_of(svg: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-node"): g for g in svg.iter(f"{SVG}g") if "node" in g.get("class", "")}


def test_each_node_sits_in_a_column_after_every_node_that_feeds_it():
    nodes = [graph.Node("a", "SOURCE", ()), graph.Node("b", "SOURCE", ()),
             graph.Node("blur", "EFFECT", ("a",)), graph.Node("mix", "BLEND", ("blur", "b")),
             graph.Node("out", "MUX", ("mix", "a"))]
    by_id, width, height = graph.layout(nodes)
    assert [by_id[n].col for n in ("a", "b", "blur", "mix", "out")] == [0, 0, 1, 2, 3]
    rows = [(n.col, n.row) for n in nodes]
    assert len(set(rows)) == len(rows)  # no two boxes on one spot
    assert width == 2 * graph.PAD + 4 * graph.NODE_W + 3 * graph.GAP_X
    assert height == 2 * graph.PAD + 2 * graph.NODE_H + graph.GAP_Y


def test_the_svg_escapes_node_names_and_draws_an_edge_per_dependency():
    nodes = [graph.Node('<x"&>', "SOURCE", ()), graph.Node("y", "EFFECT", ('<x"&>',))]
    svg = ET.fromstring(str(graph.graph_svg(nodes, states={"y": {"status": "running",
                                                                 "frames_done": 5,
                                                                 "frames_total": 10}})))
    assert set(nodes_of(svg)) == {'<x"&>', "y"}
    edges = [p for p in svg.iter(f"{SVG}path") if p.get("class") == "edge"]
    assert [(e.get("data-from"), e.get("data-to")) for e in edges] == [('<x"&>', "y")]
    bar = next(r for r in nodes_of(svg)["y"].iter(f"{SVG}rect") if r.get("class") == "bar")
    assert float(bar.get("width")) == graph.NODE_W / 2


def test_a_recipe_page_draws_one_node_per_node_of_its_graph(browser, demo):
    page = browser.get("/recipes/beat-cuts").content.decode()
    drawn = nodes_of(svg_of(page))
    recipe = services.recipe_get("beat-cuts")
    assert set(drawn) == {n["id"] for n in recipe.definition["dag"]["nodes"]}
    # A node's box opens its row of the table below.
    for node in drawn:
        assert f'href="#node-{node}"' in page and f'id="node-{node}"' in page


def test_a_finished_run_page_draws_one_node_per_step_each_with_its_state_and_output(
        browser, rendered):
    page = browser.get(f"/runs/{rendered.id}").content.decode()
    drawn = nodes_of(svg_of(page))
    assert set(drawn) == {s["node"] for s in rendered.plan["steps"]}
    assert {n: g.get("data-status") for n, g in drawn.items()} == {"image": "cached", "dog": "done"}
    dog = RunStep.objects.select_related("step").get(run=rendered, node="dog").step
    assert f'href="/cache/{dog.output_id}/detail"' in page


def test_a_run_page_mid_render_shows_the_states_its_events_report(
        browser, demo, django_capture_on_commit_callbacks):
    """An inline render records its steps when it completes; until then the
    page takes each step's state, frames and the ETA from the run's events."""
    with django_capture_on_commit_callbacks(execute=False):
        run, _ = services.run_submit(recipe="dog", inputs=["cat"],
                                     owner=UserFactory(username="painter"))
    Run.objects.filter(pk=run.id).update(status="running", started_at=run.created_at)
    Event.objects.create(run_id=run.id, kind="step", data={
        "run": run.id, "node": "dog", "status": "running", "steps_done": 1, "steps_total": 2,
        "steps": {"dog": {"frames_done": 30, "frames_total": 120}}, "eta_seconds": 12.0})
    page = browser.get(f"/runs/{run.id}").content.decode()
    drawn = nodes_of(svg_of(page))
    assert {n: g.get("data-status") for n, g in drawn.items()} == {"image": "cached",
                                                                   "dog": "running"}
    assert "running 25%" in page
    assert 'id="run-eta">about 12 s left' in page
    assert 'data-stream="/runs/' in page
    assert '<noscript><meta http-equiv="refresh"' in page  # without JavaScript: reloads


def test_a_failed_step_is_drawn_failed(browser, artist_api, demo,
                                       django_capture_on_commit_callbacks):
    content_hash = upload(artist_api, picture(7), "gone.png")
    cache_path(content_hash).unlink()  # the input's bytes are lost: its render fails
    with django_capture_on_commit_callbacks(execute=False):
        run, _ = services.run_submit(recipe="dog", inputs=[content_hash], owner=None)
    steps.schedule(run.id, task_id="t")
    run.refresh_from_db()
    assert run.status == "failed"
    page = browser.get(f"/runs/{run.id}").content.decode()
    drawn = nodes_of(svg_of(page))
    assert drawn["dog"].get("data-status") == "failed"
    assert "input unavailable" in page
