"""Secrets never reach the logs."""
import io
import logging

from lms.http import logger
from tests.conftest import ADMIN_KEY, Api, make_customer


def test_api_keys_and_the_admin_key_never_appear_in_logs_even_at_debug(api):
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    logger.setLevel("DEBUG")
    try:
        make_customer(api)
        Api(api.key).get("/customers")
        Api().get("/customers", key="lk_wrong_key_value_123456")
        Api().post("/admin/tenants", {"name": "X"}, key=ADMIN_KEY)
        Api().post("/customers", raw="{broken", key=api.key)
    finally:
        logger.setLevel("WARNING")
        logger.removeHandler(handler)
    logged = sink.getvalue()
    assert '"message":"request"' in logged and '"status":401' in logged, "one access line per request"
    assert '"tenant_id":"tnt_' in logged and '"correlation_id"' in logged, "lines carry tenant and request ids"
    for secret in (api.key, ADMIN_KEY, "lk_wrong_key_value_123456"):
        assert secret not in logged
