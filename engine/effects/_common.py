"""Kernels shared by the effects: 8-bit integer and fixed-point, bit-exact.

Every effect's content hash includes this file's source and the versions of
OpenCV and Pillow (see ``KERNELS``), so a change here, or an upgrade of a
library whose kernel an effect calls, gives every effect a new hash and
cached renders of the old code are never served for the new.

Why the output is the same on every CPU: effects only call

* integer arithmetic (numpy or OpenCV add/subtract, saturating, on 8 or 16
  bits), table lookups (``cv2.LUT``) and pixel shuffles (flip, rotate);
* OpenCV kernels that compute in fixed point the same way in their SIMD and
  scalar code: 8-bit ``GaussianBlur`` (documented bit-exact, asked for with
  ``ALGO_HINT_ACCURATE`` so no approximate accelerated path is taken),
  integer ``cvtColor``, ``Sobel`` from 8 to 16 bits (an integer kernel) and
  the 3x3 ``transform`` of 8-bit pixels (10-bit fixed point);
* float operations that are exact or correctly rounded in IEEE arithmetic
  whatever the vector width: scaling by a power of two, products and sums of
  small integers, sqrt;
* Pillow's 8-bit resampling (fixed-point C, no SIMD dispatch).

A test renders every effect under several instruction-set settings and
thread counts and compares the bytes.
"""

from __future__ import annotations

import cv2
import numpy as np
import PIL
from PIL import Image

# The libraries whose kernels decide the output bytes: part of every
# effect's content hash. numpy is not listed: effects use it only for
# integer and correctly rounded float arithmetic, which its versions share.
KERNELS = {"opencv": cv2.__version__, "pillow": PIL.__version__}

# One thread unless the caller asks for more (apply(threads=...)): OpenCV
# would otherwise start one per core in every worker process.
cv2.setNumThreads(1)

# Largest output side any effect may produce (guards memory, e.g. resize or hstack).
MAX_SIDE = 16384

# Edges repeat the border pixel, so flat regions stay flat up to the frame edge.
BORDER = cv2.BORDER_REPLICATE


def check_frame(img: np.ndarray) -> None:
    """Raise ValueError unless img is a uint8 HxWx3 or HxWx4 array."""
    if not isinstance(img, np.ndarray):
        raise ValueError(f"a frame must be a numpy array, not {type(img).__name__}")
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(
            f"a frame must be a uint8 HxWx3 or HxWx4 array, got {img.dtype} {img.shape}"
        )
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"a frame must have at least one pixel, got {img.shape}")


def use_threads(threads: int) -> None:
    """Let OpenCV split the rows of the next kernels over this many threads.

    Every kernel used here computes each output pixel on its own, so the
    split changes the time, never the bytes (a test checks it)."""
    if cv2.getNumThreads() != threads:
        cv2.setNumThreads(threads)


def contiguous(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img)


def to_uint8(arr: np.ndarray) -> np.ndarray:
    """Round half-to-even and clip to 0..255 as uint8 (tables and small arrays)."""
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def rgb_of(img: np.ndarray) -> np.ndarray:
    """The colour planes of a frame as a contiguous HxWx3 array."""
    if img.shape[2] == 3:
        return contiguous(img)
    return cv2.cvtColor(contiguous(img), cv2.COLOR_RGBA2RGB)


def keep_alpha(out: np.ndarray, img: np.ndarray) -> np.ndarray:
    """``out`` (HxWx3 or HxWx4) with the alpha of ``img`` when it has one."""
    if img.shape[2] == 3:
        return out
    if out.shape[2] == 3:
        out = cv2.cvtColor(out, cv2.COLOR_RGB2RGBA)
    cv2.mixChannels([contiguous(img)], [out], [3, 3])
    return out


def gray_frame(gray: np.ndarray, img: np.ndarray) -> np.ndarray:
    """An HxW uint8 plane as a grey frame (three equal channels) with img's alpha."""
    if img.shape[2] == 3:
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    return keep_alpha(cv2.cvtColor(gray, cv2.COLOR_GRAY2RGBA), img)


def luma(img: np.ndarray) -> np.ndarray:
    """Rec. 601 luma as an HxW uint8 plane: OpenCV's integer conversion,
    (9798 R + 19235 G + 3735 B + 2^14) >> 15."""
    code = cv2.COLOR_RGB2GRAY if img.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
    return cv2.cvtColor(contiguous(img), code)


def lookup(img: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Every colour value through a 256-entry table (uint8 or uint16), alpha untouched."""
    img = contiguous(img)
    if img.shape[2] == 3:
        return cv2.LUT(img, table)
    tables = np.empty((1, 256, 4), dtype=table.dtype)
    tables[0, :, :3] = table[:, None]
    tables[0, :, 3] = np.arange(256)
    return cv2.LUT(img, tables)


def value_table(fn) -> np.ndarray:
    """The 256-entry table of a function of one colour value: fn sees the
    float32 values 0..255, its results are rounded half-to-even and clipped."""
    return to_uint8(fn(np.arange(256, dtype=np.float32)))


def quantize(values: np.ndarray, levels: int) -> np.ndarray:
    """Snap 0..255 floats to `levels` evenly spaced values (0 and 255 included)."""
    steps = levels - 1
    q = np.rint(values * np.float32(steps / 255.0))
    return q * np.float32(255.0 / steps)


def kernel_size(sigma: float) -> int:
    """Taps of a gaussian of this sigma: three sigmas each side, at least 3."""
    return 2 * max(1, int(np.ceil(3.0 * sigma))) + 1


def gaussian(img: np.ndarray, sigma: float) -> np.ndarray:
    """OpenCV's bit-exact 8-bit gaussian blur (all channels), edges repeated.

    The size, both sigmas and the hint are given explicitly, so a future
    default in OpenCV cannot change the result behind the content hash."""
    size = kernel_size(sigma)
    return cv2.GaussianBlur(contiguous(img), (size, size), sigmaX=sigma, sigmaY=sigma,
                            borderType=BORDER, hint=cv2.ALGO_HINT_ACCURATE)


RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


def resample_frame(img: np.ndarray, width: int, height: int, resample: str) -> np.ndarray:
    """Resize with Pillow, which is deterministic for 8-bit images (fixed-point kernels).

    Pillow filters with the kernel widened by the scale when it shrinks, so a
    downscale does not alias (OpenCV's Lanczos does not). For RGBA it
    resamples premultiplied colour, so transparent pixels do not bleed their
    (invisible) colour into visible neighbours.
    """
    if img.shape[0] == height and img.shape[1] == width:
        return img.copy()
    resized = Image.fromarray(contiguous(img)).resize((width, height), RESAMPLE[resample])
    return np.array(resized, dtype=np.uint8)
