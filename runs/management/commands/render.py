import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cache.store import cache_path
from engine.errors import EngineError
from l1site.errors import DomainError
from runs.graphs import run_progress
from runs.models import Run
from runs.cli import add_run_arguments, parse_inputs, parse_params
from runs.services import run_submit

POLL_SECONDS = 0.2


class Command(BaseCommand):
    help = ("Render inputs (content hashes or asset names, in order, or name=reference) "
            "through a recipe, e.g. `render dog cat --param sigma=2.5 --sync`.")

    def add_arguments(self, parser):
        add_run_arguments(parser)
        parser.add_argument("--sync", action="store_true",
                            help="wait for a worker to finish and print the output hash")
        parser.add_argument("--output-name", default="")
        parser.add_argument("--timeout", type=float, default=600,
                            help="seconds --sync waits before giving up (default 600)")

    def handle(self, *args, **options):
        try:
            run, queued = run_submit(recipe=options["recipe"],
                                     inputs=parse_inputs(options["inputs"]),
                                     params=parse_params(options["param"]),
                                     output_name=options["output_name"])
        except (DomainError, EngineError) as exc:
            raise CommandError(str(exc)) from None
        if not options["sync"]:
            state = "queued" if queued else run.status
            self.stdout.write(run.id)
            self.stderr.write(f"run {state}: /runs/{run.id}")
            return
        run = self._wait(run, options["timeout"])
        if run.status != Run.Status.COMPLETED:
            raise CommandError(f"run {run.id} {run.status}: {run.error}")
        self.stdout.write(run.output_id)
        self.stderr.write(f"fetch: /cache/{run.output_id}\nfile:  {cache_path(run.output_id)}")

    def _wait(self, run: Run, timeout: float) -> Run:
        deadline = time.monotonic() + timeout
        finished = Run.FINISHED  # cancelled too: waiting on a cancelled run would never end
        with tqdm(desc=f"{run.recipe_name} {run.id[:12]}", bar_format="{desc}: {postfix} {elapsed}",
                  file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            while run.status not in finished:
                if time.monotonic() > deadline:
                    raise CommandError(f"run {run.id} still {run.status} after {timeout:.0f} s; "
                                       "is a worker running? (make run starts one)")
                steps = run_progress(run)
                bar.set_postfix_str(run.status if steps is None else
                                    f"{run.status}, steps {steps['done'] + steps['cached']}"
                                    f"/{steps['total']}")
                time.sleep(POLL_SECONDS)
                run.refresh_from_db()
        return run
