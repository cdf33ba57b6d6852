"""What the programme owes, as the paying side reads it: one record per approved payable and fund x programme.

The domains that approve money (vouchers: provider claims and stipends; wage subsidies: employer claims)
each list their approved payables as these records; disbursements gathers them into payment runs. A
payable's `key` names it across the system (`voucher_claim:clm_…`, `wage_claim:wcl_…`,
`stipend:vch_…:2026-03`); with its fund and programme it is the unit paid exactly once.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class Payable(NamedTuple):
    key: str
    source_type: str  # voucher_claim | wage_claim | stipend
    source_id: str
    payee: str  # prv_…, emp_… or par_…
    fund: str
    programme: str
    currency: str
    amount_minor: int  # approved, net of any offset, > 0
    period_end: dt.date  # the end of the service period or month paid
