from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import OpenUnlessPrivate
from l1site.errors import DomainError
from runs.serializers import RunSerializer
from runs.services import run_get

from . import lineage, publish, reproduce, services
from .serializers import ReproductionSerializer, VerifySerializer


class Actor(APIView):
    """This server's actor: its handle and the Ed25519 public key its provenance is signed with.
    Always public, even on a private server: verifiers need it."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: dict}, tags=["provenance"])
    def get(self, request):
        return Response(services.actor_info())


class RunProvenance(APIView):
    """A completed run's provenance record, signed: `signature`, `key_id`, `algorithm`."""

    @extend_schema(responses={200: dict}, tags=["provenance"])
    def get(self, request, run_id):
        return Response(services.run_provenance(run_id))


class ProvenanceVerify(APIView):
    """Is this provenance record signed by this server's key (or `public_key`)? Answers
    200 with valid true/false and the reason; 400 only when the request is malformed."""

    permission_classes = [OpenUnlessPrivate]

    @extend_schema(request=VerifySerializer, responses={200: dict}, tags=["provenance"])
    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise DomainError("send a JSON object: a provenance record, or "
                              '{"record": {...}, "public_key": "..."}', code="invalid")
        if "record" in body:  # the wrapped form; a bare record has no "record" field
            data = VerifySerializer(data=body)
            data.is_valid(raise_exception=True)
            record, public_key = data.validated_data["record"], data.validated_data.get(
                "public_key")
        else:
            record, public_key = body, None
        verdict = services.provenance_verify(record, public_key=public_key)
        return Response({"valid": verdict.valid, "reason": verdict.reason,
                         "key_id": record.get("key_id") if isinstance(record, dict) else None,
                         "run_id": record.get("run_id") if isinstance(record, dict) else None})


class CacheLineage(APIView):
    """The runs that produced a cached file, the runs that used it, and the chain back to
    its imported or uploaded sources."""

    @extend_schema(responses={200: dict}, tags=["provenance"])
    def get(self, request, content_hash):
        return Response(lineage.lineage(content_hash))


class RunLineage(APIView):
    """A run and the chain of runs behind its inputs, back to their imported or uploaded
    sources."""

    @extend_schema(responses={200: dict}, tags=["provenance"])
    def get(self, request, run_id):
        return Response(lineage.run_lineage(run_id))


class RunReproduce(APIView):
    """Render a completed run again, bypassing the cache, and compare the hash
    (any signed-in user). 202 when queued; 200 with the one already in flight."""

    @extend_schema(request=None, responses={202: ReproductionSerializer}, tags=["provenance"])
    def post(self, request, run_id):
        reproduction, created = reproduce.reproduction_request(run_id, by=request.user)
        return Response(ReproductionSerializer(reproduction).data,
                        status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class RunPublish(APIView):
    """Publish a completed run to the L2 registry (owner or staff). 202 when
    queued; 200 with its state when already queued or published."""

    @extend_schema(request=None, responses={202: RunSerializer}, tags=["provenance"])
    def post(self, request, run_id):
        _, queued = publish.publication_request(
            run_id, by=request.user, l1_server=services.public_url(request))
        return Response(RunSerializer(run_get(run_id)).data,
                        status=status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK)

