"""Cold start: no garbage collection while a handler's modules load. Each handler imports this module before
any other (`import lms.coldstart`, then an `isort: split`) and calls `loaded()` after its last import.

Importing builds hundreds of thousands of objects (modules, functions, classes, pydantic's schemas) that live as
long as the execution environment; the collector would walk them again and again as they are made (about 15%
of a handler's import time here). `loaded()` moves them to the permanent generation (gc.freeze), so neither the
import nor any later collection during an invocation walks them, and turns the collector back on."""

from __future__ import annotations

import gc

gc.disable()


def loaded() -> None:
    gc.freeze()
    gc.enable()
