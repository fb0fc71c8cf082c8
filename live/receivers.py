"""runs.events' signals, recorded (live.services)."""

from django.dispatch import receiver

from runs import events

from . import services


@receiver(events.state_changed)
def on_state(sender, *, run_id, state, fields, **kwargs):
    services.state_changed(run_id, state, fields)


@receiver(events.render_started)
def on_render(sender, *, run, **kwargs):
    services.render_started(run)


@receiver(events.step_changed)
def on_step(sender, *, run_id, cache_id, node, type, config, state, error="", **kwargs):
    services.step_changed(run_id, cache_id, node, type, config, state, error)


@receiver(events.frames_rendered)
def on_frames(sender, *, run_id, cache_id, node, done, total, **kwargs):
    services.frames_rendered(run_id, cache_id, node, done, total)


@receiver(events.frame_sampled)
def on_frame(sender, *, run_id, cache_id, node, frame, **kwargs):
    services.frame_sampled(run_id, cache_id, node, frame)
