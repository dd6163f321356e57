"""The lecture: its wire (views as data, tails of growing histories), its server (join code, polls, a follower
that only answers) and a follower's app."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import struct
import time
import zlib

import numpy as np
import pytest

from nntui.commands import StepOnce
from nntui.errors import NntuiError
from nntui.lecture.client import Address, LectureClient, parse_address
from nntui.lecture.server import LectureServer
from nntui.lecture.wire import (
    SERVER_LIMIT,
    Decoder,
    Encoder,
    WireError,
    follower_message,
    read_server_message,
    server_message,
)
from nntui.runner import Runner
from nntui.scenario import load


def _same(a, b, place="view") -> None:
    """Equal as data: arrays by dtype, shape and content (NaN equal to NaN), dataclasses field by field."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, place
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), place
    elif dataclasses.is_dataclass(a):
        assert type(a) is type(b), place
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{place}.{f.name}")
    elif isinstance(a, tuple | list):
        assert type(a) is type(b) and len(a) == len(b), place
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{place}.{i}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), place
        for k in a:
            _same(a[k], b[k], f"{place}.{k}")
    elif isinstance(a, float) and a != a:
        assert b != b, place
    else:
        assert a == b, (place, a, b)


def _views(name: str, first: int, more: int):
    """A lesson's View after `first` steps, then after each of `more` single steps."""
    runner = Runner(load(name).with_steps(first + more + 10), run_steps=first, questions=False)
    runner.start()
    try:
        for step in range(first, first + more + 1):
            _until(lambda step=step: runner.view().step == step and runner.idle, 60)
            yield runner.view()
            runner.send(StepOnce())
    finally:
        runner.stop()


def _send(encoder: Encoder, view, keyframe: bool) -> bytes:
    tree, blobs, arrays = encoder.encode(view, keyframe)
    if not keyframe:
        encoder.commit(arrays)
    return server_message({"kind": "view", "tree": tree}, blobs)


def test_views_arrive_whole_and_growing_histories_as_their_tails():
    encoder, follower, late = Encoder(), Decoder(), Decoder()
    array_bytes, losses = [], []
    for view in _views("overfitting", 200, 2):
        tree, blobs, _ = encoder.encode(view, keyframe=False)
        array_bytes.append(sum(map(len, blobs)))
        losses.append(tree["fields"]["runs"]["tuple"][0]["fields"]["losses"]["array"])
        _same(follower.decode(*_tree(_send(encoder, view, keyframe=False))), view)
        _same(late.decode(*_tree(_send(encoder, view, keyframe=True))), view)  # a newcomer's whole view
    # one step on, a history goes as its new tail (what changes whole, e.g. the fitted curve, goes whole)
    assert "kept" not in losses[0] and losses[1]["kept"] == 200 and losses[1]["size"] == 8
    assert array_bytes[1] < array_bytes[0] / 5


def _tree(message: bytes):
    header, blobs = read_server_message(message[4:])
    return header["tree"], blobs


def _view_tree():
    view = Runner(load("lr_sweep"), playing=False).view()
    tree, blobs, _ = Encoder().encode(view, keyframe=True)
    return json.loads(json.dumps(tree)), b"".join(blobs)


def _nested(depth: int) -> list:
    value: list = [1]
    for _ in range(depth):
        value = [value]
    return value


def _first(tree, key):
    """The first node in `tree` that has `key` (depth first)."""
    if isinstance(tree, dict):
        if key in tree:
            return tree
        tree = list(tree.values())
    if isinstance(tree, list):
        for item in tree:
            found = _first(item, key)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize("spoil, message", [
    (lambda t: t.update({"class": "Popen"}), "a class this follower does not know"),
    (lambda t: t["fields"].update({"__init__": 1}), "has no field"),
    (lambda t: _first(t, "dtype").update({"dtype": "|O"}), "not an array"),
    (lambda t: _first(t, "dtype").update({"shape": [10**9]}), "do not fit its shape"),
    (lambda t: _first(t, "dtype").update({"kept": 3}), "does not have"),
    (lambda t: t["fields"].update({"runs": {"tuple": _nested(30)}}), "nested too deep"),
    (lambda t: t["fields"].update({"runs": {"float": "1e999"}}), "not a number"),
])
def test_a_view_that_is_not_what_the_protocol_allows_is_refused(spoil, message):
    tree, blobs = _view_tree()
    spoil(tree)
    with pytest.raises(WireError, match=message):
        Decoder().decode(tree, memoryview(blobs))


