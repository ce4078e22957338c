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
        logger.removeHandler(handler)  # type: ignore[attr-defined]  # Powertools passes it to its logging.Logger
    logged = sink.getvalue()
    assert '"message":"request"' in logged and '"status":401' in logged, "one access line per request"
    assert '"tenant_id":"tnt_' in logged and '"correlation_id"' in logged, "lines carry tenant and request ids"
    for secret in (api.key, ADMIN_KEY, "lk_wrong_key_value_123456"):
        assert secret not in logged


def test_two_functions_logging_at_once_on_two_threads_each_name_themselves():
    """The local stack runs every function in one process: a line keeps its own invocation's keys."""
    import json
    import threading

    from aws_lambda_powertools import Logger

    from lms.logs import invocation_keys
    from local.apigw import context_for

    shared = Logger()  # every function's Logger() shares one formatter (one service name)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(shared.registered_formatter)
    shared.addHandler(handler)
    shared.setLevel("INFO")
    both_inside = threading.Barrier(2)

    def function(name: str):
        @invocation_keys(shared)
        def lambda_handler(event, context):
            both_inside.wait(5)  # each thread has set its keys before either logs
            for n in range(20):
                shared.info("working", extra={"n": n})
            both_inside.wait(5)

        return lambda_handler

    threads = [
        threading.Thread(target=function(name), args=({}, context_for(name)))
        for name in ("ApiFunction", "RealtimeFunction")
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        shared.info("after")
    finally:
        shared.setLevel("WARNING")
        shared.removeHandler(handler)  # type: ignore[attr-defined]  # Powertools passes it to its logging.Logger
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    by_function: dict[str, set] = {}
    for line in lines[:-1]:
        by_function.setdefault(line["function_name"], set()).add(line["function_request_id"])
    assert sorted(by_function) == ["ApiFunction", "RealtimeFunction"] and len(lines) == 41
    assert all(len(ids) == 1 for ids in by_function.values()), "one request id per invocation"
    assert "function_name" not in lines[-1], "the keys end with the invocation"
