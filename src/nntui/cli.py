"""`nntui` command line: run, view, watch, export-code, list, check, schema.

Every user error ends in one line per problem on stderr and exit code 2;
never a traceback. torch is imported only by commands that train.
"""

from __future__ import annotations

import json
import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Protocol, TypeGuard

import typer

from .claims import QUANTITIES
from .errors import NntuiError, printable
from .scenario import Scenario, json_schema, list_builtin, load
from .scenario.spec import MAX_SEED

app = typer.Typer(
    name="nntui",
    help="Watch neural networks learn, live in your terminal.",
    no_args_is_help=False,  # no command: the lesson picker
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


class Theme(str, Enum):
    dark = "dark"
    light = "light"


class DeviceChoice(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


@app.callback(invoke_without_command=True)
def home(ctx: typer.Context) -> None:
    """With no command: pick a lesson on the home screen (Escape in a lesson comes back to it)."""
    if ctx.invoked_subcommand is None:
        _session(None, device=None, autoplay=None)


def _session(scenario, *, device: str | None, autoplay: bool | None, theme: str | None = None,
             speed: str | None = None, lecture=None) -> None:
    """Run lessons until the user quits: Escape goes to the picker, the command palette opens another lesson."""
    from .lifetime import ENV, die_with_parent
    from .trainer_process import discard_spare, prestart
    from .ui.app import NNTuiApp
    from .ui.screens.home import HomeApp

    if os.environ.get("TERM") == "dumb" and not os.environ.get("TEXTUAL_DRIVER"):  # (serve sets the driver)
        raise NntuiError("TERM=dumb cannot show the app (it needs cursor movement and colours); run it "
                         "in a terminal such as xterm, or use `nntui run NAME --headless`")
    if not os.environ.get("TEXTUAL_DRIVER") and not all(_is_terminal(f) for f in (sys.stdin, sys.stdout)):
        # a pipe, a file, cron or nohup: Textual would read an input that never comes, at full CPU, forever
        raise NntuiError("the app needs a terminal, and stdin or stdout is not one (a pipe, a file, cron); "
                         "use `nntui run NAME --headless`")
    _unicode_output()
    if os.environ.get(ENV):  # a session of `nntui serve`: it ends when the server does
        die_with_parent()
    last = None
    answers: dict[int, bool] = {}  # questions answered in the experiment that reopens (not asked again)
    try:
        while True:
            if scenario is None:
                prestart()  # the trainer process loads torch while the user picks a lesson
                if lecture is not None:
                    lecture.say("the instructor is choosing the next lesson")
                name = HomeApp(selected=last).run_or_raise()
                if not name:
                    return
                scenario = load(name)
            app = NNTuiApp(scenario, device=device, autoplay=autoplay, home=True, theme=theme, answers=answers,
                           trainer_process=True, speed=int(speed) if speed and speed != "max" else speed,
                           lecture=lecture)
            result = app.run_or_raise()  # a crash inside the app: one line and exit 1 (main)
            last, answers = scenario.name, {}
            if result is None:
                return
            if isinstance(result, str):  # "home", or "open:NAME" from the command palette
                scenario = load(result.removeprefix("open:")) if result.startswith("open:") else None
            else:  # an edited experiment with a run more or less: reopen it, its questions answered as they were
                scenario, answers = result, app.answers
    finally:
        discard_spare()  # a trainer started for a next lesson that never came


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="A built-in name (see `nntui list`) or a path to a .toml file.")],
    headless: Annotated[bool, typer.Option("--headless", help="No TUI: progress on stderr, summary and chart on stdout.")] = False,
    steps: Annotated[int | None, typer.Option(min=1, max=10_000_000, help="Train this many steps (overrides the scenario).")] = None,
    device: Annotated[DeviceChoice | None, typer.Option(help="auto picks cuda, then mps, then cpu. Overrides the scenario.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the JSON record here (headless).", dir_okay=False)] = None,
    csv: Annotated[Path | None, typer.Option(help="Write the loss history as CSV here (headless).", dir_okay=False)] = None,
    neurons: Annotated[bool, typer.Option("--neurons", help="Record every unit's picture over the data at the end in "
                                          "--out (2-D classification or 1-D regression; headless).")] = False,
    seed: Annotated[int | None, typer.Option(min=0, max=MAX_SEED, help="Override the scenario's seed.")] = None,
    paused: Annotated[bool, typer.Option("--paused", help="Open the app paused (space starts).")] = False,
    speed: Annotated[str | None, typer.Option(help="Steps per second at the start (1 to 1000), or max.")] = None,
    theme: Annotated[Theme | None, typer.Option(help="Colors: dark (default) or light, e.g. for a bright room.")] = None,
) -> None:
    """Train a scenario: live in the terminal UI, or --headless."""
    sc = load(scenario, seed=seed)
    if steps is not None:
        sc = sc.with_steps(steps)
    dev = device.value if device else None
    if headless:
        from .headless import run_headless

        _check_headless(sc, out, csv, neurons)
        raise typer.Exit(run_headless(sc, device=dev, out=out, csv=csv, neurons=neurons))
    for flag, value in (("--out", out), ("--csv", csv), ("--neurons", neurons or None)):
        if value is not None:
            raise typer.BadParameter("needs --headless (the app does not write a record)", param_hint=f"'{flag}'")
    _check_devices(sc, dev)
    _check_speed(speed)
    _session(sc, device=dev, autoplay=False if paused else None, theme=f"textual-{theme.value}" if theme else None,
             speed=speed)


