"""The web console in a real headless Chromium against the local stack (issue 18): log in, write a criteria
and see its error at its column, pick a variable, add two actions and reorder them, save, force the rule on
a loan and see its audit entry, change a customer's status and see the SCRA rule act on each of its loans,
open a webhook's delivery log. Every page is photographed at 1366x768 (test-artifacts/console/) and checked
with axe-core: no serious or critical violation.

Needs Debian's chromium and chromium-driver and axe-core from the npm registry: `make browser` installs
them (make test does it first)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import settled, tenant_caller

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("CONSOLE_ARTIFACTS", ROOT / "test-artifacts" / "console"))
CHROMIUM, DRIVER = (
    shutil.which("chromium") or "/usr/bin/chromium",
    shutil.which("chromedriver") or "/usr/bin/chromedriver",
)
SETUP = {
    "loanAmount": "9000.00",
    "interestRate": "8",
    "termPeriods": 24,
    "paymentFrequency": "monthly",
    "contractDate": "2026-01-05",
    "firstPaymentDate": "2026-02-05",
}


@pytest.fixture(scope="module")
def browser():
    missing = [p for p in (CHROMIUM, DRIVER, str(AXE)) if not Path(p).exists()]
    assert not missing, f"missing {missing}: run `make browser` (make test runs it first)"
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1366,768",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False}
    )
    driver.set_script_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def book(stack):
    """A tenant with an SCRA rule, a customer on two loans (primary on one, co-signer on the other), and a
    webhook told of status changes that calls this stack's API back."""
    key, call = tenant_caller(stack, "Console Lender")
    call("POST", "/customer-statuses", {"title": "SCRA", "active": True, "displayOrder": 2})
    call("POST", "/portfolios", {"title": "SCRA Relief"})
    call("POST", "/portfolios", {"title": "Review"})
    review = call(
        "POST",
        "/rules",
        {
            "name": "Review large balances",
            "active": False,  # runs only when forced
            "criteria": "(> status-principal-balance 1000)",
            "actions": [{"type": "loan-settings", "addPortfolios": ["Review"]}],
        },
    )
    scra = call(
        "POST",
        "/rules",
        {
            "name": "SCRA relief",
            "criteria": '(contains? customer-statuses "SCRA")',
            "evalDaily": False,
            "actions": [{"type": "loan-settings", "addPortfolios": ["SCRA Relief"]}],
        },
    )
    customer = call("POST", "/customers", {"firstName": "Grace", "lastName": "Hopper", "customerType": "individual"})
    other = call("POST", "/customers", {"firstName": "Alan", "lastName": "Turing", "customerType": "individual"})
    loans = [
        call("POST", "/loans", {"setup": SETUP, "customers": [{"customerId": customer["id"], "role": "primary"}]}),
        call(
            "POST",
            "/loans",
            {
                "setup": SETUP,
                "customers": [
                    {"customerId": other["id"], "role": "primary"},
                    {"customerId": customer["id"], "role": "secondary"},
                ],
            },
        ),
    ]
    for loan in loans:
        call("POST", f"/loans/{loan['id']}/activate")
    hook = call(
        "POST",
        "/webhooks",
        {
            "name": "Status changes",
            "method": "GET",
            "url": stack.api + "/tenant",
            "headers": {"Authorization": f"Bearer {key}"},
            "events": ["customer.status-changed"],
        },
    )
    settled(stack)
    return {
        "key": key,
        "call": call,
        "customer": customer,
        "loans": loans,
        "hook": hook,
        "scra": scra,
        "review": review,
    }


def _wait(driver, condition, timeout: float = 10, what: str = "the page"):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A list the page redraws (the customer's loans, every second after a change) may replace an element
    # between finding it and reading it: that try is not an answer, the next one is.
    waiting = WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))
    return waiting.until(lambda d: condition(d), message=f"{what} did not appear")


def _by_css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def _one(driver, selector: str, timeout: float = 10):
    return _wait(driver, lambda d: (_by_css(d, selector) or [None])[0], timeout, selector)


def _open(driver, stack, page: str, ready: str) -> None:
    driver.get(f"{stack.api}/console#{page}")
    _one(driver, ready)


def _checked(driver, name: str) -> None:
    """A photograph of the page as it is, and axe-core's check: no serious or critical violation."""
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));"
    )
    assert isinstance(result, list), result
    (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(result, indent=2))
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v.get("impact") in ("serious", "critical")
    ]
    assert not serious, f"{name}: {serious}"


