#!/usr/bin/env python3
"""Draw the semantic maps and target doodles in samples/.

Every map here was drawn for this project by hand-placed shapes: the region
outlines below (polygons through which a smooth closed curve is drawn, and
ellipses) were placed by looking at the public-domain paintings monet.jpg,
renoir.jpg and gogh.jpg in zoomed, gridded views and checked against 50%
blends of map over painting.  No pixel of any other map was copied, traced
or thresholded; the doodles coast_sem.png and valley_sem.png are new
compositions.

Standard library only.  Each map is painted as class labels on a 4x
supersampled canvas, shape after shape (later shapes cover earlier ones),
then box-averaged down to the final size, which gives anti-aliased edges
like a brush would.  The output is deterministic: re-running the script
rewrites the same PNG files byte for byte.

    python3 samples/make_maps.py            # writes next to this script
    python3 samples/make_maps.py OUTDIR     # writes elsewhere
"""

import math
import os
import struct
import sys
import zlib

SS = 4  # supersampling factor per axis

# Class colours (RGB), same convention as the project's other maps.
SKY = (255, 255, 255)
WATER = (0, 0, 255)
GREEN = (0, 255, 0)       # vegetation, grass, ground
ROCK = (255, 51, 31)      # rocks (landscapes) or trees (renoir)
TREES = ROCK
SHADOW = (192, 0, 0)      # dark arch / cave / shadowed rock
# portraits
BACKGROUND = (255, 0, 0)
CLOTHES = (0, 0, 255)
SKIN = (0, 255, 0)
HAIR = (255, 255, 0)
EYES = (191, 191, 191)


# ---------------------------------------------------------------- geometry

def smooth(points, steps=8):
    """Closed Catmull-Rom curve through the points.  A point given twice in
    a row becomes a corner."""
    n = len(points)
    out = []
    for i in range(n):
        p0, p1, p2, p3 = (points[(i - 1) % n], points[i],
                          points[(i + 1) % n], points[(i + 2) % n])
        if p1 == p2:
            continue
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            out.append(tuple(
                0.5 * (2 * p1[k] + (-p0[k] + p2[k]) * t
                       + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                       + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3)
                for k in range(2)))
    return out


def ellipse(cx, cy, rx, ry, angle=0.0, n=96):
    a = math.radians(angle)
    ca, sa = math.cos(a), math.sin(a)
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x, y = rx * math.cos(t), ry * math.sin(t)
        pts.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    return pts


# ------------------------------------------------------------------ canvas

