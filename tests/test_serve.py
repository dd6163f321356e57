"""`nntui serve` against a real websocket client on 127.0.0.1: sessions end with the server."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import aiohttp
import pytest

from .test_interrupts import processes_marked


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not ended in 10 s: a failing test must not leave a server behind."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def start_server(port: int, cwd, log=subprocess.DEVNULL, *options: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "serve", "lr_sweep", "--port", str(port), *options],
                            stdout=log, stderr=log, cwd=cwd)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return proc
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "the server did not answer"
            time.sleep(0.3)


async def open_session(port: int, mark: str) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """A browser tab: the websocket that starts a session; returns once its app and trainer both run."""
    client = aiohttp.ClientSession()
    ws = await client.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30")
    deadline = time.monotonic() + 60
    settled = None
    while settled is None or time.monotonic() < settled:  # the trainer is up, and the screen has settled
        assert time.monotonic() < deadline, processes_marked(mark)
        if settled is None and any(b"nntui.trainer_process" in cmdline(pid) for pid in processes_marked(mark)):
            settled = time.monotonic() + 4.0
        try:
            await asyncio.wait_for(ws.receive(), 0.2)  # keep reading what the app paints
        except TimeoutError:
            pass
    return client, ws


def cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


async def test_killing_the_server_ends_every_session_and_trainer(tmp_path, monkeypatch):
    mark = f"nntui-test-{uuid.uuid4()}"
    monkeypatch.setenv("NNTUI_TEST_MARK", mark)  # inherited by the server, each session and each trainer
    port = free_port()
    server = start_server(port, tmp_path)
    client = None
    try:
        client, _ws = await open_session(port, mark)
        os.kill(server.pid, signal.SIGKILL)  # as the OOM killer would: the server tells nobody
        server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while processes_marked(mark) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert processes_marked(mark) == [], "a session or its trainer outlived the server"  # was: both lived on
    finally:
        if client is not None:
            await client.close()
        if server.poll() is None:
            server.kill()
        for pid in processes_marked(mark):
            os.kill(pid, signal.SIGKILL)


def sessions(mark: str, server: subprocess.Popen) -> list[int]:
    """The processes a server started for its tabs: each session's app and trainer."""
    return [pid for pid in processes_marked(mark) if pid != server.pid]


async def painted(ws, seconds: float) -> bytes:
    """What the app sent within `seconds`."""
    out, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            message = await asyncio.wait_for(ws.receive(), 0.2)
        except TimeoutError:
            continue
        if message.type == aiohttp.WSMsgType.BINARY:
            out += message.data
        elif message.type == aiohttp.WSMsgType.TEXT:
            out += message.data.encode()
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            break
    return out


async def test_a_tab_that_resizes_at_once_is_painted_and_odd_sizes_are_taken_calmly(tmp_path, monkeypatch):
    mark = f"nntui-test-{uuid.uuid4()}"
    monkeypatch.setenv("NNTUI_TEST_MARK", mark)
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = start_server(port, tmp_path, log)
    try:
        async with aiohttp.ClientSession() as client:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                pass
            try:  # a plain request to the websocket's address (was: ~180 lines of traceback in the log)
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ws", timeout=5)
            except urllib.error.HTTPError as error:
                assert error.code == 400 and b"websocket" in error.read()
            ws = await client.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30")
            await asyncio.sleep(0.05)  # as headless Chromium does: a resize during start-up
            await ws.send_json(["resize", {"width": 120, "height": 40}])
            first = await painted(ws, 8)
            assert b"Learning rate" in first and len(first) > 20_000  # was: 84 bytes, then 100% CPU forever
            for width, height in ((-5, 10), (1, 1), (120, 40)):  # was: IndexError inside Textual at -5
                await ws.send_json(["resize", {"width": width, "height": height}])
                await asyncio.sleep(0.3)
            assert len(await painted(ws, 2)) > 1_000 and sessions(mark, server)
            await ws.close()  # the tab is closed: its session ends
        deadline = time.monotonic() + 10
        while sessions(mark, server) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert sessions(mark, server) == []
    finally:
        stop(server)
        log.close()
        for pid in processes_marked(mark):
            os.kill(pid, signal.SIGKILL)
    text = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (apt-get install chromium)")
