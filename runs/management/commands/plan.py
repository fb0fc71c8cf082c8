from django.core.management.base import BaseCommand, CommandError

from engine.errors import EngineError
from l1site.errors import DomainError
from runs.cli import add_run_arguments, parse_inputs, parse_params
from runs.graphs import graph_plan, graph_run_id, plan_report
from runs.services import recipe_get


class Command(BaseCommand):
    help = ("Show the steps a run would execute, with cache ids and what is cached, "
            "without running anything: `plan beat-cuts music=demo-music "
            "videos=demo-clip-1,demo-clip-2`.")

    def add_arguments(self, parser):
        add_run_arguments(parser)

    def handle(self, *args, **options):
        try:
            recipe = recipe_get(options["recipe"])
            plan, _ = graph_plan(recipe, parse_inputs(options["inputs"]),
                                 parse_params(options["param"]))
        except (DomainError, EngineError) as exc:
            raise CommandError(str(exc)) from None
        report = plan_report(plan)
        width = max(len(s["node"]) for s in report["steps"])
        for step in report["steps"]:
            state = "cached" if step["cached"] else "to render"
            self.stdout.write(f"{step['node']:<{width}}  {step['type']:<10} "
                              f"{step['cache_id']}  {state}")
        todo = sum(not s["cached"] for s in report["steps"])
        self.stderr.write(f"run {graph_run_id(recipe, plan)}: {len(report['steps'])} steps, "
                          f"{todo} to render")
