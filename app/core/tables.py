"""Core tables: organisations, users, their credentials, and the audit log."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organisation(Table, tablename="organisation"):
    """An outside body the programme deals with: a childcare provider or an employer."""

    public_id = Varchar(length=32, unique=True)
    kind = Varchar(length=20)
    name = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())


class User(Table, tablename="app_user"):
    public_id = Varchar(length=32, unique=True)
    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=200)
    password_hash = Varchar(length=200, null=True, default=None)
    roles = Varchar(length=200)  # comma-separated Role values
    organisation = ForeignKey(references=Organisation, null=True, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    language = Varchar(length=10, null=True, default=None)  # pages' language; None: the browser's


class ApiToken(Table, tablename="api_token"):
    """A bearer token for machines. Only its SHA-256 is stored; the token is shown once."""

    public_id = Varchar(length=32, unique=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class WebSession(Table, tablename="web_session"):
    """A signed-in browser. The cookie holds a random token; the table holds its SHA-256."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class AuditEvent(Table, tablename="audit_event"):
    """Who did what to which record, when, with the values before and after (personal data redacted)."""

    public_id = Varchar(length=32, unique=True)
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = Varchar(length=64, index=True)
    actor_label = Varchar(length=300)
    action = Varchar(length=50)
    entity_type = Varchar(length=50)
    entity_id = Varchar(length=64, index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    note = Text(default="")
    # The keyed chain, filled in once by app/core/audit_chain.py after the event commits ('' until then).
    chain_seq = BigInt(null=True, default=None, index=True)
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class AuditHead(Table, tablename="audit_head"):
    """One row: the end of the audit log's chain. Sealing locks it, so events are chained one at a time."""

    last_seq = BigInt(default=0)
    last_hash = Varchar(length=64, default="0" * 64)


class AdminRequest(Table, tablename="admin_request"):
    """A change one admin asked for that a second admin must confirm (app/core/admin_requests.py): giving
    someone a role that sees personal data, or a token for another user."""

    public_id = Varchar(length=32, unique=True)  # areq_…
    kind = Varchar(length=20)  # grant_roles | create_token
    subject = Varchar(length=32, index=True)  # the user (usr_…)
    payload = Text(default="{}")  # JSON: the roles, or the token's name and expiry
    requested_by = Varchar(length=32)
    requested_at = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=12, default="pending", index=True)  # pending | confirmed
    confirmed_by = Varchar(length=32, default="")
    confirmed_at = Timestamptz(null=True, default=None)


class KeyCheck(Table, tablename="key_check"):
    """A key check value per key (personal data, ledger): an HMAC of a fixed text under the key, so a
    start or `grants init` with another key is refused instead of sealing new data under it."""

    purpose = Varchar(length=20, unique=True)
    check_value = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())


class RateLimit(Table, tablename="rate_limit"):
    """A fixed-window counter per bucket (e.g. sign-ins from one address): shared by every worker and
    server, counted in one atomic statement (app/core/rate_limits.py)."""

    bucket = Varchar(length=300, unique=True)
    window_start = Timestamptz(default=TimestamptzNow())
    hits = Integer(default=0)


class Approval(Table, tablename="approval"):
    """Four eyes on money: a request to approve something (a claim, a payment batch) with who prepared it,
    how many distinct approvers it needs, and who approved it. Domains open and act on these through
    app/core/approvals.py; no domain checks four eyes itself."""

    public_id = Varchar(length=32, unique=True)  # apr_…
    subject_type = Varchar(length=40)
    subject_id = Varchar(length=32)
    amount_minor = BigInt()
    currency = Varchar(length=3)
    prepared_by = Text(default="[]")  # JSON list of user ids who prepared or submitted it
    required = Integer(default=1)
    approvals = Text(default="[]")  # JSON list of {"user", "at"}
    selection = Text(default="")  # JSON: what the first approver approved (e.g. the claim lines)
    status = Varchar(length=20, default="pending", index=True)  # pending | approved | rejected
    reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)


class IdempotencyRecord(Table, tablename="idempotency_record"):
    """A mutating API request made with an `Idempotency-Key`: the first response, sealed, so a retry by
    the same caller with the same key and body gets it back instead of acting twice. Unique on
    (caller, key) by an index made in the migration (app/core/idempotency.py uses it)."""

    caller = Varchar(length=64)  # the user's public id
    key = Varchar(length=255)
    fingerprint = Varchar(length=64)  # SHA-256 of method, path, query and body
    state = Varchar(length=12, default="in_progress")  # in_progress | completed
    status_code = Integer(default=0)
    response = Text(default="")  # sealed: status, headers and body of the first response
    started_s = BigInt()  # when the first request began, seconds since the epoch
    created_at = Timestamptz(default=TimestamptzNow())
