"""Cursor pagination whose cursors are opaque to clients and checked here.

A cursor is base64 of `o=<offset>&r=<reverse>&p=<position>`, the position
being the ordering field's value in the last row seen. DRF decodes it
leniently and hands the position straight to the filter (`created_at <
position`), so a crafted cursor whose position was no date (or held a NUL,
which PostgreSQL text cannot) failed inside the query, a 500, and one that
did not decode answered 404. Here every cursor that is not one we could have
made is a 400 in the one error shape.
"""

from __future__ import annotations

from base64 import b64decode
from datetime import UTC, datetime
from urllib.parse import parse_qs

from django.core.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination

from .errors import DomainError


def invalid_cursor() -> DomainError:
    return DomainError("invalid page cursor; start again from the first page (without 'cursor')",
                       code="invalid_cursor")


class CheckedCursorPagination(CursorPagination):
    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model  # the ordering field's type checks the position
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """DRF's decoding, made strict: only the three keys, once each, an
        offset of digits, a reverse of 0 or 1, and a position the ordering
        field accepts."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse_qs(querystring, keep_blank_values=True, strict_parsing=bool(querystring))
        except ValueError:  # binascii.Error and UnicodeError are ValueErrors
            raise invalid_cursor() from None
        if set(tokens) - {"o", "r", "p"} or any(len(values) != 1 for values in tokens.values()):
            raise invalid_cursor()
        offset, reverse = tokens.get("o", ["0"])[0], tokens.get("r", ["0"])[0]
        # isdigit() alone admits digits int() refuses ("²"), and int() will
        # not read a string of thousands: ASCII digits, and few of them.
        if not (offset.isascii() and offset.isdigit() and len(offset) <= 9) \
                or reverse not in ("0", "1"):
            raise invalid_cursor()
        position = tokens.get("p", [None])[0]
        if position is not None:
            position = self._checked_position(position)
        return Cursor(offset=min(int(offset), self.offset_cutoff), reverse=reverse == "1",
                      position=position)

    def _checked_position(self, raw: str) -> str:
        field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        if "\x00" in raw or not raw:
            raise invalid_cursor()
        try:
            value = field.to_python(raw)
            if isinstance(value, datetime):
                # As the cursors we make spell it (str of an aware datetime in
                # UTC), so the position compares equal to the rows' own.
                value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise invalid_cursor() from None
        if value is None:
            raise invalid_cursor()
        return str(value)


class NewestFirst(CheckedCursorPagination):
    """Cursor pagination: stays fast at any depth (no OFFSET scans) and stable
    while new rows arrive at the top."""

    ordering = ("-created_at",)
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


class ByName(CheckedCursorPagination):
    ordering = ("name",)
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 500
