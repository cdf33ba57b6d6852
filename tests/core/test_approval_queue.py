"""The approval queue: pending approvals by kind, stage, amount and submitter, newest first, with who may
still decide each one."""

from __future__ import annotations

import pytest

from app.core import approval_queue, approvals
from app.core.actor import Actor
from app.core.db import write_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.roles import Role

SUBMITTER = Actor(None, "usr_submitter0000001", "provider", frozenset({Role.PROVIDER}))
FIRST = Actor(None, "usr_approver00000001", "first", frozenset({Role.APPROVER}))
SECOND = Actor(None, "usr_approver00000002", "second", frozenset({Role.FINANCE_OFFICER}))
OUTSIDER = Actor(None, "usr_outside000000001", "provider", frozenset({Role.PROVIDER}), 1, "prv_1", "provider")


async def _open(subject_type: str, subject_id: str, amount: int, by: Actor = SUBMITTER) -> None:
    async with write_transaction():
        await approvals.open_approval(by, subject_type, subject_id, amount, "EUR", [by.public_id])


async def _approve(actor: Actor, subject_type: str, subject_id: str) -> None:
    async with write_transaction():
        await approvals.approve(actor, subject_type, subject_id)


async def test_the_queue_filters_by_kind_stage_amount_and_submitter():
    await _open("voucher_claim", "clm_small", 50_000)
    await _open("wage_claim", "wcl_big", 1_100_000)  # above the second-approver limit
    await _open("payment_run", "prn_other", 10_000)
    await _open("voucher_claim", "clm_other", 70_000, by=SECOND)
    await _approve(FIRST, "wage_claim", "wcl_big")
    kinds = ["voucher_claim", "wage_claim"]

    async def ids(**filters) -> list[str]:
        page = await approval_queue.pending(FIRST, kinds, limit=10, **filters)
        return [w.subject_id for w in page.rows]

    assert await ids() == ["clm_other", "wcl_big", "clm_small"]
    assert await ids(stage="second") == ["wcl_big"]
    assert await ids(stage="first") == ["clm_other", "clm_small"]
    assert await ids(min_amount_minor=60_000) == ["clm_other", "wcl_big"]
    assert await ids(submitted_by=SECOND.public_id) == ["clm_other"]
    with pytest.raises(ValidationFailed):
        await ids(stage="third")
    with pytest.raises(ValidationFailed):
        await ids(submitted_by="%")


async def test_who_may_decide_and_the_second_approval_state():
    await _open("wage_claim", "wcl_big", 1_100_000)
    await _approve(FIRST, "wage_claim", "wcl_big")
    waiting = await approval_queue.for_subject(SECOND, "wage_claim", "wcl_big")
    assert waiting.second_due and waiting.required == 2
    assert waiting.approved_by_actor(FIRST) and not waiting.may_decide(FIRST)
    assert waiting.may_decide(SECOND)
    assert waiting.submitted_by(SUBMITTER) and not waiting.may_decide(SUBMITTER)
    await _approve(SECOND, "wage_claim", "wcl_big")
    done = await approval_queue.for_subject(SECOND, "wage_claim", "wcl_big")
    assert done.status == "approved" and not done.second_due and not done.may_decide(SECOND)
    assert (await approval_queue.pending(SECOND, ["wage_claim"], limit=10)).rows == []
    assert await approval_queue.for_subject(SECOND, "wage_claim", "wcl_none") is None


async def test_outside_users_have_no_queue():
    with pytest.raises(NotFound):
        await approval_queue.pending(OUTSIDER, ["voucher_claim"], limit=10)
