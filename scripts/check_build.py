"""Packaging check: the built function and layers alone must run the API handler.

Run by `make lint-template` with a bare python3.11 (-S: no site-packages, empty environment) whose
sys.path holds only what Lambda would give it: the function, the layers' python/ folders, and the
SDK the runtime provides (linked into a stand-in for /var/runtime). It imports the handler and
every lms module, checks where each module came from, then answers a sample event.

    python3.11 -S scripts/check_build.py <build dir> <event.json> <runtime dir>
"""

import importlib
import json
import pkgutil
import sys
import sysconfig
import types


def main(build: str, event_path: str, runtime: str) -> None:
    import app  # type: ignore[import-not-found]  # the built ApiFunction's module, on sys.path only here

    import lms

    for module in pkgutil.walk_packages(lms.__path__, "lms."):
        importlib.import_module(module.name)
    build, runtime = build.rstrip("/") + "/", runtime.rstrip("/") + "/"
    stdlib = sysconfig.get_paths()["stdlib"] + "/"
    where = {
        name: getattr(module, "__file__", None) or ""
        for name, module in list(sys.modules.items())
        if name not in ("__main__", "__mp_main__")
    }  # __mp_main__: multiprocessing's alias of this script
    outside = sorted(
        name
        for name, path in where.items()
        if path
        and not path.startswith((build, runtime))
        and not (path.startswith(stdlib) and "site-packages" not in path)
    )
    assert not outside, f"imported from outside the build, the runtime SDK and the standard library: {outside}"
    assert where["app"].startswith(build + "ApiFunction/"), where["app"]
    assert where["lms"].startswith(build + "DomainLayer/python/"), where["lms"]
    assert where["aws_lambda_powertools"].startswith(build + "DependenciesLayer/python/"), where[
        "aws_lambda_powertools"
    ]
    context = types.SimpleNamespace(
        function_name="ApiFunction",
        function_version="$LATEST",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:ApiFunction",
        aws_request_id="packaging-check",
        log_group_name="/aws/lambda/ApiFunction",
        log_stream_name="packaging-check",
        get_remaining_time_in_millis=lambda: 15000,
    )
    with open(event_path) as event_file:
        answer = app.lambda_handler(json.load(event_file), context)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["openapi"], answer
    print(
        f"packaging check: handler and {len(sys.modules)} modules load from {build} alone; "
        "GET /openapi.json answered 200"
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
