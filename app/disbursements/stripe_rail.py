"""The Stripe Connect rail, through the real SDK (`StripeClient`): one Transfer per instruction to the
payee's connected account, `transfer_group` = the run, metadata = the instruction, and an idempotency key
`grants-<instruction>-<attempt>` stored before the call.

Outcomes of a send:
- sent: Stripe made the transfer (a retry with the same key replays the same answer);
- refused: Stripe said no for a reason of the payee's account (4xx): the instruction fails, nothing moved;
- unknown: a timeout or connection error after the SDK's retries, or a rate limit: try again later with the
  SAME key; a 5xx whose answer Stripe saved under the key: look for the transfer by its group and metadata,
  and only if none exists try again with the next attempt's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

from app.core.errors import GrantsError, ValidationFailed
from app.disbursements import config
from app.disbursements.stripe_fake import FakeStripe

TRANSFER_COLUMNS = ("transfer_id", "destination_payment")  # set from Stripe's answer, written by the submit
_override: stripe.HTTPClient | None = None
_shared_fake: FakeStripe | None = None


class StripeUnavailable(GrantsError):
    """Our side of Stripe is wrong (keys, permissions): stop, change nothing."""

    status_code = 502
    error_type = "api_error"


def use_http_client(client: stripe.HTTPClient | None) -> None:
    """Send every Stripe call through this HTTP client (tests pass the recording fake)."""
    global _override
    _override = client


def _http_client() -> stripe.HTTPClient | None:
    global _shared_fake
    if _override is not None:
        return _override
    if config.stripe_http() == "fake":
        state = config.stripe_fake_state() or None
        if _shared_fake is None or str(_shared_fake.state_file or "") != str(state or ""):
            _shared_fake = FakeStripe(state)
        return _shared_fake
    return None


def client() -> stripe.StripeClient:
    http = _http_client()
    key = config.stripe_api_key() or ("sk_test_grants_fake" if http is not None else "")
    if not key:
        raise ValidationFailed(
            "stripe_not_configured", "set GRANTS_STRIPE_API_KEY to pay by Stripe Connect", "method"
        )
    return stripe.StripeClient(key, http_client=http, max_network_retries=2)


def idempotency_key(instruction: str, attempt: int) -> str:
    return f"grants-{instruction}-{attempt}"


@dataclass(frozen=True)
class Outcome:
    kind: str  # sent | refused | unknown
    transfer_id: str = ""
    destination_payment: str = ""
    code: str = ""
    message: str = ""
    next_attempt: bool = False  # unknown after a saved 5xx, and no transfer exists: use a new key


def _sent(transfer: Any) -> Outcome:
    return Outcome("sent", transfer.id, getattr(transfer, "destination_payment", "") or "")


async def send(sc: stripe.StripeClient, row: dict[str, Any], account: str) -> Outcome:
    params = {
        "amount": row["amount_minor"],
        "currency": row["currency"].lower(),
        "destination": account,
        "transfer_group": row["run"],
        "metadata": {"instruction": row["public_id"], "run": row["run"], "payee": row["payee"]},
        "description": f"Payment {row['public_id']}",
    }
    try:
        transfer = await sc.v1.transfers.create_async(params, {"idempotency_key": row["idempotency_key"]})
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        return Outcome("unknown", message=str(exc.user_message or exc))
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        raise StripeUnavailable(
            "stripe_unavailable", f"Stripe refused our credentials: {exc.user_message}"
        ) from exc
    except stripe.StripeError as exc:
        if (exc.http_status or 500) >= 500:
            found = await find_transfer(sc, row["run"], row["public_id"])
            if found is not None:
                return _sent(found)
            return Outcome("unknown", message=str(exc.user_message or exc), next_attempt=True)
        return Outcome(
            "refused", code=str(exc.code or "stripe_refused"), message=str(exc.user_message or exc)
        )
    return _sent(transfer)


async def find_transfer(sc: stripe.StripeClient, run: str, instruction: str) -> Any | None:
    page = await sc.v1.transfers.list_async({"transfer_group": run, "limit": 100})
    while True:
        for transfer in page.data:
            if metadata(transfer).get("instruction") == instruction:
                return transfer
        if not page.has_more or not page.data:
            return None
        page = await sc.v1.transfers.list_async(
            {"transfer_group": run, "limit": 100, "starting_after": page.data[-1].id}
        )


async def fetch_transfer(sc: stripe.StripeClient, transfer_id: str) -> Any | None:
    try:
        return await sc.v1.transfers.retrieve_async(transfer_id)
    except stripe.InvalidRequestError:
        return None


async def fetch_payout(sc: stripe.StripeClient, payout_id: str, account: str) -> Any | None:
    try:
        return await sc.v1.payouts.retrieve_async(payout_id, options={"stripe_account": account})
    except stripe.InvalidRequestError:
        return None


async def payout_sources(sc: stripe.StripeClient, payout_id: str, account: str) -> set[str]:
    """The payments (py_…) a connected account's payout carried: our transfers' destination payments."""
    page = await sc.v1.balance_transactions.list_async(
        {"payout": payout_id, "limit": 100}, options={"stripe_account": account}
    )
    sources = set()
    while True:
        sources |= {str(t.source) for t in page.data if getattr(t, "source", None)}
        if not page.has_more or not page.data:
            return sources
        page = await sc.v1.balance_transactions.list_async(
            {"payout": payout_id, "limit": 100, "starting_after": page.data[-1].id},
            options={"stripe_account": account},
        )


async def reverse_transfer(sc: stripe.StripeClient, transfer_id: str, key: str) -> None:
    """Pull a transfer back from the connected account (its payout to the bank failed)."""
    await sc.v1.transfers.reversals.create_async(transfer_id, {}, {"idempotency_key": key})


def metadata(obj: Any) -> dict[str, str]:
    """A Stripe object's metadata as a plain dict (the SDK's objects are not dicts)."""
    found = getattr(obj, "metadata", None)
    if found is None:
        return {}
    return found.to_dict() if hasattr(found, "to_dict") else dict(found)


def fully_reversed(transfer: Any) -> bool:
    return bool(transfer.reversed) or (transfer.amount_reversed or 0) >= transfer.amount


async def transfers_of_run(sc: stripe.StripeClient, run: str) -> list[Any]:
    """Every transfer of a run (its transfer_group), page by page."""
    found: list[Any] = []
    params: dict[str, Any] = {"transfer_group": run, "limit": 100}
    while True:
        page = await sc.v1.transfers.list_async(params)
        found += list(page.data)
        if not page.has_more or not page.data:
            return found
        params = {**params, "starting_after": page.data[-1].id}
