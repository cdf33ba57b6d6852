"""Query parameters shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

Limit = Annotated[int, Parameter(ge=1, le=100, description="page size, 1 to 100")]
Cursor = Annotated[
    str | None,
    Parameter(max_length=40, description="id of the last record of the previous page"),
]