def test_log_in(browser, stack, book):
    browser.get(f"{stack.api}/console")
    _one(browser, "#api-key")
    paint = browser.execute_script(
        "const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null"
    )
    (ARTIFACTS / "first-paint.json").write_text(json.dumps({"firstContentfulPaintMs": paint}))
    print(f"first contentful paint of /console: {paint} ms")  # a figure for the record, not a timed assertion
    _checked(browser, "login")
    browser.find_element("id", "api-key").send_keys("lk_not-a-key")
    browser.find_element("id", "login-button").click()
    _wait(browser, lambda d: "not known" in d.find_element("id", "login-error").text, what="the refusal")
    key = browser.find_element("id", "api-key")
    key.clear()
    key.send_keys(book["key"])
    browser.find_element("id", "login-button").click()
    _wait(browser, lambda d: d.find_element("id", "who").text == "Console Lender", what="the tenant's name")
    _one(browser, "#rule-order li")
    assert browser.execute_script("return sessionStorage.getItem('lms.apiKey')") == book["key"]
    assert browser.execute_script("return localStorage.length") == 0  # the key stays in the tab's session
    _checked(browser, "rules")


def test_write_a_rule_reorder_its_actions_and_save_it(browser, stack, book):
    from selenium.webdriver.support.ui import Select

    _open(browser, stack, "/rules/new", "#criteria")
    browser.find_element("id", "rule-name").send_keys("Long past due")
    criteria = browser.find_element("id", "criteria")
    criteria.send_keys("(> status-days-past-due")
    mark = _one(browser, "#criteria-highlight .mark-error")
    problem = _one(browser, "#problems li.problem.error")
    assert (mark.get_attribute("data-line"), mark.get_attribute("data-column")) == ("1", "1")
    assert "column 1" in problem.text and "never closed" in problem.text
    assert mark.text.startswith("(")  # the mark is at the column the error names
    _checked(browser, "rule-editor-error")

    browser.execute_script("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'))", criteria)
    criteria.send_keys("(> ")
    browser.find_element("id", "variable-search").send_keys("days past due")
    _one(browser, '#variable-list button.variable[data-name="status-days-past-due"]').click()
    criteria.send_keys(" 90)")
    assert criteria.get_attribute("value") == "(> status-days-past-due 90)"
    _one(browser, "#criteria-ok")
    assert not _by_css(browser, "#criteria-highlight .mark-error")

    kind = Select(_one(browser, "#action-type option[value='loan-settings']").find_element("xpath", ".."))
    kind.select_by_value("loan-settings")
    browser.find_element("id", "add-action").click()
    _one(browser, "#action-0-addPortfolios").send_keys("SCRA Relief")
    browser.find_element("id", "rule-name").click()  # the field's change
    kind.select_by_value("stop-interest")
    browser.find_element("id", "add-action").click()
    _one(browser, "#actions li.action[data-index='1'] .move-up").click()
    order = [li.get_attribute("data-type") for li in _by_css(browser, "#actions li.action")]
    assert order == ["stop-interest", "loan-settings"]
    _checked(browser, "rule-editor")

    browser.find_element("id", "save-rule").click()
    _wait(browser, lambda d: "/rules/rul_" in d.current_url, what="the saved rule's page")
    rule_id = browser.current_url.rsplit("/", 1)[1]
    saved = book["call"]("GET", f"/rules/{rule_id}")
    assert saved["criteria"] == "(> status-days-past-due 90)"
    assert [a["type"] for a in saved["actions"]] == ["stop-interest", "loan-settings"]
    assert saved["actions"][1]["addPortfolios"] == ["SCRA Relief"]
    _one(browser, "#history li[data-version='1']")
    _one(browser, "#rule-findings p, #rule-findings ul")
    book["saved_rule"] = rule_id


def test_a_new_version_is_in_the_history_and_diffable(browser, stack, book):
    rule_id = book["saved_rule"]
    _open(browser, stack, f"/rules/{rule_id}", "#criteria")
    name = browser.find_element("id", "rule-name")
    name.clear()
    name.send_keys("Long past due, renamed")
    browser.find_element("id", "save-rule").click()
    _one(browser, "#history li[data-version='2']")
    diff = _one(browser, "#diff .add")
    assert "renamed" in diff.text
    assert any("Long past due" in d.text for d in _by_css(browser, "#diff .del"))
    _checked(browser, "rule-history")


def test_rule_order_by_the_arrows(browser, stack, book):
    _open(browser, stack, "/rules", "#rule-order li")
    names = [li.get_attribute("data-rule") for li in _by_css(browser, "#rule-order li")]
    assert len(names) == 3 and names[-1] == book["saved_rule"]
    _one(browser, "#rule-order li[data-index='2'] .move-up").click()
    _one(browser, "#rule-order li[data-index='1'] .move-up").click()
    browser.find_element("id", "save-order").click()
    _wait(browser, lambda d: d.find_element("id", "save-order").get_attribute("disabled") is not None, what="the save")
    listed = book["call"]("GET", "/rules")["items"]
    assert [r["id"] for r in sorted(listed, key=lambda r: r["order"])] == [names[2], names[0], names[1]]


