"""A cache every web process shares, in the database the project has already: Django's
DatabaseCache with an atomic `incr`. django-ratelimit counts each client's hits with `incr`;
the stock one reads the value and writes it back, so simultaneous hits from several gunicorn
workers could be lost (django-ratelimit's check E003 says so). Here the row is locked first
(PostgreSQL), or the transaction holds SQLite's write lock from its start (IMMEDIATE)."""

from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction


class AtomicDatabaseCache(DatabaseCache):
    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        self.table_name = table

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        database = router.db_for_write(self.cache_model_class)
        connection = connections[database]
        with transaction.atomic(using=database):
            if connection.features.has_select_for_update:
                table = connection.ops.quote_name(self.table_name)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)
