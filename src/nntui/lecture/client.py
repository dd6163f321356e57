"""A follower's side of a lecture: one connection to the instructor's server, read on a thread of its own.

It keeps what the follower's app draws: the lesson (as its scenario file's data, loaded again here, so a
follower never runs code it is sent), the newest View, and the question open now. The app reads these on
its timer; `on_change` tells it when something it should act on at once arrived (a lesson, a question, the end).
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import NntuiError
from ..runner import RemoteView, Runner, View
from ..scenario import Scenario
from ..scenario.loader import load_raw
from .wire import PROTOCOL, SERVER_LIMIT, Decoder, WireError, follower_message, frame_length, read_server_message

DEFAULT_PORT = 8000
CONNECT_SECONDS = 10.0
ADDRESS = re.compile(r"(?:nntui://)?(?P<host>\[[0-9a-fA-F:]+\]|[^:/\s]+)(?::(?P<port>\d{1,5}))?(?:/(?P<code>\w+))?/?")


@dataclass(frozen=True)
class Address:
    host: str
    port: int
    code: str | None


def parse_address(text: str) -> Address:
    """HOST, HOST:PORT or HOST:PORT/CODE (nntui:// in front is allowed); NntuiError (one line) otherwise."""
    match = ADDRESS.fullmatch(text.strip())
    port = int(match["port"]) if match and match["port"] else DEFAULT_PORT
    if match is None or not 0 < port < 65536:
        raise NntuiError(f"'{text}' is not a lecture's address; give HOST:PORT as the instructor's screen shows it "
                         "(e.g. 10.0.0.5:8000)")
    return Address(match["host"].strip("[]"), port, match["code"])


@dataclass(frozen=True)
class Reveal:
    at: int
    counts: tuple[int, ...]  # how many followers chose each choice


class LectureClient:
    def __init__(self, address: Address, code: str, name: str = ""):
        self.address, self.code, self.name = address, code, name
        self.on_change: Callable[[], object] | None = None  # called on the receiving thread
        self.scenario: Scenario | None = None
        self.lesson = 0                     # bumps with each lesson the lecture opens
        self.poll_at: int | None = None     # the step of the question open now
        self.reveal: Reveal | None = None   # its answer, once the instructor revealed it
        self.ended: str | None = None       # why the lecture ended (the connection is gone)
        self.stage = 0                      # a graph lesson: how far the instructor's walk through it is
        self.status: str | None = None      # what the instructor is doing between lessons
        self._view: View | None = None
        self._socket: socket.socket | None = None
        self._decoder = Decoder()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the app's side

    def connect(self) -> None:
        """Connect, say hello, take the lesson: NntuiError (one line) when the lecture cannot be followed."""
        where = f"{self.address.host}:{self.address.port}"
        try:
            self._socket = socket.create_connection((self.address.host, self.address.port), CONNECT_SECONDS)
            self._socket.sendall(follower_message("hello", protocol=PROTOCOL, code=self.code, name=self.name))
            self._socket.settimeout(CONNECT_SECONDS)
            self._take(*self._receive())
            self._socket.settimeout(None)
        except (OSError, WireError) as exc:
            self.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise NntuiError(f"cannot follow the lecture at {where}: {reason}") from None
        if self.ended:
            self.close()
            raise NntuiError(f"cannot follow the lecture at {where}: {self.ended}")
        if self.scenario is None:
            self.close()
            raise NntuiError(f"cannot follow the lecture at {where}: it sent no lesson")

    def start(self) -> None:
        threading.Thread(target=self._listen, name="nntui-follow", daemon=True).start()

    def close(self) -> None:
        if self._socket is not None:
            try:
                self._socket.close()
            except OSError:
                pass

    def view(self) -> View | None:
        with self._lock:
            return self._view

    def answer(self, at: int, choice: int) -> None:
        """Send an answer to the open question (a later one replaces it until the reveal)."""
        if self._socket is None:
            return
        try:
            self._socket.sendall(follower_message("answer", at=at, choice=choice))
        except OSError:  # the lecture is gone: _listen says so
            pass

    # ------------------------------------------------------------------ the receiving thread

    def _listen(self) -> None:
        try:
            while self.ended is None:
                self._take(*self._receive())
        except (OSError, WireError, NntuiError) as exc:
            reason = ("the instructor's connection closed" if isinstance(exc, ConnectionError | EOFError)
                      else f"the lecture sent what this follower cannot read ({exc})")
            self.ended = self.ended or reason
        self.close()
        self._changed()

    def _receive(self) -> tuple[dict[str, Any], memoryview]:
        assert self._socket is not None
        length = frame_length(self._exactly(4), SERVER_LIMIT)
        return read_server_message(self._exactly(length))

    def _exactly(self, size: int) -> bytes:
        assert self._socket is not None
        chunks, left = [], size
        while left:
            chunk = self._socket.recv(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("closed")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _take(self, header: dict[str, Any], blobs: memoryview) -> None:
        kind = header["kind"]
        if kind == "view":
            view = self._decoder.decode(header.get("tree"), blobs)
            with self._lock:
                self._view = view
            return
        if kind in ("welcome", "scenario"):
            if kind == "welcome" and header.get("protocol") != PROTOCOL:
                raise WireError(f"the lecture speaks protocol {header.get('protocol')}, this follower {PROTOCOL}")
            self._new_lesson(header)
        elif kind == "poll":
            self.poll_at, self.reveal = _step(header, "at"), None
        elif kind == "reveal":
            counts = header.get("counts")
            if not (isinstance(counts, list) and all(type(c) is int and c >= 0 for c in counts)):
                raise WireError("a reveal's counts are not counts")
            self.reveal = Reveal(_step(header, "at"), tuple(counts))
        elif kind == "status":
            self.status = str(header.get("text", ""))[:120] or None
        elif kind == "walk":
            self.stage = _step(header, "stage")
        elif kind == "resume":
            self.poll_at, self.reveal = None, None
        elif kind in ("end", "refused"):
            self.ended = str(header.get("reason", "the lecture ended"))[:200]
        else:
            raise WireError(f"a message of kind '{kind[:20]}'")
        self._changed()

    def _new_lesson(self, header: dict[str, Any]) -> None:
        raw, name, source = header.get("raw"), header.get("name"), header.get("source")
        if not (isinstance(raw, dict) and isinstance(name, str) and isinstance(source, str)):
            raise WireError("a lesson without its scenario")
        # the scenario file's data, validated as any file is (a lesson on a CSV file needs that file here too)
        scenario = load_raw(raw, source=f"{source} (the lecture's)", base_dir=Path.cwd(), name=name)
        with self._lock:
            self.scenario, self._view, self._decoder = scenario, None, Decoder()
            self.lesson += 1
            self.poll_at, self.reveal, self.stage, self.status = None, None, 0, None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


def _step(header: dict[str, Any], key: str) -> int:
    value = header.get(key)
    if type(value) is not int or value < 0:
        raise WireError(f"'{key}' is not a step")
    return value


class FollowRunner(RemoteView):
    """What a lesson's app reads from its Runner, read from the lecture instead: the follower trains nothing."""

    def __init__(self, client: LectureClient, scenario: Scenario):
        self.client, self.scenario = client, scenario
        self._waiting = replace(Runner(scenario, playing=False).view(), state="loading")  # before the first View

    def view(self) -> View:
        return self.client.view() or self._waiting

    @property
    def waiting_at(self) -> int | None:
        return self.client.poll_at

    def start(self) -> None:
        """(The lecture's connection outlives the app: a new lesson opens a new app on it.)"""

    def stop(self) -> None:
        """(as start)"""

    def send(self, command) -> None:
        raise AssertionError(f"a follower sends no commands ({type(command).__name__})")
