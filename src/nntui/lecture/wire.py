"""The lecture's wire: what a lecture server and its followers say to each other, and how it is written.

Every message is a length-prefixed frame: 4 bytes (big-endian) of length, then the body. A server's body is
zlib-compressed; inside, 4 bytes give the length of a JSON header, then the raw bytes of the numpy arrays
the header refers to. A follower's body is plain JSON, at most FOLLOWER_LIMIT bytes.

Views (runner.View) go out as data, never as pickles: a follower that unpickled what a server sent would run
whatever the server chose, and a server that read a follower's pickle likewise. Only the dataclasses listed
in CLASSES can be named, with their own fields; arrays only in the dtypes of DTYPES, their size checked
against their shape. A view is mostly histories that grow at the end, so an array that extends the one at
the same place in the previous message is sent as its new tail (`Encoder`/`Decoder` keep the last message's
arrays for this); a keyframe refers to nothing before it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct
import zlib
from typing import Any

import numpy as np

from .. import frames
from ..claims import Verdict
from ..runner import RunView, View

PROTOCOL = 1
SERVER_LIMIT = 64 * 2**20    # the largest message a follower takes, unpacked (a view of every lesson is < 2 MB)
FOLLOWER_LIMIT = 4096        # the largest message a server takes from a follower (a name and an answer)
MAX_DEPTH = 24               # nesting a follower takes (a view nests 6 deep)
TAIL_MIN = 64                # arrays shorter than this are sent whole (a reference costs more than it saves)
DTYPES = frozenset({"<f8", "<f4", "<i8", "<i4", "<i2", "|i1", "|u1", "|b1", "<u2", "<u4", "<u8"})
CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (View, RunView, Verdict, *(c for c in vars(frames).values()
                                          if isinstance(c, type) and dataclasses.is_dataclass(c)))
}


class WireError(Exception):
    """A message that is not what the protocol allows (garbage, too large, a class it does not know)."""


# ---------------------------------------------------------------------------------------------- framing

def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def frame_length(prefix: bytes, limit: int) -> int:
    """The length a frame's 4-byte prefix announces; WireError beyond `limit`."""
    (length,) = struct.unpack(">I", prefix)
    if length > limit:
        raise WireError(f"a message of {length:,} bytes; at most {limit:,}")
    return length


def follower_message(kind: str, **fields: Any) -> bytes:
    return frame(json.dumps({"kind": kind, **fields}, allow_nan=False).encode())


