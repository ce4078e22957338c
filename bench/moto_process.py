"""A moto server in its own process for the benches that measure through one (maintenance, webhooks):
the process being measured does not share its interpreter with moto."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from typing import Iterator

from bench.realtime_bench import _free_port


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Starts it, points this process's AWS clients at it (fake credentials), yields its endpoint."""
    port = _free_port()
    env = {**os.environ, "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
                       "AWS_SECRET_ACCESS_KEY": "bench", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                       "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true",
                       "POWERTOOLS_SERVICE_NAME": "bench", "DYNAMODB_ENDPOINT": endpoint, "AWS_ENDPOINT_URL": endpoint})
    try:
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
