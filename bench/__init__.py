"""Benchmarks (README "Performance"), each run as ``python -m bench.<name>``."""

from harness.telemetry import telemetry_off_by_default

# Every Rasa a benchmark trains, starts or runs in process: no telemetry unless turned on.
telemetry_off_by_default()
