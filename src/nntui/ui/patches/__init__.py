"""Patches to Textual, each written for one Textual version and skipping itself on any other: ordered keys over
SSH, exact timer ticks, partial line updates, border titles that repaint their row alone."""