@app.command()
def lecture(
    scenario: Annotated[str, typer.Argument(help="A built-in name (see `nntui list`) or a path to a .toml file.")],
    host: Annotated[str, typer.Option(help="Address to listen on. 127.0.0.1: only this machine; 0.0.0.0: the room's "
                                      "network too.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port followers connect to.")] = 8000,
    device: Annotated[DeviceChoice | None, typer.Option(help="auto picks cuda, then mps, then cpu.")] = None,
    paused: Annotated[bool, typer.Option("--paused", help="Open the lesson paused (space starts).")] = False,
    theme: Annotated[Theme | None, typer.Option(help="Colors: dark (default) or light, e.g. for a bright room.")] = None,
    web: Annotated[int | None, typer.Option(min=1, max=65535, help="Also serve followers to web browsers on this port "
                                            "(nntui serve --follow), on the same --host.")] = None,
    code: Annotated[str | None, typer.Option(help="A join code of your own, 4 to 12 letters or digits (default: a new "
                                             "random one each lecture).")] = None,
    steps: Annotated[int | None, typer.Option(min=1, max=10_000_000, help="Train this many steps (overrides the "
                                              "scenario).")] = None,
    speed: Annotated[str | None, typer.Option(help="Steps per second at the start (1 to 1000), or max.")] = None,
) -> None:
    """Teach a lesson to a room: your app as with `run`, streamed live to everyone who runs `nntui follow`; the
    lesson's questions become polls. The join command and code are on your screen."""
    from .lecture.server import LectureServer

    sc = load(scenario)
    if steps is not None:
        sc = sc.with_steps(steps)
    dev = device.value if device else None
    _check_devices(sc, dev)
    _check_speed(speed)
    if code is not None and not re.fullmatch("[A-Za-z0-9]{4,12}", code):
        raise typer.BadParameter(f"'{code}' is not a join code; give 4 to 12 letters or digits", param_hint="'--code'")
    _need_terminal("`nntui run NAME --headless` (a lecture needs the app)")
    server = LectureServer(host, port, code=code.upper() if code else None)
    server.start()
    browsers = _serve_followers(server, host, web) if web else None
    try:
        _session(sc, device=dev, autoplay=False if paused else None,
                 theme=f"textual-{theme.value}" if theme else None, speed=speed, lecture=server)
    finally:
        if browsers is not None:
            browsers.terminate()  # (its tabs end with it: their app quits like q)
        server.stop("the instructor ended the lecture")
        if browsers is not None:
            browsers.wait(10)


def _serve_followers(server, host: str, web: int):
    """`nntui serve --follow` for this lecture, beside it; its address goes in the lecture's bar."""
    import socket
    import subprocess

    try:  # (a port in use is one line here, not a server that dies unseen)
        with socket.create_server((host, web)):
            pass
    except OSError as exc:
        raise typer.BadParameter(f"{host}:{web} cannot be used: {exc.strerror}", param_hint="'--web'") from None
    local = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    from .lifetime import ENV

    process = subprocess.Popen([sys.executable, "-m", "nntui", "serve", "--host", host, "--port", str(web),
                                "--follow", f"{local}:{server.port}", "--code", server.code, "--max-sessions", "200"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, ENV: "1"})  # (it ends with the lecture, even a killed one)
    server.web = f"http://{server.join.rsplit(':', 1)[0]}:{web}"
    return process


