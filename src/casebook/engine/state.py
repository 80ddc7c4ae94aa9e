"""The state of this process that the engine keeps: the workflows' listeners, the settings it was
launched with, its own client, and whether it was asked to stop.

These are assigned when the process launches and stops (`casebook.engine.processes.launched`):
read and assign them through the module (`state.client`), never as names imported from it.
"""

from __future__ import annotations

import threading

from dbos import DBOSClient

from casebook.config import Settings
from casebook.runs.pipeline import Listener

# Listeners of runs executing in this process (the CLI's live display), by workflow id.
listeners: dict[str, Listener] = {}
# The settings this process was launched with; workflows recovered or dequeued here use them.
launched_settings: Settings | None = None
# A client of this process's own: reads that must never be recorded as a workflow's steps.
client: DBOSClient | None = None
stop_requested = threading.Event()
