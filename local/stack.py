"""The embedded local stack (docs/operations.md#local-stack): `python -m local.stack` (or `make run`).

Starts, on 127.0.0.1 only, each in a process of its own, as Lambda and AWS would run them:
- a moto server with every table and queue of template.yaml (local.moto_server, with
  local.moto_dynamodb's fixes);
- the API's execution environments (local.environment: API_CONCURRENCY of them, default 2), behind
  an HTTP gateway in this process that turns requests into API Gateway events;
- the background (local.background): a pump for each other function's event sources (DynamoDB streams,
  SQS queues, as Lambda's event source mappings), the schedule, and the seeded demo tenant, at a lower
  CPU priority than the API.
Its API key is printed. Ctrl-C / SIGTERM stops everything and exits 0 within 5 seconds (a second
Ctrl-C at once); every child also stops when this process dies.

While it runs, .local-stack/ (or LOCAL_STACK_STATE) holds stack.json (its addresses and every function's
environment, for `make invoke`), env.json (for `sam local invoke --env-vars`) and webhook-targets.

Environment: PORT (gateway, default 3000), MOTO_PORT (default: a free port), DEMO_API_KEY and
ADMIN_API_KEY (default: generated and printed), API_CONCURRENCY, MAINTENANCE_DISPATCH_SECONDS,
WEBHOOK_ALLOWED_TARGETS.

This process imports boto3 and, of the domain library, only the webhook guard's parser: the API runs
in its environments, the rest in the background.
"""

from __future__ import annotations

import faulthandler
import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from local import children, moto_server

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REGION = "us-east-1"
STOP_SECONDS = 5  # Ctrl-C to exit, whatever is running
START_SECONDS = 120


def new_api_key() -> str:
    """Same shape as lms.tenancy.new_api_key() (this process does not import lms)."""
    return "lk_" + secrets.token_urlsafe(32)


class StartupError(Exception):
    pass


def _number_from_env(name: str, default: int, low: int, high: int, what: str) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise StartupError(f"{name}={text!r} is not {what}")
    return int(text)


def _check_free(port: int, variable: str) -> None:
    """A port in use fails clearly, before anything starts."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise StartupError(
                f"{HOST}:{port} is not available ({error.strerror}); set {variable} to another port"
            ) from None


def prepare_environment(state: Path) -> None:
    """Fake credentials and a fixed region, so nothing can ever reach real AWS; the children inherit it."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "WEBHOOK_ALLOWED_TARGETS_FILE": str(state / "webhook-targets"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore:No application metrics to publish",  # metrics are off locally; Powertools says so
        }
    )
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon here: lms.tracing stays off
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "loan-automation-local")
    if str(ROOT / "shared") not in sys.path:
        sys.path.insert(0, str(ROOT / "shared"))  # for lms.webhooks.guard's parser only (no I/O, no config)


def create_resources(endpoint_url: str, admin_key: str) -> dict[str, str]:
    """Every table, queue, secret and key of template.yaml, in the moto server (the admin key in its secret,
    read by the API as deployed); exports the functions' environment and returns what !Ref gives for each."""
    import boto3

    from local.resources import create, function_environment, load_template

    template = load_template()
    names = create(boto3.Session(region_name=REGION), endpoint_url, template, {"AdminApiKeySecret": admin_key})
    os.environ.update(function_environment(template, names))
    return names


def background_environment(demo_key: str) -> dict[str, str]:
    """The background's environment: the stack's, the demo key, and the app id its calls name in their
    User-Agent, by which the moto server serves the API's calls first."""
    return {**os.environ, "DEMO_API_KEY": demo_key, "AWS_SDK_UA_APP_ID": moto_server.BACKGROUND_APP_ID}


