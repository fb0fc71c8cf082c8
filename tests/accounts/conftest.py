"""Fixtures for accounts: users with known passwords, login helpers that post
the real forms and the real API, and token clients."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import token_create
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
ADDRESS = "203.0.113.5"  # documentation addresses (RFC 5737): headers only, no traffic
OTHER_ADDRESS = "198.51.100.7"


@pytest.fixture(autouse=True)
def fast_password_hashing(fast_password_hashing):
    """Each login checks a password; the production hasher's cost buys these
    in-process tests nothing (the two-process test keeps the real one)."""


@pytest.fixture
def painter(db):
    return UserFactory(username="painter")


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger")


def page_login(client: Client, username: str, password: str, address: str = ADDRESS):
    return client.post("/login", {"username": username, "password": password, "next": "/"},
                       REMOTE_ADDR=address, HTTP_ACCEPT="text/html")


def admin_login(client: Client, username: str, password: str, address: str = ADDRESS):
    return client.post("/admin/login/?next=/admin/",
                       {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address, HTTP_ACCEPT="text/html")


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def api_login(username: str, password: str, address: str = ADDRESS, body: dict | None = None):
    """POST /tokens with HTTP Basic, as the laptop client does."""
    return APIClient().post("/tokens", body or {"name": "laptop"}, format="json",
                            HTTP_AUTHORIZATION=basic(username, password), REMOTE_ADDR=address)


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def token_client():
    """token_client(user, *scopes, expires_in=None) -> an APIClient holding a
    fresh named token with those scopes."""
    made = iter(range(1000))

    def make(user, *scopes, expires_in=None):
        _, key = token_create(user=user, name=f"t{next(made)}", scopes=list(scopes) or None,
                              expires_in=expires_in)
        return with_key(key)

    return make