def test_force_the_rule_on_a_loan_and_see_its_audit_entry(browser, stack, book):
    from selenium.webdriver.support.ui import Select

    loan = book["loans"][0]
    _open(browser, stack, f"/loans/{loan['id']}", "#force-rule")
    review = book["review"]["id"]
    assert not _by_css(browser, f"#applications-table tr[data-rule='{review}']")
    Select(browser.find_element("id", "force-rule")).select_by_value(review)
    browser.find_element("id", "force-button").click()
    result = _one(browser, "#force-result p:not(.muted)")
    assert "Matched: 1 action(s) applied" in result.text  # an inactive rule, forced
    assert "status-principal-balance" in browser.find_element("id", "force-result").text  # what decided it
    entry = _one(browser, f"#applications-table tr[data-rule='{review}'][data-trigger='force']")
    assert "yes" in entry.text and "Review large balances" in entry.text
    assert "Review" in book["call"]("GET", f"/loans/{loan['id']}")["portfolios"]
    _wait(browser, lambda d: "Review" in d.find_element("id", "loan-labels").text, what="the loan's new portfolio")
    _one(browser, "#snapshot-chart")
    _checked(browser, "loan")


def test_a_customer_status_change_shows_the_scra_rule_on_each_loan(browser, stack, book):
    from selenium.webdriver.support.ui import Select

    customer = book["customer"]
    _open(browser, stack, f"/customers/{customer['id']}", "#customer-loans tr[data-loan]")
    rows = _by_css(browser, "#customer-loans tr[data-loan]")
    assert sorted(r.get_attribute("data-loan") for r in rows) == sorted(loan["id"] for loan in book["loans"])
    assert all("SCRA Relief" not in r.text for r in rows)
    _checked(browser, "customer")
    Select(browser.find_element("id", "customer-status")).select_by_visible_text("SCRA")
    browser.find_element("id", "save-status").click()
    changed = time.monotonic()
    _wait(
        browser,
        lambda d: (
            len(_by_css(d, "#customer-loans tr[data-loan]")) == 2
            and all("SCRA Relief" in r.text for r in _by_css(d, "#customer-loans tr[data-loan]"))
        ),
        timeout=5,
        what="the SCRA portfolio on both loans within 5 s",
    )
    print(f"the rule's effect showed on both loans {time.monotonic() - changed:.1f} s after the change")
    assert book["call"]("GET", f"/customers/{customer['id']}")["status"] == "SCRA"
    _checked(browser, "customer-after")


def test_the_webhook_delivery_log(browser, stack, book):
    hook = book["hook"]
    settled(stack)
    _open(browser, stack, "/webhooks", f"#webhooks-table tr[data-webhook='{hook['id']}']")
    _checked(browser, "webhooks")
    browser.find_element("css selector", f"#webhooks-table tr[data-webhook='{hook['id']}'] a").click()
    attempt = _one(browser, "#deliveries section.message tr.attempt", timeout=15)
    assert "succeeded" in attempt.text and "200" in attempt.text
    assert "customer.status-changed" in browser.find_element("id", "deliveries").text
    _checked(browser, "webhook-deliveries")


def test_lists_maintenance_and_log_out(browser, stack, book):
    _open(browser, stack, "/customers", "#customers-table tbody tr")
    browser.find_element("id", "customer-search").send_keys("hopper")
    _wait(browser, lambda d: len(_by_css(d, "#customers-table tbody tr")) == 1, what="the search")
    _checked(browser, "customers")
    _open(browser, stack, "/loans", "#loans-table tbody tr")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "loan-portfolio-filter")).select_by_value("SCRA Relief")
    assert len(_by_css(browser, "#loans-table tbody tr[data-loan]")) == 2
    _checked(browser, "loans")
    _open(browser, stack, "/maintenance", "#start-run")
    date = browser.find_element("id", "maintenance-date")
    browser.execute_script("arguments[0].value = '2026-02-01'", date)
    browser.find_element("id", "start-run").click()
    _wait(browser, lambda d: _by_css(d, "#runs .run[data-state='completed']"), timeout=30, what="a completed run")
    assert "2 of 2 loans" in browser.find_element("id", "runs").text
    _checked(browser, "maintenance")
    browser.find_element("id", "logout").click()
    _one(browser, "#api-key")
    assert browser.execute_script("return sessionStorage.getItem('lms.apiKey')") is None
