"""The identity effect."""

from __future__ import annotations

import numpy as np

from engine.effects import register


@register("identity", description="Returns the input unchanged.")
def identity(img: np.ndarray) -> np.ndarray:
    # The engine skips re-encoding for identity; returning the very same array
    # (not a copy) is what makes that shortcut equivalent to running this.
    return img
