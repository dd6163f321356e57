"""Benchmarks: ratios and costs measured side by side in one run (not timed tests)."""
