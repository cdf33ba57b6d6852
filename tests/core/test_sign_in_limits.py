"""Sign-in that cannot be flooded or raced: rate limits in the database (429 + Retry-After), an atomic
lockout under parallel guesses, argon2 off the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.core import credentials
from app.core.credentials import MAX_FAILED_LOGINS
from app.core.errors import Unauthenticated
from app.core.rate_limits import RateLimited
from app.core.roles import Role
from app.core.settings import get_settings
from app.core.tables import User
from tests.support import post_form, run

LOGIN = "/api/v1/auth/login"
RIGHT = "correct horse battery"


@pytest.fixture
def generous_limits(monkeypatch):
    """Rate limits out of the way, to test the lockout alone."""
    monkeypatch.setenv("GRANTS_LOGIN_PER_ACCOUNT", "1000")
    monkeypatch.setenv("GRANTS_LOGIN_PER_ADDRESS", "1000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _attempt(email: str, password: str) -> bool:
    try:
        await credentials.login(email, password, 600, "198.51.100.7")
    except Unauthenticated:
        return False
    return True


def test_parallel_guesses_lock_at_the_threshold(people, generous_limits):
    """Concurrent wrong passwords overwrote each other's count, and a racing request could clear the lock:
    the right password was accepted as the 30th of 30 parallel guesses (this test failed then on
    PostgreSQL: the count fell short of 10 and no lock was set)."""
    person = people.make(Role.CASEWORKER)

    async def storm() -> list[bool]:
        guesses = [_attempt(person.email, f"wrong guess {i:02d}") for i in range(29)]
        return await asyncio.gather(*guesses, _attempt(person.email, RIGHT))

    outcomes = run(storm())
    assert not any(outcomes[:29])
    row = run(User.select(User.locked_until, User.failed_logins).where(User.email == person.email).first())
    assert row["locked_until"] is not None, "29 wrong guesses must lock the account"
    assert not run(_attempt(person.email, RIGHT)), "the lock must hold against the right password"


def test_exactly_the_threshold_in_parallel_locks(people, generous_limits):
    person = people.make(Role.CASEWORKER)

    async def storm() -> list[bool]:
        return await asyncio.gather(*[_attempt(person.email, f"wrong {i}") for i in range(MAX_FAILED_LOGINS)])

    run(storm())
    assert not run(_attempt(person.email, RIGHT))


def test_sign_ins_per_account_are_limited_with_retry_after(people, client):
    """There was no rate limit: any number of guesses per minute (this test failed then)."""
    person = people.make(Role.CASEWORKER)
    limit = get_settings().login_per_account
    for _ in range(limit):
        assert (
            client.post(LOGIN, json={"email": person.email, "password": "wrong password"}).status_code == 401
        )
    refused = client.post(LOGIN, json={"email": person.email, "password": RIGHT})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= get_settings().login_window_s


def test_sign_ins_per_address_are_limited(client):
    limit = get_settings().login_per_address
    for i in range(limit):
        response = client.post(LOGIN, json={"email": f"nobody{i}@example.org", "password": "whatever-pw"})
        assert response.status_code == 401
    refused = client.post(LOGIN, json={"email": "another@example.org", "password": "whatever-pw"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_the_page_sign_in_is_limited_too(client):
    limit = get_settings().login_per_address
    for i in range(limit + 1):
        response = post_form(client, "/login", {"email": f"x{i}@example.org", "password": "whatever-pw"})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert "Too many attempts" in response.text


def test_a_window_that_has_passed_starts_again():
    import datetime as dt

    from app.core import rate_limits
    from app.core.db import utcnow

    limit = rate_limits.Limit("tries", 2, 60)
    start = utcnow()
    for _ in range(2):
        run(rate_limits.hit("b", limit, start))
    with pytest.raises(RateLimited):
        run(rate_limits.hit("b", limit, start + dt.timedelta(seconds=30)))
    run(rate_limits.hit("b", limit, start + dt.timedelta(seconds=61)))  # a new window


def test_passwords_are_verified_off_the_event_loop(people):
    """argon2 ran on the event loop: ten sign-ins in flight held up every request (this test failed
    then: no argon2 thread ever ran)."""
    person = people.make(Role.CASEWORKER)
    seen: list[str] = []

    async def sign_in_and_watch() -> None:
        from app.core import passwords

        original = passwords.verify_password

        def watched(*args):  # which thread verifies
            seen.append(threading.current_thread().name)
            return original(*args)

        passwords.verify_password = watched
        try:
            await credentials.login(person.email, RIGHT, 600, "")
        finally:
            passwords.verify_password = original

    run(sign_in_and_watch())
    assert seen and all(name.startswith("argon2") for name in seen)
    assert threading.main_thread().name not in seen
