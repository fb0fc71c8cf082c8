"""Draws the demo cat (assets/demo/cat.png). Run once; the PNG is committed so
its content hash never changes with the Pillow version. Drawn by code, so it
carries no third-party licence: it is part of this project."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

W, H = 640, 480


def draw() -> Image.Image:
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    sky = np.stack([120 + 80 * y / H, 170 + 40 * x / W, 230 - 60 * y / H], axis=2)
    img = Image.fromarray(sky.clip(0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    d.rectangle([0, 380, W, H], fill=(96, 160, 80))              # grass
    for i in range(0, W, 12):                                     # blades
        d.line([i, 380, i + 5, 360 + (i * 7) % 18], fill=(70, 130, 60), width=3)
    fur, dark = (236, 146, 52), (180, 96, 30)
    d.ellipse([200, 250, 440, 470], fill=fur, outline=dark, width=4)        # body
    d.polygon([(215, 150), (240, 40), (300, 120)], fill=fur, outline=dark)  # ears
    d.polygon([(425, 150), (400, 40), (340, 120)], fill=fur, outline=dark)
    d.polygon([(232, 130), (245, 70), (285, 118)], fill=(250, 180, 190))
    d.polygon([(408, 130), (395, 70), (355, 118)], fill=(250, 180, 190))
    d.ellipse([190, 80, 450, 320], fill=fur, outline=dark, width=4)         # head
    for cx in (270, 370):                                                    # eyes
        d.ellipse([cx - 28, 160, cx + 28, 215], fill=(250, 250, 235), outline=(40, 40, 40), width=3)
        d.ellipse([cx - 10, 165, cx + 10, 212], fill=(40, 120, 60))
        d.ellipse([cx - 4, 172, cx + 4, 205], fill=(15, 15, 15))
    d.polygon([(305, 235), (335, 235), (320, 255)], fill=(225, 110, 130))   # nose
    d.arc([285, 240, 322, 280], 20, 160, fill=(60, 30, 20), width=3)        # mouth
    d.arc([318, 240, 355, 280], 20, 160, fill=(60, 30, 20), width=3)
    for dy in (-12, 0, 12):                                                 # whiskers
        d.line([250, 250 + dy, 160, 240 + 2 * dy], fill=(50, 40, 30), width=2)
        d.line([390, 250 + dy, 480, 240 + 2 * dy], fill=(50, 40, 30), width=2)
    for sx in range(235, 420, 30):                                          # stripes
        d.arc([sx - 20, 85, sx + 20, 140], 200, 340, fill=dark, width=5)
    d.ellipse([420, 330, 560, 380], outline=dark, width=14)                 # tail
    return img


if __name__ == "__main__":
    draw().save(Path(__file__).with_name("cat.png"), optimize=True)
