"""nntui: watch neural networks learn, live in your terminal."""

__version__ = "0.1.0"
