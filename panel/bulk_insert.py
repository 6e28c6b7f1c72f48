"""Insert many rows of a model in one statement whose size does not grow with the rows.

`Model.objects.bulk_create` sends one placeholder per value: 1,000 audit events are
12,000 parameters, and psycopg spends longer splitting that query text than PostgreSQL
spends inserting the rows. Here each column is one array parameter, unnested by the
server: `INSERT INTO t (a, b) SELECT * FROM unnest(%s::type[], %s::type[])`.

Values go through each field's `get_db_prep_save`, as `bulk_create` does (defaults are
applied when the instances are built). The primary keys the database assigns are set on
the instances, in order (PostgreSQL returns an INSERT … SELECT's rows in the order the
SELECT produced them, the order `bulk_create` relies on for its VALUES list too).
Signals are not sent, as with `bulk_create`.
"""

from __future__ import annotations

from django.db import connection, models
from psycopg import sql


def insert_all(objs: list[models.Model]) -> list[models.Model]:
    """Write OBJS (instances of one model, not yet saved) in one INSERT; returns them."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    columns = [
        [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs] for f in fields
    ]
    statement = sql.SQL(
        "INSERT INTO {table} ({cols}) SELECT * FROM unnest({arrays}) RETURNING {pk}"
    ).format(
        table=sql.Identifier(meta.db_table),
        cols=sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
        arrays=sql.SQL(", ").join(
            sql.SQL("%s::{}[]").format(sql.SQL(f.db_type(connection))) for f in fields
        ),
        pk=sql.Identifier(meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(connection.connection), columns)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
