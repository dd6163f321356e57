"""The torch side of nntui: builds and trains models, publishes numpy Frames."""

from .build import warm_up
from .device import resolve_device
from .engine import Engine

__all__ = ["Engine", "resolve_device", "warm_up"]
