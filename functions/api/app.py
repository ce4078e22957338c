"""The HTTP API (docs/http.md): a thin Powertools router. Each route makes one call into the lms library;
errors map to HTTP in one place (lms.http)."""

import lms.coldstart  # first: no garbage collection while the modules below load

# isort: split
from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from lms import autopay, bankruptcies, customers, labels, loans, maintenance, rules, tenancy, transactions
from lms.automation import backtest, engine, jobs, preview, rulebook
from lms.contract import (
    AutopayPut,
    BacktestRequest,
    BankruptcyCreate,
    BankruptcyUpdate,
    ChargeCreate,
    ChecklistItemCreate,
    ChecklistItemUpdate,
    CreditCreate,
    CustomerCreate,
    CustomerStatusCreate,
    CustomerStatusUpdate,
    CustomerUpdate,
    ForceJobRequest,
    ForceRequest,
    LoanCreate,
    LoanStatusCreate,
    LoanStatusUpdate,
    LoanUpdate,
    MaintenanceRunRequest,
    Page,
    PaymentCreate,
    PortfolioCreate,
    PortfolioUpdate,
    Rule,
    RuleCreate,
    RuleOrder,
    RulePreviewRequest,
    RuleText,
    RuleUpdate,
    RuleValidation,
    TenantCreate,
    TenantUpdate,
    WebhookCreate,
    WebhookUpdate,
)
from lms.http import (
    app,
    complete_openapi,
    handle,
    if_match,
    logger,
    metrics,
    reply,
    responses,
    static_file,
    tenant_id,
)
from lms.logs import invocation_keys
from lms.rules.catalogue import VARIABLES
from lms.tracing import capture
from lms.webhooks import sender, subscriptions

Limit = Annotated[int, Query(ge=1, le=500, description="page size (default 50, max 500)")]
Cursor = Annotated[str | None, Query(description="nextCursor of the previous page")]


# ---------------------------------------------------------------- operator


@app.post("/admin/tenants", responses=responses(201, "TenantCreated"), tags=["Tenants"])
def create_tenant(body: Annotated[TenantCreate, Body()]):
    return reply(tenancy.create_tenant(body), 201)


# ---------------------------------------------------------------- tenant and settings


@app.get("/tenant", responses=responses(200, "Tenant"), tags=["Tenant"])
def get_tenant():
    return reply(tenancy.get_tenant(tenant_id()))


@app.put("/tenant", responses=responses(200, "Tenant"), tags=["Tenant"])
def put_tenant(body: Annotated[TenantUpdate, Body()]):
    return reply(tenancy.update_tenant(tenant_id(), body, if_match()))


@app.get("/variables", responses=responses(200, "Variable", page=True), tags=["Rules"])
def get_variables():
    return reply({"items": [{"name": v.name, "type": v.type, "description": v.description} for v in VARIABLES]})


@app.post("/rules/validate", responses=responses(200, "RuleValidation"), tags=["Rules"])
def validate_rule(body: Annotated[RuleText, Body()]):
    """Reads and checks a criteria without saving it: every error with its line, column and a hint."""
    return reply(RuleValidation.of(rules.validate(body.criteria), rulebook.warnings(tenant_id(), body.criteria)))


@app.get("/rules", responses=responses(200, "Rule", page=True), tags=["Rules"])
def list_rules(limit: Limit = 50, cursor: Cursor = None):
    return reply(rulebook.page(tenant_id(), limit, cursor))


@app.post("/rules", responses=responses(201, "RuleSaved"), tags=["Rules"])
def create_rule(body: Annotated[RuleCreate, Body()]):
    """A rule: criteria checked and compiled, actions' labels checked; it goes last in the tenant order. The
    answer warns of label titles the criteria names that the tenant does not have."""
    return reply(rulebook.saved(tenant_id(), rulebook.create(tenant_id(), body)), 201)


@app.put("/rules/order", responses=responses(200, "Rule", page=True), tags=["Rules"])
def order_rules(body: Annotated[RuleOrder, Body()]):
    """The tenant-wide order rules run in: every rule id, once."""
    return reply(Page[Rule](items=rulebook.reorder(tenant_id(), body)))


