"""The moto server in a process of its own, with local.moto_dynamodb's fixes installed: what the local
stack and the benches talk to. moto then runs on its own interpreter, not in the stack's, and a request
to it never waits for the gateway's or a pump's turn to run Python. Its WSGI application is served by
cheroot (keep-alive, a pool of THREADS threads) rather than moto's development server.

    python -m local.moto_server [--port N]

prints `ready http://127.0.0.1:<port>` once it listens, and exits when its standard input closes (the
stack that started it stopped or died: it never outlives its parent) or on SIGTERM / SIGINT.
MotoProcess starts and stops one from Python.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from local import children

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
READY = "ready "
KEEP_ALIVE_CONNECTIONS = 1024
# Enough threads that a request never waits for one: the background alone can have about 15 calls in flight
# (SQS long polls held up to a second, stream reads, the webhook sender's threads), each holding a thread while
# it waits for its turn (local.moto_dynamodb.TurnLock). An API call queued inside cheroot, behind a full pool,
# would not be seen by the turn lock; a thread waiting on a condition costs next to nothing.
THREADS = 64
# The local stack's background process names itself in its calls' User-Agent (AWS_SDK_UA_APP_ID, which botocore
# adds as app/<id>): its DynamoDB requests take their turn after the API's (local.moto_dynamodb.TurnLock).
BACKGROUND_APP_ID = "lms-local-background"
BACKGROUND_AGENT = f"app/{BACKGROUND_APP_ID}"


class MotoProcess:
    """`python -m local.moto_server` as a child process. start() returns once it listens."""

    name = "moto"

    def __init__(self, port: int = 0, start_timeout: float = 60):
        self._port = port
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None
        self.endpoint_url = ""

    def start(self) -> None:
        env = {**os.environ, "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "PYTHONUNBUFFERED": "1"}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.moto_server", "--port", str(self._port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )  # Ctrl-C in the terminal reaches the stack, which stops this in its turn
        assert self._process.stdout is not None  # stdout=PIPE
        line = children.read_line(self._process.stdout, self._start_timeout)
        if not line.startswith(READY):
            self.stop()
            raise RuntimeError(f"the moto server did not start (it said {line.strip()!r})")
        self.endpoint_url = line[len(READY) :].strip()

    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self, timeout: float = 2) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            children.stop(process, timeout, process.stdin)


def _exit_when_stdin_closes() -> None:
    try:
        while sys.stdin.read(4096):
            pass
    except (OSError, ValueError):
        pass
    os._exit(0)


def application() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """moto's WSGI application, with DynamoDB, DynamoDB Streams and SQS requests taken straight to their
    handlers.

    moto's own dispatcher finds the service of each request anew (it lists moto's package folders on disk
    for every request) and routes it through a Flask application; for the three services the stack talks
    to, the X-Amz-Target header names the handler, and that detour was a fifth of the server's time (for
    SQS, half of each call's). What the handler answers is exactly what moto's Flask view would have sent.
    Everything else (the moto API, SQS's query protocol) goes through moto's dispatcher as before."""
    import moto.backends
    from botocore.exceptions import ClientError
    from moto.core.request import Request
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.sqs.responses import SQSResponse
    from werkzeug.wrappers import Response

    from local import moto_dynamodb, usage

    class ServerRequest(Request):
        from_wsgi_server = True  # as moto's Flask request says: the server, not moto, supplies the Date header

    modules = tuple(moto.backends.list_of_moto_modules())  # a generator over moto's folders, walked per request
    moto.backends.list_of_moto_modules = lambda: iter(modules)
    fallback = DomainDispatcherApplication(create_backend_app)
    handlers = {
        "DynamoDB_20120810": DynamoHandler,
        "DynamoDBStreams_20120810": DynamoDBStreamsHandler,
        "AmazonSQS": SQSResponse,
    }

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if usage.ENABLED and environ.get("PATH_INFO") == "/_local_usage":
            counted = usage.snapshot(reset=environ.get("REQUEST_METHOD") == "DELETE")
            return Response(json.dumps(counted), mimetype="application/json")(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        handler = handlers.get(target.partition(".")[0])
        if handler is None or environ.get("REQUEST_METHOD") != "POST":
            if usage.ENABLED and target:
                usage.record(target, b"", None, 0)
            return fallback(environ, start_response)
        request = ServerRequest(environ)
        try:
            with moto_dynamodb.deferrable(BACKGROUND_AGENT in environ.get("HTTP_USER_AGENT", "")):
                result = handler.dispatch(request, request.raw_url, dict(request.headers))
        except ClientError as exc:  # what moto's convert_to_flask_response answers
            result = 400, {}, exc.response["Error"]["Message"]
        status, headers, body = result if len(result) == 3 else (200, {}, result)
        if usage.ENABLED:
            usage.record(target, request.get_data(), body, status)
        return Response(response=body, status=status, headers=headers)(environ, start_response)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: os._exit(0))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    from cheroot import wsgi

    from local import collector, moto_dynamodb

    moto_dynamodb.install()
    # moto's own server (werkzeug's development server) closes every connection and starts a thread for each
    # request: a third of its time under load. cheroot keeps connections alive and serves from a pool.
    server = wsgi.Server((HOST, args.port), application(), numthreads=THREADS, request_queue_size=1024)
    # cheroot keeps at most 10 idle keep-alive connections and closes every other one after its answer: the
    # stack's clients (two API environments, a pump per function, the webhook sender's threads) are more
    # than 10, so most calls paid a new connection on both sides. Idle connections wait in cheroot's
    # selector, not on a thread: keep them all.
    server.keep_alive_conn_limit = KEEP_ALIVE_CONNECTIONS
    server.prepare()
    collector.settle()  # moto's tables are its heap: a full collection must not walk them each time
    threading.Thread(target=server.serve, name="moto", daemon=True).start()
    host, port = server.bind_addr[:2]
    print(f"{READY}http://{host}:{port}", flush=True)
    _exit_when_stdin_closes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
