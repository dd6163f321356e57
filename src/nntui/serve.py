"""`nntui serve`: textual-serve's server, with the limits a shared machine needs.

textual-serve starts one nntui process per browser tab. Left as it is, a class could open tabs until the
machine ran out of memory (about 240 MB each), one tab could send keys faster than its app can take them
(20,000 keys kept a session at 100% CPU for a minute while its memory tripled), and SIGTERM waited on
each session in turn (22 s for three). Here:

- at most `max_sessions` tabs run at once; one more gets a page that says so (HTTP 503);
- each tab's keys pass a token bucket (a burst of KEY_BURST, then KEY_RATE a second: faster than anyone
  types or a held key repeats); the rest are dropped before they reach the app;
- SIGTERM or Ctrl+C ends every session at once (each quits like `q`, its trainer with it), then the server;
- a plain request to /ws (not a websocket) gets one line and 400 (textual-serve logged ~180 lines of
  traceback for each);
- serving a lecture's followers (`--follow`), a tab first gives the join code (a cookie carries it to the
  tab's websocket), as a terminal follower does.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.server import Server, log, to_int

KEY_BURST = 200     # keys a tab may send at once (a paste into a form field, a burst of arrow keys)
KEY_RATE = 40.0     # keys a second after that (a held key repeats about 30 times a second)

FULL_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>nntui is full</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto;">
<h1>nntui is full</h1>
<p>This server runs at most {limit} sessions at once, and all of them are in use. Close a tab that
runs nntui, or try again in a moment.</p>
<p>(Whoever started it can allow more with <code>nntui serve --max-sessions N</code>; each session
takes about 240 MB.)</p>
</body></html>
"""


class KeyBucket:
    """A token bucket: `take()` is True for a key that may pass now."""

    def __init__(self, burst: int = KEY_BURST, rate: float = KEY_RATE) -> None:
        self.burst, self.rate = burst, rate
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


CODE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Follow the lecture</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto;">
<h1>Follow the lecture</h1>
<form method="get" action="/"><p>{wrong}Type the join code on the instructor's screen:</p>
<p><input name="code" autofocus autocomplete="off" size="8" style="font-size: 1.5em; text-transform: uppercase;">
<button type="submit" style="font-size: 1.5em;">Follow</button></p></form>
</body></html>
"""
CODE_COOKIE = "nntui_code"


class NntuiServer(Server):
    def __init__(self, *args: Any, max_sessions: int, code: str | None = None, **kwargs: Any) -> None:
        """`code`: a lecture's join code, which a tab must give before it follows (None: any tab may open)."""
        super().__init__(*args, **kwargs)
        self.max_sessions = max_sessions
        self.code = code.strip().upper() if code else None
        self.services: set[AppService] = set()

    def _admitted(self, given: str | None) -> bool:
        return self.code is None or (given is not None and hmac.compare_digest(given.strip().upper().encode(),
                                                                                self.code.encode()))

    @property
    def full(self) -> bool:
        return len(self.services) >= self.max_sessions

    def _full_page(self) -> web.Response:
        return web.Response(status=503, content_type="text/html", text=FULL_PAGE.format(limit=self.max_sessions))

    async def handle_index(self, request: web.Request) -> Any:
        if self.full:
            return self._full_page()
        given = request.query.get("code")
        if not self._admitted(given if given is not None else request.cookies.get(CODE_COOKIE)):
            wrong = "That is not the code. " if given else ""
            return web.Response(status=403 if given else 200, content_type="text/html",
                                text=CODE_PAGE.format(wrong=wrong))
        if self.code is not None:  # the websocket on the host the page came from, so that the cookie goes with it
            self.public_url = f"{request.scheme}://{request.host}"
        response = await super().handle_index(request)
        if given is not None:  # the page's websocket brings it back
            response.set_cookie(CODE_COOKIE, given.strip().upper(), httponly=True, samesite="Strict")
        return response

    async def handle_websocket(self, request: web.Request) -> Any:
        """textual-serve's handler, with the session limit and each session kept in `services`."""
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=400, text="/ws is the websocket a browser tab opens; open / instead\n")
        if self.full:  # (a page loaded just before the last place was taken)
            return self._full_page()
        if not self._admitted(request.cookies.get(CODE_COOKIE)):
            return web.Response(status=403, text="give the lecture's join code on the page first\n")
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: AppService | None = None
        try:
            await websocket.prepare(request)
            service = AppService(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                 close=websocket.close,  # type: ignore[arg-type]  # (as textual-serve passes it)
                                 download_manager=self.download_manager, debug=self.debug)
            self.services.add(service)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            if service is not None:
                self.services.discard(service)
                await service.stop()
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """textual-serve's message loop, with each tab's keys through a KeyBucket."""
        keys = KeyBucket()
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            envelope = message.json()
            if not isinstance(envelope, list) or not envelope:
                continue
            kind = envelope[0]
            if kind == "stdin" and keys.take():
                await app_service.send_bytes(str(envelope[1]).encode("utf-8"))
            elif kind == "resize":
                await app_service.set_terminal_size(envelope[1]["width"], envelope[1]["height"])
            elif kind == "ping":
                await websocket.send_json(["pong", envelope[1]])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()

    def request_exit(self) -> None:
        """SIGTERM or Ctrl+C: every session is told at once (each quits like q, its trainer with it), so
        the shutdown that follows finds them gone instead of waiting on each in turn."""
        for service in self.services:
            process = service._process
            if process is not None and process.returncode is None:
                try:
                    process.terminate()
                except ProcessLookupError:
                    pass
        raise GracefulExit()