@app.post("/rules/preview", responses=responses(200, "RulePreview"), tags=["Rules"])
def preview_rule(body: Annotated[RulePreviewRequest, Body()]):
    """Runs a criteria over every loan of the tenant, applying nothing: how many match, and a sample with why."""
    return reply(preview.preview(tenant_id(), body.criteria, body.limit))


@app.post("/rules/backtest", responses=responses(200, "BacktestResult"), tags=["Rules"])
def backtest_rules(body: Annotated[BacktestRequest, Body()]):
    """Replays the stored daily snapshots through a rule or a rulebook, day by day, applying nothing: what
    would have matched, applied and moved, and per loan the first day and why (up to 1,000 loans)."""
    return reply(backtest.backtest(tenant_id(), body))


@app.post("/rules/backtest/jobs", responses=responses(202, "JobStarted"), tags=["Rules"])
def backtest_rules_job(body: Annotated[BacktestRequest, Body()]):
    """The same backtest of any number of loans in the background: follow it at /jobs/{jobId}, whose result
    is the backtest's answer once completed."""
    return reply(jobs.start_backtest(tenant_id(), body), 202)


@app.get("/rules/analysis", responses=responses(200, "RulebookAnalysis"), tags=["Rules"])
def analyse_rules():
    """The rulebook's cycles, conflicts, never- and always-true criteria, shadowed rules, unknown titles and
    failing examples: each finding names the rules, the variables and why."""
    return reply(rulebook.analysis(tenant_id()))


@app.post("/rules/<rule_id>/force", responses=responses(202, "JobStarted"), tags=["Rules"])
def force_rule_job(rule_id: str, body: Annotated[ForceJobRequest, Body()]):
    """One rule on many loans in the background (these loanIds, or every enrolled loan): follow it at /jobs/{jobId}."""
    return reply(jobs.start(tenant_id(), rule_id, body), 202)


@app.get("/jobs/<job_id>", responses=responses(200, "Job"), tags=["Rules"])
def get_job(job_id: str):
    """A background job's progress: loans queued, done, matched, failed (with the first failures' reasons)."""
    return reply(jobs.get(tenant_id(), job_id))


@app.get("/rules/<rule_id>", responses=responses(200, "Rule"), tags=["Rules"])
def get_rule(rule_id: str):
    return reply(rulebook.get(tenant_id(), rule_id))


@app.get("/rules/<rule_id>/versions", responses=responses(200, "Rule", page=True), tags=["Rules"])
def list_rule_versions(rule_id: str, limit: Limit = 50, cursor: Cursor = None):
    """Every saved version of a rule, newest first (a deleted rule's too): the history the audit log names."""
    return reply(rulebook.versions(tenant_id(), rule_id, limit, cursor))


@app.put("/rules/<rule_id>", responses=responses(200, "RuleSaved"), tags=["Rules"])
def put_rule(rule_id: str, body: Annotated[RuleUpdate, Body()]):
    """A partial update; each save is a new version (the audit log names the version that fired). The answer
    warns of label titles the criteria names that the tenant does not have."""
    return reply(rulebook.saved(tenant_id(), rulebook.update(tenant_id(), rule_id, body, if_match())))


@app.delete("/rules/<rule_id>", responses=responses(204), tags=["Rules"])
def delete_rule(rule_id: str):
    rulebook.delete(tenant_id(), rule_id)
    return reply(None, 204)


def _label_routes(path: str, kind: labels.Kind, create_model: Any, update_model: Any, entity: str, tag: str) -> None:
    """The five routes of one label kind (list, create, read, update, delete)."""

    @app.get(path, responses=responses(200, entity, page=True), tags=[tag])
    def list_labels(limit: Limit = 50, cursor: Cursor = None):
        return reply(labels.page(tenant_id(), kind, limit, cursor))

    @app.post(path, responses=responses(201, entity), tags=[tag])
    def create_label(body: Annotated[create_model, Body()]):
        return reply(labels.create(tenant_id(), kind, body), 201)

    @app.get(path + "/<label_id>", responses=responses(200, entity), tags=[tag])
    def get_label(label_id: str):
        return reply(labels.get(tenant_id(), kind, label_id))

    @app.put(path + "/<label_id>", responses=responses(200, entity), tags=[tag])
    def put_label(label_id: str, body: Annotated[update_model, Body()]):
        return reply(labels.update(tenant_id(), kind, label_id, body, if_match()))

    @app.delete(path + "/<label_id>", responses=responses(204), tags=[tag])
    def delete_label(label_id: str):
        labels.delete(tenant_id(), kind, label_id)
        return reply(None, 204)