@app.command()
def follow(
    address: Annotated[str, typer.Argument(help="The lecture's HOST:PORT, as the instructor's screen shows it.")],
    code: Annotated[str | None, typer.Option(help="The join code on the instructor's screen.")] = None,
    name: Annotated[str, typer.Option(help="Your name: after the reveal, the instructor's screen names those who "
                                      "answered right (a wrong answer is never named).")] = "",
    theme: Annotated[Theme | None, typer.Option(help="Colors: dark (default) or light.")] = None,
) -> None:
    """Follow a lecture: the instructor's run, live, in your terminal; answer its questions. Your keys change
    only your own view; b branches to your own copy of the runs (this needs PyTorch; following does not)."""
    from .lecture.client import LectureClient

    where, code = _lecture_address(address, code)
    _need_terminal("a terminal (a lecture is followed in the app)")
    from .lifetime import ENV, die_with_parent
    from .ui.follow_app import BranchApp, FollowApp

    if os.environ.get(ENV):  # a browser tab's follower (nntui serve --follow): it ends when the server does
        die_with_parent()
    client = LectureClient(where, code, name)
    client.connect()
    client.start()
    colors = f"textual-{theme.value}" if theme else None
    try:
        while True:
            following = FollowApp(client, theme=colors)
            result = following.run_or_raise()
            if result == "branch" and following.branched_at is not None:
                result = BranchApp(client, following.branched_at, theme=colors).run_or_raise()
                if result == "follow" and client.ended is None:
                    continue  # back to the lecture, where it is now
            if result != "lesson":  # (a lesson: the lecture opened another, or edited this one; its screen next)
                break
    finally:
        from .trainer_process import discard_spare

        discard_spare()
        client.close()
    if client.ended:
        print(f"nntui follow: the lecture ended: {client.ended}", file=sys.stderr)


def _lecture_address(address: str, code: str | None):
    """A lecture's address and its join code (given apart, or as HOST:PORT/CODE); one line when either is missing."""
    from .lecture.client import parse_address

    where = parse_address(address)
    code = code or where.code
    if not code:
        raise typer.BadParameter("give the join code on the instructor's screen: nntui follow HOST:PORT --code CODE",
                                 param_hint="'--code'")
    return where, code


def _check_speed(speed: str | None) -> None:
    # (ASCII digits only: '²'.isdigit() is true, and int('²') fails)
    if speed is not None and speed != "max" and not (re.fullmatch("[0-9]{1,4}", speed) and 1 <= int(speed) <= 1000):
        raise typer.BadParameter(f"'{speed}' is not a speed; give 1 to 1000 steps per second, or max",
                                 param_hint="'--speed'")


def _check_headless(sc: Scenario, out: Path | None, csv: Path | None, neurons: bool) -> None:
    """A headless run's outputs can be written, and --neurons has a record to go in and a model to draw: checked
    before training, not after it."""
    for flag, path in (("--out", out), ("--csv", csv)):
        if path is not None:
            _check_writable(path, flag)
    if not neurons:
        return
    if out is None:
        raise typer.BadParameter("needs --out (the units' pictures go in the JSON record)", param_hint="'--neurons'")
    from .panels import panel

    check = panel("neurons").check
    problem = check(sc.variants) if check is not None else None
    if problem:
        raise typer.BadParameter(problem.replace(" (remove 'neurons')", ""), param_hint="'--neurons'")


def _check_devices(sc: Scenario, dev: str | None) -> None:
    """A GPU that is not there fails before the app opens (only explicit GPU requests pay torch's import here)."""
    wanted = [(dev, "--device")] if dev else [(sc.meta.device, f"{sc.path}: scenario.device")] + [
        (v.train.device, f"{sc.path}: {v.label}: train.device") for v in sc.variants if v.train.device]
    if any(device in ("cuda", "mps") for device, _ in wanted):
        from .engine.device import resolve_device

        for requested, source in wanted:
            resolve_device(requested, source=source)