def read_follower_message(body: bytes) -> dict[str, Any]:
    """A follower's message as a dict with a string `kind`; WireError for anything else."""
    try:
        message = json.loads(body.decode(), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"not a message: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
        raise WireError("not a message: no kind")
    return message


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def server_message(header: dict[str, Any], blobs: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    head = json.dumps(header, separators=(",", ":")).encode()
    return frame(zlib.compress(struct.pack(">I", len(head)) + head + b"".join(blobs), 1))


def read_server_message(body: bytes) -> tuple[dict[str, Any], memoryview]:
    """A server's message: its header (a dict with a string `kind`) and the bytes its arrays are cut from."""
    inflate = zlib.decompressobj()
    try:
        data = inflate.decompress(body, SERVER_LIMIT)
    except zlib.error as exc:
        raise WireError(f"not a message: {exc}") from None
    if inflate.unconsumed_tail:
        raise WireError(f"a message of more than {SERVER_LIMIT:,} bytes unpacked")
    if len(data) < 4:
        raise WireError("not a message: too short")
    (length,) = struct.unpack(">I", data[:4])
    try:
        header = json.loads(data[4:4 + length].decode())
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"not a message: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("kind"), str):
        raise WireError("not a message: no kind")
    return header, memoryview(data)[4 + length:]


# ---------------------------------------------------------------------------------------------- views

class Encoder:
    """A View as JSON-able data and array bytes; an array that extends the previous message's at the same place
    goes as its tail. `keyframe=True` encodes without references (for a follower that has nothing)."""

    def __init__(self) -> None:
        self._last: dict[str, np.ndarray] = {}

    def encode(self, view: View, keyframe: bool) -> tuple[Any, list[bytes], dict[str, np.ndarray]]:
        """(tree, blobs, arrays by place); `commit(arrays)` makes them what the next message refers to."""
        blobs: list[bytes] = []
        arrays: dict[str, np.ndarray] = {}
        offset = [0]

        def array(value: np.ndarray, place: str) -> dict[str, Any]:
            value = np.ascontiguousarray(value)
            if value.dtype.str not in DTYPES:
                raise WireError(f"{place}: arrays of {value.dtype} are not sent")
            arrays[place] = value
            before = None if keyframe else self._last.get(place)
            start = 0
            out: dict[str, Any] = {"dtype": value.dtype.str, "shape": list(value.shape)}
            if (before is not None and value.ndim >= 1 and before.dtype == value.dtype and len(before) >= TAIL_MIN
                    and before.shape[1:] == value.shape[1:] and len(before) <= len(value)
                    and np.array_equal(value[:len(before)], before, equal_nan=value.dtype.kind == "f")):
                start = out["kept"] = len(before)
            data = value[start:].tobytes()
            out["at"], out["size"] = offset[0], len(data)
            offset[0] += len(data)
            blobs.append(data)
            return out

        def walk(value: Any, place: str) -> Any:
            if value is None or isinstance(value, bool | int | str):
                return value
            if isinstance(value, float | np.floating):
                value = float(value)
                return value if math.isfinite(value) else {"float": repr(value)}
            if isinstance(value, np.integer | np.bool_):
                return value.item()
            if isinstance(value, np.ndarray):
                return {"array": array(value, place)}
            if isinstance(value, tuple):
                return {"tuple": [walk(v, f"{place}.{i}") for i, v in enumerate(value)]}
            if isinstance(value, list):
                return [walk(v, f"{place}.{i}") for i, v in enumerate(value)]
            if isinstance(value, dict):
                return {"dict": [[walk(k, place), walk(v, f"{place}.{k}")] for k, v in value.items()]}
            name = type(value).__name__
            if CLASSES.get(name) is type(value):
                return {"class": name, "fields": {f.name: walk(getattr(value, f.name), f"{place}.{f.name}")
                                                  for f in dataclasses.fields(value)}}  # type: ignore[arg-type]
            raise WireError(f"{place}: a {name} is not sent")

        return walk(view, "view"), blobs, arrays

    def commit(self, arrays: dict[str, np.ndarray]) -> None:
        self._last = arrays


class Decoder:
    """The follower's side of `Encoder`: it keeps the last message's arrays to extend."""

    def __init__(self) -> None:
        self._last: dict[str, np.ndarray] = {}

    def decode(self, tree: Any, blobs: memoryview) -> View:
        arrays: dict[str, np.ndarray] = {}

        def array(spec: Any, place: str) -> np.ndarray:
            if not isinstance(spec, dict):
                raise WireError(f"{place}: not an array")
            dtype, shape, at, size = (spec.get(k) for k in ("dtype", "shape", "at", "size"))
            if (dtype not in DTYPES or not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape)
                    or type(at) is not int or type(size) is not int or at < 0 or size < 0 or at + size > len(blobs)):
                raise WireError(f"{place}: not an array")
            kind = np.dtype(dtype)
            kept = spec.get("kept", 0)
            before = self._last.get(place) if kept else None
            if type(kept) is not int or (kept and (before is None or len(before) != kept or before.dtype != kind)):
                raise WireError(f"{place}: refers to an array this follower does not have")
            if (kept and (not shape or shape[0] < kept)) or math.prod(shape) * kind.itemsize != size + kept * _row_bytes(shape, kind):
                raise WireError(f"{place}: its bytes do not fit its shape")
            tail = np.frombuffer(blobs[at:at + size], dtype=kind).reshape((shape[0] - kept, *shape[1:]) if shape else ())
            value = np.concatenate([before, tail]) if before is not None else tail.copy()
            value.flags.writeable = False
            arrays[place] = value
            return value

        def walk(value: Any, place: str, depth: int) -> Any:
            if depth > MAX_DEPTH:
                raise WireError(f"{place}: nested too deep")
            if value is None or isinstance(value, bool | int | float | str):
                return value
            if isinstance(value, list):
                return [walk(v, f"{place}.{i}", depth + 1) for i, v in enumerate(value)]
            if not isinstance(value, dict) or len(value) not in (1, 2):
                raise WireError(f"{place}: not a value")
            if "float" in value:
                if value["float"] not in ("nan", "inf", "-inf"):
                    raise WireError(f"{place}: not a number")
                return float(value["float"])
            if "array" in value:
                return array(value["array"], place)
            if "tuple" in value and isinstance(value["tuple"], list):
                return tuple(walk(v, f"{place}.{i}", depth + 1) for i, v in enumerate(value["tuple"]))
            if "dict" in value and isinstance(value["dict"], list):
                return self._dict(value["dict"], place, depth, walk)
            if "class" in value:
                return self._instance(value, place, depth, walk)
            raise WireError(f"{place}: not a value")

        view = walk(tree, "view", 0)
        if not isinstance(view, View):
            raise WireError("not a view")
        self._last = arrays
        return view

    @staticmethod
    def _dict(pairs: list, place: str, depth: int, walk) -> dict:
        out = {}
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise WireError(f"{place}: not a dict")
            key = walk(pair[0], place, depth + 1)
            if not isinstance(key, str | int):
                raise WireError(f"{place}: a dict's key must be a string or a number")
            out[key] = walk(pair[1], f"{place}.{key}", depth + 1)
        return out

    @staticmethod
    def _instance(value: dict, place: str, depth: int, walk) -> Any:
        cls = CLASSES.get(value["class"]) if isinstance(value["class"], str) else None
        fields = value.get("fields")
        if cls is None or not isinstance(fields, dict):
            raise WireError(f"{place}: a class this follower does not know: {str(value['class'])[:40]}")
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        if not set(fields) <= names:
            raise WireError(f"{place}: {cls.__name__} has no field {sorted(set(fields) - names)[0][:40]}")
        try:
            return cls(**{k: walk(v, f"{place}.{k}", depth + 1) for k, v in fields.items()})
        except TypeError as exc:  # a field left out that has no default
            raise WireError(f"{place}: {exc}") from None


def _row_bytes(shape: list[int], kind: np.dtype) -> int:
    return math.prod(shape[1:]) * kind.itemsize if shape else 0


def scenario_payload(raw: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    """A scenario as a follower loads it again: its parsed TOML (data, never code), name and source."""
    return {"raw": _json_safe(raw), "name": name, "source": source}


def _json_safe(value: Any) -> Any:
    """TOML's values as JSON: dates and times as their text (no lesson field takes one; the loader says so)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
