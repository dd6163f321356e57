"""The Textual user interface (never imports torch)."""