@app.command()
def view(
    logs: Annotated[list[str], typer.Argument(help="Folders given to nntui.watch(log_dir=…) (or their nntui.jsonl); "
                                              "several are drawn side by side.")],
    headless: Annotated[bool, typer.Option("--headless", help="No TUI: the summary and loss chart on stdout.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the JSON record here (headless).", dir_okay=False)] = None,
    theme: Annotated[Theme | None, typer.Option(help="Colors: dark (default) or light.")] = None,
) -> None:
    """Your own training loop, recorded with nntui.watch: live while the script runs, and afterwards."""
    from .logview import LogRunner, find_logs

    runner = LogRunner(find_logs(logs))
    if headless:
        from .headless import view_headless

        if out is not None:
            _check_writable(out, "--out")
        raise typer.Exit(view_headless(runner, out=out))
    if out is not None:
        raise typer.BadParameter("needs --headless (the app does not write a record)", param_hint="'--out'")
    _need_terminal("nntui view LOG --headless")
    from .ui.log_app import LogApp

    runner.load()
    LogApp(runner, " ".join(logs), theme=f"textual-{theme.value}" if theme else None).run_or_raise()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def watch(
    ctx: typer.Context,
    script: Annotated[str, typer.Argument(help="Your training script (it calls nntui.watch); the arguments after it "
                                          "are the script's own.")],
    theme: Annotated[Theme | None, typer.Option(help="Colors: dark (default) or light.")] = None,
) -> None:
    """Run your training script with the app in front: its nntui.watch runs drawn live, its output in a panel.
    q stops the script (as Ctrl+C would) and quits; the script's exit code is nntui's."""
    from .logview import LogRunner
    from .script import ScriptProcess

    process = ScriptProcess(script, list(ctx.args))
    _need_terminal(f"python {script} … and `nntui view LOG_DIR --headless`")
    from .ui.log_app import LogApp

    process.start()
    try:
        LogApp(LogRunner([], waiting=True), script, script=process,
               theme=f"textual-{theme.value}" if theme else None).run_or_raise()
    finally:
        stopped = process.stopped_by_us
        code = process.stop()
    said = "stopped by nntui" if stopped else f"exited with code {code}"
    print(f"{script}: {said}", file=sys.stderr)
    raise typer.Exit(130 if stopped else code or 0)


def _need_terminal(instead: str) -> None:
    """The app draws on a terminal (a pipe or cron gets one line saying what to run instead)."""
    if not os.environ.get("TEXTUAL_DRIVER") and not all(_is_terminal(f) for f in (sys.stdin, sys.stdout)):
        raise NntuiError(f"the app needs a terminal, and stdin or stdout is not one; use {instead}")
    _unicode_output()


