"""uvicorn's HTTP protocol (httptools) with a header timeout: a client that opens a connection,
or starts a request, and does not finish sending its headers within CASEBOOK_HEADER_TIMEOUT_S
is disconnected (uvicorn has no such timeout of its own: slow-header connections stayed open).

`casebook serve` and the test server use `HeaderTimeoutProtocol`; `create_app` sets the
timeout from its settings (one value per process).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_S = 10.0


def set_header_timeout(seconds: float) -> None:
    global HEADER_TIMEOUT_S
    HEADER_TIMEOUT_S = seconds


class HeaderTimeoutProtocol(HttpToolsProtocol):
    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._headers_timed_out)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()  # the first request's headers are due within the timeout

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # a later request on a kept-alive connection: its headers are due too

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers did not arrive in time")
            self.transport.close()
