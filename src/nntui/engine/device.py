"""Pick the torch device: `auto` prefers cuda, then mps, then cpu."""

from __future__ import annotations

import torch

from ..errors import DeviceError

_HOW_TO_GET = {
    "cuda": "install a CUDA build of torch (see the README's GPU section) on a machine with an NVIDIA GPU",
    "mps": "MPS needs Apple silicon with macOS 12.3+ and an arm64 build of torch",
}


def _mps() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


DEVICES = {"cpu": lambda: True, "cuda": torch.cuda.is_available, "mps": _mps}


def available(kind: str) -> bool:
    return DEVICES[kind]()


def resolve_device(requested: str, *, source: str = "--device") -> str:
    """The device name to train on, or a DeviceError that says how to get the one asked for."""
    if requested == "auto":
        return next(d for d in ("cuda", "mps", "cpu") if available(d))
    if requested not in DEVICES:
        raise DeviceError(f"{source}: unknown device '{requested}'; use auto, cpu, cuda or mps")
    if not available(requested):
        built = torch.version.cuda or "none"
        raise DeviceError(
            f"{source}: {requested} was asked for but is not available (torch {torch.__version__}, CUDA build: {built}); "
            f"use --device cpu or auto, or {_HOW_TO_GET[requested]}"
        )
    return requested