@app.command("export-code")
def export_code(
    scenario: Annotated[str, typer.Argument(help="A built-in name or a path to a .toml file.")],
    variant: Annotated[str, typer.Option(help="Which run: its number (1 = the first) or its label.")] = "1",
    steps: Annotated[int | None, typer.Option(min=1, max=10_000_000, help="Train this many steps.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, max=MAX_SEED, help="Override the scenario's seed.")] = None,
) -> None:
    """Print one run's training loop as a standalone PyTorch script (python script.py prints its losses)."""
    from .codegen import script

    sc = load(scenario, seed=seed)
    if steps is not None:
        sc = sc.with_steps(steps)
    if sc.expression is not None:
        raise typer.BadParameter(f"'{scenario}' is a graph lesson with no training loop to export",
                                 param_hint="'SCENARIO'")
    labels = [v.label for v in sc.variants]
    index = int(variant) - 1 if variant.isdigit() else (labels.index(variant) if variant in labels else -1)
    if not 0 <= index < len(labels):
        raise typer.BadParameter(f"no run '{variant}'; give 1 to {len(labels)} or a label: {', '.join(labels)}",
                                 param_hint="'--variant'")
    sys.stdout.write(script(sc, index))


@app.command()
def serve(
    scenario: Annotated[str | None, typer.Argument(help="A lesson to open; none: the lesson picker.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on. 127.0.0.1: only this machine can connect.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    device: Annotated[DeviceChoice | None, typer.Option(help="Device for the training.")] = None,
    max_sessions: Annotated[int, typer.Option(min=1, max=1000, help="Browser tabs that may run nntui at once "
                                              "(each about 240 MB); one more gets a page saying it is full.")] = 8,
    follow: Annotated[str | None, typer.Option(help="Each tab follows this lecture (HOST:PORT) instead: no "
                                               "training, about 70 MB a tab.")] = None,
    code: Annotated[str | None, typer.Option(help="The lecture's join code (with --follow).")] = None,
) -> None:
    """Serve the app to web browsers (textual-serve): every browser tab gets its own nntui."""
    import shlex

    from .lifetime import ENV, die_with_parent
    from .serve import NntuiServer

    if os.environ.get(ENV):  # a lecture's server for browsers: it ends when the lecture does
        die_with_parent()
    # `exec`: textual-serve runs the command through a shell; without it the session's parent would be
    # that shell, which outlives a killed server
    command = ["exec", "env", f"{ENV}=1", sys.executable, "-m", "nntui"]
    if follow is not None:
        if scenario is not None:
            raise typer.BadParameter("a lecture's followers see its lesson; give a lesson or --follow, not both",
                                     param_hint="'--follow'")
        where, code = _lecture_address(follow, code)
        command += ["follow", f"{where.host}:{where.port}", "--code", code]
    elif code is not None:
        raise typer.BadParameter("belongs to --follow", param_hint="'--code'")
    if scenario is not None:
        load(scenario)  # a bad name or file is a one-line error now, not in every browser tab
        command += ["run", scenario] + (["--device", device.value] if device else [])
    url = f"http://{'localhost' if host in ('127.0.0.1', 'localhost') else host}:{port}"
    typer.echo(f"serving nntui at {url}, at most {max_sessions} session{'s' * (max_sessions != 1)} (Ctrl+C stops)" +
               ("" if host in ("127.0.0.1", "localhost") else f"; anyone who can reach {host}:{port} can open it"),
               err=True)
    NntuiServer(shlex.join(command), host=host, port=port, title="nntui", public_url=url,
                max_sessions=max_sessions, code=code if follow else None).serve()


@app.command("list")
def list_scenarios() -> None:
    """List the built-in scenarios, grouped by topic in teaching order."""
    from rich.console import Console
    from rich.table import Table

    from .ui.draw.palette import LIST_NAME_STYLE

    console = Console()
    wide = console.width >= 140  # the summary only where it fits on the same line
    table = Table(box=None, show_header=True, pad_edge=False)
    infos = list_builtin()
    table.add_column("name", style=LIST_NAME_STYLE, no_wrap=True, min_width=2 + max(len(i.name) for i in infos))
    table.add_column("title", no_wrap=not wide, overflow="ellipsis")
    if wide:
        table.add_column("summary", style="dim")
    topic = None
    for info in infos:
        if info.topic != topic:
            topic = info.topic
            table.add_row(f"[bold]{topic}[/bold]")
        table.add_row("  " + info.name, info.title, *([info.summary] if wide else []))
    console.print(table)


_CHECK_HELP = (
    "Validate scenario files: exit 0 if all are valid, else 2 with one line per problem. With --run, also train "
    "them and judge each lesson's claims, its check tables (exit 1 if one fails).\n\n"
    "A claim compares quantities of runs named by their labels, e.g. 'grad(\"sigmoid\", 1) / grad(\"sigmoid\", "
    "10) < 1e-3' at step 1, or 'diverged(\"lr=0.03\")' at the end. Quantities: "
    + ", ".join(QUANTITIES) + ".")


@app.command(help=_CHECK_HELP)
def check(files: Annotated[list[Path], typer.Argument(help="Scenario files (or built-in lesson names) to validate.")],
          run: Annotated[bool, typer.Option("--run", help="Also train each one headless and judge its claims "
                                            "(the check tables): exit 1 if one fails.")] = False,
          device: Annotated[DeviceChoice | None, typer.Option(help="Device for --run (default: the scenario's).")]
          = None) -> None:
    failed = claim_failed = False
    for path in files:
        try:
            sc = load(str(path))
        except NntuiError as exc:
            failed = True
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            continue
        shown = printable(str(path))  # a name with an escape sequence in it must not drive the terminal
        if sc.expression is not None:
            typer.echo(f"ok: {shown} (graph of {len(sc.expression.graph.nodes)} nodes)")
        else:
            typer.echo(f"ok: {shown} ({len(sc.variants)} variant{'s' * (len(sc.variants) != 1)}, "
                       f"{sc.max_steps} steps, {len(sc.checks)} claim{'s' * (len(sc.checks) != 1)})")
        if run and sc.checks:
            from .headless import judge

            try:
                lines, passed = judge(sc, device.value if device else None)
            except NntuiError as exc:
                failed = True
                for problem in exc.problems:
                    typer.echo(str(problem), err=True)
                continue
            except Exception as exc:  # a bug of ours while training one file: the files after it are still checked
                if os.environ.get("NNTUI_DEBUG"):
                    raise
                typer.echo(f"{shown}: internal error while training: {type(exc).__name__}: {exc}; please report it "
                           "(NNTUI_DEBUG=1 shows the traceback)", err=True)
                claim_failed = True
                continue
            for line in lines:
                typer.echo(f"  {line}")
            claim_failed = claim_failed or not passed
    if failed:
        raise typer.Exit(2)
    if claim_failed:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editor completion)."""
    typer.echo(json.dumps(json_schema(), indent=2))


def main(argv: list[str] | None = None) -> None:
    """Entry point: turns usage and scenario errors into one-line messages (exit 2)."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="nntui", standalone_mode=False)
    except NntuiError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        code = 2
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except Exception as exc:
        if not _is_usage_error(exc):
            if os.environ.get("NNTUI_DEBUG"):
                raise
            # a bug of ours, not the user's: still one line, and how to see more
            print(f"nntui: internal error: {type(exc).__name__}: {exc}; please report it "
                  "(NNTUI_DEBUG=1 shows the traceback)", file=sys.stderr)
            sys.exit(1)
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "nntui"
        print(f"{where}: error: {exc.format_message()} (see `{where} --help`)", file=sys.stderr)
        code = 2
    sys.exit(code if isinstance(code, int) else 0)


def _unicode_output() -> None:
    """The app draws with box and braille characters, on stderr (Textual's terminal stream). A stream Python
    was told is ASCII (PYTHONIOENCODING) wrote each as '\\u2502'; where the locale says the terminal takes
    UTF-8, the stream is made UTF-8, else one line says what to do."""
    stream = sys.__stderr__
    if stream is None:
        return
    try:
        "│━▀⠿✓".encode(stream.encoding or "utf-8")
        return
    except (UnicodeEncodeError, LookupError, AttributeError):
        pass
    locale = next((os.environ[k] for k in ("LC_ALL", "LC_CTYPE", "LANG") if os.environ.get(k)), "")
    if "utf-8" in locale.lower().replace("utf8", "utf-8"):
        stream.reconfigure(encoding="utf-8")
        return
    raise NntuiError(f"the app draws with Unicode box characters and the terminal's encoding is "
                     f"{getattr(stream, 'encoding', None)}; use a UTF-8 locale (e.g. LANG=C.UTF-8, without "
                     "PYTHONIOENCODING=ascii), or `nntui run NAME --headless`")


def _is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed
        return False


def _check_writable(path: Path, flag: str) -> None:
    folder = path.parent  # Path(".") for a bare file name
    problem = ("is a folder; give a file name" if path.is_dir() else
               f"'{folder}' is not a folder" if folder.exists() and not folder.is_dir() else
               f"the folder '{folder}' does not exist" if not folder.is_dir() else
               f"the folder '{folder}' is not writable" if not os.access(folder, os.W_OK) else
               "the file is not writable" if path.exists() and not os.access(path, os.W_OK) else "")
    if problem:
        raise typer.BadParameter(f"cannot write '{path}': {problem}", param_hint=f"'{flag}'")


class _UsageError(Protocol):
    exit_code: int

    def format_message(self) -> str: ...


def _is_usage_error(exc: Exception) -> TypeGuard[_UsageError]:
    # typer's click (vendored in new typer, a dependency in old) raises ClickException
    # subclasses; they carry format_message() and exit_code. Matched by shape, not import path.
    return callable(getattr(exc, "format_message", None)) and getattr(exc, "exit_code", None) == 2
