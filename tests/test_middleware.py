"""The headers l1site.middleware puts on every response: no sniffing, no
framing, no referrer off the site, and the Content-Security-Policy."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/runs", "/admin/login/", "/docs", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "img-src 'self' data:" in csp and "frame-ancestors 'none'" in csp
