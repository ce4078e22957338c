"""The local stack's child processes: reading the line a child says it is ready with, and stopping one. Each
child exits when its standard input (or its request pipe) closes, so closing that is the polite request to
stop; a child still running after `timeout` is killed."""

from __future__ import annotations

import subprocess
import threading
from typing import IO, Any


def read_line(stream: IO[str], timeout: float | None) -> str:
    """The next line a child writes on `stream`, or "" when it closes the stream or says nothing for `timeout`
    seconds (a reader thread: a pipe has no timeout of its own)."""
    answer: list[str] = []
    reader = threading.Thread(target=lambda: answer.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return answer[0] if answer else ""


def stop(process: subprocess.Popen[Any], timeout: float, *pipes: IO[Any] | None) -> None:
    for pipe in pipes:
        try:
            if pipe is not None:
                pipe.close()
        except OSError:
            pass
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        try:
            process.wait(0.2)  # SIGKILL: reaped at once
        except subprocess.TimeoutExpired:
            pass
