"""A recording fake of the few Stripe endpoints payouts use, behind the real SDK's HTTP client interface.

No offline server implements Connect transfers, so tests and demos pass this to
`StripeClient(http_client=...)`: the real SDK builds every request (form body, Idempotency-Key and
Stripe-Account headers, retries), and this answers like Stripe does — idempotency keys replay the first
response (even an error), transfers can be reversed, connected accounts' payouts can fail. Every request is
recorded. With a state file, processes share one fake Stripe (a test kills one and starts another).

Endpoints: POST /v1/transfers, GET /v1/transfers[/{id}], POST /v1/transfers/{id}/reversals,
GET /v1/payouts[/{id}] (of the Stripe-Account), GET /v1/balance_transactions?payout=.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _empty() -> dict[str, Any]:
    return {
        "transfers": {},
        "payouts": {},
        "balance_transactions": [],
        "keys": {},
        "refused_accounts": {},
        "faults": [],
        "requests": [],
    }


class FakeStripe(stripe.HTTPClient):
    name = "grants-fake"

    def __init__(self, state_file: str | Path | None = None) -> None:
        super().__init__()
        self.state_file = Path(state_file) if state_file else None
        self._state = _empty()

    # --- what tests arrange ------------------------------------------------------------------------

    def refuse_account(self, account: str, code: str = "account_invalid") -> None:
        """Transfers to this connected account are refused (400) with this error code."""
        with self._locked() as state:
            state["refused_accounts"][account] = code

    def add_faults(self, *faults: str) -> None:
        """The next POST /v1/transfers calls fail in turn: `timeout` (the request never arrives),
        `timeout_after` (the transfer is made but the answer is lost), or `500`."""
        with self._locked() as state:
            state["faults"].extend(faults)

    def reverse(self, transfer_id: str) -> dict[str, Any]:
        """Stripe-side reversal (e.g. from the dashboard)."""
        with self._locked() as state:
            transfer = state["transfers"][transfer_id]
            transfer.update(reversed=True, amount_reversed=transfer["amount"])
            return dict(transfer)

    def fail_payout(self, account: str, transfer_ids: list[str], code: str = "account_closed") -> str:
        """A payout from a connected account that carried these transfers, failed."""
        return self.pay_out(account, transfer_ids, status="failed", code=code)

    def pay_out(
        self,
        account: str,
        transfer_ids: list[str],
        status: str = "paid",
        code: str = "",
        others: tuple[tuple[str, int], ...] = (),
    ) -> str:
        """A payout from a connected account to its bank that carried these transfers (each a balance
        transaction whose source is the transfer's destination payment) and `others` (source, amount):
        money from elsewhere. Its status is paid, failed (with `code`), pending or in_transit."""
        with self._locked() as state:
            payout = _id("po")
            pieces = [(state["transfers"][t]["destination_payment"], state["transfers"][t]["amount"])
                      for t in transfer_ids] + list(others)  # fmt: skip
            state["payouts"][payout] = {
                "id": payout,
                "object": "payout",
                "account": account,
                "amount": sum(amount for _, amount in pieces),
                "currency": "eur",
                "status": status,
                "failure_code": code if status == "failed" else None,
                "failure_message": "The bank account has been closed" if status == "failed" else None,
                "arrival_date": int(time.time()),
                "created": int(time.time()),
            }
            for source, amount in pieces:
                state["balance_transactions"].append(
                    {
                        "id": _id("txn"),
                        "object": "balance_transaction",
                        "account": account,
                        "payout": payout,
                        "source": source,
                        "amount": amount,
                        "currency": "eur",
                        "type": "payment",
                    }
                )
            return payout

    def set_payout_status(self, payout: str, status: str, code: str = "") -> None:
        """A payout moves on (e.g. pending -> paid, or paid -> failed)."""
        with self._locked() as state:
            state["payouts"][payout].update(status=status, failure_code=code or None)

    # --- what tests read -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._locked() as state:
            return list(state["requests"])

    @property
    def transfers(self) -> dict[str, dict[str, Any]]:
        with self._locked() as state:
            return dict(state["transfers"])

    def transfer(self, transfer_id: str) -> dict[str, Any]:
        return self.transfers[transfer_id]

    # --- the HTTP client interface -------------------------------------------------------------------

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None):
        return self._handle(method.upper(), url, dict(headers or {}), post_data)

    async def request_async(self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage=None):
        return self._handle(method.upper(), url, dict(headers or {}), post_data)

    def request_stream(self, *args: Any, **kwargs: Any):
        raise NotImplementedError("streaming is not used")

    async def request_stream_async(self, *args: Any, **kwargs: Any):
        raise NotImplementedError("streaming is not used")

    def sleep_async(self, secs: float):
        return asyncio.sleep(min(secs, 0.05))  # retries back off, but tests need not wait for real

    def close(self) -> None:
        """Nothing to close."""

    async def close_async(self) -> None:
        """Nothing to close."""

    # --- state ---------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        if self.state_file is None:
            yield self._state
            return
        lock = self.state_file.with_suffix(".lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                state = json.loads(self.state_file.read_text()) if self.state_file.exists() else _empty()
                yield state
                temporary = self.state_file.with_suffix(".tmp")
                temporary.write_text(json.dumps(state))
                temporary.replace(self.state_file)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _handle(self, method: str, url: str, headers: dict[str, str], body: Any):
        parts = urlsplit(url)
        params = dict(parse_qsl(body.decode() if isinstance(body, bytes) else (body or "")))
        params.update(dict(parse_qsl(parts.query)))
        key = headers.get("Idempotency-Key", "")
        account = headers.get("Stripe-Account", "")
        with self._locked() as state:
            state["requests"].append(
                {
                    "method": method,
                    "path": parts.path,
                    "params": params,
                    "idempotency_key": key,
                    "account": account,
                }
            )
            if method == "POST" and parts.path == "/v1/transfers" and state["faults"]:
                fault = state["faults"].pop(0)
                if fault == "timeout":
                    raise stripe.APIConnectionError("Request timed out (fake)", should_retry=True)
                if fault == "timeout_after":
                    self._answer(state, method, parts.path, params, key, account)
                    raise stripe.APIConnectionError("Request timed out (fake)", should_retry=True)
                status, payload = 500, {"error": {"type": "api_error", "message": "fake server error"}}
                if key:
                    state["keys"][key] = {"request": params, "status": status, "body": payload}
                return self._reply(status, payload)
            status, payload = self._answer(state, method, parts.path, params, key, account)
        return self._reply(status, payload)

    @staticmethod
    def _reply(status: int, payload: dict[str, Any]):
        return json.dumps(payload), status, {"Request-Id": _id("req"), "Content-Type": "application/json"}

    def _answer(
        self, state: dict, method: str, path: str, params: dict, key: str, account: str
    ) -> tuple[int, dict[str, Any]]:
        if method == "POST" and key:
            seen = state["keys"].get(key)
            if seen is not None:
                if seen["request"] != params:
                    return 400, _error(
                        "idempotency_error",
                        "Keys for idempotent requests can only be used "
                        "with the same parameters they were first used with.",
                    )
                return seen["status"], seen["body"]
        status, payload = self._route(state, method, path, params, account)
        if method == "POST" and key:
            state["keys"][key] = {"request": params, "status": status, "body": payload}
        return status, payload

    def _route(self, state: dict, method: str, path: str, params: dict, account: str) -> tuple[int, dict]:
        segments = path.strip("/").split("/")[1:]
        if segments == ["transfers"] and method == "POST":
            return self._create_transfer(state, params)
        if segments == ["transfers"] and method == "GET":
            found = [
                t for t in state["transfers"].values() if t["transfer_group"] == params.get("transfer_group")
            ]
            return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/transfers"}
        if len(segments) == 2 and segments[0] == "transfers" and method == "GET":
            found = state["transfers"].get(segments[1])
            return (200, found) if found else (404, _error("resource_missing", "No such transfer"))
        if len(segments) == 3 and segments[0] == "transfers" and segments[2] == "reversals":
            transfer = state["transfers"].get(segments[1])
            if transfer is None:
                return 404, _error("resource_missing", "No such transfer")
            transfer.update(reversed=True, amount_reversed=transfer["amount"])
            return 200, {
                "id": _id("trr"),
                "object": "transfer_reversal",
                "amount": transfer["amount"],
                "transfer": transfer["id"],
                "currency": transfer["currency"],
            }
        if segments == ["payouts"] and method == "GET":
            found = [p for p in state["payouts"].values() if p["account"] == account]
            return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/payouts"}
        if len(segments) == 2 and segments[0] == "payouts" and method == "GET":
            payout = state["payouts"].get(segments[1])
            if payout is None or payout["account"] != account:
                return 404, _error("resource_missing", "No such payout")
            return 200, payout
        if segments == ["balance_transactions"] and method == "GET":
            found = [
                b
                for b in state["balance_transactions"]
                if b["payout"] == params.get("payout") and b["account"] == account
            ]
            return 200, {
                "object": "list",
                "data": found,
                "has_more": False,
                "url": "/v1/balance_transactions",
            }
        return 404, _error("resource_missing", f"Unrecognized request URL ({method}: {path})")

    @staticmethod
    def _create_transfer(state: dict, params: dict) -> tuple[int, dict]:
        destination = params.get("destination", "")
        refused = state["refused_accounts"].get(destination)
        if refused:
            return 400, _error(refused, f"The destination account {destination} cannot receive transfers")
        transfer = {
            "id": _id("tr"),
            "object": "transfer",
            "amount": int(params["amount"]),
            "amount_reversed": 0,
            "currency": params["currency"],
            "destination": destination,
            "destination_payment": _id("py"),
            "transfer_group": params.get("transfer_group"),
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "description": params.get("description"),
            "reversed": False,
            "created": int(time.time()),
            "livemode": False,
        }
        state["transfers"][transfer["id"]] = transfer
        return 200, transfer


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}
