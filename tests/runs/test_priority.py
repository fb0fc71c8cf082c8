"""Priority, moving a run to the front, cancelling all pending runs, and
fair share between users (runs.dispatch)."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from runs import dispatch, services, steps
from runs.models import Run
from runs.recovery import run_sweep
from tests.factories import UserFactory
from tests.faults.conftest import client, fault_dir, make_stack, seeded  # noqa: F401 - fixtures
from tests.faults.stack import Client, wait_until


def submit(api, sigma: float, **extra):
    return api.post("/runs", {"recipe": "dog", "inputs": ["cat"], "params": {"sigma": sigma},
                              **extra}, format="json")


def released() -> set[str]:
    return set(Run.objects.filter(status="pending", queued_at__isnull=False)
               .values_list("id", flat=True))


# --- priority on submission ---------------------------------------------------

@pytest.mark.django_db
def test_a_run_is_submitted_at_normal_priority_unless_asked(artist_api, demo):
    body = submit(artist_api, 1).json()
    assert body["priority"] == "normal" and body["lane"] == "stills"
    low = submit(artist_api, 2, priority="low").json()
    assert low["priority"] == "low" and Run.objects.get(pk=low["run_id"]).priority == 2


@pytest.mark.django_db
def test_only_staff_may_submit_at_high_priority_and_they_may_for_anyone(
        artist_api, staff_api, demo):
    refused = submit(artist_api, 1, priority="high")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "front" in refused.json()["error"]["message"] and not Run.objects.exists()
    body = submit(staff_api, 1, priority="high").json()
    assert body["priority"] == "high"
    # Asked again by its owner at normal priority: it keeps its place.
    assert submit(artist_api, 1).json()["priority"] == "high"


@pytest.mark.django_db
def test_an_unknown_priority_is_a_400_that_changes_nothing(artist_api, demo):
    response = submit(artist_api, 1, priority="urgent")
    assert response.status_code == 400 and not Run.objects.exists()


# --- fair share: the release order --------------------------------------------

@pytest.fixture
def two_at_a_time(settings):
    settings.DISPATCH_PER_USER = 2


@pytest.mark.django_db
def test_a_user_has_at_most_the_limit_of_runs_in_the_broker_and_the_rest_wait(
        artist_api, demo, two_at_a_time, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ids = [submit(artist_api, s).json()["run_id"] for s in (1, 2, 3, 4, 5)]
    assert released() == set(ids[:2])
    bodies = [artist_api.get(f"/runs/{i}").json() for i in ids]
    assert [b["queue_state"] for b in bodies] == ["queued"] * 2 + ["not yet queued"] * 3
    # One finishes: the next in line is released, once its end is committed.
    with django_capture_on_commit_callbacks(execute=True):
        steps._finish(ids[0], Run.Status.FAILED, error="a step failed")
    assert released() == {ids[1], ids[2]}


@pytest.mark.django_db
def test_a_users_long_video_renders_never_hold_back_their_stills(
        artist_api, demo, two_at_a_time, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        videos = [submit(artist_api, s).json()["run_id"] for s in (1, 2, 3)]
    # As if two were clips rendering for minutes and the third a clip waiting.
    Run.objects.filter(pk__in=videos[:2]).update(lane="video", status="running")
    Run.objects.filter(pk=videos[2]).update(lane="video", queued_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        still = submit(artist_api, 4).json()["run_id"]
    assert released() == {still}  # the third video waits for one of the two


@pytest.mark.django_db
def test_waiting_runs_are_released_moved_to_the_front_first_then_by_priority_then_age(
        artist_api, user, demo, two_at_a_time, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, second = (submit(artist_api, s).json()["run_id"] for s in (1, 2))
        low = submit(artist_api, 3, priority="low").json()["run_id"]
        normal_a, normal_b = (submit(artist_api, s).json()["run_id"] for s in (4, 5))
    Run.objects.filter(pk=normal_b).update(priority=Run.Priority.HIGH)  # as staff may

    def waiting():
        return list(Run.objects.filter(owner=user, status="pending", queued_at__isnull=True)
                    .order_by(*dispatch.waiting_order()).values_list("id", flat=True))

    assert waiting() == [normal_b, normal_a, low]
    moved = artist_api.post(f"/runs/{low}/front")
    assert moved.status_code == 200 and moved.json()["promoted_at"]
    assert waiting() == [low, normal_b, normal_a]  # the owner's next, whatever its priority
    with django_capture_on_commit_callbacks(execute=True):
        steps._finish(first, Run.Status.FAILED, error="x")
        steps._finish(second, Run.Status.FAILED, error="x")
    assert released() == {low, normal_b}


@pytest.mark.django_db
def test_only_the_owner_or_staff_may_move_a_run_and_only_while_it_is_pending(
        artist_api, staff_api, demo):
    run_id = submit(artist_api, 1).json()["run_id"]
    stranger = APIClient()
    stranger.force_authenticate(UserFactory(username="stranger"))
    assert stranger.post(f"/runs/{run_id}/front").status_code == 403
    assert APIClient().post(f"/runs/{run_id}/front").status_code in (401, 403)
    assert staff_api.post(f"/runs/{run_id}/front").status_code == 200
    Run.objects.filter(pk=run_id).update(status="running")
    gone = artist_api.post(f"/runs/{run_id}/front")
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "not_pending"
    assert artist_api.post("/runs/" + "0" * 64 + "/front").status_code == 404


@pytest.mark.django_db
def test_moving_runs_to_the_front_never_sends_them_ahead_of_other_users_in_the_broker(
        artist_api, demo):
    from l1site.queues import route_task

    run_id = submit(artist_api, 1).json()["run_id"]
    before = route_task("runs.tasks.schedule_run", [run_id], {}, {})
    assert artist_api.post(f"/runs/{run_id}/front").status_code == 200
    assert route_task("runs.tasks.schedule_run", [run_id], {}, {}) == before


@pytest.mark.django_db
def test_the_sweep_releases_a_waiting_run_whose_release_was_lost(
        artist_api, demo, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the release's send never ran
        run_id = submit(artist_api, 1).json()["run_id"]
    Run.objects.filter(pk=run_id).update(queued_at=None)  # and a failed send cleared it
    with django_capture_on_commit_callbacks(execute=True):
        assert run_sweep()["released"] == 1
    assert released() == {run_id}
    assert run_sweep()["released"] == 0


# --- cancelling every pending run ---------------------------------------------

@pytest.mark.django_db
def test_a_user_cancels_all_their_pending_runs_at_once_and_no_one_elses(artist_api, demo, user):
    mine = [submit(artist_api, s).json()["run_id"] for s in (1, 2, 3)]
    Run.objects.filter(pk=mine[2]).update(status="running")
    other = APIClient()
    other.force_authenticate(UserFactory(username="other"))
    theirs = submit(other, 4).json()["run_id"]
    body = artist_api.post("/runs/cancel-pending").json()
    assert body["cancelled"] == 2 and set(body["run_ids"]) == set(mine[:2])
    states = dict(Run.objects.values_list("id", "status"))
    assert [states[i] for i in mine] == ["cancelled", "cancelled", "running"]
    assert states[theirs] == "pending"
    assert Run.objects.get(pk=mine[0]).cancelled_by == user
    assert APIClient().post("/runs/cancel-pending").status_code in (401, 403)


# --- with real workers ------------------------------------------------------------

def second_user(stack_url: str, name: str) -> Client:
    return Client(stack_url, Token.objects.create(user=UserFactory(username=name)).key)


@pytest.mark.faults
def test_one_users_many_queued_runs_never_starve_another_users_single_run(make_stack, seeded):
    stack = make_stack(ARTDAG_DISPATCH_PER_USER="2")
    url = stack.web()
    busy, other = client(url, seeded), second_user(url, "patient")
    backlog = [busy.post("/runs", json={"recipe": "dog", "inputs": [seeded["cat"]],
                                        "params": {"sigma": 0.5 + i / 4}}).json()["run_id"]
               for i in range(12)]
    single = other.submit("dog", [seeded["cat"]])["run_id"]
    assert len(released() & set(backlog)) == 2  # the rest wait in the database
    stack.worker(concurrency=1)
    assert other.wait_finished(single)["status"] == "completed"
    done_before = Run.objects.filter(pk__in=backlog, status="completed",
                                     finished_at__lt=Run.objects.get(pk=single).finished_at)
    # At most the limit of the busy user's runs were ahead of it, not twelve.
    assert done_before.count() <= 2
    for run_id in backlog:  # each completion released the next
        assert busy.wait_finished(run_id)["status"] == "completed"


@pytest.mark.faults
def test_a_high_priority_run_is_taken_before_the_normal_runs_queued_ahead_of_it(make_stack, seeded):
    stack = make_stack(ARTDAG_DISPATCH_PER_USER="50")
    url = stack.web()
    busy = client(url, seeded)
    boss = Client(url, Token.objects.create(
        user=UserFactory(username="boss", is_staff=True)).key)
    normal = [busy.post("/runs", json={"recipe": "dog", "inputs": [seeded["cat"]],
                                       "params": {"sigma": 0.5 + i / 4}}).json()["run_id"]
              for i in range(6)]
    urgent = boss.post("/runs", json={"recipe": "invert", "inputs": [seeded["cat"]],
                                      "priority": "high"}).json()
    assert urgent["priority"] == "high"
    wait_until(lambda: len(released()) == 7, "every run to be in the broker")
    stack.worker(concurrency=1)
    assert boss.wait_finished(urgent["run_id"])["status"] == "completed"
    first = Run.objects.get(pk=urgent["run_id"]).finished_at
    assert not Run.objects.filter(pk__in=normal, finished_at__lt=first).exists()
    for run_id in normal:
        assert busy.wait_finished(run_id)["status"] == "completed"