@pytest.mark.parametrize("body", [
    b"garbage",
    zlib.compress(b"\x00\x00\x00\x05{bad}"),
    zlib.compress(struct.pack(">I", 2) + b"[]"),
    zlib.compress(b"\x00" * (SERVER_LIMIT + 10), 9),  # a small message that unpacks past the limit
])
def test_a_server_message_that_is_garbage_is_one_error(body):
    with pytest.raises(WireError):
        read_server_message(body)


@pytest.mark.parametrize("text, expected", [
    ("10.0.0.5:8000", Address("10.0.0.5", 8000, None)),
    ("room-12", Address("room-12", 8000, None)),
    ("nntui://host:9000/K7P2QX", Address("host", 9000, "K7P2QX")),
    ("[::1]:8001", Address("::1", 8001, None)),
])
def test_addresses_are_read_as_the_screen_writes_them(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["host:99999", "a b", ""])
def test_a_bad_address_is_one_line(text):
    with pytest.raises(NntuiError, match="not a lecture's address"):
        parse_address(text)


@pytest.fixture
def lecture():
    server = LectureServer("127.0.0.1", 0, code="ABC234")
    server.start()
    scenario = load("lr_sweep")
    server.set_scenario(scenario)
    server.publish(Runner(scenario, playing=False).view())
    yield server
    server.stop("the test is over")


def _client(server: LectureServer, code: str = "ABC234") -> LectureClient:
    client = LectureClient(Address("127.0.0.1", server.port, None), code, "ann")
    client.connect()
    client.start()
    return client


def _until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_follower_gets_the_lesson_the_view_the_poll_the_reveal_and_the_end(lecture):
    client = _client(lecture)
    assert client.scenario is not None and client.scenario.name == "lr_sweep"
    _until(lambda: client.view() is not None)
    _until(lambda: lecture.following == 1)
    lecture.ask(0, 4)
    _until(lambda: client.poll_at == 0)
    client.answer(0, 3)
    client.answer(0, 4)  # not a choice: the server closes this follower …
    _until(lambda: client.ended is not None)
    assert "one of the question's choices" in client.ended
    _until(lambda: lecture.following == 0)
    assert lecture.poll is not None and lecture.poll.counts() == [0, 0, 0, 0]  # … and its answer goes with it
    second = _client(lecture)
    _until(lambda: second.poll_at == 0)  # a newcomer is asked the open question too
    second.answer(0, 2)
    _until(lambda: lecture.poll is not None and lecture.poll.counts() == [0, 0, 1, 0])
    lecture.reveal()
    _until(lambda: second.reveal is not None)
    assert second.reveal is not None and second.reveal.counts == (0, 0, 1, 0)
    lecture.close_poll()
    _until(lambda: second.poll_at is None)
    lecture.stop("the instructor ended the lecture")
    _until(lambda: second.ended == "the instructor ended the lecture")


def test_a_wrong_join_code_is_one_line(lecture):
    with pytest.raises(NntuiError, match="wrong join code"):
        _client(lecture, code="ZZZZZZ")


@pytest.mark.parametrize("sent", [
    follower_message("toggle"),                            # a command: followers only answer
    b"\x00\x00\x00\x07garbage",                            # not JSON
    struct.pack(">I", 10**8),                              # more than a follower may send
    follower_message("hello", protocol=1, code="ABC234") + follower_message("reset"),
])
def test_a_follower_that_sends_anything_but_hello_and_answers_is_closed(lecture, sent):
    with socket.create_connection(("127.0.0.1", lecture.port), 5) as raw:
        raw.settimeout(5)
        raw.sendall(sent)
        received = b""
        while chunk := raw.recv(1 << 16):
            received += chunk
    assert received, "the server says why before it closes"
    assert lecture.following == 0


def test_a_port_in_use_is_one_line(lecture):
    with pytest.raises(NntuiError, match="in use; choose another with --port"):
        LectureServer("127.0.0.1", lecture.port).start()


