"""Schemathesis against our own OpenAPI schema and a live server (gunicorn,
a real worker-less broker queue, the session's database): a bounded number
of generated requests per operation, fixed seed. No 5xx, and every response
matches what the schema says (status, content type, body)."""

import json
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from tests.factories import UserFactory
from tests.faults.conftest import test_database_url
from tests.faults.stack import Stack

EXAMPLES = 25
schema = schemathesis.pytest.from_fixture("api_schema")
STATUSES: Counter = Counter()  # reported for docs/reliability.md (ARTDAG_FUZZ_REPORT)


@pytest.fixture(scope="module", autouse=True)
def fuzz_report():
    yield
    if path := os.environ.get("ARTDAG_FUZZ_REPORT"):
        with open(path, "w") as out:
            json.dump(dict(STATUSES), out, indent=1, sort_keys=True)


@pytest.fixture(scope="module")
def server_url(django_db_setup, django_db_blocker, redis_url, tmp_path_factory):
    data = tmp_path_factory.mktemp("fuzz-data")
    (data / "cache" / "tmp").mkdir(parents=True)
    (data / "import").mkdir()
    with django_db_blocker.unblock():
        stack = Stack(database_url=test_database_url(), broker_url=redis_url, data_dir=data)
    try:
        yield stack.web()
    finally:
        stack.stop()


@pytest.fixture
def api_schema(server_url, transactional_db):
    from runs.demo import seed_demo

    seed_demo()
    return schemathesis.openapi.from_url(f"{server_url}/api/schema/?format=json")


@pytest.fixture
def token(transactional_db):
    staff = UserFactory(username="fuzzer", is_staff=True)
    return Token.objects.create(user=staff).key


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
                     suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_its_schema_says(case, server_url, token):
    response = case.call_and_validate(
        base_url=server_url, headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance])
    STATUSES[f"{case.operation.label} {response.status_code}"] += 1
