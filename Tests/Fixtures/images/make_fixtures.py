#!/usr/bin/env python3
"""Writes the tiny image fixtures used by Tests/DoodleTests/ImageIOTests.swift.

Standard library only. PNGs are assembled chunk by chunk (zlib + struct), with
every filter type used; JPEGs come from a minimal baseline encoder below (no
chroma subsampling, every quantisation step 1, a home-made Huffman table), so
the decoder is checked against an independent encoder.

Besides the images it writes expected.json: for every fixture its size, the
channel count Image.read must return, and every sample as Image.read must
return it (planar [c][y][x], scaled to 0...255, alpha composited over white),
plus the tolerance to compare with (0 for lossless PNG up to float rounding).

Run:  python3 Tests/Fixtures/images/make_fixtures.py   (rewrites the files in place)
"""
import json
import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# Pixel patterns (x, y) -> samples. Chosen to hit 0, 255/65535 and odd values.

def gray8(x, y):
    return (x * 50 + y * 23 + 7) % 256

def gray4(x, y):  # 4-bit samples 0...15
    return (x * 3 + y * 5) % 16

def gray16(x, y):
    return (x * 15000 + y * 7001 + 3) % 65536

def rgb8(x, y):
    return ((x * 53 + y * 17 + 3) % 256, (x * 11 + y * 71 + 100) % 256, (255 - x * 29 - y * 37) % 256)

def rgb16(x, y):
    return ((x * 13007 + y * 4099 + 1) % 65536, (x * 701 + y * 29989 + 12345) % 65536,
            (65535 - x * 9001 - y * 3) % 65536)

ALPHA8 = [0, 255, 128, 64, 200]

def alpha8(x, y):
    return ALPHA8[(x + 2 * y) % 5]

def alpha16(x, y):
    return [0, 65535, 32768, 1000, 50001][(x + 2 * y) % 5]

PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30), (200, 100, 50), (1, 2, 3)]
PALETTE_ALPHA = [0, 77, 255, 190]  # tRNS for entries 0-3; 4 and 5 are opaque

def palette_index(x, y):
    return (x + 2 * y) % 6


def composite(values, alpha, maximum):
    """Sample values -> 0...255 floats, composited over white when alpha is given."""
    a = 1.0 if alpha is None else alpha / maximum
    return [(v * a + maximum * (1 - a)) * 255.0 / maximum for v in values]


# --------------------------------------------------------------------------
# PNG writer

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """One scanline's samples -> bytes (big-endian 16-bit, MSB-first packing below 8 bits)."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    per_byte = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        byte = 0
        group = samples[i:i + per_byte]
        for j, s in enumerate(group):
            byte |= s << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp):
    """Filters each row with type (row number % 5), so all five filters are used."""
    out = bytearray()
    prior = bytes(len(rows[0])) if rows else b""
    for n, raw in enumerate(rows):
        kind = n % 5
        out.append(kind)
        for i, value in enumerate(raw):
            left = raw[i - bpp] if i >= bpp else 0
            up = prior[i]
            upper_left = prior[i - bpp] if i >= bpp else 0
            predictor = [0, left, up, (left + up) // 2, paeth(left, up, upper_left)][kind]
            out.append((value - predictor) % 256)
        prior = raw
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(name, width, height, color_type, depth, pixel, interlace=False, extra=b""):
    """pixel(x, y) -> tuple of samples for one pixel in file order."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    bpp = max(1, channels * depth // 8)

    def scanlines(xs, ys):
        return [pack_row([s for x in xs for s in pixel(x, y)], depth) for y in ys]

    if interlace:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            xs, ys = range(x0, width, dx), range(y0, height, dy)
            if len(xs) and len(ys):  # empty passes are left out entirely
                data += filter_rows(scanlines(xs, ys), bpp)
    else:
        data = filter_rows(scanlines(range(width), range(height)), bpp)

    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
    png += chunk(b"IDAT", zlib.compress(data, 9)) + chunk(b"IEND", b"")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(png)


# --------------------------------------------------------------------------
# Minimal baseline JPEG encoder

ZIGZAG = []
for s in range(15):
    rows = range(max(0, s - 7), min(s, 7) + 1)
    for r in (rows if s % 2 else reversed(rows)):
        ZIGZAG.append((r, s - r))

# Canonical Huffman tables: every DC category 0-11 gets a 4-bit code, every
# AC symbol (EOB, ZRL, run 0-15 x size 1-10) an 8-bit code. Not optimal, valid.
DC_SYMBOLS = list(range(12))
AC_SYMBOLS = [0x00, 0xF0] + [(run << 4) | size for run in range(16) for size in range(1, 11)]
DC_LENGTH, AC_LENGTH = 4, 8