_label_routes(
    "/customer-statuses",
    labels.CUSTOMER_STATUS,
    CustomerStatusCreate,
    CustomerStatusUpdate,
    "CustomerStatus",
    "Customer statuses",
)
_label_routes("/loan-statuses", labels.LOAN_STATUS, LoanStatusCreate, LoanStatusUpdate, "LoanStatus", "Loan statuses")
_label_routes("/portfolios", labels.PORTFOLIO, PortfolioCreate, PortfolioUpdate, "Portfolio", "Portfolios")
_label_routes(
    "/checklist-items",
    labels.CHECKLIST_ITEM,
    ChecklistItemCreate,
    ChecklistItemUpdate,
    "ChecklistItem",
    "Checklist items",
)


# ---------------------------------------------------------------- customers


@app.post("/customers", responses=responses(201, "Customer"), tags=["Customers"])
def create_customer(body: Annotated[CustomerCreate, Body()]):
    return reply(customers.create(tenant_id(), body), 201)


@app.get("/customers", responses=responses(200, "Customer", page=True), tags=["Customers"])
def list_customers(limit: Limit = 50, cursor: Cursor = None):
    return reply(customers.page(tenant_id(), limit, cursor))


@app.get("/customers/<customer_id>", responses=responses(200, "Customer"), tags=["Customers"])
def get_customer(customer_id: str):
    return reply(customers.get(tenant_id(), customer_id))


@app.put("/customers/<customer_id>", responses=responses(200, "Customer"), tags=["Customers"])
def put_customer(customer_id: str, body: Annotated[CustomerUpdate, Body()]):
    return reply(customers.update(tenant_id(), customer_id, body, if_match()))


@app.get("/customers/<customer_id>/loans", responses=responses(200, "CustomerLoan", page=True), tags=["Customers"])
def list_customer_loans(customer_id: str, limit: Limit = 50, cursor: Cursor = None):
    return reply(customers.loans(tenant_id(), customer_id, limit, cursor))


# ---------------------------------------------------------------- loans


@app.post("/loans", responses=responses(201, "Loan"), tags=["Loans"])
def create_loan(body: Annotated[LoanCreate, Body()]):
    return reply(loans.create(tenant_id(), body), 201)


@app.get("/loans", responses=responses(200, "Loan", page=True), tags=["Loans"])
def list_loans(limit: Limit = 50, cursor: Cursor = None):
    return reply(loans.page(tenant_id(), limit, cursor))


@app.get("/loans/<loan_id>", responses=responses(200, "Loan"), tags=["Loans"])
def get_loan(loan_id: str):
    return reply(loans.get(tenant_id(), loan_id))


@app.put("/loans/<loan_id>", responses=responses(200, "Loan"), tags=["Loans"])
def put_loan(loan_id: str, body: Annotated[LoanUpdate, Body()]):
    return reply(loans.update(tenant_id(), loan_id, body, if_match()))


@app.post("/loans/<loan_id>/activate", responses=responses(200, "Loan"), tags=["Loans"])
def activate_loan(loan_id: str):
    return reply(loans.activate(tenant_id(), loan_id))


@app.post("/loans/<loan_id>/payments", responses=responses(201, "Transaction"), tags=["Loans"])
def post_payment(loan_id: str, body: Annotated[PaymentCreate, Body()]):
    """A payment, applied fees, interest, principal; a back-dated one is applied as of its date."""
    return reply(transactions.pay(tenant_id(), loan_id, body), 201)


@app.post("/loans/<loan_id>/payments/<transaction_id>/reverse", responses=responses(201, "Transaction"), tags=["Loans"])
def reverse_payment(loan_id: str, transaction_id: str):
    """Reverses a payment: the loan is recomputed as if it had never been made."""
    return reply(transactions.reverse(tenant_id(), loan_id, transaction_id), 201)


@app.post("/loans/<loan_id>/charges", responses=responses(201, "Transaction"), tags=["Loans"])
def post_charge(loan_id: str, body: Annotated[ChargeCreate, Body()]):
    return reply(transactions.charge(tenant_id(), loan_id, body), 201)