class Canvas:
    def __init__(self, width, height, background):
        self.w, self.h = width, height
        self.colours = [background]
        self.rows = [bytearray(width * SS) for _ in range(height * SS)]

    def _label(self, colour):
        if colour not in self.colours:
            self.colours.append(colour)
        return self.colours.index(colour)

    def fill(self, colour, pts, curve=True, over=None):
        """Fill a closed outline (even-odd).  curve: draw a smooth curve
        through the points instead of straight edges.  over: only paint on
        top of these colours."""
        if curve:
            pts = smooth(pts)
        lab = self._label(colour)
        keep = None if over is None else {self._label(c) for c in over}
        n = len(pts)
        edges = [(pts[i], pts[(i + 1) % n]) for i in range(n)]
        ys = [p[1] for p in pts]
        j0 = max(0, int(math.floor(min(ys) * SS - 0.5)))
        j1 = min(self.h * SS - 1, int(math.ceil(max(ys) * SS + 0.5)))
        wmax = self.w * SS
        for j in range(j0, j1 + 1):
            yc = (j + 0.5) / SS
            xs = []
            for (xa, ya), (xb, yb) in edges:
                if (ya <= yc) != (yb <= yc):
                    xs.append(xa + (yc - ya) * (xb - xa) / (yb - ya))
            xs.sort()
            row = self.rows[j]
            for k in range(0, len(xs) - 1, 2):
                a = max(0, math.ceil(xs[k] * SS - 0.5))
                b = min(wmax, math.ceil(xs[k + 1] * SS - 0.5))
                if b <= a:
                    continue
                if keep is None:
                    row[a:b] = bytes((lab,)) * (b - a)
                else:
                    for i in range(a, b):
                        if row[i] in keep:
                            row[i] = lab

    def ellipse(self, colour, cx, cy, rx, ry, angle=0.0, over=None):
        self.fill(colour, ellipse(cx, cy, rx, ry, angle), curve=False,
                  over=over)

    def pixels(self):
        """Box-average the supersampled labels to RGB rows."""
        cols = self.colours
        full = SS * SS
        out = []
        for y in range(self.h):
            sub = self.rows[y * SS:(y + 1) * SS]
            line = bytearray()
            for x in range(self.w):
                blk = b"".join(bytes(r[x * SS:(x + 1) * SS]) for r in sub)
                first = blk[0]
                if blk.count(first) == full:
                    line += bytes(cols[first])
                    continue
                acc = [0, 0, 0]
                for lab in set(blk):
                    c = blk.count(lab)
                    col = cols[lab]
                    acc[0] += col[0] * c
                    acc[1] += col[1] * c
                    acc[2] += col[2] * c
                line += bytes((a * 2 + full) // (2 * full) for a in acc)
            out.append(bytes(line))
        return out

    def save(self, path):
        write_png(path, self.w, self.h, self.pixels())


def write_png(path, width, height, rows):
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


# ------------------------------------------------------------------- maps
# Coordinates are pixels of the painting (x right, y down).  Points outside
# the frame just carry a region over the edge.

def monet():
    """Monet, The Rock Needle and the Porte d'Aval, Etretat (512x384)."""
    c = Canvas(512, 384, SKY)
    # sea: from the horizon down
    c.fill(WATER, [(-8, 257), (520, 257), (520, 392), (-8, 392)], curve=False)
    # beach (ground class): sand from the shoreline to the bottom right
    c.fill(GREEN, [(190, 392), (192, 362), (194, 347), (201, 339), (214, 330),
                   (238, 321), (262, 315), (290, 310), (320, 306), (350, 302),
                   (380, 298), (400, 295), (520, 295), (520, 392)])
    # the needle (sea stack)
    c.fill(ROCK, [(137, 90), (145, 87), (151, 91), (158, 106), (166, 122),
                  (174, 138), (181, 151), (184, 165), (183, 180), (183, 200),
                  (185, 230), (187, 262), (190, 280), (193, 287), (193, 287),
                  (80, 288), (80, 288), (82, 277), (85, 261), (89, 244),
                  (97, 224), (102, 207), (107, 197), (111, 181), (113, 161),
                  (120, 151), (123, 141), (128, 127), (129, 111), (132, 97)])
    # the arch and the cliffs on the right, one outline that goes round the
    # arch opening (left leg base -> outer edge -> cliff top -> right edge ->
    # cliff foot -> up the opening -> down the leg's inner edge)
    c.fill(ROCK, [(270, 283), (270, 283), (273, 270), (268, 256), (266, 240),
                  (267, 225), (273, 208), (283, 192), (288, 176), (298, 160),
                  (309, 144), (320, 128), (331, 112), (339, 100), (345, 84),
                  (349, 67), (351, 50), (353, 33), (362, 30), (375, 36),
                  (400, 38), (430, 38), (455, 38), (464, 34), (463, 10),
                  (463, -8), (463, -8), (520, -8), (520, -8), (520, 300),
                  (520, 300), (400, 300), (375, 289), (355, 283), (341, 279),
                  (340, 262), (339, 240), (339, 210), (338, 185), (336, 172),
                  (331, 178), (326, 190), (320, 205), (315, 222), (312, 240),
                  (312, 256), (315, 270), (318, 283), (318, 283)])
    # rust-coloured grass cap on the cliff top
    c.fill(GREEN, [(377, 40), (380, 33), (395, 30), (420, 28), (445, 29),
                   (462, 31), (468, 42), (466, 56), (458, 65), (440, 68),
                   (420, 63), (400, 61), (385, 55), (380, 48)])
    # the dark, shadowed rock pile at the foot of the cliff
    c.fill(SHADOW, [(520, 166), (489, 168), (463, 172), (436, 180),
                    (413, 193), (396, 210), (388, 237), (384, 260),
                    (388, 283), (399, 300), (416, 310), (439, 317),
                    (463, 320), (489, 315), (520, 308)])
    return c


def renoir():
    """Renoir, river landscape (512x320)."""
    c = Canvas(512, 320, SKY)
    # tree masses: the distant tree line and the big trees on the right
    c.fill(TREES, [(40, 113), (50, 113), (60, 117), (70, 118), (80, 113),
                   (90, 115), (100, 113), (110, 117), (120, 120), (130, 125),
                   (150, 126), (165, 128), (176, 138), (188, 140), (196, 130),
                   (208, 125), (225, 122), (240, 120), (256, 115), (272, 107),
                   (288, 108), (304, 110), (320, 93), (336, 80), (352, 72),
                   (368, 69), (384, 67), (400, 67), (416, 70), (424, 73),
                   (432, 82), (448, 82), (464, 85), (480, 97), (496, 110),
                   (512, 117), (520, 118), (520, 230), (520, 230), (40, 230),
                   (40, 230)])
    # grass bank on the far shore, left of the trees
    c.fill(GREEN, [(45, 160), (100, 158), (150, 160), (200, 163), (230, 168),
                   (262, 172), (280, 180), (278, 192), (240, 188), (200, 188),
                   (150, 189), (100, 190), (45, 191)])
    # sunlit bushes at the water's edge, in front of the big trees
    c.fill(GREEN, [(266, 160), (275, 150), (292, 145), (312, 146),
                   (328, 152), (336, 165), (338, 185), (336, 205),
                   (300, 208), (272, 206), (262, 190)])
    # the far bank under the big trees
    c.fill(GREEN, [(262, 200), (300, 202), (330, 204), (380, 205),
                   (430, 206), (480, 207), (520, 208), (520, 224),
                   (480, 223), (430, 222), (380, 222), (330, 220),
                   (300, 214), (262, 210)])
    # the river
    c.fill(WATER, [(45, 190), (100, 189), (150, 188), (200, 187),
                   (240, 187), (264, 190), (272, 206), (300, 209),
                   (336, 210), (340, 215), (380, 216), (430, 216),
                   (480, 217), (520, 218), (520, 240), (520, 240),
                   (470, 243), (420, 248), (380, 250), (330, 248),
                   (300, 255), (256, 258), (200, 262), (180, 266),
                   (150, 272), (100, 275), (60, 274), (40, 277)])
    # reeds and grass in the foreground
    c.fill(GREEN, [(-8, 330), (-8, 280), (40, 277), (60, 274), (100, 275),
                   (150, 272), (180, 266), (200, 262), (256, 258),
                   (300, 255), (330, 248), (380, 250), (420, 248),
                   (470, 243), (520, 240), (520, 330)])
    # the dark tree on the left
    c.fill(TREES, [(-8, 38), (0, 40), (10, 60), (15, 67), (20, 67),
                   (30, 70), (33, 80), (40, 82), (50, 80), (57, 87),
                   (53, 97), (50, 107), (52, 115), (58, 130), (62, 150),
                   (64, 170), (63, 190), (63, 210), (60, 240), (50, 260),
                   (40, 277), (30, 287), (13, 293), (-8, 295)])
    return c


def gogh():
    """Van Gogh, self-portrait (416x508)."""
    c = Canvas(416, 508, BACKGROUND)
    # the head's outline (hair), the face is drawn into it below
    c.fill(HAIR, [(143, 177), (145, 160), (150, 133), (160, 113), (173, 93),
                  (187, 83), (207, 73), (223, 67), (240, 70), (257, 77),
                  (270, 87), (283, 103), (297, 123), (303, 143), (310, 163),
                  (315, 183), (314, 200), (306, 212), (290, 215), (270, 220),
                  (250, 230), (200, 240), (160, 230), (150, 210)])
    # skin: forehead below the hairline, face, neck
    c.fill(SKIN, [(146, 179), (155, 162), (160, 150), (170, 132), (183, 113),
                  (200, 102), (220, 99), (240, 104), (255, 116), (262, 136),
                  (268, 160), (272, 185), (280, 195), (290, 200), (296, 226),
                  (297, 240), (292, 252), (284, 260), (275, 270), (262, 295), (248, 310),
                  (230, 320), (207, 318), (190, 300), (175, 290), (163, 270),
                  (158, 247), (152, 225), (145, 205), (142, 190)])
    # the ear
    c.ellipse(SKIN, 300, 208, 12, 18, angle=10)
    # beard and moustache
    c.fill(HAIR, [(280, 200), (290, 215), (291, 228), (283, 238), (270, 250),
                  (258, 262), (245, 276), (238, 290), (220, 300), (203, 303),
                  (187, 296), (175, 290), (164, 275), (158, 257), (159, 240),
                  (168, 235), (180, 231), (192, 229), (207, 231), (223, 229),
                  (240, 224), (253, 218), (270, 208)])
    # lips
    c.ellipse(SKIN, 190, 256, 17, 6)
    # eyebrows
    c.fill(HAIR, [(142, 168), (155, 166), (168, 165), (180, 166), (181, 171),
                  (168, 171), (155, 173), (141, 180)])
    c.fill(HAIR, [(196, 171), (210, 167), (225, 167), (240, 170), (240, 175),
                  (225, 172), (210, 172), (197, 175)])
    # eyes
    c.fill(EYES, [(151, 184), (156, 180), (163, 178), (170, 180), (175, 185),
                  (169, 188), (162, 189), (156, 188)])
    c.fill(EYES, [(203, 185), (209, 180), (216, 178), (224, 180), (229, 183),
                  (223, 187), (215, 189), (208, 188)])
    # jacket and shirt
    c.fill(CLOTHES, [(55, 520), (55, 520), (62, 470), (66, 430), (72, 395),
                     (80, 360), (90, 345), (115, 330), (140, 308), (157, 293),
                     (172, 287), (186, 293), (199, 306), (210, 316),
                     (230, 319), (246, 309), (259, 294), (270, 273),
                     (285, 260), (300, 272), (330, 300), (350, 318),
                     (390, 345), (424, 362), (424, 362), (424, 520),
                     (424, 520)])
    return c


# ---------------------------------------------------------------- doodles
# New compositions to paint with the styles above; each uses only classes
# of its painting's map.

def coast():
    """Target doodle in monet_sem.png's classes (512x384): a sea stack, a
    big cliff on the right pierced by an arch, grass on its top, a dark cave
    at its foot and a beach in the foreground."""
    c = Canvas(512, 384, SKY)
    c.fill(WATER, [(-8, 250), (520, 250), (520, 392), (-8, 392)], curve=False)
    # the sea stack
    c.fill(ROCK, [(138, 128), (147, 122), (156, 130), (160, 150), (166, 172),
                  (168, 200), (172, 230), (176, 262), (180, 276), (180, 276),
                  (112, 277), (112, 277), (118, 258), (124, 232), (128, 205),
                  (131, 178), (133, 152)])
    # a small rock beside it
    c.fill(ROCK, [(196, 276), (198, 262), (206, 252), (216, 250), (224, 258),
                  (228, 276)])
    # the cliff and its arch: outer edge, top, right border, foot, then up
    # the opening and down the inner edge of the arch's leg
    c.fill(ROCK, [(262, 290), (262, 290), (266, 268), (268, 240), (272, 212),
                  (280, 185), (292, 160), (306, 138), (322, 118), (336, 96),
                  (346, 78), (360, 70), (390, 66), (430, 60), (470, 56),
                  (520, 54), (520, 54), (520, 392), (520, 392), (380, 392),
                  (380, 392), (378, 330), (376, 280), (374, 240), (370, 205),
                  (362, 182), (350, 172), (338, 178), (328, 195), (320, 220),
                  (316, 250), (314, 272), (312, 290), (312, 290)])
    # grass along the cliff top
    c.fill(GREEN, [(340, 82), (352, 70), (380, 64), (420, 58), (470, 53),
                   (520, 50), (520, 50), (520, 78), (520, 78), (490, 84),
                   (460, 80), (430, 86), (400, 82), (372, 90), (352, 94)])
    # dark cave at the cliff foot
    c.fill(SHADOW, [(400, 392), (402, 350), (410, 318), (426, 296),
                    (448, 288), (468, 296), (480, 318), (486, 350),
                    (488, 392)])
    # beach in the foreground (the ground class, as in monet_sem.png)
    c.fill(GREEN, [(-8, 392), (-8, 330), (40, 326), (90, 330), (140, 342),
                   (190, 360), (230, 392)])
    return c


def valley():
    """Target doodle in renoir_sem.png's classes (512x320): a river winding
    through a green valley between tree masses."""
    c = Canvas(512, 320, SKY)
    # meadows and banks
    c.fill(GREEN, [(-8, 150), (100, 148), (250, 146), (400, 148), (520, 150),
                   (520, 330), (-8, 330)])
    # the distant tree line
    c.fill(TREES, [(-8, 150), (-8, 128), (30, 124), (60, 128), (90, 121),
                   (130, 126), (170, 132), (210, 128), (240, 134),
                   (270, 131), (300, 126), (330, 129), (360, 122),
                   (400, 127), (440, 121), (480, 125), (520, 122),
                   (520, 152), (520, 152), (400, 150), (250, 148),
                   (100, 150)])
    # big trees on the left
    c.fill(TREES, [(-8, 215), (-8, 60), (20, 52), (48, 58), (70, 50),
                   (100, 62), (126, 72), (150, 90), (172, 104), (190, 124),
                   (200, 150), (196, 176), (180, 192), (150, 200),
                   (110, 204), (60, 210), (20, 214)])
    # a clump of trees on the far meadow
    c.fill(TREES, [(330, 176), (334, 156), (348, 142), (366, 136),
                   (384, 142), (396, 156), (398, 176), (370, 180)])
    # a tall tree at the right edge
    c.fill(TREES, [(520, 240), (520, 28), (500, 24), (478, 38), (462, 62),
                   (452, 96), (446, 130), (448, 170), (458, 205),
                   (476, 230)])
    # the river, narrowing into the distance
    c.fill(WATER, [(262, 152), (290, 152), (300, 162), (296, 176),
                   (310, 192), (350, 204), (400, 218), (430, 236),
                   (432, 262), (404, 292), (380, 330), (380, 330),
                   (150, 330), (150, 330), (190, 298), (240, 270),
                   (266, 246), (262, 222), (236, 204), (226, 186),
                   (238, 170), (254, 160)])
    # bushes on the near bank
    c.fill(GREEN, [(-8, 330), (-8, 262), (40, 256), (90, 262), (130, 280),
                   (150, 300), (160, 330)])
    return c


MAPS = {
    "monet_sem.png": monet,
    "renoir_sem.png": renoir,
    "gogh_sem.png": gogh,
    "coast_sem.png": coast,
    "valley_sem.png": valley,
}


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    names = sys.argv[2:] or sorted(MAPS)
    for name in names:
        MAPS[name]().save(os.path.join(outdir, name))
        print("wrote", os.path.join(outdir, name))


if __name__ == "__main__":
    main()