class BitWriter:
    def __init__(self):
        self.out, self.acc, self.bits = bytearray(), 0, 0

    def put(self, value, length):
        for i in reversed(range(length)):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.bits += 1
            if self.bits == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)  # byte stuffing
                self.acc, self.bits = 0, 0

    def flush(self):
        while self.bits:
            self.put(1, 1)  # pad with one-bits
        return bytes(self.out)


def magnitude(v):
    """JPEG (size, bits) for a coefficient value."""
    size = abs(v).bit_length()
    return size, (v if v >= 0 else v + (1 << size) - 1)


def fdct(block):
    """8x8 float samples (already level-shifted) -> 8x8 DCT coefficients, rounded (q = 1)."""
    out = [[0] * 8 for _ in range(8)]
    for v in range(8):
        for u in range(8):
            total = 0.0
            for y in range(8):
                for x in range(8):
                    total += (block[y][x] * math.cos((2 * x + 1) * u * math.pi / 16)
                              * math.cos((2 * y + 1) * v * math.pi / 16))
            cu = math.sqrt(0.5) if u == 0 else 1.0
            cv = math.sqrt(0.5) if v == 0 else 1.0
            out[v][u] = int(round(0.25 * cu * cv * total))
    return out


def encode_block(bits, coefficients, previous_dc):
    dc = coefficients[0][0]
    size, value = magnitude(dc - previous_dc)
    bits.put(DC_SYMBOLS.index(size), DC_LENGTH)
    bits.put(value, size)
    run = 0
    zigzag = [coefficients[r][c] for r, c in ZIGZAG]
    last = max([i for i in range(1, 64) if zigzag[i] != 0], default=0)
    for i in range(1, last + 1):
        if zigzag[i] == 0:
            run += 1
            continue
        while run > 15:
            bits.put(AC_SYMBOLS.index(0xF0), AC_LENGTH)
            run -= 16
        size, value = magnitude(zigzag[i])
        bits.put(AC_SYMBOLS.index((run << 4) | size), AC_LENGTH)
        bits.put(value, size)
        run = 0
    if last < 63:
        bits.put(AC_SYMBOLS.index(0x00), AC_LENGTH)
    return dc


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def huffman_table(table_class, symbols, length):
    counts = [0] * 16
    counts[length - 1] = len(symbols)
    return bytes([table_class << 4]) + bytes(counts) + bytes(symbols)


def write_jpeg(name, width, height, components, adobe=False):
    """components(x, y) -> tuple of component samples (Y/Cb/Cr, gray or CMYK, floats)."""
    count = len(components(0, 0))
    data = b"\xFF\xD8"
    if adobe:  # APP14 "Adobe", version 100, flags 0, transform 0 (CMYK as stored)
        data += segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0))
    else:  # APP0 JFIF 1.01, no density, no thumbnail
        data += segment(0xE0, b"JFIF\x00" + struct.pack(">BBBHHBB", 1, 1, 0, 1, 1, 0, 0))
    data += segment(0xDB, bytes([0]) + bytes([1] * 64))
    sof = struct.pack(">BHHB", 8, height, width, count)
    for c in range(count):
        sof += bytes([c + 1, 0x11, 0])
    data += segment(0xC0, sof)
    data += segment(0xC4, huffman_table(0, DC_SYMBOLS, DC_LENGTH) + huffman_table(1, AC_SYMBOLS, AC_LENGTH))
    sos = bytes([count]) + b"".join(bytes([c + 1, 0x00]) for c in range(count)) + bytes([0, 63, 0])
    data += segment(0xDA, sos)

    bits = BitWriter()
    previous = [0] * count
    for by in range(0, height, 8):
        for bx in range(0, width, 8):
            for c in range(count):  # one 8x8 block per component per MCU
                block = [[components(min(bx + x, width - 1), min(by + y, height - 1))[c] - 128
                          for x in range(8)] for y in range(8)]
                previous[c] = encode_block(bits, fdct(block), previous[c])
    data += bits.flush() + b"\xFF\xD9"
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def ycbcr(r, g, b):
    return (0.299 * r + 0.587 * g + 0.114 * b,
            -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
            0.5 * r - 0.418688 * g - 0.081312 * b + 128)


def smooth_gray(x, y):
    return 40 + 12 * x + 9 * y

def smooth_rgb(x, y):
    return (30 + 15 * x + 5 * y, 200 - 10 * x + 3 * y, 90 + 4 * x + 12 * y)

def smooth_cmyk(x, y):  # ink amounts 0...255
    return (20 + 10 * x, 150 - 8 * y, 60 + 5 * x + 5 * y, 30 + 3 * x)


# --------------------------------------------------------------------------

