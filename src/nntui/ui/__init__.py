"""The Textual user interface (never imports torch)."""

from pathlib import Path

STYLESHEET = Path(__file__).with_name("nntui.tcss")  # the apps' CSS_PATH; tests mounting a panel alone use it too
