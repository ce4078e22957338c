"""The text literals a criteria compares a label variable with (docs/rules.md#label-warnings): what lets the
rulebook warn when a rule names a loan status, sub-status, customer status, portfolio, sub-portfolio or
checklist item the tenant does not have. It reads the criteria's tree; the tenant's labels are the caller's."""

from __future__ import annotations

from dataclasses import dataclass

from .reader import Node, read

# Each label variable, and the kind of label its values are titles of.
LABEL_VARIABLES = {
    "loan-status": "loan status",
    "loan-sub-status": "loan sub-status",
    "customer.primary.status": "customer status",
    "customer.secondary.status": "customer status",
    "customer-statuses": "customer status",
    "portfolios": "portfolio",
    "sub-portfolios": "sub-portfolio",
    "checklist": "checklist item",
}
_CUSTOMER_MAPS = {"customer.primary": "customer.primary.status", "customer.secondary": "customer.secondary.status"}
_COMPARING = {"=", "not=", "contains?", "get", "some", "every?"}


@dataclass(frozen=True)
class LabelLiteral:
    variable: str
    kind: str  # LABEL_VARIABLES' kind of label
    title: str
    line: int
    column: int


def label_literals(text: str) -> list[LabelLiteral]:
    """Every text literal the criteria compares with a label variable: (= loan-status "Open"),
    (contains? portfolios "SCRA"), (contains? #{"Open" "Closed"} loan-status), (= (-> customer.primary :status)
    "SCRA"), (some #{"SCRA"} customer-statuses). A criteria that does not read is the validator's business:
    nothing here."""
    try:
        tree = read(text)
    except Exception:  # noqa: BLE001 - an unreadable criteria has errors, not warnings
        return []
    found: list[LabelLiteral] = []
    _walk(tree, found)
    return found


def _label_of(node: Node) -> str | None:
    if node.kind == "symbol" and node.value in LABEL_VARIABLES:
        return node.value
    if node.kind == "call" and len(node.items) == 3:
        head, target, key = node.items
        if head.kind == "symbol" and head.value == "->" and target.kind == "symbol" and key.kind == "keyword":
            if target.value in _CUSTOMER_MAPS and key.value == "status":
                return _CUSTOMER_MAPS[target.value]
    return None


def _strings(node: Node) -> list[Node]:
    if node.kind == "string":
        return [node]
    if node.kind in ("set", "vector"):
        return [item for item in node.items if item.kind == "string"]
    return []


def _walk(node: Node, found: list[LabelLiteral]) -> None:
    if node.kind not in ("call", "vector", "set"):
        return
    items = node.items
    if node.kind == "call" and items and items[0].kind == "symbol" and items[0].value in _COMPARING:
        arguments = items[1:]
        labels = [name for name in map(_label_of, arguments) if name is not None]
        if labels:
            variable = labels[0]
            for argument in arguments:
                for literal in _strings(argument):
                    found.append(
                        LabelLiteral(variable, LABEL_VARIABLES[variable], literal.value, literal.line, literal.column)
                    )
    for item in items:
        _walk(item, found)
