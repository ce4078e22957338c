"""Payment processors: what AutoPay collects through (docs/http.md#autopay).

A processor takes a charge with an idempotency key (the loan, its AutoPay and the day) and answers whether
it succeeded; the same key always gets the same answer and moves money at most once, which is what makes
a maintenance run that is repeated or retried safe (every processor worth plugging in honours such keys).
The one shipped is `local`: it moves no money and answers from the payment method's token, so a test or a
demo can tell it to fail:

- `tok_nsf...`: declined, insufficient funds (NSF);
- `tok_closed...`: declined, account closed;
- anything else: collected.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class Charge:
    key: str  # idempotency key: one charge per key, whatever the number of calls
    amount: Decimal
    method_type: str
    token: str


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str
    reason: str | None = None


class Processor(Protocol):
    def charge(self, charge: Charge) -> ChargeResult: ...


class LocalProcessor:
    """Moves no money; declines by token (see the module's text)."""

    DECLINES = {"tok_nsf": "NSF: insufficient funds", "tok_closed": "account closed"}

    def charge(self, charge: Charge) -> ChargeResult:
        reference = "loc_" + hashlib.sha256(charge.key.encode()).hexdigest()[:20]
        for prefix, reason in self.DECLINES.items():
            if charge.token.startswith(prefix):
                return ChargeResult(False, reference, reason)
        return ChargeResult(True, reference)


PROCESSORS: dict[str, Processor] = {"local": LocalProcessor()}
