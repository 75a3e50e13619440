"""The bound on answers at once, shared by the chat and the API.

The API endpoint runs outside Gradio's queue (a plain POST to /gradio_api/run/ask answers in one
request, without the queue's event stream, which cost several times the answer itself); the chat runs
in the queue. Both take a slot here before answering, so together they never answer more than the
limit at once, and a request over it waits for a slot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Slots:
    def __init__(self, size: int = 1):
        self.resize(size)

    def resize(self, size: int) -> None:
        """Set the limit (at launch, before any request)."""
        self.size = max(1, size)
        self._sem = threading.BoundedSemaphore(self.size)

    @contextmanager
    def held(self) -> Iterator[None]:
        sem = self._sem
        with sem:
            yield


SLOTS = Slots()
