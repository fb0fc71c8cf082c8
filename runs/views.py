from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from engine import effects
from l1site.pagination import ByName, NewestFirst
from l1site.parsers import BoundedJSONParser, PlainTextParser, RecipeTextParser, YamlTextParser

from . import graphs, services
from .models import Run
from .selectors import recipes_listed, runs_listed
from .serializers import (PlanSerializer, RecipeDetailSerializer, RecipeSerializer,
                          RecipeVersionSerializer, RunCreateSerializer, RunSerializer)


class RunListCreate(generics.ListAPIView):
    """GET lists runs, newest first; POST starts one (or returns the existing run)."""

    serializer_class = RunSerializer
    pagination_class = NewestFirst
    throttle_scope = "submit"  # POST only (l1site.throttles.ScopedThrottle)

    @extend_schema(parameters=[
        OpenApiParameter("status", str, enum=Run.Status.values),
        OpenApiParameter("recipe", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = self.request.query_params
        runs = runs_listed(status=query.get("status", ""), recipe=query.get("recipe", ""))
        return runs.select_related("owner", "cancelled_by", "publication").prefetch_related(
            "reproductions", graphs.STEPS_PREFETCH)

    @extend_schema(request=RunCreateSerializer, responses={201: RunSerializer, 200: RunSerializer})
    def post(self, request):
        data = RunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run, queued = services.run_submit(owner=request.user, **data.validated_data)
        return Response(RunSerializer(run).data,
                        status=status.HTTP_201_CREATED if queued else status.HTTP_200_OK)


class RunPlan(APIView):
    """The steps a run would execute, each with its cache id and whether it is
    already cached, without running anything."""

    @extend_schema(request=RunCreateSerializer, responses={200: PlanSerializer})
    def post(self, request):
        data = RunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recipe = services.recipe_get(data.validated_data["recipe"])
        plan, _ = graphs.graph_plan(recipe, data.validated_data["inputs"],
                                    data.validated_data["params"])
        return Response({"run_id": graphs.graph_run_id(recipe, plan), "recipe": recipe.name,
                         **graphs.plan_report(plan)})


class RunDetail(generics.RetrieveAPIView):
    serializer_class = RunSerializer
    queryset = Run.objects.select_related("owner", "publication").prefetch_related(
        "reproductions", graphs.STEPS_PREFETCH)
    lookup_url_kwarg = "run_id"


class RunCancel(APIView):
    """Cancel a pending or running run (its owner or staff)."""

    @extend_schema(request=None, responses={200: RunSerializer})
    def post(self, request, run_id):
        return Response(RunSerializer(services.run_cancel(run_id, by=request.user)).data)


class RunMoveToFront(APIView):
    """Put a pending run first among its owner's waiting runs (its owner or staff)."""

    @extend_schema(request=None, responses={200: RunSerializer})
    def post(self, request, run_id):
        return Response(RunSerializer(services.run_move_to_front(run_id, by=request.user)).data)


class RunsCancelPending(APIView):
    """Cancel every pending run of yours at once; running ones go on."""

    @extend_schema(request=None, responses={200: dict})
    def post(self, request):
        ids = services.runs_cancel_pending(by=request.user)
        return Response({"cancelled": len(ids), "run_ids": ids})


class RecipeList(generics.ListAPIView):
    """GET lists recipes; POST stores a recipe document (YAML or JSON) as its
    name's latest version, after validating every node."""

    serializer_class = RecipeSerializer
    queryset = recipes_listed()
    pagination_class = ByName
    parser_classes = [BoundedJSONParser, RecipeTextParser, YamlTextParser, PlainTextParser]

    @extend_schema(request={"application/json": dict, "application/yaml": str},
                   responses={201: RecipeVersionSerializer, 200: RecipeVersionSerializer})
    def post(self, request):
        version, created = graphs.recipe_post(request.data, owner=request.user)
        return Response(RecipeVersionSerializer(version).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RecipeDetail(generics.RetrieveAPIView):
    """A recipe: its latest definition and every version."""

    serializer_class = RecipeDetailSerializer
    queryset = recipes_listed()
    lookup_field = "name"


class RecipeVersionDetail(APIView):
    """One exact version of a recipe."""

    @extend_schema(operation_id="recipes_version_retrieve",
                   responses={200: RecipeVersionSerializer})
    def get(self, request, name, content_hash):
        return Response(RecipeVersionSerializer(graphs.recipe_version(name, content_hash)).data)


class EffectList(APIView):
    """The effect library: every effect, its inputs and its parameters."""

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response({"results": [effects.effect_info(e) for e in effects.all_effects()]})
