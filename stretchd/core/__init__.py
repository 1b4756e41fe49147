"""The pure core: plain functions over frozen dataclasses; no I/O, no clock, no third-party imports."""