class Background:
    """local.background as a child process: launch() starts it, ready() waits until it has seeded the demo
    tenant and runs the pumps (its status port and the demo tenant's id are then known)."""

    name = "background"

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self.process: subprocess.Popen[bytes] | None = None
        self._ready: int | None = None
        self.status_port = 0
        self.demo_tenant = ""

    def launch(self) -> None:
        self._ready, ready_write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.background", str(ready_write)],
            cwd=ROOT,
            env=self._env,
            stdin=subprocess.PIPE,
            pass_fds=(ready_write,),
            start_new_session=True,
        )  # stopped by the stack, not by the terminal's Ctrl-C
        os.close(ready_write)

    def ready(self) -> None:
        assert self.process is not None and self._ready is not None, "launch() first"
        with os.fdopen(self._ready) as ready:
            line = children.read_line(ready, START_SECONDS)
        if not line:
            raise StartupError(f"the background process did not start (exit code {self.process.poll()}); see above")
        started = json.loads(line)
        self.status_port, self.demo_tenant = started["statusPort"], started["demoTenantId"]

    def signal_stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()

    def stop(self, timeout: float = 2) -> None:
        if self.process is not None:
            children.stop(self.process, timeout, self.process.stdin)


def banner(api: str, demo_key: str, admin_key: str) -> str:
    return "\n".join(
        [
            f"API: {api}",
            f"Console: {api}/console (paste the API key)",
            f"API key: {demo_key}",
            f"Admin key: {admin_key}",
            "",
            "Try:",
            f"  curl -fsS -H 'Authorization: Bearer {demo_key}' {api}/tenant",
            f"  curl -fsS -H 'Authorization: Bearer {demo_key}' {api}/customer-statuses",
            f"  curl -fsS -X POST -H 'Authorization: Bearer {admin_key}' -H 'Content-Type: application/json' "
            f'-d \'{{"name": "Second Lender"}}\' {api}/admin/tenants',
            f"  curl -fsS {api}/_local/status",
            "Ctrl-C stops the stack (data lives in memory only).",
        ]
    )


def state_directory() -> Path:
    return Path(os.environ.get("LOCAL_STACK_STATE") or ROOT / ".local-stack")


def write_state(api: str, moto_endpoint: str, names: dict[str, str], demo_tenant: str) -> Path:
    """stack.json (for `make invoke`) and env.json (for `sam local invoke --env-vars`): every function's
    environment as the stack runs it, pointing at this stack's moto server."""
    from local.resources import function_environment, functions, load_template

    template = load_template()
    common = {
        name: os.environ[name]
        for name in (
            "AWS_DEFAULT_REGION",
            "AWS_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE",
            "DYNAMODB_ENDPOINT",
            "AWS_ENDPOINT_URL",
            "WEBHOOK_ALLOWED_TARGETS",
            "WEBHOOK_ALLOWED_TARGETS_FILE",
            "POWERTOOLS_METRICS_DISABLED",
            "POWERTOOLS_SERVICE_NAME",
        )
        if name in os.environ
    }
    environments = {
        function: {**function_environment(template, names, function), **common} for function in functions(template)
    }
    directory = state_directory()
    (directory / "stack.json").write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "api": api,
                "moto": moto_endpoint,
                "demoTenantId": demo_tenant,
                "functions": environments,
            },
            indent=2,
        )
    )
    (directory / "env.json").write_text(json.dumps(environments, indent=2))
    return directory


def remove_state() -> None:
    """Removes the state files if they are this stack's (another stack may have written them since)."""
    directory = state_directory()
    try:
        if json.loads((directory / "stack.json").read_text()).get("pid") == os.getpid():
            for name in ("stack.json", "env.json", "webhook-targets"):
                (directory / name).unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


class _Stopping(Exception):
    pass


_stop_asked: list[float] = []  # when Ctrl-C or SIGTERM came (the 5 s count from there)


def _on_signal(signum: int, _frame: Any) -> None:
    _stop_asked.append(time.monotonic())
    raise _Stopping()


def _exit_now(signum: int, _frame: Any) -> None:
    os._exit(130)


def shutdown(started: list[Any], deadline: float) -> None:
    """Stops everything within the deadline: all are told at once, then waited for in reverse order,
    each with what time is left; the moto server goes last."""
    for part in started:
        if hasattr(part, "signal_stop"):
            part.signal_stop()
    for part in reversed(started):
        try:
            part.stop(max(0.1, deadline - time.monotonic()))
        except Exception as error:  # noqa: BLE001 - keep stopping the others
            print(f"local stack: stopping {part.name} failed: {error!r}", file=sys.stderr, flush=True)


def _wait_for_a_signal(wakeup: int) -> None:
    """Sleeps until a signal comes. The kernel gives a signal to any thread of the process that does not block
    it, and only that thread's sleep is interrupted: under load it is often a gateway thread, and the main
    thread would sleep on with the handler pending. The wakeup fd is written whichever thread takes the
    signal, so the main thread wakes, and runs the handler."""
    while True:
        select.select([wakeup], [], [], 3600)
        try:
            os.read(wakeup, 512)
        except BlockingIOError:
            pass


