"""The moto server in a process of its own, with local.moto_dynamodb's fixes installed: what the local
stack and the benches talk to. moto then runs on its own interpreter, not in the stack's, and a request
to it never waits for the gateway's or a pump's turn to run Python. Its WSGI application is served by
cheroot (keep-alive, a pool of 16 threads) rather than moto's development server.

    python -m local.moto_server [--port N]

prints `ready http://127.0.0.1:<port>` once it listens, and exits when its standard input closes (the
stack that started it stopped or died: it never outlives its parent) or on SIGTERM / SIGINT.
MotoProcess starts and stops one from Python.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
READY = "ready "


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
            (sys.argv_moto if hasattr(sys,"argv_moto") else [sys.executable, "-m", "local.moto_server", "--port", str(self._port)]), cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            start_new_session=True)  # Ctrl-C in the terminal reaches the stack, which stops this in its turn
        answer: list[str] = []
        reader = threading.Thread(target=lambda: answer.append(self._process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(self._start_timeout)
        line = answer[0] if answer else ""
        if not line.startswith(READY):
            self.stop()
            raise RuntimeError(f"the moto server did not start (it said {line.strip()!r})")
        self.endpoint_url = line[len(READY):].strip()

    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self, timeout: float = 2) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            process.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _exit_when_stdin_closes() -> None:
    try:
        while sys.stdin.read(4096):
            pass
    except (OSError, ValueError):
        pass
    os._exit(0)


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
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from local import moto_dynamodb

    moto_dynamodb.install()
    # moto's own server (werkzeug's development server) closes every connection and starts a thread for each
    # request: a third of its time under load. cheroot keeps connections alive and serves from a pool.
    server = wsgi.Server((HOST, args.port), DomainDispatcherApplication(create_backend_app), numthreads=16,
                         request_queue_size=1024)
    server.prepare()
    threading.Thread(target=server.serve, name="moto", daemon=True).start()
    host, port = server.bind_addr[:2]
    print(f"{READY}http://{host}:{port}", flush=True)
    _exit_when_stdin_closes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
