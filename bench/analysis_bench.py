"""The rulebook analysis's benchmark (lms.automation.analysis): how long analysing a tenant of generated, realistic
rules takes, cold (every criteria read and compiled) and warm (the per-text caches full, as in a warm Lambda), and
how long `introduced` (the save warnings: the rulebook before and after one more rule) takes.

    python -m bench.analysis_bench                 # 500 rules, the tenant maximum
    python -m bench.analysis_bench --rules 200

The rules are generated from a seed out of the shapes lenders write: bands of days past due setting the status and
the credit status, portfolios in and out, checklist flows, customer statuses, bankruptcy, credits and resets, notices
on computed amounts, preactivation rules. The bands overlap now and then, as a real rulebook's do, so there are
findings to make. It prints figures; it asserts nothing (the target, under 2 s for 500 rules, is printed as met or
not).
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):  # the same import roots as pytest.ini
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from lms.automation import analysis  # noqa: E402
from lms.automation.analysis.criteria import criteria_of, side  # noqa: E402
from lms.automation.analysis.findings import _LABEL_FINDINGS  # noqa: E402
from lms.automation.analysis.questions import _flips, _indexed, can_both_match, implies, made_false  # noqa: E402
from lms.automation.analysis.values import domain_of  # noqa: E402
from lms.contract import Rule  # noqa: E402
from lms.labels import Labels  # noqa: E402
from lms.rules import compile_rule  # noqa: E402
from lms.store.settings import SettingRow  # noqa: E402

SEED = 20260131
TARGET_SECONDS = 2.0  # 500 rules, cold
WARM_ROUNDS = 5
COLD_ROUNDS = 3  # the best is shown (and the median): a shared machine's noise only ever adds
CREATED = datetime(2026, 1, 15, tzinfo=UTC)
WEBHOOK = "whk_01J8Z3NDEKTSV4RRFFQ69G5FAV"
SUBS = ("Repaying", "Past Due", "Delinquent", "Default")
PORTFOLIOS = ("Collections", "Legal", "Hardship", "Prime", "Subprime", "Bankruptcy", "Recovery", "Watch")
CHECKLIST = tuple(f"Step {i}" for i in range(1, 21))
CUSTOMER = ("Active", "Lead", "SCRA", "Deceased", "Bankrupt", "Hardship")


def tenant_labels() -> Labels:
    rows: list[tuple[str, dict[str, Any]]] = [
        ("loan-status", {"title": "Application", "active": True, "lateFees": False, "subStatuses": []}),
        (
            "loan-status",
            {"title": "Open", "active": True, "lateFees": True, "subStatuses": [{"title": s} for s in SUBS]},
        ),
        (
            "loan-status",
            {
                "title": "Closed",
                "active": True,
                "lateFees": False,
                "subStatuses": [{"title": "Paid Off"}, {"title": "Charged Off"}],
            },
        ),
        *(("customer-status", {"title": t, "active": True, "displayOrder": i}) for i, t in enumerate(CUSTOMER)),
        *(
            ("portfolio", {"title": t, "subPortfolios": ["Early", "Late"] if t == "Collections" else []})
            for t in PORTFOLIOS
        ),
        *(("checklist-item", {"title": t, "active": True}) for t in CHECKLIST),
    ]
    return Labels([SettingRow(kind, f"lbl_{i}", body) for i, (kind, body) in enumerate(rows)])


def _rule(index: int, name: str, criteria: str, actions: list[dict[str, Any]], **settings: Any) -> Rule:
    return Rule.model_validate(
        {
            "id": f"rul_{index:04d}",
            "name": f"{name} {index}",
            "active": True,
            "criteria": criteria,
            "actions": actions,
            "evalDaily": True,
            "evalRealTime": True,
            "addToNewLoans": True,
            "preactivation": False,
            "order": index + 1,
            "version": 1,
            "createdAt": CREATED,
            "updatedAt": CREATED,
            **settings,
        }
    )


def _band(rng: random.Random) -> tuple[int, int]:
    low = rng.randrange(0, 400)
    return low, low + rng.choice((1, 5, 10, 15, 30, 30, 30, 60))


def generate(count: int, seed: int = SEED) -> list[Rule]:  # noqa: C901 - one branch per shape of rule
    """`count` rules in the tenant order, each of one of ten shapes with drawn thresholds and titles."""
    rng = random.Random(seed)
    rules = []
    for index in range(count):
        shape = index % 10
        low, high = _band(rng)
        dpd = f"(and (>= status-days-past-due {low}) (< status-days-past-due {high}))"
        sub, portfolio, item = rng.choice(SUBS), rng.choice(PORTFOLIOS), rng.choice(CHECKLIST)
        actions: list[dict[str, Any]]
        if shape == 0:
            criteria = f'(and (= loan-status "Open") {dpd} (not bankruptcy-active))'
            actions = [
                {"type": "loan-settings", "loanStatus": "Open", "loanSubStatus": sub, "creditStatus": str(low % 97)}
            ]
        elif shape == 1:
            criteria = f'(and {dpd} (not (contains? portfolios "{portfolio}")))'
            actions = [
                {"type": "loan-settings", "addPortfolios": [portfolio]},
                {"type": "notify", "webhookId": WEBHOOK},
            ]
        elif shape == 2:
            criteria = (
                f'(and (< status-days-past-due {low}) (contains? portfolios "{portfolio}") (= loan-sub-status "{sub}"))'
            )
            actions = [{"type": "loan-settings", "removePortfolios": [portfolio]}]
        elif shape == 3:
            other = rng.choice(CHECKLIST)
            criteria = f'(and (contains? checklist "{item}") (> status-amount-due {rng.randrange(0, 5000)}))'
            actions = [{"type": "loan-checklist", "check": [other], "uncheck": [item]}]
        elif shape == 4:
            status = rng.choice(CUSTOMER)
            criteria = f'(and (= customer.primary.status "{status}") (> setup-interest-rate {rng.randrange(3, 30)}))'
            actions = [{"type": "customer-tools", "target": "primary", "setStatus": rng.choice(CUSTOMER)}]
        elif shape == 5:
            least, most = rng.randrange(0, 100), rng.randrange(100, 500)
            criteria = f"(let [p status-payoff] (and (> p {least}) (< p {most}) (>= status-days-past-due {low})))"
            actions = [{"type": "credit", "amount": {"base": "payoff"}, "category": "Small balance write-off"}]
        elif shape == 6:
            criteria = f"(> (+ status-amount-due status-due-fees) (* {rng.randrange(2, 6)} status-next-payment-amount))"
            actions = [{"type": "notify", "webhookId": WEBHOOK}]
        elif shape == 7:
            criteria = (
                f"(and bankruptcy-active (= bankruptcy-chapter {rng.choice((7, 11, 13))})"
                f' (not (contains? checklist "{item}")))'
            )
            actions = [{"type": "loan-checklist", "check": [item]}, {"type": "stop-interest", "mode": "suspend"}]
        elif shape == 8:
            criteria = (
                f'(and (contains? portfolios "Hardship") (> status-amount-due {rng.randrange(0, 1000)})'
                f' (starts-with? loan-sub-status "{sub[:4]}"))'
            )
            actions = [{"type": "apd-reset", "adjustment": "zero"}]
        else:
            score = rng.randrange(500, 800)
            criteria = f'(and (>= customer.primary.credit-score {score}) (not (contains? portfolios "{portfolio}")))'
            actions = [{"type": "loan-settings", "addPortfolios": [portfolio]}]
            rules.append(_rule(index, "Application", criteria, actions, preactivation=True))
            continue
        rules.append(_rule(index, f"Shape {shape}", criteria, actions))
    return rules


def _clear() -> None:
    """Cold: every per-text and per-pair cache of the analysis emptied (and the language's own)."""
    for cached in (criteria_of, _indexed, side, _flips, can_both_match, implies, made_false, domain_of):
        cached.cache_clear()
    compile_rule.cache_clear()
    _LABEL_FINDINGS.clear()


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, default=500, help="rules in the generated tenant (default 500)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    labels = tenant_labels()
    rules = generate(args.rules, args.seed)
    print(f"python {platform.python_version()} on {platform.machine()}, {args.rules} generated rules, seed {args.seed}")

    colds, reads = [], []
    for _ in range(COLD_ROUNDS):
        _clear()
        reads.append(timed(lambda: [criteria_of(r.criteria) for r in rules])[0])
        _clear()
        elapsed, findings = timed(lambda: analysis.analyse(rules, labels))
        colds.append(elapsed)
    read_time, cold = min(reads), min(colds)
    warm = statistics.median(timed(lambda: analysis.analyse(rules, labels))[0] for _ in range(WARM_ROUNDS))
    extra = _rule(
        args.rules,
        "New",
        "(and (>= status-days-past-due 45) (< status-days-past-due 75))",
        [{"type": "loan-settings", "loanStatus": "Open", "loanSubStatus": "Delinquent", "creditStatus": "71"}],
    )
    save_time, added = timed(lambda: analysis.introduced(rules, [*rules, extra], labels))

    kinds = Counter(f.kind for f in findings)
    print(f"  findings: {len(findings)} ({', '.join(f'{k} {kinds[k]}' for k in analysis.KINDS if kinds[k]) or 'none'})")
    print(f"  reading and compiling every criteria: {read_time:.2f} s ({read_time / len(rules) * 1000:.2f} ms a rule)")
    median = statistics.median(colds)
    print(f"  analyse, cold (nothing cached):      {cold:.2f} s (best of {COLD_ROUNDS}; median {median:.2f} s)")
    print(f"  analyse, warm (median of {WARM_ROUNDS}):        {warm:.2f} s")
    print(f"  introduced (one rule saved, warm):   {save_time:.2f} s, {len(added)} finding(s) introduced")
    if args.rules == 500:
        met = cold < TARGET_SECONDS
        print(f"  target cold < {TARGET_SECONDS:g} s for 500 rules: {'met' if met else 'NOT MET'} ({cold:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
