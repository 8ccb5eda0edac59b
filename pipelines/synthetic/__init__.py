"""Synthetic population simulator writing the five source extracts and a hidden ground truth."""

from pipelines.synthetic.generate import SynthResult, generate
from pipelines.synthetic.noise import NoiseConfig, SourceNoise
from pipelines.synthetic.presets import PRESETS, Preset

__all__ = ["PRESETS", "NoiseConfig", "Preset", "SourceNoise", "SynthResult", "generate"]
