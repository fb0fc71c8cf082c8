"""make run's filesystem queue hands out a queue's messages by priority,
then in order of arrival (l1site.fsqueue), as Redis does."""

from __future__ import annotations

import subprocess
import sys

from kombu import Connection, Exchange, Queue

from tests.conftest import ROOT


def connection(folder):
    (folder / "control").mkdir(exist_ok=True)  # as settings make them for make run
    return Connection("filesystem://localhost/", transport="l1site.fsqueue:Transport",
                      transport_options={"data_folder_in": str(folder),
                                         "data_folder_out": str(folder),
                                         "processed_folder": str(folder / "done"),
                                         "store_processed": False,
                                         "control_folder": str(folder / "control")})


def test_a_high_message_is_taken_before_normal_and_low_ones_that_came_first(tmp_path):
    queue = Queue("artdag.stills", Exchange("artdag.stills"), routing_key="artdag.stills")
    with connection(tmp_path) as conn:
        producer = conn.Producer()
        for body, priority in [("low-1", 8), ("normal-1", 4), ("low-2", 8), ("high-1", 0),
                               ("normal-2", 4), ("none", None), ("high-2", 0)]:
            options = {} if priority is None else {"priority": priority}
            producer.publish(body, exchange=queue.exchange, routing_key="artdag.stills",
                             declare=[queue], **options)
        taken = []
        with conn.SimpleQueue(queue) as simple:
            for _ in range(7):
                message = simple.get(timeout=5)
                taken.append(message.payload)
                message.ack()
    # No priority is 0, as on Redis: first, in order of arrival with the high ones.
    assert taken == ["high-1", "none", "high-2", "normal-1", "normal-2", "low-1", "low-2"]


def test_only_the_queue_asked_for_is_read(tmp_path):
    # Names of this test's own: kombu remembers what a process declared.
    stills = Queue("only.stills", Exchange("only.stills"), routing_key="only.stills")
    video = Queue("only.video", Exchange("only.video"), routing_key="only.video")
    with connection(tmp_path) as conn:
        producer = conn.Producer()
        producer.publish("a video", exchange=video.exchange, routing_key="only.video",
                         declare=[video], priority=0)
        producer.publish("a still", exchange=stills.exchange, routing_key="only.stills",
                         declare=[stills], priority=8)
        with conn.SimpleQueue(stills) as simple:
            message = simple.get(timeout=5)
            assert message.payload == "a still"
            message.ack()


def test_make_runs_settings_use_the_priority_queue_and_redis_settings_do_not(tmp_path):
    code = ("import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'l1site.settings'; "
            "django.setup(); from l1site.celery import app; print(app.conf.broker_transport)")
    base = {"PATH": "/usr/bin:/bin", "ARTDAG_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    embedded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base,
                              capture_output=True, text=True)
    assert embedded.stdout.strip() == "l1site.fsqueue:Transport", embedded.stderr
    redis = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                           env={**base, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9"})
    assert redis.stdout.strip() == "None", redis.stderr
