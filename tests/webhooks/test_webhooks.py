"""Webhooks: registering callback URLs, signed deliveries when a run ends,
retries with backoff, the delivery log, and the addresses never called."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runs.models import Run
from webhooks import delivery, services
from webhooks.models import Delivery, Webhook
from tests.faults.conftest import fault_dir, make_stack, seeded  # noqa: F401 - fixtures


class Receiver:
    """A webhook receiver inside the test, on a port of its own: it checks
    every request as the README tells receivers to, and can be told to fail
    the first few."""

    def __init__(self, fail_first: int = 0):
        self.secret = ""
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self.seen: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k: v for k, v in self.headers.items()}
                valid = delivery.verify(receiver.secret, headers, body)
                receiver.requests.append({"headers": headers, "body": body, "valid": valid,
                                          "path": self.path})
                failing = len(receiver.requests) <= receiver.fail_first
                if valid and not failing:
                    # Handled: from now on this delivery id is a replay.
                    receiver.seen.add(headers["X-Artdag-Delivery"])
                self.send_response(500 if failing else (204 if valid else 401))
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/artdag"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kw) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


def register(client, url: str, **extra):
    return client.post("/webhooks", {"url": url, **extra}, format="json")


# --- registering ------------------------------------------------------------

@pytest.mark.django_db
def test_registering_a_webhook_returns_its_secret_once(artist_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the URL is this machine's
    made = register(artist_api, "http://127.0.0.1:9/hook")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert len(body["secret"]) == 64 and body["events"] == ["run.completed", "run.failed"]
    listed = artist_api.get("/webhooks").json()["results"]
    assert [h["id"] for h in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in artist_api.get(f"/webhooks/{body['id']}").json()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8100/hook", "http://10.1.2.3/hook",
    "http://192.168.0.10/hook", "http://172.16.5.5/hook", "http://169.254.169.254/latest",
    "http://[::1]/hook", "http://[fe80::1]/hook", "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://100.64.0.1/hook", "http://224.0.0.1/hook",
])
def test_a_private_loopback_or_link_local_address_is_refused(artist_api, url):
    refused = register(artist_api, url)
    assert refused.status_code == 400, refused.json()
    assert refused.json()["error"]["code"] == "private_address"
    assert not Webhook.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url, code", [
    ("ftp://example.com/hook", "webhook_url_refused"),
    ("file:///etc/passwd", "invalid"),
    ("http://user:pw@example.com/hook", "webhook_url_refused"),
    ("not a url", "invalid"),
    ("http://no-such-host.invalid/hook", "webhook_url_refused"),
])
def test_a_url_that_is_no_webhook_is_refused_with_a_clear_error(artist_api, url, code):
    refused = register(artist_api, url)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"].startswith(code), refused.json()
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_webhooks_are_private_to_their_owner(artist_api, staff, settings):
    from rest_framework.test import APIClient

    settings.WEBHOOK_ALLOW_PRIVATE = True
    hook = register(artist_api, "http://127.0.0.1:9/hook").json()
    stranger = APIClient()
    assert stranger.get("/webhooks").status_code in (401, 403)
    from tests.factories import UserFactory

    stranger.force_authenticate(UserFactory(username="stranger"))
    assert stranger.get("/webhooks").json()["results"] == []
    assert stranger.get(f"/webhooks/{hook['id']}").status_code == 404
    assert stranger.delete(f"/webhooks/{hook['id']}").status_code == 404
    assert artist_api.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert not Webhook.objects.exists()


# --- delivering -------------------------------------------------------------

def finished_run(user, demo) -> Run:
    from runs import services as runs

    run, _ = runs.run_submit(recipe="invert", inputs=["cat"], owner=user)
    Run.objects.filter(pk=run.pk).update(status="failed", error="a step failed")
    return run


@pytest.mark.django_db
def test_a_delivery_is_signed_so_the_receiver_can_check_it_and_refuse_a_replay(
        user, demo, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    target = receiver()
    hook = services.webhook_create(owner=user, url=target.url)
    target.secret = hook.secret
    run = finished_run(user, demo)
    services.on_run_finished(Run, run_id=run.pk, status="failed", owner_id=run.owner_id)
    row = Delivery.objects.get(webhook=hook)
    assert services.delivery_attempt(row.pk) is None

    (got,) = target.requests
    assert got["valid"] and got["path"] == "/hooks/artdag"
    assert got["headers"]["X-Artdag-Event"] == "run.failed"
    assert got["headers"]["X-Artdag-Delivery"] == str(row.pk)
    event = json.loads(got["body"])
    assert event["type"] == "run.failed" and event["id"] == str(row.pk)
    assert event["run"]["run_id"] == run.pk and event["run"]["error"] == "a step failed"
    row.refresh_from_db()
    assert row.status == "delivered" and row.attempts == 1 and row.response_status == 204
    # The same request again (a replay) fails the check; so does a forged body,
    # another secret, and a timestamp from long ago.
    assert not delivery.verify(hook.secret, got["headers"], got["body"], seen=target.seen)
    assert not delivery.verify(hook.secret, got["headers"], got["body"] + b" ")
    assert not delivery.verify("another secret", got["headers"], got["body"])
    old = int(time.time()) - delivery.TOLERANCE - 5
    stale = {**got["headers"], "X-Artdag-Timestamp": str(old),
             "X-Artdag-Signature": delivery.signature(hook.secret, old, got["body"])}
    assert not delivery.verify(hook.secret, stale, got["body"])


@pytest.mark.django_db
def test_an_address_that_turned_private_after_registration_is_refused_at_delivery(
        user, demo, receiver, settings):
    # Registered while the host resolved to a public address (here: while
    # private ones were allowed); by the delivery it resolves to loopback.
    settings.WEBHOOK_ALLOW_PRIVATE = True
    target = receiver()
    hook = services.webhook_create(owner=user, url=target.url)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    services.on_run_finished(Run, run_id=finished_run(user, demo).pk, status="failed",
                             owner_id=user.pk)
    row = Delivery.objects.get(webhook=hook)
    assert services.delivery_attempt(row.pk) is None  # no retry: refused
    row.refresh_from_db()
    assert row.status == "failed" and "127.0.0.1" in row.error and "private" in row.error
    assert target.requests == []


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_with_backoff_until_the_attempts_run_out(
        user, demo, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_BACKOFF = 10
    target = receiver(fail_first=99)
    hook = services.webhook_create(owner=user, url=target.url)
    target.secret = hook.secret
    services.on_run_finished(Run, run_id=finished_run(user, demo).pk, status="failed",
                             owner_id=user.pk)
    row = Delivery.objects.get(webhook=hook)
    assert [services.delivery_attempt(row.pk) for _ in range(3)] == [10, 20, None]
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 3 and row.response_status == 500
    assert "gave up after 3 attempts" in row.error
    assert len(target.requests) == 3 and all(r["valid"] for r in target.requests)
    assert services.delivery_attempt(row.pk) is None and len(target.requests) == 3


@pytest.mark.django_db
def test_only_the_events_asked_for_and_only_the_owners_webhooks_are_sent(user, demo, settings):
    from tests.factories import UserFactory

    settings.WEBHOOK_ALLOW_PRIVATE = True
    completed_only = services.webhook_create(owner=user, url="http://127.0.0.1:9/a",
                                             events=["run.completed"])
    services.webhook_create(owner=UserFactory(username="someone"), url="http://127.0.0.1:9/b")
    run = finished_run(user, demo)
    services.on_run_finished(Run, run_id=run.pk, status="failed", owner_id=run.owner_id)
    services.on_run_finished(Run, run_id=run.pk, status="cancelled", owner_id=run.owner_id)
    assert not Delivery.objects.exists()
    services.on_run_finished(Run, run_id=run.pk, status="completed", owner_id=run.owner_id)
    assert list(Delivery.objects.values_list("webhook_id", flat=True)) == [completed_only.pk]


@pytest.mark.faults
def test_a_run_that_completes_is_posted_to_the_owners_webhook_by_a_worker_and_logged_on_the_profile(
        make_stack, seeded, receiver, client):
    stack = make_stack(ARTDAG_WEBHOOK_ALLOW_PRIVATE="1", ARTDAG_WEBHOOK_BACKOFF="1")
    from tests.faults.conftest import client as api_client

    api = api_client(stack.web(), seeded)
    stack.worker(concurrency=1)
    target = receiver(fail_first=1)  # the first attempt meets a 500: retried
    made = api.post("/webhooks", json={"url": target.url})
    assert made.status_code == 201, made.text
    target.secret = made.json()["secret"]

    run_id = api.submit("dog", [seeded["cat"]])["run_id"]
    assert api.wait_finished(run_id)["status"] == "completed"
    from tests.faults.stack import wait_until

    wait_until(lambda: Delivery.objects.filter(run_id=run_id, status="delivered").exists(),
               "the delivery to succeed")
    assert len(target.requests) == 2 and all(r["valid"] for r in target.requests)
    assert {r["headers"]["X-Artdag-Delivery"] for r in target.requests} == {
        str(Delivery.objects.get(run_id=run_id).pk)}
    event = json.loads(target.requests[-1]["body"])
    assert event["type"] == "run.completed" and event["run"]["run_id"] == run_id
    assert event["run"]["output_hash"] == api.run(run_id)["output_hash"]
    log = api.get(f"/webhooks/{made.json()['id']}/deliveries").json()["results"]
    assert log[0]["status"] == "delivered" and log[0]["attempts"] == 2

    client.force_login(seeded["user"])
    page = client.get("/profile").content.decode()
    assert run_id[:12] in page and "delivered" in page