async def test_headless_chromium_shows_the_lesson_and_closing_it_ends_the_session(tmp_path, monkeypatch):
    mark = f"nntui-test-{uuid.uuid4()}"
    monkeypatch.setenv("NNTUI_TEST_MARK", mark)
    port = free_port()
    server = start_server(port, tmp_path)
    debug_port = free_port()
    browser = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                f"--remote-debugging-port={debug_port}", f"--user-data-dir={tmp_path / 'profile'}",
                                "--window-size=1400,900", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as client:
            page = await devtools_page(client, debug_port)
            async with client.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as devtools:
                call, events = devtools_caller(devtools)
                await call("Network.enable")  # to see what the page's websocket receives from the app
                await call("Page.navigate", url=f"http://127.0.0.1:{port}/")
                deadline = time.monotonic() + 60
                received = b""
                while b"Question" not in received:  # lr_sweep opens with a question: the whole screen is drawn
                    assert time.monotonic() < deadline, received[-500:]
                    await asyncio.sleep(0.5)
                    await call("Runtime.evaluate", expression="1")  # collects the events meanwhile
                    received += b"".join(base64.b64decode(e["params"]["response"]["payloadData"])
                                         for e in events if e.get("method") == "Network.webSocketFrameReceived"
                                         and e["params"]["response"]["opcode"] == 2)
                    events.clear()
                assert b"Learning rate: too small" in received and len(received) > 20_000
                body = await call("Runtime.evaluate", expression="document.body.className")
                assert "-first-byte" in body["result"]["value"]  # textual-serve's intro gave way to the app
                shot = await call("Page.captureScreenshot", format="png")
                (tmp_path / "serve.png").write_bytes(base64.b64decode(shot["data"]))  # to look at, if it fails
                assert sessions(mark, server)
    finally:
        browser.terminate()  # the tab is gone
        browser.wait(timeout=10)
    try:
        deadline = time.monotonic() + 10
        while sessions(mark, server) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert sessions(mark, server) == [], "the session outlived its tab"
    finally:
        stop(server)
        for pid in processes_marked(mark):
            os.kill(pid, signal.SIGKILL)


async def devtools_page(client: aiohttp.ClientSession, port: int) -> dict:
    deadline = time.monotonic() + 30
    while True:
        try:
            targets = await (await client.get(f"http://127.0.0.1:{port}/json")).json()
            return next(t for t in targets if t["type"] == "page")
        except (aiohttp.ClientError, StopIteration):
            assert time.monotonic() < deadline, "chromium's devtools never answered"
            await asyncio.sleep(0.2)


def devtools_caller(devtools):
    """call(method, **params) → its result; the events that arrive meanwhile go to the list returned too."""
    counter = iter(range(1, 1_000_000))
    events: list[dict] = []

    async def call(method: str, **params) -> dict:
        ident = next(counter)
        await devtools.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await devtools.receive_json()
            if message.get("id") == ident:
                return message.get("result", {})
            events.append(message)

    return call, events


async def test_a_full_server_says_so_and_sigterm_ends_every_session_at_once(tmp_path, monkeypatch):
    # was: no limit (20 tabs about 4.8 GB), and SIGTERM with 3 sessions took 22 s (issue 30)
    mark = f"nntui-test-{uuid.uuid4()}"
    monkeypatch.setenv("NNTUI_TEST_MARK", mark)
    port = free_port()
    server = start_server(port, tmp_path, subprocess.DEVNULL, "--max-sessions", "2")
    clients = []
    try:
        for _ in range(2):
            clients.append(await open_session(port, mark))  # (the websocket kept: dropped, it closes)
        with pytest.raises(urllib.error.HTTPError) as full:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
        assert full.value.code == 503 and b"nntui is full" in full.value.read()
        async with aiohttp.ClientSession() as third:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await third.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30")
        assert len(sessions(mark, server)) == 4  # two apps, two trainers: the third tab started nothing
        sent = time.monotonic()
        server.terminate()
        server.wait(timeout=30)
        while processes_marked(mark) and time.monotonic() - sent < 30:
            await asyncio.sleep(0.05)
        took = time.monotonic() - sent
        assert processes_marked(mark) == [] and took < 5, took
    finally:
        for client, _ws in clients:
            await client.close()
        if server.poll() is None:
            server.kill()
        for pid in processes_marked(mark):
            os.kill(pid, signal.SIGKILL)


async def test_a_tabs_keys_past_its_bucket_are_dropped_before_the_app():
    # 20,000 keys from one tab kept its session at 100% CPU for 60 s and tripled its memory (issue 30)
    from nntui.serve import KEY_BURST, KeyBucket, NntuiServer

    class Messages:
        def __init__(self, count: int):
            self.left = count

        def __aiter__(self):
            return self

        async def __anext__(self):
            if not self.left:
                raise StopAsyncIteration
            self.left -= 1
            return aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, '["stdin", "n"]', None)

    class App:
        received = 0

        async def send_bytes(self, data: bytes) -> None:
            self.received += len(data)

    app = App()
    started = time.monotonic()
    await NntuiServer._process_messages(None, Messages(20_000), app)  # type: ignore[arg-type]
    allowed = KEY_BURST + KeyBucket().rate * (time.monotonic() - started) + 1
    assert KEY_BURST <= app.received <= allowed, app.received
