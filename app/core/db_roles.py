"""The production set-up on PostgreSQL: the application connects as a role that owns no table.

Migrations run as the owner (`grants init` with the owner's GRANTS_DATABASE_URL). The application's role
(`grants db grant-app-role NAME`) may read and write the working tables, but on the append-only ones it
may only SELECT and INSERT (the audit log also lets it fill in its chain columns once), and it holds no
TRUNCATE on any table. Not owning them, it cannot drop or disable their triggers, alter them or change
who may use them: a stolen application password can add entries, never rewrite or remove them.
"""

from __future__ import annotations

import re

from app.core.db import engine, is_postgres
from app.core.errors import ValidationFailed

APPEND_ONLY = ("ledger_entry", "ledger_posting", "audit_event")
SEALABLE = {"audit_event": ("chain_seq", "prev_hash", "hash")}
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str) -> list[str]:
    if not _ROLE_NAME.match(role):
        raise ValidationFailed(
            "invalid_role_name", "a role name is 1-63 lower-case letters, digits or underscores", "role"
        )
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE INSERT, UPDATE, DELETE ON migration FROM {role}",  # Piccolo's record of migrations
    ]
    for table in APPEND_ONLY:
        statements.append(f"REVOKE UPDATE, DELETE ON {table} FROM {role}")
    for table, columns in SEALABLE.items():
        statements.append(f"GRANT UPDATE ({', '.join(columns)}) ON {table} TO {role}")
    return statements


async def grant_app_role(role: str) -> list[str]:
    """Run as the tables' owner, after migrations (and again after each: new tables need grants)."""
    if not is_postgres():
        raise ValidationFailed(
            "not_postgres", "database roles exist on PostgreSQL only", "GRANTS_DATABASE_URL"
        )
    statements = grant_statements(role)
    for statement in statements:
        await engine().run_ddl(statement)
    return statements
