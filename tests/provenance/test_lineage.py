"""GET /cache/{hash}/lineage: who made a file, who used it, and where it came from."""

import pytest

from cache.store import cache_path
from provenance import lineage
from runs.models import Run
from tests.provenance.conftest import render_here

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(demo, owner):
    """cat -> invert -> X -> sepia-print -> Y; diptych(Y, cat) -> Z."""
    invert = render_here("invert", ["cat"], owner=owner)
    x = Run.objects.get(pk=invert).output_id
    sepia = render_here("sepia-print", [x], owner=owner)
    y = Run.objects.get(pk=sepia).output_id
    diptych = render_here("diptych", [y, "cat"], owner=owner)
    z = Run.objects.get(pk=diptych).output_id
    cat = Run.objects.get(pk=invert).inputs[0]["content_hash"]
    return {"cat": cat, "x": x, "y": y, "z": z,
            "invert": invert, "sepia": sepia, "diptych": diptych}


def test_a_rendered_file_leads_back_through_every_run_to_its_source(api, chain):
    body = api.get(f"/cache/{chain['z']}/lineage").json()
    assert body["content_hash"] == chain["z"] and body["origin"] == "rendered"
    assert [r["run_id"] for r in body["produced_by"]] == [chain["diptych"]]
    assert body["produced_by"][0]["inputs"] == [chain["y"], chain["cat"]]  # in order
    assert body["used_by"] == []
    assert [r["run_id"] for r in body["chain"]["runs"]] == [chain["diptych"], chain["sepia"],
                                                            chain["invert"]]
    assert {i["content_hash"] for i in body["chain"]["items"]} == {
        chain["z"], chain["y"], chain["x"], chain["cat"]}
    assert [s["content_hash"] for s in body["sources"]] == [chain["cat"]]
    assert body["chain"]["truncated"] is False


def test_a_source_lists_the_runs_that_used_it(api, chain):
    body = api.get(f"/cache/{chain['cat']}/lineage").json()
    assert body["origin"] != "rendered" and body["produced_by"] == []
    assert {r["run_id"] for r in body["used_by"]} == {chain["invert"], chain["diptych"]}
    assert body["chain"]["runs"] == [] and [s["content_hash"] for s in body["sources"]] == [
        chain["cat"]]


def test_an_identity_run_that_outputs_its_own_input_does_not_loop(api, chain):
    identity = render_here("identity", ["cat"])
    body = api.get(f"/cache/{chain['cat']}/lineage").json()
    assert [r["run_id"] for r in body["produced_by"]] == [identity]
    assert [r["run_id"] for r in body["chain"]["runs"]] == [identity]


def test_a_long_chain_is_cut_at_the_limit_and_says_so(api, chain, monkeypatch):
    monkeypatch.setattr(lineage, "MAX_RUNS", 2)
    body = api.get(f"/cache/{chain['z']}/lineage").json()
    assert len(body["chain"]["runs"]) == 2 and body["chain"]["truncated"] is True


def test_lineage_of_a_bad_or_unknown_hash_is_a_clear_error(api, db):
    assert api.get("/cache/xyz/lineage").json()["error"]["code"] == "invalid_hash"
    response = api.get(f"/cache/{'a' * 64}/lineage")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_an_indexed_file_whose_bytes_are_gone_still_has_a_lineage(api, chain, tmp_path):
    path = cache_path(chain["z"])
    path.rename(tmp_path / "z")  # the session's cache dir is shared: put it back after
    try:
        assert api.get(f"/cache/{chain['z']}").status_code == 404  # the bytes are needed there
        body = api.get(f"/cache/{chain['z']}/lineage").json()
        assert [r["run_id"] for r in body["produced_by"]] == [chain["diptych"]]
    finally:
        (tmp_path / "z").rename(path)


def test_runs_made_before_the_input_table_are_backfilled(chain):
    from importlib import import_module

    from django.apps import apps

    from runs.models import RunInput

    RunInput.objects.all().delete()
    import_module("runs.migrations.0004_run_inputs").backfill(apps, None)
    assert list(RunInput.objects.filter(run_id=chain["diptych"]).values_list(
        "position", "content_hash")) == [(0, chain["y"]), (1, chain["cat"])]


def test_the_walk_costs_a_few_queries_per_level_not_per_run(api, demo, owner,
                                                          django_assert_max_num_queries):
    current = "cat"
    for step in range(12):
        recipe = ("invert", "sepia-print")[step % 2]
        current = Run.objects.get(pk=render_here(recipe, [current], owner=owner)).output_id
    with django_assert_max_num_queries(2 * 13 + 8):
        body = api.get(f"/cache/{current}/lineage").json()
    assert len(body["chain"]["runs"]) == 12 and body["chain"]["truncated"] is False
    assert len(body["sources"]) == 1


def test_listing_runs_with_their_reproductions_and_publications_is_not_one_query_per_run(
        api, demo, owner, django_assert_max_num_queries):
    for recipe in ("invert", "sepia-print", "pixel-art", "identity", "dog"):
        render_here(recipe, ["cat"], owner=owner)
    with django_assert_max_num_queries(6):
        assert len(api.get("/runs").json()["results"]) == 5


def test_a_run_leads_back_through_the_runs_behind_its_inputs(api, chain):
    body = api.get(f"/runs/{chain['diptych']}/lineage").json()
    assert body["run"]["run_id"] == chain["diptych"]
    assert [r["run_id"] for r in body["chain"]["runs"]] == [chain["diptych"], chain["sepia"],
                                                            chain["invert"]]
    assert [s["content_hash"] for s in body["sources"]] == [chain["cat"]]
    assert {i["content_hash"] for i in body["chain"]["items"]} == {chain["y"], chain["x"],
                                                                   chain["cat"]}


def test_a_failed_runs_lineage_still_shows_where_its_inputs_came_from(api, chain):
    Run.objects.filter(pk=chain["sepia"]).update(status="failed", output=None)
    body = api.get(f"/runs/{chain['sepia']}/lineage").json()
    assert [r["run_id"] for r in body["chain"]["runs"]] == [chain["sepia"], chain["invert"]]
    assert api.get(f"/runs/{'0' * 64}/lineage").status_code == 404
