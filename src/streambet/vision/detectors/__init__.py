"""Detectors the local engine runs on sampled frames."""
