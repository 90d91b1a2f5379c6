"""Writes scikit-learn's digits (1797 8x8 grayscale images) as PNG files: digits/<class>/NNNN.png.

Pixel values 0..16 are scaled to 0..255 (v * 255 // 16). NNNN is the sample's index in load_digits().
Run with Debian's python (/usr/bin/python3, package python3-sklearn); no imaging library is needed.
"""
import os, struct, sys, zlib
from sklearn.datasets import load_digits


def png_gray8(pixels, width, height):
    raw = b"".join(b"\x00" + bytes(pixels[r * width:(r + 1) * width]) for r in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


out = sys.argv[1]
d = load_digits()
assert d.images.shape == (1797, 8, 8)
for i, (image, target) in enumerate(zip(d.images, d.target)):
    folder = os.path.join(out, str(int(target)))
    os.makedirs(folder, exist_ok=True)
    values = [int(v) * 255 // 16 for v in image.reshape(-1)]
    with open(os.path.join(folder, f"{i:04d}.png"), "wb") as f:
        f.write(png_gray8(values, 8, 8))