def main() -> None:
    # Ctrl-C or SIGTERM, at any moment (startup included), ends in shutdown(); a second one exits at once.
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    wakeup, wakeup_write = os.pipe()
    os.set_blocking(wakeup, False)
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write, warn_on_full_buffer=False)
    started: list[Any] = []
    code = 0
    try:
        gateway_port = _number_from_env("PORT", 3000, 0, 65535, "a port number")
        moto_port = _number_from_env("MOTO_PORT", 0, 0, 65535, "a port number")
        concurrency = _number_from_env("API_CONCURRENCY", 2, 1, 16, "a number of environments from 1 to 16")
        admin_key = os.environ.get("ADMIN_API_KEY") or new_api_key()
        demo_key = os.environ.get("DEMO_API_KEY") or new_api_key()
        state = state_directory()
        state.mkdir(parents=True, exist_ok=True)
        prepare_environment(state)
        _check_free(moto_port, "MOTO_PORT")
        _check_free(gateway_port, "PORT")

        from local.control import Control, Targets
        from local.environment import Pool
        from local.gateway import Gateway

        moto = moto_server.MotoProcess(moto_port)
        started.append(moto)
        moto.start()
        os.environ["DYNAMODB_ENDPOINT"] = moto.endpoint_url
        os.environ["AWS_ENDPOINT_URL"] = moto.endpoint_url  # any other boto3 client goes to moto too
        names = create_resources(moto.endpoint_url, admin_key)
        # Webhooks may call this stack's own API (the seed's use case), and no other local address unless
        # WEBHOOK_ALLOWED_TARGETS names it, or it is added while the stack runs (POST /_local/webhook-targets).
        try:
            gateway = Gateway(None, port=gateway_port, host=HOST)  # bound now, serving once the API is ready
        except OSError as error:
            raise StartupError(
                f"{HOST}:{gateway_port} is not available ({error.strerror}); set PORT to another port"
            ) from None
        started.append(gateway)
        own = f"{HOST}:{gateway.port}"
        os.environ["WEBHOOK_ALLOWED_TARGETS"] = ",".join(
            [t for t in os.environ.get("WEBHOOK_ALLOWED_TARGETS", "").split(",") if t.strip()] + [own]
        )
        targets = Targets(state / "webhook-targets")

        background = Background(background_environment(demo_key))
        started.append(background)
        background.launch()  # it seeds and starts while the API's environments start
        api = Pool("ApiFunction", "functions.api.app", concurrency, dict(os.environ))
        started.append(api)
        background.ready()
        gateway.handler = api.invoke
        gateway.local_routes.update(Control(background.status_port, api, moto.endpoint_url, targets).routes())
        gateway.start()
        api_url = f"http://{HOST}:{gateway.port}"
        write_state(api_url, moto.endpoint_url, names, background.demo_tenant)
        print(banner(api_url, demo_key, admin_key), flush=True)
        _wait_for_a_signal(wakeup)
    except _Stopping:
        print("stopping the local stack", file=sys.stderr, flush=True)
    except StartupError as error:
        print(f"local stack: {error}", file=sys.stderr, flush=True)
        code = 1
    except Exception:  # noqa: BLE001 - said, then everything started is stopped
        import traceback

        print("local stack: could not start:\n" + traceback.format_exc(), file=sys.stderr, flush=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, _exit_now)
        signal.signal(signal.SIGTERM, _exit_now)
        asked = _stop_asked[0] if _stop_asked else time.monotonic()
        left = STOP_SECONDS - (time.monotonic() - asked)
        watchdog = threading.Timer(max(0.1, left - 0.5), lambda: os._exit(code))
        watchdog.daemon = True
        watchdog.start()
        # The last resort needs no Python thread to get a turn: faulthandler's own watchdog prints where
        # everything stands and exits (1) if the stack is somehow still here.
        faulthandler.dump_traceback_later(max(0.2, left - 0.2), exit=True)
        try:
            shutdown(started, asked + STOP_SECONDS - 1.5)
        finally:
            remove_state()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # a daemon thread may still be in a request: it ends with the process


if __name__ == "__main__":
    main()
