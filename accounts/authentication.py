from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from .services import token_authenticate


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: a named token (accounts.ApiToken), or a
    DRF authtoken key, so clients that already hold one keep working."""

    def authenticate_credentials(self, key):
        token = token_authenticate(key)
        if token is not None:
            if not token.user.is_active:
                raise exceptions.AuthenticationFailed("user inactive or deleted")
            return token.user, token
        legacy = Token.objects.select_related("user").filter(key=key).first()
        if legacy is None:
            raise exceptions.AuthenticationFailed("invalid or revoked token")
        if not legacy.user.is_active:
            raise exceptions.AuthenticationFailed("user inactive or deleted")
        return legacy.user, legacy