def main():
    expected = {}

    def record(name, width, height, channels, planes, tolerance):
        flat = [round(planes(x, y)[c], 6) for c in range(channels) for y in range(height) for x in range(width)]
        expected[name] = {"width": width, "height": height, "channels": channels,
                          "tolerance": tolerance, "pixels": flat}

    W, H = 5, 3

    write_png("gray8.png", W, H, 0, 8, lambda x, y: (gray8(x, y),))
    record("gray8.png", W, H, 1, lambda x, y: composite([gray8(x, y)], None, 255), 0)

    write_png("gray4.png", W, H, 0, 4, lambda x, y: (gray4(x, y),))
    record("gray4.png", W, H, 1, lambda x, y: [gray4(x, y) * 17.0], 0)  # 4-bit scaled to 8-bit

    write_png("gray16.png", W, H, 0, 16, lambda x, y: (gray16(x, y),))
    record("gray16.png", W, H, 1, lambda x, y: composite([gray16(x, y)], None, 65535), 1e-3)

    write_png("gray_alpha8.png", W, H, 4, 8, lambda x, y: (gray8(x, y), alpha8(x, y)))
    record("gray_alpha8.png", W, H, 1, lambda x, y: composite([gray8(x, y)], alpha8(x, y), 255), 1e-3)

    write_png("rgb8.png", W, H, 2, 8, rgb8)
    record("rgb8.png", W, H, 3, lambda x, y: composite(rgb8(x, y), None, 255), 0)

    write_png("rgba8.png", W, H, 6, 8, lambda x, y: rgb8(x, y) + (alpha8(x, y),))
    record("rgba8.png", W, H, 3, lambda x, y: composite(rgb8(x, y), alpha8(x, y), 255), 1e-3)

    write_png("rgb16.png", W, H, 2, 16, rgb16)
    record("rgb16.png", W, H, 3, lambda x, y: composite(rgb16(x, y), None, 65535), 1e-3)

    write_png("rgba16.png", W, H, 6, 16, lambda x, y: rgb16(x, y) + (alpha16(x, y),))
    record("rgba16.png", W, H, 3, lambda x, y: composite(rgb16(x, y), alpha16(x, y), 65535), 1e-3)

    # Palette with partial transparency (tRNS shorter than the palette).
    plte = chunk(b"PLTE", bytes(v for colour in PALETTE for v in colour))
    trns = chunk(b"tRNS", bytes(PALETTE_ALPHA))
    write_png("palette_trns.png", W, H, 3, 8, lambda x, y: (palette_index(x, y),), extra=plte + trns)

    def palette_pixel(x, y):
        i = palette_index(x, y)
        return composite(PALETTE[i], PALETTE_ALPHA[i] if i < len(PALETTE_ALPHA) else 255, 255)
    record("palette_trns.png", W, H, 3, palette_pixel, 1e-3)

    # RGB with a tRNS colour key: exactly the pixels equal to the key become white.
    key = rgb8(1, 1)
    write_png("rgb8_trns.png", W, H, 2, 8, rgb8, extra=chunk(b"tRNS", struct.pack(">HHH", *key)))
    record("rgb8_trns.png", W, H, 3,
           lambda x, y: [255.0] * 3 if rgb8(x, y) == key else composite(rgb8(x, y), None, 255), 0)

    # Adam7 interlaced, 7x5 so that every pass is present.
    write_png("rgb8_adam7.png", 7, 5, 2, 8, rgb8, interlace=True)
    record("rgb8_adam7.png", 7, 5, 3, lambda x, y: composite(rgb8(x, y), None, 255), 0)

    # A valid header announcing 9000x9000 pixels, more than Image.read accepts (not in expected.json).
    with open(os.path.join(HERE, "too_large.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 9000, 9000, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(bytes(9001), 9)) + chunk(b"IEND", b""))

    # JPEGs: smooth patterns, compared within a few levels.
    write_jpeg("gray.jpg", 13, 7, lambda x, y: (smooth_gray(x, y),))
    record("gray.jpg", 13, 7, 1, lambda x, y: [float(smooth_gray(x, y))], 3)

    write_jpeg("rgb.jpg", 12, 10, lambda x, y: ycbcr(*smooth_rgb(x, y)))
    record("rgb.jpg", 12, 10, 3, lambda x, y: [float(v) for v in smooth_rgb(x, y)], 3)

    # Adobe CMYK as Photoshop stores it: inverted (255 = no ink).
    write_jpeg("cmyk_adobe.jpg", 9, 6, lambda x, y: tuple(255 - v for v in smooth_cmyk(x, y)), adobe=True)

    def cmyk_rgb(x, y):
        c, m, ye, k = smooth_cmyk(x, y)
        return [(255 - v) * (255 - k) / 255.0 for v in (c, m, ye)]
    record("cmyk_adobe.jpg", 9, 6, 3, cmyk_rgb, 3)

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
