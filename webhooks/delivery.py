"""Sending one signed event to one URL, safely.

Signing. The body is the event as JSON (UTF-8). Each attempt carries

    X-Artdag-Event:      run.completed | run.failed
    X-Artdag-Delivery:   the event's id (a UUID; the same on every retry)
    X-Artdag-Timestamp:  seconds since the epoch when this attempt was signed
    X-Artdag-Signature:  sha256=<hex HMAC-SHA256 of "<timestamp>." + body under the secret>

A receiver recomputes the HMAC over the timestamp header, a dot and the raw
body, compares it in constant time and refuses a timestamp more than five
minutes from its clock: a captured request replayed later fails. Inside the
window, it remembers the delivery ids it has handled and answers a repeat
with a 2xx without acting on it again (a retry of a delivery it failed to
handle carries the same id, freshly signed, and is handled). ``verify``
below is that check.

Addresses. The URL's host is resolved at every attempt and every address it
gives must be public (not private, loopback, link-local, multicast, reserved
or unspecified) unless settings.WEBHOOK_ALLOW_PRIVATE; the request is then
made to that checked address (Host and TLS name kept), never resolved
again, so a DNS answer that changes between the check and the connection
(rebinding) cannot reach the server's own network. Redirects are not
followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from l1site.errors import DomainError

TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its clock


class Refused(DomainError):
    """The URL may not be called (scheme, host or address)."""

    code = "webhook_url_refused"


def body_bytes(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, headers, body: bytes, *, seen: set | None = None,
           now: float | None = None) -> bool:
    """The receiver's check, as documented above (for receivers in Python, and
    the tests). ``seen``: the delivery ids already handled; one of them again is
    refused (the caller adds an id once it has handled the event)."""
    try:
        timestamp = int(headers["X-Artdag-Timestamp"])
    except (KeyError, TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE:
        return False
    if not hmac.compare_digest(signature(secret, timestamp, body),
                               headers.get("X-Artdag-Signature", "")):
        return False
    return seen is None or headers.get("X-Artdag-Delivery", "") not in seen


def parse(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # a bracketed host that is no IPv6 address, and the like
        raise Refused(f"not a URL this server can call: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("a webhook URL must be http:// or https://")
    if not parts.hostname:
        raise Refused("a webhook URL needs a host")
    if parts.username or parts.password:
        raise Refused("a webhook URL may not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("a webhook URL's port must be a number from 1 to 65535") from None
    return parts.scheme, parts.hostname, port


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> str:
    """The address to connect to: every address the host resolves to must be
    public (one bad answer refuses it all), unless private ones are allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"the webhook's host {host!r} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused(f"the webhook's host {host!r} has no address")
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        private = [a for a in addresses if not _public(a)]
        if private:
            raise Refused(f"the webhook's host {host!r} resolves to {private[0]}, a private, "
                          "loopback or link-local address; this server does not call those",
                          code="private_address")
    return addresses[0]


def check_url(url: str) -> None:
    """At registration: the URL is well formed and its host public now."""
    scheme, host, port = parse(url)
    resolve(host, port)


def post(url: str, body: bytes, headers: dict) -> int:
    """POST to the checked address of the URL's host. Returns the status;
    raises Refused for an address it may not call, urllib3 errors otherwise."""
    scheme, host, port = parse(url)
    address = resolve(host, port)
    parts = urlsplit(url)  # parse() read it already
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, port, timeout=timeout, retries=False,
                                           server_hostname=host, assert_hostname=host,
                                           cert_reqs="CERT_REQUIRED")
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    default_port = 443 if scheme == "https" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
    try:
        reply = pool.urlopen("POST", target, body=body, redirect=False, preload_content=True,
                             headers={**headers, "Host": host_header})
        return reply.status
    finally:
        pool.close()
