"""Scenario files are data: a hostile file cannot run code or read outside its folder.

An audit hook (PEP 578) watches everything the interpreter does while hostile files load: no code is
compiled or executed, no process is started, no module is imported, nothing is opened but the scenario
file and CSV files inside its folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nntui.errors import ScenarioError
from nntui.expression import ExpressionError, forward, parse
from nntui.scenario.loader import load_path

from .conftest import MINIMAL

FORBIDDEN = ("exec", "compile", "import", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
             "os.fork", "socket.", "ctypes.", "urllib.", "pickle.", "marshal.", "builtins.input", "os.remove",
             "os.rename", "os.mkdir", "os.chmod", "shutil.")


class Watch:
    """Records audit events while active (a hook cannot be removed, so it is switched instead)."""

    events: list[tuple[str, tuple]] = []
    active = False

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if cls.active:
            cls.events.append((event, args))


sys.addaudithook(Watch.hook)


def load_watched(path: Path) -> list[tuple[str, tuple]]:
    """Load `path` (a ScenarioError is fine) and return what the interpreter was asked to do meanwhile."""
    load_path(MINIMAL_FILE)  # every module the loader needs is imported before watching starts
    Watch.events, Watch.active = [], True
    try:
        load_path(path)
    except ScenarioError:
        pass
    finally:
        Watch.active = False
    return Watch.events


def assert_harmless(events: list[tuple[str, tuple]], folder: Path) -> None:
    for event, args in events:
        assert not event.startswith(FORBIDDEN), (event, args)
        if event == "open":
            opened = Path(os.fsdecode(args[0])).resolve()
            assert opened.is_relative_to(folder.resolve()), f"opened {opened}"


@pytest.fixture(scope="module", autouse=True)
def minimal_file(tmp_path_factory):
    global MINIMAL_FILE
    MINIMAL_FILE = tmp_path_factory.mktemp("minimal") / "ok.toml"
    MINIMAL_FILE.write_text(MINIMAL)


HOSTILE_EXPRESSIONS = [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "x.real",
    "exec('import os')",
    "eval('1+1')",
    "open('/etc/passwd')",
    "lambda: 0",
    "[c for c in ().__class__.__mro__]",
    "x[0]",
    "x if x else x",
    "globals()",
    "__builtins__",
    "f'{{x}}'",
    "import os",
    "x; import os",
    "x\nimport os",
    "x @ x",
    "x := 1",
    "sin.__globals__",
]


@pytest.mark.parametrize("text", HOSTILE_EXPRESSIONS)
def test_hostile_expressions_are_refused_without_running(text, write_scenario, tmp_path):
    marker = tmp_path / "pwned"
    text = text.format(marker=marker)
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert "\n" not in str(info.value)
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    for scenario in (f'[scenario]\ntitle = "g"\n[expression]\ntext = "{body}"\nvalues = {{ x = 1.0 }}\n',
                     MINIMAL.replace('kind = "linear"\nstop = 1.0\nn = 20\nslope = 2.0',
                                     f'kind = "curve"\nf = "{body}"')):
        path = write_scenario(scenario)
        assert_harmless(load_watched(path), path.parent)
        with pytest.raises(ScenarioError, match="expression.text|data.f"):
            load_path(path)
    assert not marker.exists()


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(list("xy_.()[]'\",:;=@!`{}\\ 0123456789+-*/") + [
    "__", "**", "import", "exp", "log", "sin", "os", "class", "lambda"]), max_size=40).map("".join))
def test_any_expression_text_parses_into_safe_operations_or_is_refused(text):
    try:
        graph = parse(text)
    except ExpressionError as exc:
        assert "\n" not in str(exc)
        return
    allowed = {"var", "const", "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "tanh", "sigmoid", "relu",
               "sin", "cos"}
    assert {n.op for n in graph.nodes} <= allowed
    forward(graph, {v: 0.5 for v in graph.variables})  # evaluated by our own code: numbers in, numbers out


@pytest.mark.parametrize("path", ["../secret.csv", "sub/../../secret.csv", "/etc/passwd", "~/secret.csv",
                                  "$HOME/secret.csv", "file:///etc/passwd", "link.csv", "linkdir/secret.csv",
                                  "/proc/self/environ", "\\\\server\\share\\x.csv"])
def test_csv_paths_cannot_leave_the_scenario_folder(path, tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text("x,y\n1,2\n3,4\n")
    (folder / "link.csv").symlink_to(secret)  # a link inside the folder to a file outside it
    (folder / "linkdir").symlink_to(tmp_path)
    scenario = folder / "s.toml"
    scenario.write_text(MINIMAL.replace('kind = "linear"\nstop = 1.0\nn = 20\nslope = 2.0',
                                        f'kind = "csv"\npath = \'{path}\'\ntarget = "y"'))
    assert_harmless(load_watched(scenario), folder)
    with pytest.raises(ScenarioError) as info:
        load_path(scenario)
    (line,) = [str(p) for p in info.value.problems]
    assert "data.path" in line and ("outside the scenario's folder" in line or "not found" in line)


@pytest.mark.parametrize("key", ["__class__", "__init__", "model_config", "__dict__", "model_fields", "_private"])
def test_python_attribute_names_are_just_unknown_keys(key, write_scenario):
    path = write_scenario(MINIMAL.replace("lr = 0.1", f'lr = 0.1\n"{key}" = 1'))
    with pytest.raises(ScenarioError, match=f"train.{key}: unknown key"):
        load_path(path)


@pytest.mark.parametrize("field, value", [("title", "\\u001b]0;owned\\u0007"), ("title", "\\u001b[2J"),
                                          ("summary", "\\u009b31m"),
                                          # invisible: a right-to-left override, an isolate, a zero-width space
                                          ("title", "nntui \\u202egnp.exe"), ("title", "a\\u2066b"),
                                          ("summary", "zero\\u200bwidth")])
def test_terminal_escapes_in_text_are_refused(field, value, write_scenario):
    path = write_scenario(MINIMAL.replace('title = "t"', f'title = "t"\n{field} = "{value}"' if field != "title"
                                          else f'title = "{value}"'))
    with pytest.raises(ScenarioError) as info:
        load_path(path)
    (line,) = [str(p) for p in info.value.problems]
    kind = "invisible" if "\\u20" in value else "control"
    assert f"scenario.{field}: contains the {kind} character" in line and line.isprintable()


def test_a_valid_csv_inside_the_folder_is_the_only_file_read(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "d.csv").write_text("x,y\n1,2\n3,4\n5,7\n")
    scenario = folder / "s.toml"
    scenario.write_text(MINIMAL.replace('kind = "linear"\nstop = 1.0\nn = 20\nslope = 2.0',
                                        'kind = "csv"\npath = "d.csv"\ntarget = "y"'))
    events = load_watched(scenario)
    assert_harmless(events, folder)
    opened = {Path(os.fsdecode(args[0])).name for event, args in events if event == "open"}
    assert opened == {"s.toml", "d.csv"}
