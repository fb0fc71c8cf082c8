"""Hostile input, one file a surface: the API's bodies and queries
(test_api), the provenance, token and asset endpoints (test_provenance), and
the opaque values clients only hand back (test_opaque_values). Each answer is
a 4xx in the one error shape, or a clear verdict, never a 500.

The catalogue of docs/bad-input.md is test_catalogue (its cases in
cases.py); the schema fuzzer is tests/fuzz/test_schema.py."""

# The provenance surface is attacked as its own tests use it: with the owner,
# the owner's client and a completed run of tests/provenance/ (imported, not
# copied), and its quick password hasher (users are made by the dozen).
from tests.provenance.conftest import (completed_run, fast_password_hashing,  # noqa: F401
                                       owner, owner_api)
