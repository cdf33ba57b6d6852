"""Password hashing with argon2id (argon2-cffi's recommended parameters).

Hashing and verifying take ~50 ms of CPU each, on purpose. The async versions run them in a small,
bounded thread pool (argon2-cffi releases the GIL), off the event loop: ten sign-ins in flight used to
hold up every other request of the worker (GET /health went from 4 ms to 1.8 s). The pool's size
(GRANTS_PASSWORD_THREADS, default half the cores) bounds the CPU that sign-ins can take; more wait their turn.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches. With no hash it still spends the same time, so response times do
    not tell an attacker which e-mail addresses have accounts."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    from app.core.settings import get_settings

    return ThreadPoolExecutor(max_workers=get_settings().password_threads, thread_name_prefix="argon2")


async def hash_password_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool(), hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_pool(), verify_password, password_hash, password)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip() != password or not password.strip():
        return "must not start or end with spaces"
    return None
