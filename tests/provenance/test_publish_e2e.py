"""Publishing to L2, end to end: the live L1 server, a real render worker, a
real publish worker, and a real HTTP stand-in for L2 on loopback that calls
back into the live L1 before it answers."""

import time

import pytest

from provenance.models import Publication
from tests.helpers import upload, wait_for_run
from tests.images import png
from tests.provenance.conftest import L2_TOKEN, PUBLISH_TIMEOUT, client_for
from tests.provenance.l2_standin import StandIn

pytestmark = pytest.mark.worker


@pytest.fixture
def l1(worker, publish_worker, live_server, settings, publish_queue):
    """A completed run owned by `painter`, and L1 settings pointing at the live server."""
    from runs.demo import seed_demo
    from tests.factories import UserFactory

    seed_demo()  # the flush between transactional tests empties the built-in recipes
    settings.L1_PUBLIC_URL = live_server.url
    settings.L2_PUBLISH_TIMEOUT = PUBLISH_TIMEOUT  # as the publish worker has it
    settings.L2_PUBLISH_QUEUE = publish_queue
    api = client_for(UserFactory(username="painter"))
    source = upload(api, png(40, 30, seed=int(time.monotonic() * 1000) % 10**6))
    run = api.post("/runs", {"recipe": "dog", "inputs": [source], "output_name": "for-l2"},
                   format="json").json()
    run = wait_for_run(api, run["run_id"])
    assert run["status"] == "completed", run["error"]
    return api, run


def _publication(api, run_id, until, timeout=120) -> dict:
    """Poll like a client; the timeout only bounds a hung test."""
    deadline = time.monotonic() + timeout
    while True:
        publication = api.get(f"/runs/{run_id}").json()["publication"]
        if until(publication) or time.monotonic() > deadline:
            return publication
        time.sleep(0.1)


def _settled(publication) -> bool:
    return publication["status"] == "published" or (
        publication["status"] == "failed" and publication["next_retry_at"] is None)


def test_a_published_run_is_read_back_and_verified_by_l2_and_shows_its_record(l1, settings):
    api, run = l1
    with StandIn("ok", token=L2_TOKEN) as l2:
        settings.L2_URL = l2.url
        queued = api.post(f"/runs/{run['run_id']}/publish")
        assert queued.status_code == 202, queued.json()
        assert queued.json()["publication"]["status"] == "queued"
        publication = _publication(api, run["run_id"], _settled)

    assert publication["status"] == "published", publication
    assert publication["record_id"] == "l2-record-1" and publication["published_at"]
    assert publication["l2_status"] == 201 and publication["l2_response"]["verified"] is True
    assert publication["attempts"] == 1 and publication["next_retry_at"] is None
    [call] = l2.calls
    assert call["body"] == {"run_id": run["run_id"], "l1_server": settings.L1_PUBLIC_URL,
                            "output_name": "for-l2"}
    assert call["authorization"] == f"Bearer {L2_TOKEN}"
    # L2 really read the run, its signed provenance and the output from the live L1.
    assert call["callbacks"]["run"] == call["callbacks"]["provenance"] == 200
    assert call["callbacks"]["output"] == 200
    assert call["callbacks"]["signature"].startswith("signature valid")


def test_publishing_again_is_idempotent_and_sends_nothing(l1, settings):
    api, run = l1
    with StandIn("ok", token=L2_TOKEN) as l2:
        settings.L2_URL = l2.url
        api.post(f"/runs/{run['run_id']}/publish")
        first = _publication(api, run["run_id"], _settled)
        again = api.post(f"/runs/{run['run_id']}/publish")
        assert again.status_code == 200
        assert again.json()["publication"]["record_id"] == first["record_id"]
        time.sleep(1)  # room for a wrongly queued second call to arrive
    assert len(l2.calls) == 1 and Publication.objects.count() == 1


def test_an_l2_slower_than_the_timeout_is_retried_with_backoff_then_given_up(l1, settings):
    api, run = l1
    with StandIn("slow", token=L2_TOKEN, slow_seconds=PUBLISH_TIMEOUT + 3) as l2:
        settings.L2_URL = l2.url
        api.post(f"/runs/{run['run_id']}/publish")
        publication = _publication(api, run["run_id"], _settled)

    assert publication["status"] == "failed" and publication["next_retry_at"] is None
    assert publication["l2_status"] is None
    assert publication["error"] == (f"L2 did not answer within {PUBLISH_TIMEOUT} s; "
                                    "gave up after 2 attempts")
    first, second = publication["history"]
    assert first["l2_status"] is None and first["next_retry_at"]  # failed, with the next retry
    assert "did not answer" in first["error"] and second["next_retry_at"] is None
    assert publication["attempts"] == 2 and len(l2.calls) == 2


