#!/usr/bin/python3
"""Colour shapes: a seeded image set for the issue 15 benchmark, harder than digits for a search that trains networks.

    /usr/bin/python3 datasets/make_colour_shapes.py OUT [--per-class 300] [--size 48] [--seed 15]

Writes OUT/<class>/NNNN.png (RGB): 10 shape classes, each drawn in a random colour at a random position, scale
(40-70% of the side) and rotation, over a random background (a two-colour linear gradient at a random angle with
2-4 faint clutter strokes), then Gaussian pixel noise (sd 6-20 of 255). The shape's colour is redrawn until it
differs from the background's mean by at least 90 (Euclidean RGB), so a shape is never invisible. The classes are
chosen to stay distinct at 16x16 (what small networks resize to): circle, square, triangle, star, cross, ring,
half-disc, bar, arrow, l-shape. Debian packages: python3-numpy, python3-pil. Same packages and arguments, same bytes.
"""
import argparse
import math
import os

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ["circle", "square", "triangle", "star", "cross", "ring", "half-disc", "bar", "arrow", "l-shape"]
SUPER = 4  # shapes are drawn 4x larger and scaled down, which anti-aliases their edges


def polygon(points, r, c):
    return [(c + x * r, c + y * r) for x, y in points]


def regular(n, start=-math.pi / 2):
    return [(math.cos(start + 2 * math.pi * k / n), math.sin(start + 2 * math.pi * k / n)) for k in range(n)]


def shape_mask(name, side):
    """A white shape centred on a black side x side canvas, its size about 0.9 x side, upright."""
    mask = Image.new("L", (side, side), 0)
    d = ImageDraw.Draw(mask)
    c, r = side / 2, side * 0.45
    if name == "circle":
        d.ellipse([c - r, c - r, c + r, c + r], fill=255)
    elif name == "square":
        d.polygon(polygon([(-.8, -.8), (.8, -.8), (.8, .8), (-.8, .8)], r, c), fill=255)
    elif name == "triangle":
        d.polygon(polygon(regular(3), r, c), fill=255)
    elif name == "star":
        outer, inner = regular(5), regular(5, -math.pi / 2 + math.pi / 5)
        d.polygon(polygon([p for pair in zip(outer, [(x * .4, y * .4) for x, y in inner]) for p in pair], r, c), fill=255)
    elif name == "cross":
        w = .3
        d.polygon(polygon([(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1), (-w, w), (-1, w),
                           (-1, -w), (-w, -w)], r, c), fill=255)
    elif name == "ring":
        d.ellipse([c - r, c - r, c + r, c + r], fill=255)
        q = r * .55
        d.ellipse([c - q, c - q, c + q, c + q], fill=0)
    elif name == "half-disc":
        d.pieslice([c - r, c - r * .5, c + r, c + r * 1.5], 180, 360, fill=255)
    elif name == "bar":
        d.polygon(polygon([(-1, -.22), (1, -.22), (1, .22), (-1, .22)], r, c), fill=255)
    elif name == "arrow":
        d.polygon(polygon([(-1, -.2), (.2, -.2), (.2, -.6), (1, 0), (.2, .6), (.2, .2), (-1, .2)], r, c), fill=255)
    elif name == "l-shape":
        d.polygon(polygon([(-.7, -1), (-.2, -1), (-.2, .5), (.7, .5), (.7, 1), (-.7, 1)], r, c), fill=255)
    else:
        raise ValueError(name)
    return mask


def background(rng, size):
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    angle = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:size, 0:size] / (size - 1)
    t = (xs * math.cos(angle) + ys * math.sin(angle))
    t = (t - t.min()) / max(t.max() - t.min(), 1e-9)
    img = a[None, None, :] * (1 - t[..., None]) + b[None, None, :] * t[..., None]
    clutter = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(clutter)
    for _ in range(rng.integers(2, 5)):
        x0, y0, x1, y1 = (float(v) for v in rng.uniform(0, size, 4))
        d.line([x0, y0, x1, y1], fill=int(rng.integers(60, 140)), width=int(rng.integers(1, 3)))
    tint = rng.integers(0, 256, 3)
    alpha = np.asarray(clutter, dtype=np.float64)[..., None] / 255
    return img * (1 - alpha) + tint[None, None, :] * alpha


def image(rng, name, size):
    bg = background(rng, size)
    mean = bg.reshape(-1, 3).mean(axis=0)
    while True:
        colour = rng.integers(0, 256, 3)
        if np.linalg.norm(colour - mean) >= 90:
            break
    scale = rng.uniform(.4, .7)
    shape_side = max(4, int(round(size * scale)))
    big = shape_mask(name, shape_side * SUPER).rotate(float(rng.uniform(0, 360)), resample=Image.BICUBIC)
    small = big.resize((shape_side, shape_side), Image.LANCZOS)
    x = int(rng.integers(0, size - shape_side + 1))
    y = int(rng.integers(0, size - shape_side + 1))
    alpha = np.zeros((size, size))
    alpha[y:y + shape_side, x:x + shape_side] = np.asarray(small, dtype=np.float64) / 255
    img = bg * (1 - alpha[..., None]) + colour[None, None, :] * alpha[..., None]
    img += rng.normal(0, rng.uniform(6, 20), img.shape)
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--per-class", type=int, default=300)
    p.add_argument("--size", type=int, default=48)
    p.add_argument("--seed", type=int, default=15)
    a = p.parse_args()
    for k, name in enumerate(CLASSES):
        # One generator per class, so a class's images do not change when --per-class changes another's count.
        rng = np.random.default_rng([a.seed, k])
        folder = os.path.join(a.out, name)
        os.makedirs(folder, exist_ok=True)
        for i in range(a.per_class):
            image(rng, name, a.size).save(os.path.join(folder, f"{i:04d}.png"), optimize=False)
    print(f"colour-shapes: {len(CLASSES)} classes x {a.per_class} images of {a.size}x{a.size} in {a.out}")


if __name__ == "__main__":
    main()
