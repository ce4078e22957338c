"""Daily maintenance (docs/servicing.md#snapshots-and-daily-maintenance,
docs/rules.md#when-rules-run, docs/architecture.md#clock).

A run is one tenant's business date D: `dispatch` (every 15 minutes) creates it once the tenant's
local time has passed its maintenance hour (a conditional write: two dispatchers, one run), and
`start_run` does the same for `POST /maintenance/runs`. The run queues one "expand" message; the
worker pages through the tenant's active loans (a page per message) and queues one message per loan.

For each loan, every day from the day after it was last maintained up to D, in order: the servicing
step (the loan keeps its calculator state, so a day costs a step, not a replay), a snapshot, then the
daily rules in tenant order. The loan's write is the commit point: snapshots first (the same items
however often a day is computed), then the loan at its version with `maintainedThrough`, together with
the rule-made transactions and audit entries when rules matched (one transaction). A redelivered
message finds the loan maintained and changes nothing.

Progress: each batch writes its loans' results and adds to the run's approximate count (it can run
ahead on redelivery, never behind); when it reaches the total the results are counted exactly and
the run completes once (`maintenance.completed`). The dispatcher settles runs whose last count was lost.
"""

from .days import LoanMaintenance, LoanOutcome, maintain_many, maintain_one, plan, write_loan
from .runs import dispatch, due_date, get_run, request_run, run_id, start_run
from .snapshots import snapshots
from .worker import SETTINGS_SECONDS, expand, handle_batch, record

__all__ = [
    "LoanOutcome",
    "LoanMaintenance",
    "SETTINGS_SECONDS",
    "dispatch",
    "due_date",
    "expand",
    "get_run",
    "handle_batch",
    "maintain_many",
    "maintain_one",
    "plan",
    "record",
    "request_run",
    "run_id",
    "snapshots",
    "start_run",
    "write_loan",
]