def test_an_answer_that_trickles_in_is_cut_off_at_the_attempt_limit_and_retried(l1, settings):
    api, run = l1
    with StandIn("trickle", "ok", token=L2_TOKEN, slow_seconds=PUBLISH_TIMEOUT / 4) as l2:
        settings.L2_URL = l2.url
        api.post(f"/runs/{run['run_id']}/publish")
        publication = _publication(api, run["run_id"], _settled)
    assert publication["status"] == "published", publication
    cut, published = publication["history"]
    assert cut["l2_status"] is None and cut["next_retry_at"]
    assert cut["error"] == f"L2 did not finish answering within {2 * PUBLISH_TIMEOUT} s"
    assert published["l2_status"] == 201


def test_an_l2_that_answers_500_then_200_is_published_on_the_retry(l1, settings):
    api, run = l1
    with StandIn("500", "ok", token=L2_TOKEN) as l2:
        settings.L2_URL = l2.url
        api.post(f"/runs/{run['run_id']}/publish")
        publication = _publication(api, run["run_id"], _settled)

    assert publication["status"] == "published", publication
    assert publication["attempts"] == 2 and publication["record_id"] == "l2-record-1"
    failed, published = publication["history"]
    assert failed["l2_status"] == 500 and failed["next_retry_at"]
    assert failed["error"].startswith("L2 answered 500")
    assert published["l2_status"] == 201 and published["error"] == ""
    assert [c["plan"] for c in l2.calls] == ["500", "ok"]


def test_a_4xx_from_l2_is_final_shown_and_can_be_asked_again(l1, settings):
    api, run = l1
    with StandIn("422", "ok", token=L2_TOKEN) as l2:
        settings.L2_URL = l2.url
        api.post(f"/runs/{run['run_id']}/publish")
        refused = _publication(api, run["run_id"], _settled)
        assert refused["status"] == "failed" and refused["next_retry_at"] is None
        assert refused["l2_status"] == 422 and refused["attempts"] == 1
        assert refused["l2_response"] == {"error": "this registry does not take dog renders"}
        again = api.post(f"/runs/{run['run_id']}/publish")
        assert again.status_code == 202
        published = _publication(api, run["run_id"], lambda p: p["status"] == "published")
    assert published["record_id"] == "l2-record-1" and len(l2.calls) == 2


def test_a_wrong_l2_token_is_a_final_401(l1, settings):
    api, run = l1
    with StandIn("ok", token="another-token") as l2:
        settings.L2_URL = l2.url
        api.post(f"/runs/{run['run_id']}/publish")
        publication = _publication(api, run["run_id"], _settled)
    assert publication["status"] == "failed" and publication["l2_status"] == 401
    assert publication["next_retry_at"] is None and len(l2.calls) == 1


def _post_together(url: str, key: str, count: int = 8) -> list[int]:
    """count clients POST at the same moment over real HTTP; their statuses."""
    import threading
    import urllib.request

    statuses, barrier = [], threading.Barrier(count)

    def post():
        request = urllib.request.Request(url, data=b"", method="POST",
                                         headers={"Authorization": f"Token {key}"})
        barrier.wait()
        with urllib.request.urlopen(request) as reply:
            statuses.append(reply.status)

    threads = [threading.Thread(target=post) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_concurrent_publish_requests_make_one_publication_and_one_call_to_l2(l1, settings,
                                                                            live_server):
    from accounts.services import token_create
    from runs.models import Run

    api, run = l1
    _, key = token_create(user=Run.objects.get(pk=run["run_id"]).owner, name="cli")
    with StandIn("ok", token=L2_TOKEN) as l2:
        settings.L2_URL = l2.url
        statuses = _post_together(f"{live_server.url}/runs/{run['run_id']}/publish", key)
        publication = _publication(api, run["run_id"], _settled)
        time.sleep(1)  # room for a wrongly queued second call to arrive
    assert statuses == [200] * 7 + [202]
    assert publication["status"] == "published" and len(l2.calls) == 1
    assert Publication.objects.count() == 1


def test_concurrent_reproduce_requests_never_have_two_in_flight(l1, live_server):
    from accounts.services import token_create
    from provenance.models import Reproduction
    from runs.models import Run

    api, run = l1
    _, key = token_create(user=Run.objects.get(pk=run["run_id"]).owner, name="cli")
    statuses = _post_together(f"{live_server.url}/runs/{run['run_id']}/reproduce", key)
    deadline = time.monotonic() + 90  # bounds a hung test only
    while Reproduction.objects.filter(status__in=["queued", "running"]).exists() \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    made = list(Reproduction.objects.order_by("created_at"))
    # Usually one; a request that arrives after a fast worker finished the first
    # rightly makes another. Never two at once: the partial unique index
    # repro_one_active_per_run refuses a second active row, and each request
    # that met it answered 200 with the active one instead of failing.
    assert statuses.count(202) == len(made) >= 1 and set(statuses) <= {200, 202}
    assert {r.status for r in made} == {"reproduced"}
