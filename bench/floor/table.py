"""The floor's one table, created with raw SQL so that it stays out of the project's migrations."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction

TABLE = "bench_floor_ballot"

_DDL = {
    "sqlite": f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        poll_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        choice TEXT NOT NULL,
        receipt VARCHAR(24) NOT NULL,
        cast_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT bench_floor_once UNIQUE (poll_id, user_id))""",
    "postgresql": f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id BIGSERIAL PRIMARY KEY,
        poll_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        choice TEXT NOT NULL,
        receipt VARCHAR(24) NOT NULL,
        cast_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT bench_floor_once UNIQUE (poll_id, user_id))""",
}


def ensure_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_DDL[connection.vendor])


def ballot_insert(*, poll_id: int, user_id: int, choice: Any) -> tuple[str, int]:
    """Insert one ballot in its own transaction; return its receipt and the poll's count.

    Raises ``django.db.IntegrityError`` for a second ballot of the same user.
    """
    text = json.dumps(choice, sort_keys=True)
    receipt = hashlib.sha256(f"{poll_id}:{user_id}:{text}".encode()).hexdigest()[:16]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (poll_id, user_id, choice, receipt) VALUES (%s, %s, %s, %s)",
            [poll_id, user_id, text, receipt],
        )
    return receipt, ballot_count(poll_id=poll_id)


def ballot_count(*, poll_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE poll_id = %s", [poll_id])
        return int(cursor.fetchone()[0])


def ballot_rows(*, poll_id: int) -> list[tuple[int, str]]:
    """(user id, receipt) of every stored ballot of the poll."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT user_id, receipt FROM {TABLE} WHERE poll_id = %s", [poll_id])
        return [(int(u), r) for u, r in cursor.fetchall()]
