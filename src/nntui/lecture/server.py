"""The instructor's side of a lecture: a TCP server, on a thread of its own, that streams the app's Views to
followers and collects their answers to the lesson's questions.

The app hands it each View it draws (`publish`, never waiting); the server's thread encodes it once for all
followers and queues it for each. Nothing a follower does can slow the instructor: each has its own bounded
queue, and one that falls behind loses its queued views (not the questions) and is sent a whole one when it
can take it again. A follower can send two things, its hello (with the join code) and an answer; anything
else closes its connection.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import NntuiError
from ..runner import View
from ..scenario import Scenario
from .wire import (
    FOLLOWER_LIMIT,
    PROTOCOL,
    Encoder,
    WireError,
    frame_length,
    read_follower_message,
    scenario_payload,
    server_message,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LENGTH = 6
HELLO_SECONDS = 10.0      # a connection that does not say hello in time is closed
WRONG_CODE_SECONDS = 1.0  # a wrong code is answered after this long (guessing codes takes years)
BACKLOG_BYTES = 2 * 2**20  # a follower's queue beyond this: its queued views are dropped (it gets a whole one)
MAX_FOLLOWERS = 500
END_SECONDS = 1.0         # how long the last words to followers may take when the lecture ends


def _room_address() -> str:
    """This machine's address on its network (the interface a packet out would leave by; none is sent), or its
    name where it has none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
    except OSError:
        address = ""
    return address if address and not address.startswith("127.") else socket.gethostname()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(eq=False)
class _Follower:
    writer: asyncio.StreamWriter
    name: str = ""
    queue: deque[tuple[bool, bytes]] = field(default_factory=deque)  # (is a view, message)
    queued: int = 0         # bytes in the queue
    synced: bool = False    # has every view sent so far: the next may refer to the last
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Poll:
    at: int                 # the question's step
    choices: int
    answers: dict[int, int]  # follower id → choice (the last one given)
    revealed: bool = False

    def counts(self) -> list[int]:
        counts = [0] * self.choices
        for choice in self.answers.values():
            counts[choice] += 1
        return counts


class LectureServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8000, code: str | None = None):
        self.host, self.port = host, port
        self.code = code or new_code()
        self.web: str | None = None  # where browsers follow it too (nntui lecture --web)
        self.on_change: Callable[[], object] | None = None  # called (on the server's thread) when followers or answers change
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nntui-lecture", daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._followers: dict[int, _Follower] = {}  # by id
        self._encoder = Encoder()
        self._latest: View | None = None   # the newest View handed over, not yet sent …
        self._current: View | None = None  # … and the last one sent (a newcomer gets it whole)
        self._sent: tuple | None = None    # what the last sent View was (version, step, playing, speed, state)
        self._scenario: dict[str, Any] | None = None
        self._poll: Poll | None = None
        self._stage: int | None = None     # a graph lesson: how far the instructor's walk through it is
        self._lock = threading.Lock()      # guards _poll and the follower count as the app reads them

    # ------------------------------------------------------------------ the app's side (any thread)

    def start(self) -> None:
        """Bind and listen; NntuiError (one line) when the address cannot be had."""
        self._thread.start()
        try:
            self._server = asyncio.run_coroutine_threadsafe(
                asyncio.start_server(self._serve, self.host, self.port, limit=FOLLOWER_LIMIT), self._loop).result(10)
        except OSError as exc:
            self._loop.call_soon_threadsafe(self._loop.stop)
            reason = "is in use; choose another with --port" if exc.errno == errno.EADDRINUSE else f"cannot be used: {exc.strerror}"
            raise NntuiError(f"lecture: {self.host}:{self.port} {reason}") from None
        self.port = self._server.sockets[0].getsockname()[1]  # (port 0: the one the system chose)

    def stop(self, reason: str) -> None:
        """Tell every follower why the lecture ends, close, and stop the thread."""
        if not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._end(reason), self._loop).result(END_SECONDS + 1)
        except (TimeoutError, RuntimeError):
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(2)

    def set_scenario(self, scenario: Scenario) -> None:
        """A lesson opened (or was edited): followers lay out their screens for it and take views anew."""
        assert scenario.raw is not None
        payload = scenario_payload(scenario.raw, scenario.name, str(scenario.path))
        with self._lock:
            self._latest = None  # (a View of the lesson before; the next publish is of this one)
        self._stage = None  # (here, not on the server's thread: a walk told right after is this lesson's)
        self._loop.call_soon_threadsafe(self._new_scenario, payload)

    def publish(self, view: View) -> None:
        """The View the instructor's screen shows now: followers get it soon (the newest only, if several come)."""
        with self._lock:
            first, self._latest = self._latest is None, view
        if first:
            self._loop.call_soon_threadsafe(self._send_view)

    def say(self, text: str) -> None:
        """A word to every follower between lessons (their screens keep the last lesson meanwhile)."""
        self._loop.call_soon_threadsafe(self._broadcast, {"kind": "status", "text": text})

    def walk(self, stage: int) -> None:
        """A graph lesson's walk is at `stage` on the instructor's screen: followers' walks go there too."""
        if stage != self._stage:
            self._stage = stage
            self._loop.call_soon_threadsafe(self._broadcast, {"kind": "walk", "stage": stage})

    def ask(self, at: int, choices: int) -> None:
        with self._lock:
            self._poll = Poll(at, choices, {})
        self._loop.call_soon_threadsafe(self._broadcast, {"kind": "poll", "at": at})

    def reveal(self) -> None:
        with self._lock:
            poll = self._poll
            if poll is None:
                return
            self._poll = Poll(poll.at, poll.choices, poll.answers, revealed=True)
        self._loop.call_soon_threadsafe(self._broadcast, {"kind": "reveal", "at": poll.at, "counts": poll.counts()})

    def close_poll(self) -> None:
        """The instructor goes on: followers' questions close."""
        with self._lock:
            poll, self._poll = self._poll, None
        if poll is not None:
            self._loop.call_soon_threadsafe(self._broadcast, {"kind": "resume", "at": poll.at})

    @property
    def join(self) -> str:
        """The address followers give `nntui follow`: this machine's name where the server listens on every one."""
        host = _room_address() if self.host in ("", "0.0.0.0", "::") else self.host
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    @property
    def poll(self) -> Poll | None:
        with self._lock:
            return self._poll

    def named_answers(self) -> list[tuple[str, int]]:
        """(name, choice) of each follower who gave a name and answered the open question (the others stay
        anonymous)."""
        with self._lock:
            poll = self._poll
            if poll is None:
                return []
            return [(follower.name, poll.answers[key]) for key, follower in self._followers.items()
                    if follower.name and key in poll.answers]

    @property
    def following(self) -> int:
        with self._lock:
            return len(self._followers)

    # ------------------------------------------------------------------ the server's thread

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _new_scenario(self, payload: dict[str, Any]) -> None:
        self._scenario = payload
        self._encoder = Encoder()
        self._current, self._sent = None, None
        for follower in self._followers.values():
            follower.synced = False
        self._broadcast({"kind": "scenario", **payload})

    def _send_view(self) -> None:
        """The newest View to the followers that have the last one, as what changed; whole to the others. `_sent`
        is the View the encoder's arrays are of, the last any follower was sent: with nobody following, nothing is
        encoded (an instructor alone pays a lock a frame)."""
        with self._lock:
            view, self._latest = self._latest or self._current, None
        if view is None:
            return
        self._current = view
        key = (view.version, view.step, view.playing, view.speed, view.state, view.rate)
        synced = [f for f in self._followers.values() if f.synced]
        fresh = [f for f in self._followers.values() if not f.synced]
        if key != self._sent and synced:
            tree, blobs, arrays = self._encoder.encode(view, keyframe=False)
            self._encoder.commit(arrays)
            self._sent = key
            message = server_message({"kind": "view", "key": False, "sent": time.time(), "tree": tree}, blobs)
            for follower in synced:
                self._queue(follower, message, view=True)
        if fresh:
            tree, blobs, arrays = self._encoder.encode(view, keyframe=True)
            if key != self._sent:  # nobody had this View: what the next one refers to is this whole one
                self._encoder.commit(arrays)
                self._sent = key
            whole = server_message({"kind": "view", "key": True, "sent": time.time(), "tree": tree}, blobs)
            for follower in fresh:
                follower.synced = True
                self._queue(follower, whole, view=True)

    def _broadcast(self, header: dict[str, Any]) -> None:
        message = server_message(header)
        for follower in self._followers.values():
            self._queue(follower, message, view=False)

    def _queue(self, follower: _Follower, message: bytes, view: bool) -> None:
        if view and follower.queued + len(message) > BACKLOG_BYTES:
            # it cannot keep up: its queued views go (its questions stay) and it is sent a whole one next time
            follower.queue = deque(m for m in follower.queue if not m[0])
            follower.queued = sum(len(m[1]) for m in follower.queue)
            follower.synced = False
            self._loop.call_soon(self._send_view)
            return
        follower.queue.append((view, message))
        follower.queued += len(message)
        follower.wake.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        follower = _Follower(writer)
        key = id(follower)
        sender = None
        try:
            hello = await asyncio.wait_for(self._read(reader), HELLO_SECONDS)
            refusal = await self._refusal(hello) or (None if self._scenario else "no lesson is open yet; try again")
            if refusal:
                writer.write(server_message({"kind": "refused", "reason": refusal}))
                await writer.drain()
                return
            follower.name = str(hello.get("name") or "")[:40]
            with self._lock:
                self._followers[key] = follower
            assert self._scenario is not None  # (refused above otherwise)
            follower.queue.append((False, server_message({"kind": "welcome", "protocol": PROTOCOL, **self._scenario})))
            if self._stage is not None:  # a graph lesson: the newcomer's walk starts where the instructor's is
                follower.queue.append((False, server_message({"kind": "walk", "stage": self._stage})))
            poll = self.poll
            if poll is not None:  # a question is open: the newcomer is asked too
                follower.queue.append((False, server_message({"kind": "poll", "at": poll.at})))
            follower.wake.set()
            sender = asyncio.ensure_future(self._send(follower))
            self._loop.call_soon(self._send_view)
            self._changed()
            while True:
                self._answer(key, await self._read(reader))
        except WireError as exc:
            writer.write(server_message({"kind": "refused", "reason": str(exc)}))
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            with self._lock:
                gone = self._followers.pop(key, None)
                if self._poll is not None and key in self._poll.answers:
                    del self._poll.answers[key]
            if sender is not None:
                sender.cancel()
            writer.close()
            if gone is not None:
                self._changed()

    async def _refusal(self, hello: dict[str, Any]) -> str | None:
        if hello.get("kind") != "hello":
            return "say hello first"
        if hello.get("protocol") != PROTOCOL:
            return f"this lecture speaks protocol {PROTOCOL}; install the same nntui version as the instructor"
        code = hello.get("code")
        if not isinstance(code, str) or not hmac.compare_digest(code.upper().encode(), self.code.encode()):
            await asyncio.sleep(WRONG_CODE_SECONDS)
            return "wrong join code: it is on the instructor's screen"
        if self.following >= MAX_FOLLOWERS:
            return f"the lecture is full ({MAX_FOLLOWERS} followers)"
        return None

    async def _read(self, reader: asyncio.StreamReader) -> dict[str, Any]:
        length = frame_length(await reader.readexactly(4), FOLLOWER_LIMIT)
        return read_follower_message(await reader.readexactly(length))

    def _answer(self, key: int, message: dict[str, Any]) -> None:
        if message["kind"] != "answer":
            raise WireError(f"a follower cannot send '{message['kind'][:20]}': it only answers questions")
        at, choice = message.get("at"), message.get("choice")
        with self._lock:
            poll = self._poll
            if poll is None or poll.revealed or at != poll.at:
                return  # (an answer that crossed the reveal on the way: too late, not wrong)
            if type(choice) is not int or not 0 <= choice < poll.choices:
                raise WireError("an answer must be one of the question's choices")
            poll.answers[key] = choice
        self._changed()

    async def _send(self, follower: _Follower) -> None:
        writer = follower.writer
        while True:
            await follower.wake.wait()
            follower.wake.clear()
            while follower.queue:
                _, message = follower.queue.popleft()
                follower.queued -= len(message)
                writer.write(message)
                await writer.drain()

    async def _end(self, reason: str) -> None:
        self._broadcast({"kind": "end", "reason": reason})
        followers = list(self._followers.values())
        try:
            await asyncio.wait_for(asyncio.gather(*(self._flush(f) for f in followers), return_exceptions=True),
                                   END_SECONDS)
        except TimeoutError:
            pass
        for follower in followers:
            follower.writer.close()
        if self._server is not None:
            self._server.close()

    @staticmethod
    async def _flush(follower: _Follower) -> None:
        while follower.queue:
            await asyncio.sleep(0.01)
        await follower.writer.drain()
