from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from l1site.exceptions import DomainError

from . import services
from .models import ApiToken
from .serializers import CreatedTokenSerializer, TokenCreateSerializer, TokenSerializer


def _me(user) -> dict:
    return {"username": user.username, "actor": services.actor_handle(user),
            "is_staff": user.is_staff}


class Me(APIView):
    """Who the caller is: username and actor handle."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: dict}, tags=["accounts"])
    def get(self, request):
        return Response(_me(request.user))


class TokenListCreate(APIView):
    """The caller's API tokens; POST makes a new named one (its key is shown once)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: inline_serializer(
        "TokenList", {"results": TokenSerializer(many=True)})}, tags=["accounts"])
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user)
        return Response({"results": TokenSerializer(tokens, many=True).data})

    @extend_schema(request=TokenCreateSerializer, responses={201: CreatedTokenSerializer},
                   tags=["accounts"])
    def post(self, request):
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.token_create(user=request.user, name=data.validated_data["name"])
        token.key = key
        return Response(CreatedTokenSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenRevoke(APIView):
    """Revoke one of the caller's tokens; requests with it fail from now on."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: TokenSerializer}, tags=["accounts"])
    def delete(self, request, token_id):
        return Response(TokenSerializer(
            services.token_revoke(user=request.user, token_id=token_id)).data)


@login_required
def profile(request):
    """A minimal page: who you are and your API tokens."""
    return render(request, "accounts/profile.html", {
        "me": _me(request.user),
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_key": request.session.pop("new_token_key", None),
        "private": settings.L1_PRIVATE,
    })


@login_required
@require_POST
def profile_token_create(request):
    data = TokenCreateSerializer(data=request.POST)
    if not data.is_valid():
        messages.error(request, services.NAME_RULE)
        return redirect("profile")
    try:
        _, key = services.token_create(user=request.user, name=data.validated_data["name"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("profile")
    # Shown once on the next page view (POST-redirect-GET), never stored in clear.
    request.session["new_token_key"] = key
    return redirect("profile")


@login_required
@require_POST
def profile_token_revoke(request, token_id):
    try:
        token = services.token_revoke(user=request.user, token_id=token_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"token '{token.name}' revoked")
    return redirect("profile")