async def _wait(pilot, condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_the_instructor_polls_the_room_reveals_and_goes_on(lecture):
    from nntui.ui.app import NNTuiApp
    from nntui.ui.lecture_bar import LectureBar
    from nntui.ui.screens.poll import PollScreen

    app = NNTuiApp(load("lr_sweep"), lecture=lecture, autoplay=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: "nntui follow 127.0.0.1:" in app.query_one(LectureBar)._text.plain)  # at once
        await _wait(pilot, lambda: isinstance(app.screen, PollScreen))  # lr_sweep asks before step 1
        client = _client(lecture)
        _until(lambda: client.poll_at == 0)
        client.answer(0, 3)
        await _wait(pilot, lambda: "1 answered" in app.query_one(LectureBar)._text.plain)
        assert "code ABC234" in app.query_one(LectureBar)._text.plain
        assert "1 of 1 following answered" in str(app.screen.query_one("#hint").render())
        await pilot.press("enter")  # the reveal, on every screen
        _until(lambda: client.reveal is not None and client.reveal.counts == (0, 0, 0, 1))
        assert "Right: ann" in str(app.screen.query_one("#hint").render())
        await pilot.press("enter")  # and on
        _until(lambda: client.poll_at is None)
        await _wait(pilot, lambda: app.runner.view().step > 0)
        _until(lambda: (client.view() or app.runner.view()).step > 0)


async def test_a_follower_sees_the_lecture_answers_and_cannot_drive_it(lecture):
    from nntui.ui.follow_app import FollowApp
    from nntui.ui.lecture_bar import LectureBar
    from nntui.ui.screens.poll import FollowerQuestion

    client = _client(lecture)
    app = FollowApp(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait(pilot, lambda: app.query_one(LectureBar)._text.plain.startswith("Following"))
        await pilot.press("space", "r", "e")  # the instructor's keys: not a follower's
        assert not app.runner.view().playing and len(app.screen_stack) == 1
        lecture.ask(0, 4)
        await _wait(pilot, lambda: isinstance(app.screen, FollowerQuestion))
        await pilot.press("2", "4")  # another number changes the answer until the reveal
        _until(lambda: lecture.poll is not None and lecture.poll.counts() == [0, 0, 0, 1])
        lecture.reveal()
        await _wait(pilot, lambda: getattr(app.screen, "revealed", False))
        assert "You were right: 0.03" in str(app.screen.query_one("#verdict").source)
        assert "← you" in str(app.screen.query_one("#tally").render())
        lecture.close_poll()
        await _wait(pilot, lambda: not isinstance(app.screen, FollowerQuestion))
        lecture.set_scenario(load("overfitting"))  # the instructor opens another lesson: this app makes way
        await _wait(pilot, lambda: app.return_value == "lesson")


async def test_a_browser_follows_after_giving_the_join_code(lecture, tmp_path):
    """nntui serve --follow: the page asks for the code; given, the tab is a follower like a terminal."""
    import base64
    import subprocess
    import sys
    import urllib.request

    import aiohttp

    from .test_serve import devtools_caller, devtools_page, free_port, stop

    port, debug_port = free_port(), free_port()
    server = subprocess.Popen([sys.executable, "-m", "nntui", "serve", "--port", str(port), "--follow",
                               f"127.0.0.1:{lecture.port}", "--code", "abc234"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    browser = None
    try:
        _until(lambda: _answers(f"http://127.0.0.1:{port}/"), 60)
        assert b"Type the join code" in urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
        browser = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                    f"--remote-debugging-port={debug_port}", f"--user-data-dir={tmp_path / 'profile'}",
                                    "--window-size=1400,900", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        async with aiohttp.ClientSession() as client:
            page = await devtools_page(client, debug_port)
            async with client.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as devtools:
                call, events = devtools_caller(devtools)
                await call("Page.navigate", url=f"http://127.0.0.1:{port}/?code=ABC234")
                deadline = time.monotonic() + 60
                while lecture.following == 0:
                    assert time.monotonic() < deadline, "the tab never followed"
                    await asyncio.sleep(0.5)
                    await call("Runtime.evaluate", expression="1")
                lecture.ask(0, 4)  # the question, asked of the tab too: it answers 3 with a key
                await asyncio.sleep(3)
                await call("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
                for kind in ("keyDown", "keyUp"):
                    await call("Input.dispatchKeyEvent", type=kind, key="3", code="Digit3", windowsVirtualKeyCode=51,
                               **({"text": "3"} if kind == "keyDown" else {}))
                while lecture.poll is None or lecture.poll.counts() != [0, 0, 1, 0]:
                    assert time.monotonic() < deadline, "the tab's answer never came"
                    await asyncio.sleep(0.3)
                    await call("Runtime.evaluate", expression="1")
                shot = await call("Page.captureScreenshot", format="png")
                (tmp_path / "follow.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        if browser is not None:
            browser.terminate()
            browser.wait(10)
        stop(server)


def _answers(url: str) -> bool:
    import urllib.request

    try:
        urllib.request.urlopen(url, timeout=5).read()
        return True
    except OSError:
        return False


async def test_a_follower_branches_to_its_own_copy_of_the_runs_and_follows_again(lecture):
    """b: the runs replayed here to the lecture's step, the same to the last digit (CPU, same seed); f: back."""
    from nntui.ui.follow_app import BranchApp, FollowApp

    scenario = load("lr_sweep")
    taught = Runner(scenario, run_steps=25, questions=False)
    taught.start()
    _until(lambda: taught.view().step == 25 and taught.idle, 60)
    lecture.publish(taught.view())
    taught.stop()
    client = _client(lecture)
    _until(lambda: client.view() is not None and client.view().step == 25)
    following = FollowApp(client)
    async with following.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: following.runner.view().step == 25)
        await pilot.press("b")
        await _wait(pilot, lambda: following.return_value == "branch")
    assert following.branched_at is not None and following.branched_at.step == 25
    branch = BranchApp(client, following.branched_at)
    async with branch.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: branch.check is not None, 90)
        assert "every run is where the lecture's was, to the last digit" in branch.check
        assert branch.runner.view().step == 25 and not branch.runner.view().playing
        await pilot.press("f")
        await _wait(pilot, lambda: branch.return_value == "follow")


@pytest.mark.parametrize("args, message", [
    (["follow", "10.0.0.5:8000"], "give the join code on the instructor's screen"),
    (["follow", "10.0.0.5:99999", "--code", "ABCD"], "not a lecture's address"),
    (["lecture", "lr_sweep", "--code", "no!"], "not a join code"),
    (["lecture", "lr_sweep", "--speed", "fast"], "not a speed"),
    (["serve", "--code", "ABCD"], "belongs to --follow"),
    (["serve", "lr_sweep", "--follow", "h:1", "--code", "ABCD"], "give a lesson or --follow, not both"),
])
def test_the_lecture_commands_bad_arguments_are_one_line(args, message):
    from .test_cli import cli

    code, _out, err = cli(*args)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) <= 3


def test_a_follower_that_stops_reading_loses_its_views_not_the_lecture(lecture):
    """Its queue stays bounded, and a follower that reads gets every new view meanwhile."""
    from nntui.lecture.server import BACKLOG_BYTES

    with socket.create_connection(("127.0.0.1", lecture.port), 5) as stalled:
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(follower_message("hello", protocol=1, code="ABC234"))
        reader = _client(lecture)
        _until(lambda: lecture.following == 2)
        base = Runner(load("lr_sweep"), playing=False).view()
        noise = np.random.default_rng(0).random(200_000)  # a view that does not compress: 1.6 MB a time
        for version in range(1, 40):
            run = dataclasses.replace(base.runs[0], losses=noise + version, steps=np.arange(noise.size))
            lecture.publish(dataclasses.replace(base, version=version, runs=(run, *base.runs[1:])))
            _until(lambda v=version: (reader.view() or base).version == v, 20)
        queued = [f.queued for f in lecture._followers.values()]
        assert max(queued) <= BACKLOG_BYTES


async def test_a_graph_lessons_walk_follows_the_instructors_until_the_follower_takes_it(lecture):
    from nntui.panels.graph.expression import GraphPanel
    from nntui.ui.follow_app import FollowApp

    scenario = load("computation_graph")
    taught = Runner(scenario)
    taught.start()
    _until(lambda: taught.view().expression is not None, 60)
    lecture.set_scenario(scenario)
    lecture.publish(taught.view())
    taught.stop()
    lecture.walk(3)
    client = _client(lecture)
    _until(lambda: client.scenario is not None and client.scenario.expression is not None and client.stage == 3)
    app = FollowApp(client)
    async with app.run_test(size=(120, 40)) as pilot:
        graph = app.query_one(GraphPanel)
        await _wait(pilot, lambda: graph.stage == 3)
        lecture.walk(4)
        await _wait(pilot, lambda: graph.stage == 4)
        await pilot.press("n")  # the follower's own walk now: the instructor's no longer moves it
        assert graph.stage == 5 and app.own_walk
        lecture.walk(2)
        _until(lambda: client.stage == 2)
        await pilot.pause(0.2)
        assert graph.stage == 5
        await pilot.press("f")  # following the instructor's walk again
        await _wait(pilot, lambda: graph.stage == 2)


def test_nobody_following_costs_no_encoding(lecture, monkeypatch):
    """The instructor's app publishes every frame; with no follower the server encodes none of them."""
    from nntui.lecture import wire

    encoded = []
    real = wire.Encoder.encode
    monkeypatch.setattr(wire.Encoder, "encode", lambda self, view, keyframe: encoded.append(view) or real(
        self, view, keyframe))
    base = Runner(load("lr_sweep"), playing=False).view()
    for version in range(1, 6):
        lecture.publish(dataclasses.replace(base, version=version))
        time.sleep(0.05)
    assert encoded == []
    client = _client(lecture)  # a newcomer gets the newest whole, and then what changes
    _until(lambda: client.view() is not None and client.view().version == 5)
    lecture.publish(dataclasses.replace(base, version=6))
    _until(lambda: client.view().version == 6)
    assert len(encoded) == 2
