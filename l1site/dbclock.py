"""The database's clock, for the times that several hosts write and compare.

A worker on one host writes a run's heartbeat or a step's lease; the sweep or
another worker on a second host judges it stale. Each host's own clock may be
seconds or minutes off (no NTP in a container, a VM resumed from a snapshot),
so those times are written and compared by the database, inside the UPDATE or
the filter itself (Django's Now(): STATEMENT_TIMESTAMP() on PostgreSQL, the
file's own clock reading on SQLite, which is the one host in that mode).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper
from django.db.models.expressions import Expression
from django.db.models.functions import Now
from django.db.models.sql import Query

__all__ = ["Now", "db_after", "db_ago", "db_now", "db_sql"]


def db_after(seconds: float) -> Expression:
    """The database's now plus some seconds (a lease's end)."""
    return ExpressionWrapper(Now() + timedelta(seconds=seconds), output_field=DateTimeField())


def db_ago(seconds: float) -> Expression:
    """The database's now minus some seconds (the oldest heartbeat still alive)."""
    return ExpressionWrapper(Now() - timedelta(seconds=seconds), output_field=DateTimeField())


def db_sql(expression: Expression) -> tuple[str, list]:
    """An expression as SQL and parameters, for the statements the ORM
    cannot write (UPDATE ... RETURNING)."""
    query = Query(None)
    sql, params = query.get_compiler(connection=connection).compile(
        expression.resolve_expression(query))
    return sql, list(params)


def db_now() -> datetime:
    """The database's clock reading, for the rare comparison made in Python."""
    sql, params = db_sql(Now())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        value = cursor.fetchone()[0]
    if isinstance(value, str):  # SQLite answers in text, in UTC
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
