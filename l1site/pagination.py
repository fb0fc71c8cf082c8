from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    """Cursor pagination: stays fast at any depth (no OFFSET scans) and stable
    while new rows arrive at the top."""

    ordering = ("-created_at",)
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


class ByName(CursorPagination):
    ordering = ("name",)
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 500
