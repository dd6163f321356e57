"""Scenario files: find, load and validate them (torch-free)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ..errors import Problem, ScenarioError
from .loader import ExpressionLesson, Scenario, Variant, load_path, load_text
from .spec import ScenarioFile

__all__ = ["ExpressionLesson", "Scenario", "Variant", "BuiltinInfo", "builtin_dir", "list_builtin", "resolve", "load", "load_text", "json_schema"]


def builtin_dir() -> Path:
    """The built-in scenarios: inside the installed package, or the repository's scenarios/ folder."""
    packaged = Path(str(files("nntui"))) / "scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "scenarios"


@dataclass(frozen=True)
class BuiltinInfo:
    name: str
    title: str
    summary: str
    topic: str
    order: int


def list_builtin() -> list[BuiltinInfo]:
    """Every built-in scenario in teaching order (cheap: reads only the [scenario] table)."""
    import tomllib

    infos = []
    for path in sorted(builtin_dir().glob("*.toml")):
        meta = tomllib.loads(path.read_text(encoding="utf-8")).get("scenario", {})
        infos.append(BuiltinInfo(path.stem, meta.get("title", path.stem), meta.get("summary", ""),
                                 meta.get("topic", "Basics"), int(meta.get("order", 100))))
    return sorted(infos, key=lambda i: (i.order, i.name))


def resolve(name_or_path: str) -> Path:
    """A built-in name (`lr_sweep`) or a path to a .toml file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists() or "/" in name_or_path:
        return path
    candidate = builtin_dir() / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    names = [p.stem for p in builtin_dir().glob("*.toml")]
    match = difflib.get_close_matches(name_or_path, names, n=1)
    hint = f"did you mean '{match[0]}'?" if match else "run `nntui list` to see them"
    raise ScenarioError([Problem(name_or_path, f"no built-in scenario or file of that name; {hint}")])


def load(name_or_path: str, seed: int | None = None) -> Scenario:
    return load_path(resolve(name_or_path), seed=seed)


def json_schema() -> dict:
    schema = ScenarioFile.model_json_schema()
    schema["title"] = "nntui scenario file"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
