from django.contrib.auth import authenticate, get_user_model
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token

from . import lockout, scopes
from .models import ApiToken
from .services import TokenExpired, token_authenticate


class TokenExpiredError(exceptions.AuthenticationFailed):
    default_code = "token_expired"


class ScopeRequired(exceptions.PermissionDenied):
    default_code = "insufficient_scope"


class LockedOut(exceptions.APIException):
    """429 with Retry-After (DRF's handler sets the header from `wait`)."""

    status_code = 429
    default_code = "locked_out"

    def __init__(self, detail: str, wait: int):
        super().__init__(detail)
        self.wait = wait


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: a named token (accounts.ApiToken), or a
    DRF authtoken key, so clients that already hold one keep working.

    A named token is good only within its scopes, so the check is made here,
    where the credential is read: a view's own permission classes replace
    the default ones wholesale (IsAdminUser, AllowAny), and a check that one
    of them could drop would not hold. accounts.scopes decides what each
    view and method needs. request.auth is the token."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and isinstance(result[1], ApiToken):
            view = (getattr(request, "parser_context", None) or {}).get("view")
            if view is not None:
                needed = scopes.required_scope(view, request.method)
                token = result[1]
                if not scopes.grants(token.scope_list, needed):
                    raise ScopeRequired(
                        f"this token's scopes ({', '.join(token.scope_list)}) do not allow "
                        f"{request.method} {request.path}: it needs the '{needed}' scope")
        return result

    def authenticate_credentials(self, key):
        try:
            token = token_authenticate(key)
        except TokenExpired as exc:
            raise TokenExpiredError(str(exc)) from None
        if token is not None:
            if not token.user.is_active:
                raise exceptions.AuthenticationFailed("user inactive or deleted")
            return token.user, token
        legacy = Token.objects.select_related("user").filter(key=key).first()
        if legacy is None:
            raise exceptions.AuthenticationFailed("invalid or revoked token")
        if not legacy.user.is_active:
            raise exceptions.AuthenticationFailed("user inactive or deleted")
        return legacy.user, legacy  # DRF's keys predate scopes: full rights


class PasswordAuthentication(BasicAuthentication):
    """HTTP Basic (username and password), for the one endpoint that takes a
    password (POST /tokens: a client gets a token without a browser). Every
    try is counted by the login lock-out like a form login: a locked-out
    client gets 429 with Retry-After and its password is not even checked."""

    www_authenticate_realm = "artdag"

    def authenticate(self, request):
        if request.method != "POST":
            return None  # a password buys a token; everything else takes the token
        return super().authenticate(request)

    def authenticate_credentials(self, userid, password, request=None):
        # Axes marks the Django request it is given (the lock-out middleware
        # reads the mark there), not DRF's wrapper around it.
        django_request = getattr(request, "_request", request)
        model = get_user_model()
        username_field = model.USERNAME_FIELD
        if (len(userid) > model._meta.get_field(username_field).max_length
                or "\x00" in userid or "\x00" in password):
            # No user has such a name, so it is no guess worth counting; and
            # the lock-out's table could not store it.
            raise exceptions.AuthenticationFailed("invalid username or password")
        user = authenticate(request=django_request, **{username_field: userid,
                                                       "password": password})
        if getattr(django_request, "axes_locked_out", False):
            lock = lockout.lockout_for(django_request, userid) or lockout.Lockout.fresh()
            raise LockedOut(lock.message(), wait=lock.seconds_left)
        if user is None:
            raise exceptions.AuthenticationFailed("invalid username or password")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("user inactive or deleted")
        lockout.forget_failures(django_request, user.get_username())
        return user, None  # a password: full rights


class PasswordScheme(OpenApiAuthenticationExtension):
    target_class = PasswordAuthentication
    name = "basicAuth"

    def get_security_requirement(self, auto_schema):
        if auto_schema.method != "POST":
            return None  # only POST /tokens takes a password
        return super().get_security_requirement(auto_schema)

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic",
                "description": "username and password; counted by the login lock-out "
                               "(429 with Retry-After when locked)"}
