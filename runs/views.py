from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from engine import effects
from l1site.exceptions import DomainError
from l1site.pagination import ByName, NewestFirst

from . import services
from .models import Recipe, Run
from .serializers import RecipeSerializer, RunCreateSerializer, RunSerializer


class RunListCreate(generics.ListAPIView):
    """GET lists runs, newest first; POST starts one (or returns the existing run)."""

    serializer_class = RunSerializer
    pagination_class = NewestFirst

    @extend_schema(parameters=[
        OpenApiParameter("status", str, enum=Run.Status.values),
        OpenApiParameter("recipe", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        runs = Run.objects.select_related("owner", "cancelled_by")  # one query per page
        if wanted := self.request.query_params.get("status"):
            if wanted not in Run.Status.values:
                raise DomainError(f"status must be one of {', '.join(Run.Status.values)}",
                                  code="invalid_filter")
            runs = runs.filter(status=wanted)
        if recipe := self.request.query_params.get("recipe"):
            runs = runs.filter(recipe_name=recipe)
        return runs

    @extend_schema(request=RunCreateSerializer, responses={201: RunSerializer, 200: RunSerializer})
    def post(self, request):
        data = RunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run, queued = services.run_submit(owner=request.user, **data.validated_data)
        return Response(RunSerializer(run).data,
                        status=status.HTTP_201_CREATED if queued else status.HTTP_200_OK)


class RunDetail(generics.RetrieveAPIView):
    serializer_class = RunSerializer
    queryset = Run.objects.select_related("owner")
    lookup_url_kwarg = "run_id"


class RunCancel(APIView):
    """Cancel a pending or running run (its owner or staff)."""

    @extend_schema(request=None, responses={200: RunSerializer})
    def post(self, request, run_id):
        return Response(RunSerializer(services.run_cancel(run_id, by=request.user)).data)


class RecipeList(generics.ListAPIView):
    """Recipes with their effect chains and parameters."""

    serializer_class = RecipeSerializer
    queryset = Recipe.objects.all()
    pagination_class = ByName


class RecipeDetail(generics.RetrieveAPIView):
    serializer_class = RecipeSerializer
    queryset = Recipe.objects.all()
    lookup_field = "name"


class EffectList(APIView):
    """The effect library: every effect, its inputs and its parameters."""

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response({"results": [effects.effect_info(e) for e in effects.all_effects()]})
