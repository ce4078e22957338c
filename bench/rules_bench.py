"""The rule language's benchmark (issue 3): how fast a compiled rule runs against a hand-written lambda,
the `rule-engine` and `zen-engine` packages and naive `hy.eval`, and how long validation+compile takes.

    python -m bench.rules_bench            # what `make bench` runs
    python -m bench.rules_bench --strict   # also exit non-zero when a target is missed

One run over the same generated loan contexts (seeded, Decimal money) for every engine, timed chunk by
chunk (best round per chunk); the lambda and the compiled rule take turns within each chunk, so machine
noise hits both. Exit status: 1 when the engines disagree on how many contexts match (2 with
--strict when a target is missed too).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "shared"):  # the same import roots as pytest.ini
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import hy  # noqa: E402  (only the bench ever hands rule text to hy.eval)
import rule_engine  # noqa: E402
import zen  # noqa: E402

from lms.rules import compile_rule  # noqa: E402

CONTEXTS = int(os.environ.get("RULES_BENCH_CONTEXTS", "100000"))
SEED = 20260131
CHUNK = 5_000  # contexts timed per turn
FAST_ROUNDS = 15  # lambda and compiled, interleaved chunk by chunk
ENGINE_ROUNDS = 3  # rule-engine, zen-engine, hy.eval
HY_SAMPLE = 300
COMPILE_REPETITIONS = 200
TARGET_RATIO = 0.9  # compiled >= 0.9x the lambda
TARGET_COMPILE_MS = {"R2": 5.0}  # validation+compile under 5 ms

R1 = '(and (> status-days-past-due 30) (= loan-status "Open") (not= customer.primary.status "SCRA"))'
R2 = (
    "(or (and (> status-days-past-due 90) (> (* status-payoff 0.05) 250))"
    ' (and (= loan-sub-status "Bankruptcy") (not (contains? portfolios "Collections")))'
    " (>= (+ status-principal-balance status-interest-accrued status-due-fees) (* 1.1 setup-loan-amount)))"
)

# ------------------------------------------------------------------ (a) the hand-written baseline

D_0_05 = Decimal("0.05")
D_1_1 = Decimal("1.1")


def lambda_r1(c):
    return c["status-days-past-due"] > 30 and c["loan-status"] == "Open" and c["customer.primary.status"] != "SCRA"


def lambda_r2(c):
    return (
        (c["status-days-past-due"] > 90 and c["status-payoff"] * D_0_05 > 250)
        or (c["loan-sub-status"] == "Bankruptcy" and "Collections" not in c["portfolios"])
        or (
            c["status-principal-balance"] + c["status-interest-accrued"] + c["status-due-fees"]
            >= D_1_1 * c["setup-loan-amount"]
        )
    )


# ------------------------------------------------------------------ (c) rule-engine and (d) zen-engine texts
# Symbols are the catalogue names with "-" and "." made "_" (neither engine accepts them in a name).

RULE_ENGINE_TEXT = {
    "R1": 'status_days_past_due > 30 and loan_status == "Open" and customer_primary_status != "SCRA"',
    "R2": (
        "(status_days_past_due > 90 and status_payoff * 0.05 > 250)"
        ' or (loan_sub_status == "Bankruptcy" and not ("Collections" in portfolios))'
        " or (status_principal_balance + status_interest_accrued + status_due_fees >= 1.1 * setup_loan_amount)"
    ),
}
ZEN_TEXT = RULE_ENGINE_TEXT  # the ZEN expression language reads both the same way


def snake(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


# ------------------------------------------------------------------ the loan contexts

TODAY = datetime.date(2026, 5, 15)
CENT = Decimal("0.01")


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)  # exactly 2 places, like the domain's money


def make_context(rng: random.Random) -> dict[str, Any]:
    """One loan's rule context, keyed by catalogue names (string objects of their own: see _KEY); spread so
    that R1 and R2 each match about a quarter of the loans, with some exact boundaries (dpd 30/90, payoff
    5000.00, 110% of the amount)."""
    r = rng.random()
    status = "Application" if r < 0.08 else "Closed" if r < 0.16 else "Open"
    amount_cents = rng.randrange(1_000, 50_001) * 100 + rng.choice((0, 0, 0, rng.randrange(100)))
    amount = money(amount_cents)
    rate = Decimal(rng.randrange(399, 3600)).scaleb(-2)
    term = rng.choice((12, 24, 36, 48, 60, 72))
    dpd = 0
    if status == "Open":
        r = rng.random()
        dpd = (
            0
            if r < 0.50
            else rng.randint(1, 30)
            if r < 0.65
            else rng.randint(31, 90)
            if r < 0.77
            else rng.randint(91, 400)
        )
    if status == "Open":
        fraction = rng.uniform(1.0, 1.2) if rng.random() < 0.04 else rng.uniform(0.05, 1.0)  # 4% negative amortization
        principal_cents = int(amount_cents * fraction)
    else:
        principal_cents = amount_cents if status == "Application" else 0
    interest_cents = int(principal_cents * float(rate) / 36500 * (dpd + rng.randint(0, 30))) if status == "Open" else 0
    fees_cents = 0 if dpd == 0 else rng.choice((0, 1500, 2500, 3500)) * (1 + dpd // 30)
    boundary = rng.random()
    if status == "Open" and boundary < 0.004:  # payoff exactly 5000.00 (R2's first clause is false) or 5000.01
        dpd = rng.randint(91, 200)
        interest_cents, fees_cents = 12_345, 2_500
        principal_cents = 500_000 + rng.randint(0, 1) - interest_cents - fees_cents
    elif status == "Open" and boundary < 0.008:  # balances exactly 1.1 x the amount (>= holds), or a cent short
        amount_cents -= amount_cents % 10
        amount = money(amount_cents)
        fees_cents = rng.randrange(0, 5_000)
        interest_cents = rng.randrange(0, 20_000)
        principal_cents = amount_cents * 11 // 10 - interest_cents - fees_cents - rng.randint(0, 1)
    elif status == "Open" and boundary < 0.012:
        dpd = rng.choice((30, 31, 90, 91))
    principal, interest, fees = money(principal_cents), money(interest_cents), money(fees_cents)
    installment = (amount / term * (1 + rate / 100)).quantize(CENT)
    if status == "Open":
        sub_status = rng.choices(("Repaying", "Bankruptcy", "Hardship", None), (85, 7, 4, 4))[0]
    elif status == "Closed":
        sub_status = rng.choice(("Paid Off", "Charged Off", "Bankruptcy"))
    else:
        sub_status = None
    portfolios = set()
    if rng.random() < (0.6 if dpd > 30 else 0.05):
        portfolios.add("Collections")
    for title, p in (("Auto", 0.4), ("Personal", 0.5), ("Hardship", 0.05)):
        if rng.random() < p:
            portfolios.add(title)
    has_primary = rng.random() >= 0.04
    primary_status = rng.choices(("Active", "SCRA", "Deceased"), (90, 8, 2))[0] if has_primary else None
    has_secondary = rng.random() < 0.25
    secondary_status = rng.choice(("Active", "SCRA")) if has_secondary else None
    contract = TODAY - datetime.timedelta(days=rng.randint(30, 1800))
    first_payment = contract + datetime.timedelta(days=30)
    paid_cents = max(0, amount_cents - principal_cents) + rng.randrange(0, 100_000)
    last_payment = (
        None
        if status == "Application" or rng.random() < 0.05
        else TODAY - datetime.timedelta(days=dpd + rng.randint(0, 30))
    )
    primary_score = rng.randint(450, 850) if has_primary else None
    secondary_score = rng.randint(450, 850) if has_secondary else None
    bankrupt = sub_status == "Bankruptcy"
    context = {
        "status-days-past-due": dpd,
        "status-amount-due": money(
            min(fees_cents + (dpd // 30) * int(installment * 100), principal_cents + interest_cents + fees_cents)
        ),
        "status-payoff": principal + interest + fees,
        "status-perdiem": (principal * rate / 36500).quantize(CENT),
        "status-principal-balance": principal,
        "status-interest-accrued": interest,
        "status-due-fees": fees,
        "status-next-payment-date": TODAY + datetime.timedelta(days=rng.randint(1, 30)),
        "status-next-payment-amount": installment,
        "status-last-payment-date": last_payment,
        "status-last-payment-amount": None if last_payment is None else installment,
        "status-loan-recency": None if last_payment is None else (TODAY - last_payment).days,
        "status-total-paid": money(paid_cents),
        "status-orig-maturity-date": first_payment + datetime.timedelta(days=30 * (term - 1)),
        "loan-status": status,
        "loan-sub-status": sub_status,
        "credit-status": rng.choice(("Current", "30 Days Late", "Charge-off")),
        "portfolios": frozenset(portfolios),
        "sub-portfolios": frozenset(),
        "checklist": frozenset({"Docs signed"} if rng.random() < 0.7 else ()),
        "loan-active": status != "Application",
        "loan-archived": False,
        "interest-stopped": rng.random() < 0.02,
        "charged-off": sub_status == "Charged Off",
        "bankruptcy-active": bankrupt,
        "bankruptcy-chapter": rng.choice((7, 13)) if bankrupt else None,
        "setup-loan-amount": amount,
        "setup-interest-rate": rate,
        "setup-loan-term": term,
        "setup-payment-frequency": "monthly",
        "setup-contract-date": contract,
        "setup-first-payment-date": first_payment,
        "setup-grace-days": 10,
        "customer.primary.status": primary_status,
        "customer.secondary.status": secondary_status,
        "customer.primary.id": f"cus_{rng.randrange(10**9):09d}" if has_primary else None,
        "customer.secondary.id": f"cus_{rng.randrange(10**9):09d}" if has_secondary else None,
        "customer.primary.credit-score": primary_score,
        "customer.secondary.credit-score": secondary_score,
        "customer.primary": {"status": primary_status, "credit-score": primary_score} if has_primary else None,
        "customer.secondary": {"status": secondary_status, "credit-score": secondary_score} if has_secondary else None,
        "custom-fields": {},
        "customer-statuses": frozenset(s for s in (primary_status, secondary_status) if s is not None),
        "current-date": TODAY,
    }
    return {_key(name): value for name, value in context.items()}


_KEYS: dict[str, str] = {}


def _key(name: str) -> str:
    """The context's key for a name: an equal string but not the very object in this module's code (which
    the lambdas' constants are), nor the catalogue's (which the compiled rule's are), so that no engine gets
    the dict's identity fast path that the others miss."""
    key = _KEYS.get(name)
    if key is None:
        key = _KEYS[name] = "".join(list(name))
    return key


# ------------------------------------------------------------------ timing


def timed_count(fn: Callable[[Any], Any], contexts: Sequence[Any]) -> tuple[float, int]:
    """The one loop shape every engine runs in: call, test truthiness, count."""
    n = 0
    start = time.perf_counter()
    for c in contexts:
        if fn(c):
            n += 1
    return time.perf_counter() - start, n


def interleaved(
    rounds: int, fns: dict[str, Callable[[Any], Any]], contexts: Sequence[Any], chunk: int = CHUNK
) -> dict[str, tuple[float, int]]:
    """Chunk by chunk, each round runs every function once over the chunk, in turns (the first to run
    changes each round); a function's time is the sum of its best round per chunk. Short turns spread
    machine noise evenly over the functions compared."""
    names = list(fns)
    totals = dict.fromkeys(names, (0.0, 0))
    for start in range(0, len(contexts), chunk):
        part = contexts[start : start + chunk]
        best = dict.fromkeys(names, (math.inf, -1))
        for round_ in range(rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                elapsed, count = timed_count(fns[name], part)
                best[name] = (min(best[name][0], elapsed), count)
        totals = {name: (totals[name][0] + best[name][0], totals[name][1] + best[name][1]) for name in names}
    return totals


# ------------------------------------------------------------------ the other engines' set-up


def rule_engine_rule(label: str, variables: Sequence[str]) -> rule_engine.Rule:
    """Built once. rule-engine takes Decimal as its FLOAT type natively; its resolver maps each symbol
    to the catalogue key, and turns frozenset into set (rule-engine refuses frozenset)."""
    keys = {snake(name): name for name in variables}

    def resolve(thing: dict[str, Any], name: str) -> Any:
        value = thing[keys[name]]
        return set(value) if type(value) is frozenset else value

    return rule_engine.Rule(RULE_ENGINE_TEXT[label], context=rule_engine.Context(resolver=resolve))


def zen_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # zen-engine refuses Decimal; a 2-place amount survives float -> zen's decimal
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def zen_contexts(contexts: Sequence[dict[str, Any]], variables: Sequence[str]) -> tuple[list[dict[str, Any]], float]:
    """The rule's variables only, renamed, Decimal -> float, sets -> lists; timed once."""
    keys = [(name, snake(name)) for name in variables]
    start = time.perf_counter()
    converted = [{short: zen_value(c[name]) for name, short in keys} for c in contexts]
    return converted, time.perf_counter() - start


def exact_decimals(model: Any) -> Any:
    """hy reads 0.05 as a float and Decimal * float raises, so float literals become (Decimal "0.05")."""
    if isinstance(model, hy.models.Float):
        return hy.models.Expression([hy.models.Symbol("Decimal"), hy.models.String(repr(float(model)))])
    if isinstance(model, hy.models.Sequence):
        return type(model)(exact_decimals(m) for m in model)
    return model


def hy_bindings(c: dict[str, Any]) -> dict[str, Any]:
    """The context as Python names for hy.eval: mangled catalogue names, `customer` with .primary.status,
    and the two Clojure functions hy lacks."""
    g: dict[str, Any] = {hy.mangle(k): v for k, v in c.items() if "." not in k}
    g["customer"] = SimpleNamespace(
        primary=SimpleNamespace(status=c["customer.primary.status"]),
        secondary=SimpleNamespace(status=c["customer.secondary.status"]),
    )
    g[hy.mangle("not=")] = lambda a, b: a != b
    g[hy.mangle("contains?")] = lambda coll, x: x in coll
    g["Decimal"] = Decimal
    return g


def compile_ms(text: str) -> float:
    """Median milliseconds of compile_rule (read with hy, check, compile), bypassing its per-text cache."""
    uncached = getattr(compile_rule, "__wrapped__", compile_rule)
    samples = []
    for _ in range(COMPILE_REPETITIONS):
        start = time.perf_counter()
        uncached(text)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


# ------------------------------------------------------------------ report


def ratio(x: float) -> str:
    if x >= 0.1:
        return f"{x:.2f}x"
    return f"{x:.{1 - math.floor(math.log10(x))}f}x"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rules_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed (noisy machines miss)")
    args = parser.parse_args(argv)
    wall = time.perf_counter()
    print(
        f"rules bench: {CONTEXTS:,} generated loan contexts (seed {SEED}), Python {platform.python_version()}, "
        f"hy {version('hy')}, rule-engine {version('rule-engine')}, zen-engine {version('zen-engine')}"
    )
    print("  lambda: hand-written Python (Decimal constants at module level), the baseline of every ratio;")
    print(
        "  compiled: rule.test, called in the same loop; the two are timed interleaved, best of "
        f"{FAST_ROUNDS} rounds per chunk of {CHUNK:,};"
    )
    print(
        "  rule-engine: its own syntax, built once, a resolver maps its symbols to the context keys"
        " (Decimal native, frozenset -> set);"
    )
    print(
        "  zen-engine: compiled expression; ZEN HAS NO DECIMAL: money passed as float (zen turns it into its own"
        " decimal), sets as lists;"
    )
    print(
        f"  hy.eval: naive hy.eval of the read form per context (float literals rewritten to Decimal),"
        f" on the first {HY_SAMPLE} contexts;"
    )
    print(f"  the others: best of {ENGINE_ROUNDS} rounds per chunk; one loop shape for all: `if fn(ctx): n += 1`.")
    rng = random.Random(SEED)
    contexts = [make_context(rng) for _ in range(CONTEXTS)]
    sample = contexts[:HY_SAMPLE]
    rules = {"R1": (R1, lambda_r1), "R2": (R2, lambda_r2)}
    disagreements, missed = [], []
    for label, (text, baseline) in rules.items():
        rule = compile_rule(text)
        missing = [name for name in rule.variables if name not in contexts[0]]
        if missing:
            raise SystemExit(f"{label}: the generated contexts lack {missing}")
        re_rule = rule_engine_rule(label, rule.variables)
        zen_expression = zen.compile_expression(ZEN_TEXT[label])
        zen_ctx, zen_convert = zen_contexts(contexts, rule.variables)
        hy_form = exact_decimals(hy.read(text))
        hy_globals = [hy_bindings(c) for c in sample]

        def hy_eval(g: dict[str, Any], form: Any = hy_form) -> Any:
            return hy.eval(form, globals=g)

        gc.collect()
        gc.disable()
        try:
            fast = interleaved(FAST_ROUNDS, {"lambda": baseline, "compiled": rule.test}, contexts)
            results = {
                "lambda": fast["lambda"],
                "compiled": fast["compiled"],
                **interleaved(ENGINE_ROUNDS, {"rule-engine": re_rule.matches}, contexts),
                **interleaved(ENGINE_ROUNDS, {"zen-engine": zen_expression.evaluate}, zen_ctx),
            }
            hy_time, hy_count = interleaved(ENGINE_ROUNDS, {"hy": hy_eval}, hy_globals)["hy"]
        finally:
            gc.enable()
        _, lambda_sample_count = timed_count(baseline, sample)
        ms = compile_ms(text)

        print(f"\n{label}  {text}")
        counts = {name: count for name, (_, count) in results.items()}
        agree = len(set(counts.values())) == 1 and hy_count == lambda_sample_count
        print(
            "  matches: "
            + " | ".join(f"{name} {count:,}" for name, count in counts.items())
            + f" of {CONTEXTS:,}; hy.eval {hy_count} of the first {HY_SAMPLE} (lambda {lambda_sample_count})"
            + ("  -> all agree" if agree else "")
        )
        if not agree:
            disagreements.append(label)
            print(f"  !!!!!!!! {label}: THE ENGINES DISAGREE ON THE MATCH COUNT !!!!!!!!")
        base_rate = CONTEXTS / results["lambda"][0]
        rows = [(name, CONTEXTS / elapsed) for name, (elapsed, _) in results.items()]
        rows.append((f"hy.eval ({HY_SAMPLE} contexts)", HY_SAMPLE / hy_time))
        for name, rate in rows:
            extra = (
                f"   (+{zen_convert / CONTEXTS * 1e6:.1f} us/context converting beforehand, not counted)"
                if name == "zen-engine"
                else ""
            )
            print(f"  {name:<24}{rate:>12,.0f} evals/s {ratio(rate / base_rate):>10}{extra}")
        compiled_ratio = (CONTEXTS / results["compiled"][0]) / base_rate
        met = compiled_ratio >= TARGET_RATIO
        print(f"  validation+compile: {ms:.2f} ms (compile_rule, median of {COMPILE_REPETITIONS}, uncached)")
        print(f"  target compiled >= {TARGET_RATIO}x lambda: {'met' if met else 'NOT MET'} ({ratio(compiled_ratio)})")
        if not met:
            missed.append(f"{label} speed")
        if label in TARGET_COMPILE_MS:
            limit = TARGET_COMPILE_MS[label]
            met = ms < limit
            print(f"  target validation+compile < {limit:g} ms: {'met' if met else 'NOT MET'} ({ms:.2f} ms)")
            if not met:
                missed.append(f"{label} compile time")

    print(
        f"\ntotal {time.perf_counter() - wall:.0f} s; "
        + ("targets: all met" if not missed else f"targets NOT MET: {', '.join(missed)}")
    )
    if disagreements:
        print(f"FAILED: the engines disagree on {', '.join(disagreements)}", file=sys.stderr)
        return 1
    if missed and args.strict:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
