"""How Xero says which rate limit a refused call hit.

Every 429 carries `X-Rate-Limit-Problem`: `minute` (60 calls a minute per organisation),
`day` (5,000 a day), `appminute` (10,000 a minute per app) or `concurrent` (5 in flight); the
minute and day limits also carry `Retry-After`, in seconds. The day limit is the one worth
stopping for: its wait is hours.
"""

from __future__ import annotations

import requests

DAY = "day"


def rate_limit_problem(response: requests.Response) -> str:
    """`minute`, `day`, `appminute`, `concurrent`, or "" when the answer names none."""
    return response.headers.get("X-Rate-Limit-Problem", "").strip().lower()


def is_daily_limit(response: requests.Response) -> bool:
    return response.status_code == 429 and rate_limit_problem(response) == DAY
