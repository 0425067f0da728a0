"""Writes reference.bin: VGG19 activations computed by numpy, independently of the Swift code.

Usage: python3 make_reference.py [path/to/vgg_normalised.pth]
The network is the one doodle runs: RGB in 0..255 -> the checkpoint's 1x1 input convolution
(on RGB/255) -> 3x3 convolutions with zero padding, each followed by ReLU, 2x2 average pooling
between blocks. Computed in float64.

reference.bin is a list of records: u32 name length, name (utf-8), u32 rank, u32 dims...,
float32 values (little-endian). Records: "image" [3,H,W], then the features after ReLU at
conv1_1, conv3_1, conv4_1.
"""
import os
import struct
import sys

import numpy as np

import torch_legacy

CONV_INDICES = [2, 5, 9, 12, 16, 19, 22, 25, 29, 32, 35, 38, 42, 45, 48, 51]
BLOCK_SIZES = [2, 2, 4, 4, 4]
WANTED = {"conv1_1", "conv3_1", "conv4_1"}


def conv3x3(x, w, b):
    c, h, wd = x.shape
    padded = np.zeros((c, h + 2, wd + 2))
    padded[:, 1:-1, 1:-1] = x
    out = np.zeros((w.shape[0], h, wd))
    for ky in range(3):
        for kx in range(3):
            window = padded[:, ky:ky + h, kx:kx + wd]
            out += np.tensordot(w[:, :, ky, kx], window, axes=([1], [0]))
    return out + b[:, None, None]


def avgpool(x):
    c, h, w = x.shape
    x = x[:, : h // 2 * 2, : w // 2 * 2]
    return 0.25 * (x[:, 0::2, 0::2] + x[:, 1::2, 0::2] + x[:, 0::2, 1::2] + x[:, 1::2, 1::2])


def test_image(h=16, w=24):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 5.0)
    g = 255 * (x + y) / (h + w)
    b = 200 - 8 * np.abs(x - w / 2) + 3 * ((x.astype(int) * 7 + y.astype(int) * 3) % 5)
    return np.clip(np.stack([r, g, b]), 0, 255).round()


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/doodle/vgg_normalised.pth")
    params = {k: v.astype(np.float64) for k, v in torch_legacy.load(path).items()}
    image = test_image()
    x = np.tensordot(params["0.weight"][:, :, 0, 0], image / 255.0, axes=([1], [0]))
    x += params["0.bias"][:, None, None]
    records = [("image", image)]
    layer = 0
    for block, size in enumerate(BLOCK_SIZES, start=1):
        if block > 1:
            x = avgpool(x)
        for i in range(1, size + 1):
            idx = CONV_INDICES[layer]
            x = np.maximum(conv3x3(x, params[f"{idx}.weight"], params[f"{idx}.bias"]), 0)
            name = f"conv{block}_{i}"
            if name in WANTED:
                records.append((name, x))
            layer += 1
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.bin")
    with open(out, "wb") as f:
        for name, array in records:
            data = name.encode()
            f.write(struct.pack("<I", len(data)) + data + struct.pack("<I", array.ndim))
            f.write(struct.pack(f"<{array.ndim}I", *array.shape))
            f.write(array.astype("<f4").tobytes())
    for name, array in records:
        print(name, array.shape, "mean square %.4f" % float((array ** 2).mean()))


if __name__ == "__main__":
    main()
