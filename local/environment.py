"""Lambda execution environments for the local stack: a function's handler in a child process of its own,
running one invocation at a time, as Lambda runs it. The gateway keeps a pool of them for the API
(API_CONCURRENCY, default 2), so requests run side by side without sharing an interpreter, while the
Powertools router, which keeps per-request state in module globals, sees one request at a time.

    python -m local.environment functions.api.app EVENTS_FD ANSWERS_FD     # started by Pool

The child reads one invocation per line on the events pipe ({"event", "context"}) and writes one answer
per line on the answers pipe ({"result"} or {"error"}); its standard output and error are the stack's
(its log lines).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

from local import children, collector

ROOT = Path(__file__).resolve().parent.parent


class InvocationError(Exception):
    """The handler raised (the gateway answers 502, as API Gateway does for a failed function)."""


class Environment:
    """One child process running `module`'s lambda_handler."""

    def __init__(self, function: str, module: str, env: dict[str, str]):
        self.function = function
        events_read, self._events = os.pipe()
        self._answers, answers_write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.environment", module, str(events_read), str(answers_write)],
            cwd=ROOT,
            env=env,
            pass_fds=(events_read, answers_write),
            start_new_session=True,
        )  # stopped by the stack, not by the terminal's Ctrl-C
        os.close(events_read)
        os.close(answers_write)
        self._writer = os.fdopen(self._events, "w", buffering=1)
        self._reader = os.fdopen(self._answers, "r")
        self.invocations = 0
        self.handler_ms = 0

    def ready(self, timeout: float) -> None:
        """Waits for the child's first line: it has imported the handler."""
        line = children.read_line(self._reader, timeout)
        if not line:
            raise RuntimeError(f"{self.function}: the environment stopped (exit code {self.process.poll()})")
        if json.loads(line).get("ready") is not True:
            raise RuntimeError(f"{self.function}: the environment did not start: {line!r}")

    def invoke(self, event: dict[str, Any], context: Any) -> Any:
        fields = {
            name: getattr(context, name)
            for name in (
                "function_name",
                "function_version",
                "memory_limit_in_mb",
                "invoked_function_arn",
                "aws_request_id",
                "log_group_name",
                "log_stream_name",
            )
        }
        fields["remaining_ms"] = context.get_remaining_time_in_millis()
        started = time.perf_counter()
        self._writer.write(json.dumps({"event": event, "context": fields}) + "\n")
        answer = json.loads(self._reader.readline() or "null")
        self.handler_ms += round((time.perf_counter() - started) * 1000)
        if answer is None:
            raise InvocationError(f"{self.function}: the environment stopped (exit code {self.process.poll()})")
        self.invocations += 1
        if "error" in answer:
            raise InvocationError(answer["error"])
        return answer["result"]

    def stop(self, timeout: float) -> None:
        children.stop(self.process, timeout, self._writer, self._reader)


class Pool:
    """`size` environments of one function; invoke() runs on the first free one (waiting for one)."""

    def __init__(self, function: str, module: str, size: int, env: dict[str, str], start_timeout: float = 120):
        self.function, self._module, self._env, self._timeout = function, module, env, start_timeout
        self.name = f"{function} environments"
        self.environments = [Environment(function, module, env) for _ in range(size)]
        for environment in self.environments:
            environment.ready(start_timeout)
        self._free: queue.Queue[Environment] = queue.Queue()
        for environment in self.environments:
            self._free.put(environment)
        self.replaced = 0

    def invoke(self, event: dict[str, Any], context: Any) -> Any:
        environment = self._free.get()
        try:
            return environment.invoke(event, context)
        finally:
            if environment.process.poll() is not None:  # it died (as a Lambda environment can): a new one
                environment = self._replace(environment)
            self._free.put(environment)

    def _replace(self, dead: Environment) -> Environment:
        fresh = Environment(self.function, self._module, self._env)
        fresh.ready(self._timeout)
        self.environments[self.environments.index(dead)] = fresh
        self.replaced += 1
        return fresh

    def status(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "environments": len(self.environments),
            "busy": len(self.environments) - self._free.qsize(),
            "invocations": sum(e.invocations for e in self.environments),
            "handlerMs": sum(e.handler_ms for e in self.environments),
            "alive": sum(e.process.poll() is None for e in self.environments),
            "replaced": self.replaced,
        }

    def signal_stop(self) -> None:
        for environment in self.environments:
            if environment.process.poll() is None:
                environment.process.terminate()

    def stop(self, timeout: float = 2) -> None:
        deadline = time.monotonic() + timeout
        for environment in self.environments:
            environment.stop(max(0.1, deadline - time.monotonic()))


def _serve(module_name: str, events_fd: int, answers_fd: int) -> None:
    """The child: import the handler, then answer invocations until the events pipe closes."""
    import importlib
    import signal
    import traceback

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    for path in (ROOT / "shared", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    events = os.fdopen(events_fd, "r")
    answers = os.fdopen(answers_fd, "w", buffering=1)
    handler = importlib.import_module(module_name).lambda_handler
    collector.settle()  # what the import made lives as long as the environment
    answers.write(json.dumps({"ready": True}) + "\n")
    for line in events:
        request = json.loads(line)
        fields = request["context"]
        remaining = fields.pop("remaining_ms")
        context = types.SimpleNamespace(get_remaining_time_in_millis=lambda left=remaining: left, **fields)
        try:
            answer: dict[str, Any] = {"result": handler(request["event"], context)}
        except Exception as error:  # noqa: BLE001 - said to the stack, which answers 502 as API Gateway would
            traceback.print_exc()
            answer = {"error": f"{type(error).__name__}: {error}"}
        answers.write(json.dumps(answer, default=str) + "\n")
    os._exit(0)


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