@app.get("/loans/<loan_id>/autopay", responses=responses(200, "Autopay"), tags=["Loans"])
def get_autopay(loan_id: str):
    """The loan's AutoPay and what its last collection did (404 without one)."""
    return reply(autopay.get(tenant_id(), loan_id))


@app.put("/loans/<loan_id>/autopay", responses=responses(200, "Autopay"), tags=["Loans"])
def put_autopay(loan_id: str, body: Annotated[AutopayPut, Body()]):
    """Sets the loan's AutoPay (replacing the one it had): daily maintenance collects it on each due date."""
    return reply(autopay.put(tenant_id(), loan_id, body, if_match()))


@app.delete("/loans/<loan_id>/autopay", responses=responses(204), tags=["Loans"])
def delete_autopay(loan_id: str):
    """Removes the loan's AutoPay."""
    autopay.delete(tenant_id(), loan_id, if_match())
    return reply(None, 204)


@app.get("/loans/<loan_id>/bankruptcies", responses=responses(200, "Bankruptcy", page=True), tags=["Loans"])
def list_bankruptcies(loan_id: str):
    """The loan's bankruptcy records, newest first."""
    return reply(bankruptcies.listing(tenant_id(), loan_id))


@app.post("/loans/<loan_id>/bankruptcies", responses=responses(201, "Bankruptcy"), tags=["Loans"])
def create_bankruptcy(loan_id: str, body: Annotated[BankruptcyCreate, Body()]):
    """Records a bankruptcy on the loan (409 while another is active): real-time rules run on the change."""
    return reply(bankruptcies.create(tenant_id(), loan_id, body, if_match()), 201)


@app.put("/loans/<loan_id>/bankruptcies/<bankruptcy_id>", responses=responses(200, "Bankruptcy"), tags=["Loans"])
def put_bankruptcy(loan_id: str, bankruptcy_id: str, body: Annotated[BankruptcyUpdate, Body()]):
    """Changes a bankruptcy record (a partial update; active false closes it)."""
    return reply(bankruptcies.update(tenant_id(), loan_id, bankruptcy_id, body, if_match()))


@app.post("/loans/<loan_id>/credits", responses=responses(201, "Transaction"), tags=["Loans"])
def post_credit(loan_id: str, body: Annotated[CreditCreate, Body()]):
    """A credit (not money received): reduces fees, interest, principal; chargeOff marks the loan charged off."""
    return reply(transactions.credit(tenant_id(), loan_id, body), 201)


@app.get("/loans/<loan_id>/transactions", responses=responses(200, "Transaction", page=True), tags=["Loans"])
def list_transactions(loan_id: str, limit: Limit = 50, cursor: Cursor = None):
    return reply(transactions.page(tenant_id(), loan_id, limit, cursor))


@app.get("/loans/<loan_id>/schedule", responses=responses(200, "ScheduleRow", page=True), tags=["Loans"])
def get_schedule(loan_id: str):
    return reply(transactions.schedule(tenant_id(), loan_id))


@app.post("/loans/<loan_id>/rules/<rule_id>/force", responses=responses(200, "ForceResult"), tags=["Rules"])
def force_rule(loan_id: str, rule_id: str, body: Annotated[ForceRequest, Body()]):
    """One rule on one loan now, even if the rule is inactive or the loan not enrolled."""
    return reply(engine.force(tenant_id(), loan_id, rule_id, body.explain))


@app.get("/loans/<loan_id>/rule-applications", responses=responses(200, "RuleApplication", page=True), tags=["Rules"])
def list_rule_applications(loan_id: str, limit: Limit = 50, cursor: Cursor = None):
    """The loan's audit log, newest first: every rule that matched or erred, with what it read and did."""
    return reply(engine.audit_page(tenant_id(), loan_id, limit, cursor))


# ---------------------------------------------------------------- daily maintenance


@app.post("/maintenance/runs", responses=responses(202, "MaintenanceRunStarted"), tags=["Maintenance"])
def start_maintenance(body: Annotated[MaintenanceRunRequest, Body()]):
    """Daily maintenance for a business date (default the tenant's today) now; idempotent per date."""
    return reply(maintenance.request_run(tenant_id(), body.business_date), 202)


