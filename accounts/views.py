from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from l1site.error_responses import first_message
from l1site.errors import DomainError

from . import scopes, services
from .authentication import ApiTokenAuthentication, PasswordAuthentication
from .models import ApiToken
from .serializers import CreatedTokenSerializer, TokenCreateSerializer, TokenSerializer


def _me(user) -> dict:
    return {"username": user.username, "actor": services.actor_handle(user),
            "is_staff": user.is_staff}


class Me(APIView):
    """Who the caller is: username and actor handle; with a named token, that
    token's name, scopes and expiry."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: dict}, tags=["accounts"])
    def get(self, request):
        me = _me(request.user)
        if isinstance(request.auth, ApiToken):
            me["token"] = {"name": request.auth.name, "scopes": request.auth.scope_list,
                           "expires_at": request.auth.expires_at}
        return Response(me)


class TokenListCreate(APIView):
    """The caller's API tokens; POST makes a new named one (its key is shown once).

    POST also takes HTTP Basic (username and password), so a client can get a
    token without a browser. Those tries count toward the login lock-out: when
    locked, 429 with Retry-After. With a token, only an `admin` one may make
    another."""

    permission_classes = [permissions.IsAuthenticated]
    authentication_classes = [ApiTokenAuthentication, PasswordAuthentication,
                              SessionAuthentication]

    @extend_schema(responses={200: inline_serializer(
        "TokenList", {"results": TokenSerializer(many=True)})}, tags=["accounts"])
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user)
        return Response({"results": TokenSerializer(tokens, many=True).data})

    @extend_schema(
        request=TokenCreateSerializer, tags=["accounts"], responses={
            201: CreatedTokenSerializer,
            400: OpenApiResponse(description="a bad name, an unknown scope or a bad expires_in"),
            401: OpenApiResponse(description="no credentials, a wrong password, or a token "
                                             "revoked or expired (`token_expired`)"),
            403: OpenApiResponse(description="a token without the admin scope "
                                             "(`insufficient_scope`)"),
            409: OpenApiResponse(description="a live token of yours has that name"),
            429: OpenApiResponse(description="too many failed logins from this address "
                                             "(`locked_out`): the Retry-After header says how "
                                             "many seconds are left")},
        description="Make a named token. Scopes: " + ", ".join(scopes.SCOPES) + " (each includes "
                    "those before it; omitted: admin). `expires_in`: days (omitted: never). "
                    "Accepts HTTP Basic; failed passwords count toward the login lock-out "
                    "(429 with Retry-After when locked).",
        examples=[OpenApiExample("a read-only token for a week", request_only=True,
                                 value={"name": "laptop", "scopes": ["read"], "expires_in": 7})])
    def post(self, request):
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.token_create(user=request.user, **data.validated_data)
        token.key = key
        return Response(CreatedTokenSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenRevoke(APIView):
    """Revoke one of the caller's tokens; requests with it fail from now on."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: TokenSerializer}, tags=["accounts"])
    def delete(self, request, token_id):
        return Response(TokenSerializer(
            services.token_revoke(user=request.user, token_id=token_id)).data)


# The page offers one scope (each includes those before it) and a few lifetimes.
PAGE_SCOPES = [("read", "read: look only"),
               ("render", "render: upload, render, cancel, publish, name assets"),
               ("admin", "admin: everything you may do")]
PAGE_EXPIRIES = [("", "never"), ("1", "1 day"), ("7", "7 days"), ("30", "30 days"),
                 ("90", "90 days"), ("365", "1 year")]


@login_required
def profile(request):
    """A minimal page: who you are and your API tokens."""
    return render(request, "accounts/profile.html", {
        "me": _me(request.user),
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_key": request.session.pop("new_token_key", None),
        "private": settings.L1_PRIVATE,
        "scope_choices": PAGE_SCOPES,
        "expiry_choices": PAGE_EXPIRIES,
    })


@login_required
@require_POST
def profile_token_create(request):
    data = TokenCreateSerializer(data=request.POST)
    if not data.is_valid():
        messages.error(request, services.NAME_RULE if next(iter(data.errors)) == "name"
                       else first_message(data.errors))
        return redirect("profile")
    try:
        _, key = services.token_create(user=request.user, **data.validated_data)
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
