"""Reusable image alterations: the everyday and deliberate edits a registered image must survive.

Each alteration takes the original as a Pillow RGB image plus a seeded ``random.Random`` and returns
the altered file as JPEG bytes (quality 90 unless the alteration is about quality), exactly what a
dataset would hold. ``ALTERATIONS`` maps a name to its function; ``GOALS`` gives the recall each
class must reach (issue 4). Used by ``benchmarks/image_matching.py`` and by the tests.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageEnhance, ImageFont

Alteration = Callable[[Image.Image, random.Random], bytes]


def to_jpeg(image: Image.Image, quality: int = 90) -> bytes:
    """Encode as a baseline JPEG, the way most datasets store images."""
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def jpeg_q30(image: Image.Image, rng: random.Random) -> bytes:
    return to_jpeg(image, 30)


def resize_25(image: Image.Image, rng: random.Random) -> bytes:
    """Shrink each side to 25 % (1/16 of the pixels)."""
    w, h = image.size
    return to_jpeg(image.resize((max(1, w // 4), max(1, h // 4)), Image.Resampling.BILINEAR))


def brightness_plus30(image: Image.Image, rng: random.Random) -> bytes:
    return to_jpeg(ImageEnhance.Brightness(image).enhance(1.3))


def brightness_minus30(image: Image.Image, rng: random.Random) -> bytes:
    return to_jpeg(ImageEnhance.Brightness(image).enhance(0.7))


def contrast_plus30(image: Image.Image, rng: random.Random) -> bytes:
    return to_jpeg(ImageEnhance.Contrast(image).enhance(1.3))


def contrast_minus30(image: Image.Image, rng: random.Random) -> bytes:
    return to_jpeg(ImageEnhance.Contrast(image).enhance(0.7))


def text_overlay(image: Image.Image, rng: random.Random) -> bytes:
    """A caption in large white text with a dark outline across the lower part (meme style)."""
    out = image.copy()
    w, h = out.size
    font = ImageFont.load_default(size=max(12, h // 12))
    draw = ImageDraw.Draw(out)
    words = ["Copyright", "Sample", "Dataset", "Re-upload", "Watermark", "Look at this"]
    text = f"{rng.choice(words)} {rng.randint(100, 9999)}"
    draw.text((w // 20, int(h * 0.78)), text, font=font, fill="white", stroke_width=2, stroke_fill="black")
    return to_jpeg(out)


def logo_overlay(image: Image.Image, rng: random.Random) -> bytes:
    """An opaque logo (a badge with initials) covering about 4 % of the picture in one corner."""
    out = image.copy()
    w, h = out.size
    side = int(math.sqrt(0.04 * w * h))
    x = rng.choice([w // 40, w - side - w // 40])
    y = rng.choice([h // 40, h - side - h // 40])
    draw = ImageDraw.Draw(out)
    colour = tuple(rng.randint(0, 255) for _ in range(3))
    draw.rounded_rectangle(
        (x, y, x + side, y + side), radius=side // 5, fill=colour, outline="white", width=3
    )
    font = ImageFont.load_default(size=max(8, side // 3))
    draw.text((x + side // 6, y + side // 3), "MM", font=font, fill="white")
    return to_jpeg(out)


def hflip(image: Image.Image, rng: random.Random) -> bytes:
    return to_jpeg(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))


def rotate(angle: float) -> Alteration:
    """Rotate by ``angle`` degrees (sign drawn at random) on the same canvas; corners filled black."""

    def rotated(image: Image.Image, rng: random.Random) -> bytes:
        signed = angle if rng.random() < 0.5 else -angle
        return to_jpeg(image.rotate(signed, resample=Image.Resampling.BILINEAR, expand=False))

    rotated.__name__ = f"rotate_{angle:g}"
    return rotated


def crop_area(fraction: float, keep_aspect: bool = True) -> Alteration:
    """Cut a window keeping ``fraction`` of the area at a random position.

    ``keep_aspect`` scales both sides by sqrt(fraction); otherwise one side, chosen at random, keeps
    between ``fraction`` and 100 % and the other side makes up the rest.
    """

    def cropped(image: Image.Image, rng: random.Random) -> bytes:
        w, h = image.size
        if keep_aspect:
            sx = sy = math.sqrt(fraction)
        else:
            sx = rng.uniform(fraction, 1.0)
            sy = fraction / sx
            if rng.random() < 0.5:
                sx, sy = sy, sx
        cw, ch = round(w * sx), round(h * sy)
        x0, y0 = rng.randint(0, w - cw), rng.randint(0, h - ch)
        return to_jpeg(image.crop((x0, y0, x0 + cw, y0 + ch)))

    cropped.__name__ = f"crop_{round(fraction * 100)}{'' if keep_aspect else '_free'}"
    return cropped


ALTERATIONS: dict[str, Alteration] = {
    "jpeg_q30": jpeg_q30,
    "resize_25": resize_25,
    "brightness_+30": brightness_plus30,
    "brightness_-30": brightness_minus30,
    "contrast_+30": contrast_plus30,
    "contrast_-30": contrast_minus30,
    "text_overlay": text_overlay,
    "logo_overlay": logo_overlay,
    "hflip": hflip,
    "rotate_2": rotate(2.0),
    "rotate_3.75": rotate(3.75),
    "rotate_5": rotate(5.0),
    "crop_80": crop_area(0.8),
    "crop_80_free": crop_area(0.8, keep_aspect=False),
}

GOALS: dict[str, float] = {name: (0.9 if name.startswith("crop") else 0.98) for name in ALTERATIONS}


# --- issue 10: the edits a scan must survive (benchmarks/scan_recall.py, tests/scan/test_recall.py) ----


def crop_side(fraction: float) -> Alteration:
    """Cut ``fraction`` of the width off the left or the right side (a re-framed photo)."""

    def cropped(image: Image.Image, rng: random.Random) -> bytes:
        w, h = image.size
        cut = round(w * fraction)
        return to_jpeg(image.crop((cut, 0, w, h)) if rng.random() < 0.5 else image.crop((0, 0, w - cut, h)))

    cropped.__name__ = f"side_crop_{round(fraction * 100)}"
    return cropped


def letterbox(image: Image.Image, rng: random.Random) -> bytes:
    """Pad to a square with black bars (a video frame or a square-feed upload)."""
    w, h = image.size
    side = max(w, h)
    canvas = Image.new("RGB", (side, side), (0, 0, 0))
    canvas.paste(image, ((side - w) // 2, (side - h) // 2))
    return to_jpeg(canvas)


def border(image: Image.Image, rng: random.Random) -> bytes:
    """A plain border a tenth of the longer side wide, in a random light or dark colour."""
    grey = rng.choice([0, 32, 224, 255])
    width = max(image.size) // 10
    canvas = Image.new("RGB", (image.width + 2 * width, image.height + 2 * width), (grey, grey, grey))
    canvas.paste(image, (width, width))
    return to_jpeg(canvas)


def meme_frame(image: Image.Image, rng: random.Random) -> bytes:
    """A white frame with a caption above and below the picture (the classic meme layout)."""
    w, h = image.size
    band = h // 5
    canvas = Image.new("RGB", (w + w // 10, h + 2 * band), (255, 255, 255))
    canvas.paste(image, (w // 20, band))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=band // 2)
    top = rng.choice(["WHEN YOU SEE IT", "NOBODY:", "ME ON MONDAY", "THIS IS FINE"])
    draw.text((w // 20, band // 4), top, font=font, fill="black")
    draw.text((w // 20, h + band + band // 4), f"so true {rng.randint(1, 999)}", font=font, fill="black")
    return to_jpeg(canvas)


def caption_bar(image: Image.Image, rng: random.Random) -> bytes:
    """A black bar with a white credit line under the picture (news and social-media reposts)."""
    w, h = image.size
    bar = h // 6
    canvas = Image.new("RGB", (w, h + bar), (0, 0, 0))
    canvas.paste(image, (0, 0))
    font = ImageFont.load_default(size=bar // 2)
    text = f"Photo: {rng.choice(['Reuters', 'staff', 'via social media'])} {rng.randint(1, 999)}"
    ImageDraw.Draw(canvas).text((w // 20, h + bar // 4), text, font=font, fill="white")
    return to_jpeg(canvas)


def mirror_resize_reencode(image: Image.Image, rng: random.Random) -> bytes:
    """Mirror image, shrunk to 60 % per side, re-encoded at JPEG quality 70."""
    mirrored = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return to_jpeg(mirrored.resize((image.width * 3 // 5, image.height * 3 // 5)), 70)


#: issue 10's suite, as a scanner meets it; every class has the goal 0.95 (SCAN_GOAL).
SCAN_ALTERATIONS: dict[str, Alteration] = {
    "reencode_q85": lambda image, rng: to_jpeg(image, 85),
    "crop_70_free": crop_area(0.7, keep_aspect=False),
    "side_crop_15": crop_side(0.15),
    "rotate_5": rotate(5.0),
    "rotate_10": rotate(10.0),
    "letterbox": letterbox,
    "border": border,
    "meme_frame": meme_frame,
    "caption_bar": caption_bar,
    "mirror_resize_q70": mirror_resize_reencode,
}
SCAN_GOAL = 0.95
