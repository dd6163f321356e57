"""Shared drawing: axes whose ticks sit at their values, the braille canvas, line charts, half-block rasters,
colours and the DAG layout. Panels and screens draw with these."""