@app.get("/maintenance/runs/<run_id>", responses=responses(200, "MaintenanceRun"), tags=["Maintenance"])
def get_maintenance_run(run_id: str):
    return reply(maintenance.get_run(tenant_id(), run_id))


@app.get("/loans/<loan_id>/snapshots", responses=responses(200, "Snapshot", page=True), tags=["Loans"])
def list_snapshots(
    loan_id: str,
    limit: Limit = 50,
    cursor: Cursor = None,
    since: Annotated[str | None, Query(alias="from", description="first date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, Query(alias="to", description="last date (YYYY-MM-DD)")] = None,
):
    """The loan's daily snapshots (values at the end of each maintained business day), oldest first."""
    return reply(maintenance.snapshots(tenant_id(), loan_id, limit, cursor, since, until))


# ---------------------------------------------------------------- webhooks


@app.get("/webhooks", responses=responses(200, "Webhook", page=True), tags=["Webhooks"])
def list_webhooks(limit: Limit = 50, cursor: Cursor = None):
    return reply(subscriptions.page(tenant_id(), limit, cursor))


@app.post("/webhooks", responses=responses(201, "WebhookCreated"), tags=["Webhooks"])
def create_webhook(body: Annotated[WebhookCreate, Body()]):
    """A subscription: URL, method, headers and body template (with [[v('variable')]]), events, an optional
    filter (a rule criteria). The answer carries the signing secret, this once."""
    return reply(subscriptions.create(tenant_id(), body), 201)


@app.get("/webhooks/<webhook_id>", responses=responses(200, "Webhook"), tags=["Webhooks"])
def get_webhook(webhook_id: str):
    return reply(subscriptions.get(tenant_id(), webhook_id))


@app.put("/webhooks/<webhook_id>", responses=responses(200, "Webhook"), tags=["Webhooks"])
def put_webhook(webhook_id: str, body: Annotated[WebhookUpdate, Body()]):
    """A partial update; a header value of "********" keeps the stored value."""
    return reply(subscriptions.update(tenant_id(), webhook_id, body, if_match()))


@app.delete("/webhooks/<webhook_id>", responses=responses(204), tags=["Webhooks"])
def delete_webhook(webhook_id: str):
    subscriptions.delete(tenant_id(), webhook_id)
    return reply(None, 204)


@app.get("/webhooks/<webhook_id>/deliveries", responses=responses(200, "Delivery", page=True), tags=["Webhooks"])
def list_deliveries(
    webhook_id: str,
    limit: Limit = 50,
    cursor: Cursor = None,
    message_id: Annotated[str | None, Query(alias="messageId", description="one message only")] = None,
):
    """The delivery log: every attempt, newest message first."""
    return reply(sender.deliveries(tenant_id(), webhook_id, limit, cursor, message_id))


@app.post(
    "/webhooks/<webhook_id>/deliveries/<message_id>/redeliver",
    responses=responses(202, "Redelivery"),
    tags=["Webhooks"],
)
def redeliver(webhook_id: str, message_id: str):
    """Sends a message again (same webhook-id), a new round of attempts."""
    return reply(sender.redeliver(tenant_id(), webhook_id, message_id), 202)


# ---------------------------------------------------------------- the web console (docs/console.md)

CONSOLE = Path(__file__).resolve().parent / "console"


@app.get("/console", include_in_schema=False)
def console_page():
    return static_file(CONSOLE, "index.html", app.current_event.headers.get("if-none-match"))


@app.get("/console/<name>", include_in_schema=False)
def console_file(name: str):
    return static_file(CONSOLE, name, app.current_event.headers.get("if-none-match"))


# ---------------------------------------------------------------- the document itself


@app.get("/openapi.json", include_in_schema=False)
def openapi_document():
    # Powertools' OpenAPI models are imported by this route only: no other request needs them.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return reply(
        complete_openapi(
            app.get_openapi_json_schema(
                title="Loan servicing automation",
                version="1.0.0",
                security_schemes={
                    "bearerAuth": HTTPBearer(description="the tenant's API key (the admin key for /admin/*)")
                },
                security=[{"bearerAuth": []}],
            )
        ),
        raw=True,
    )


@invocation_keys(logger, correlation_paths.API_GATEWAY_REST)
@capture
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handle(event, context)


lms.coldstart.loaded()  # every module loaded: frozen, and collected again from here
