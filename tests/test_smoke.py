from tests.conftest import make_customer, make_loan


def test_a_new_tenant_can_create_a_customer_and_a_loan(api):
    customer = make_customer(api)
    loan = make_loan(api, [(customer["id"], "primary")])
    assert customer["status"] == "Active"
    assert loan["loanStatus"] == "Application"
    assert loan["values"]["principalBalance"] == "12000.00"
    got = api.get(f"/customers/{customer['id']}/loans")
    assert got.status == 200, got
    assert [(i["role"], i["loan"]["id"]) for i in got.json["items"]] == [("primary", loan["id"])]
