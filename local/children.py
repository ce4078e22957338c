"""Stopping a child process of the local stack: each child exits when its standard input (or its request
pipe) closes, so closing that is the polite request; a child still running after `timeout` is killed."""
from __future__ import annotations

import subprocess
from typing import IO, Any


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
            process.wait(1)
        except subprocess.TimeoutExpired:
            pass
