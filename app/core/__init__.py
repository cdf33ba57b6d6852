"""Core services every domain uses: settings, ids, errors, database helpers, users, roles, audit."""
