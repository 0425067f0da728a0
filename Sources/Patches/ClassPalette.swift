// Semantic map classes: which colours of a hand-painted map are regions of their own and
// which are only the anti-aliased or JPEG-blurred seams between them.
//
// A painted map has a few flat colours plus hundreds of in-between shades along the edges,
// and some real regions are tiny (the eyes of a portrait are ~140 pixels), so pixel share
// alone cannot tell a class from a blend. What differs is how a colour is used: a class
// covers areas where every neighbour has (nearly) the same colour, a blend only ever sits
// on a thin seam between two other colours. Detection therefore works on "flat" pixels only:
//
// 1. A pixel is flat when every pixel of its (2r+1)x(2r+1) neighbourhood (r = 1: 3x3,
//    clipped at the image border) is within `flatTolerance` of it in every channel.
//    A 1-2 px seam always has a neighbour on one side or the other, so it has no flat pixel;
//    JPEG noise of +-6 per channel moves neighbours at most 12 apart, so it stays flat.
// 2. The colours of flat pixels (over all maps together) are clustered greedily: most
//    frequent first, each joins the nearest cluster seed within `clusterRadius` or starts a
//    new one; then every colour is reassigned once to the nearest cluster median.
// 3. A cluster is a class when it holds at least `minimumFlatPixels` flat pixels; its colour
//    is the per-channel weighted median of its flat colours (the exact painted colour on
//    clean maps, unbiased by noise clipped at 0 or 255).
// 4. Classes are sorted by colour (lexicographic RGB) and numbered from 0, so the same maps
//    give the same ids, and the same colour means the same class in every map.
//
// Single-channel maps are label maps: every distinct value is a class, no blending logic.
// How every pixel then gets a class (seams included) is in SemanticMap.swift.

/// A semantic map as read from a file: planar `[C, H, W]` samples in 0...255.
/// `channels` is 3 (painted RGB map) or 1 (label map: the value is the class).
public struct MapPixels: Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// Planar samples: `pixels[(c * height + y) * width + x]`, nominally 0...255.
    public let pixels: [Float]
    /// Shown in messages (usually the file name).
    public let name: String

    public init(width: Int, height: Int, channels: Int, pixels: [Float], name: String) {
        precondition(width > 0 && height > 0, "map '\(name)' needs positive dimensions, got \(width)x\(height)")
        precondition(channels == 1 || channels == 3, "map '\(name)' needs 1 or 3 channels, got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "map '\(name)' \(width)x\(height)x\(channels) needs \(width * height * channels) samples, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.name = name
    }

    public var isLabelMap: Bool { channels == 1 }
    var pixelCount: Int { width * height }

    /// One packed `0x00RRGGBB` per pixel, row-major (a gray map is repeated into R, G, B).
    func packedRGB() -> [UInt32] {
        let n = pixelCount
        return [UInt32](unsafeUninitializedCapacity: n) { out, count in
            pixels.withUnsafeBufferPointer { p in
                if channels == 3 {
                    for i in 0..<n {
                        out[i] = UInt32(PackedRGB.byte(p[i])) << 16 | UInt32(PackedRGB.byte(p[n + i])) << 8
                            | UInt32(PackedRGB.byte(p[2 * n + i]))
                    }
                } else {
                    for i in 0..<n {
                        let v = UInt32(PackedRGB.byte(p[i]))
                        out[i] = v << 16 | v << 8 | v
                    }
                }
            }
            count = n
        }
    }

    /// One rounded value per pixel (the mean of the channels for an RGB map).
    func labelValues() -> [Int32] {
        let n = pixelCount
        return [Int32](unsafeUninitializedCapacity: n) { out, count in
            pixels.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    if channels == 1 {
                        out[i] = Int32(PackedRGB.byte(p[i]))
                    } else {
                        out[i] = Int32(PackedRGB.byte((p[i] + p[n + i] + p[2 * n + i]) / 3))
                    }
                }
            }
            count = n
        }
    }
}

/// One class of a palette.
public struct MapClass: Equatable, Hashable, Sendable {
    /// Index into `ClassPalette.classes` and channel of `SemanticMap.oneHot()`.
    public let id: Int
    /// RGB in 0...255: the painted colour, or a display colour for a label class.
    public let colour: [Float]
    /// The value in a single-channel label map, `nil` for a painted colour class.
    public let label: Int?

    public init(id: Int, colour: [Float], label: Int? = nil) {
        precondition(colour.count == 3, "a class colour is RGB")
        self.id = id
        self.colour = colour
        self.label = label
    }

    /// `#rrggbb`, lower case.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in colour {
            let b = Int(PackedRGB.byte(v))
            s.append(digits[b >> 4])
            s.append(digits[b & 15])
        }
        return s
    }

    /// A rough English name for messages ("green", "orange-red", "grey").
    public var colourName: String { MapClassNames.nearest(r: colour[0], g: colour[1], b: colour[2]) }

    /// How messages name the class: `#00ff00 (green)` or `label 3 (#e6194b)`.
    public var displayName: String {
        if let label { return "label \(label) (\(hex))" }
        return "\(hex) (\(colourName))"
    }

    var packed: UInt32 {
        PackedRGB.pack(colour)
    }
}

/// The classes of one or more semantic maps that belong together (style and target).
public struct ClassPalette: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// Painted RGB maps: a class is a flat colour.
        case colours
        /// Single-channel label maps: a class is a value.
        case labels
    }

    /// Thresholds of colour detection and labelling; colour distances are the largest
    /// per-channel difference, in 0...255.
    public struct Options: Equatable, Sendable {
        /// Neighbourhood radius of the flatness test (1: 3x3, 2: 5x5).
        public var flatRadius: Int
        /// Largest difference between a flat pixel and any of its neighbours.
        public var flatTolerance: Int
        /// Flat colours within this distance of a cluster's seed join it; classes whose colours
        /// are closer than this cannot be told apart. When labelling, a flat pixel this close to
        /// a class colour is that class.
        public var clusterRadius: Int
        /// Flat pixels (over all maps) a cluster needs to be a class.
        public var minimumFlatPixels: Int
        /// When labelling, a pixel this close to a class colour is that class even where it is
        /// not flat (thin strokes, region borders).
        public var exactTolerance: Int

        public init(flatRadius: Int = 1, flatTolerance: Int = 16, clusterRadius: Int = 24,
                    minimumFlatPixels: Int = 20, exactTolerance: Int = 8) {
            precondition(flatRadius >= 1 && flatTolerance >= 0 && clusterRadius >= 0 && minimumFlatPixels >= 1
                         && exactTolerance >= 0, "invalid class detection options")
            self.flatRadius = flatRadius
            self.flatTolerance = flatTolerance
            self.clusterRadius = clusterRadius
            self.minimumFlatPixels = minimumFlatPixels
            self.exactTolerance = exactTolerance
        }
    }

    public let kind: Kind
    /// Sorted by colour (painted maps) or by label value; `classes[i].id == i`.
    public let classes: [MapClass]
    /// The thresholds the classes were detected with; `SemanticMap` labels with them too.
    public let options: Options

    /// A palette of painted colours given explicitly (sorted and numbered here).
    public init(colours: [[Float]], options: Options = Options()) {
        let sorted = Set(colours.map { c -> UInt32 in
            precondition(c.count == 3, "a class colour is RGB")
            return PackedRGB.pack(c)
        }).sorted()
        self.kind = .colours
        self.classes = sorted.enumerated().map { MapClass(id: $0.offset, colour: PackedRGB.unpack($0.element)) }
        self.options = options
    }

    /// A palette of label values (sorted and numbered here; display colours from a fixed set).
    public init(labels: [Int]) {
        let sorted = Set(labels).sorted()
        self.kind = .labels
        self.classes = sorted.enumerated().map {
            MapClass(id: $0.offset, colour: MapClass.labelDisplayColour($0.element), label: $0.element)
        }
        self.options = Options()
    }

    public var count: Int { classes.count }

    /// The classes of `maps` together (see the top of this file). All single-channel maps:
    /// label classes. Otherwise painted colours, a single-channel map among them being
    /// read as gray RGB.
    public static func detect(maps: [MapPixels], options: Options = Options()) -> ClassPalette {
        precondition(!maps.isEmpty, "detect needs at least one map")
        if maps.allSatisfy(\.isLabelMap) {
            var seen = Set<Int32>()
            for map in maps {
                var last: Int32 = -1
                for v in map.labelValues() where v != last {
                    seen.insert(v)
                    last = v
                }
            }
            return ClassPalette(labels: seen.map(Int.init))
        }

        var histogram: [UInt32: Int] = [:]
        for map in maps {
            let packed = map.packedRGB()
            PackedRGB.flatColourHistogram(packed, width: map.width, height: map.height,
                                radius: options.flatRadius, tolerance: options.flatTolerance, into: &histogram)
        }
        var clusters = PackedRGB.clusterColours(histogram, radius: options.clusterRadius)
            .filter { $0.weight >= options.minimumFlatPixels }
        if clusters.isEmpty {
            // Nothing flat enough (tiny or pure-noise maps): fall back to all pixels, keeping
            // the biggest cluster and any other with a real share.
            var allColours: [UInt32: Int] = [:]
            for map in maps { PackedRGB.countColours(map.packedRGB(), into: &allColours) }
            let all = PackedRGB.clusterColours(allColours, radius: options.clusterRadius)
            let total = all.reduce(0) { $0 + $1.weight }
            clusters = all.enumerated().filter { $0.offset == 0 || $0.element.weight * 20 >= total }.map(\.element)
        }
        return ClassPalette(colours: clusters.map { PackedRGB.unpack($0.colour) }, options: options)
    }

    /// The class whose colour is nearest (Euclidean RGB) to a colour; ties go to the lower id.
    public func nearestClass(r: Float, g: Float, b: Float) -> Int {
        var best = 0
        var bestDistance = Float.infinity
        for c in classes {
            let dr = c.colour[0] - r, dg = c.colour[1] - g, db = c.colour[2] - b
            let d = dr * dr + dg * dg + db * db
            if d < bestDistance { bestDistance = d; best = c.id }
        }
        return best
    }

    /// The class of a label value, `nil` if the palette has no such label.
    public func classID(forLabel value: Int) -> Int? {
        classes.first { $0.label == value }?.id
    }

    /// The class of exactly this colour, `nil` if none.
    public func classID(forColour colour: [Float]) -> Int? {
        guard colour.count == 3 else { return nil }
        let p = PackedRGB.pack(colour)
        return classes.first { $0.packed == p }?.id
    }
}

// MARK: - Detection internals

/// Colours packed as `0x00RRGGBB` and the pixel work on them.
enum PackedRGB {
    @inline(__always)
    static func byte(_ v: Float) -> UInt8 {
        // NaN compares false everywhere and ends up 0.
        v >= 255 ? 255 : (v > 0 ? UInt8(v.rounded()) : 0)
    }

    static func pack(_ colour: [Float]) -> UInt32 {
        UInt32(byte(colour[0])) << 16 | UInt32(byte(colour[1])) << 8 | UInt32(byte(colour[2]))
    }

    @inline(__always)
    static func unpack(_ p: UInt32) -> [Float] {
        [Float((p >> 16) & 0xff), Float((p >> 8) & 0xff), Float(p & 0xff)]
    }

    /// Largest per-channel difference of two packed colours.
    @inline(__always)
    static func chebyshev(_ a: UInt32, _ b: UInt32) -> Int32 {
        let dr = abs(Int32((a >> 16) & 0xff) - Int32((b >> 16) & 0xff))
        let dg = abs(Int32((a >> 8) & 0xff) - Int32((b >> 8) & 0xff))
        let db = abs(Int32(a & 0xff) - Int32(b & 0xff))
        return max(dr, max(dg, db))
    }

    @inline(__always)
    static func squaredDistance(_ a: UInt32, _ b: UInt32) -> Int32 {
        let dr = Int32((a >> 16) & 0xff) - Int32((b >> 16) & 0xff)
        let dg = Int32((a >> 8) & 0xff) - Int32((b >> 8) & 0xff)
        let db = Int32(a & 0xff) - Int32(b & 0xff)
        return dr * dr + dg * dg + db * db
    }

    /// Per pixel: is every pixel of its (2r+1)x(2r+1) neighbourhood (clipped at the border)
    /// within `tolerance` of it in every channel?
    static func flatMask(_ packed: [UInt32], width: Int, height: Int, radius: Int, tolerance: Int) -> [Bool] {
        let tol = Int32(tolerance)
        var mask = [Bool](repeating: false, count: packed.count)
        packed.withUnsafeBufferPointer { p in
            mask.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let y0 = max(0, y - radius), y1 = min(height - 1, y + radius)
                    for x in 0..<width {
                        let c = p[y * width + x]
                        let x0 = max(0, x - radius), x1 = min(width - 1, x + radius)
                        var flat = true
                        scan: for ny in y0...y1 {
                            let row = ny * width
                            for nx in x0...x1 {
                                let n = p[row + nx]
                                if n != c && PackedRGB.chebyshev(n, c) > tol { flat = false; break scan }
                            }
                        }
                        out[y * width + x] = flat
                    }
                }
            }
        }
        return mask
    }

    /// Adds the colour of every flat pixel to `histogram`.
    static func flatColourHistogram(_ packed: [UInt32], width: Int, height: Int, radius: Int, tolerance: Int,
                             into histogram: inout [UInt32: Int]) {
        let flat = PackedRGB.flatMask(packed, width: width, height: height, radius: radius, tolerance: tolerance)
        // Run-length counting: flat pixels come in long runs of one colour.
        var runColour: UInt32 = 0
        var runLength = 0
        for (i, c) in packed.enumerated() where flat[i] {
            if runLength > 0 && c == runColour {
                runLength += 1
            } else {
                if runLength > 0 { histogram[runColour, default: 0] += runLength }
                runColour = c
                runLength = 1
            }
        }
        if runLength > 0 { histogram[runColour, default: 0] += runLength }
    }

    static func countColours(_ packed: [UInt32], into histogram: inout [UInt32: Int]) {
        var runColour: UInt32 = 0
        var runLength = 0
        for c in packed {
            if runLength > 0 && c == runColour { runLength += 1; continue }
            if runLength > 0 { histogram[runColour, default: 0] += runLength }
            runColour = c
            runLength = 1
        }
        if runLength > 0 { histogram[runColour, default: 0] += runLength }
    }

    struct Cluster {
        /// Per-channel weighted median of the member colours: the exact painted colour on a clean
        /// map, and unbiased where JPEG noise is clipped at 0 or 255 (a mean would drift inwards).
        var colour: UInt32
        /// Pixels of the member colours.
        var weight: Int
    }

    /// Greedy clustering of a colour histogram, heaviest colours first, then one reassignment
    /// to the centres (medians) of the first round. Sorted by weight, heaviest first.
    static func clusterColours(_ histogram: [UInt32: Int], radius: Int, maximumSeeds: Int = 1024) -> [Cluster] {
        let entries = histogram.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let r = Int32(radius)
        var seeds: [UInt32] = []
        for (colour, _) in entries {
            if seeds.contains(where: { PackedRGB.chebyshev($0, colour) <= r }) { continue }
            if seeds.count < maximumSeeds { seeds.append(colour) }
        }
        // Two rounds: assign each colour to the nearest centre within the radius, then move the
        // centres to the medians of their members.
        var centres = seeds
        var result: [Cluster] = []
        for _ in 0..<2 {
            // Per cluster, a 256-bin histogram per channel.
            var bins = [Int](repeating: 0, count: centres.count * 3 * 256)
            var weights = [Int](repeating: 0, count: centres.count)
            for (colour, count) in entries {
                var best = -1
                var bestDistance = Int32.max
                for (i, centre) in centres.enumerated() where PackedRGB.chebyshev(centre, colour) <= r {
                    let d = PackedRGB.squaredDistance(centre, colour)
                    if d < bestDistance { bestDistance = d; best = i }
                }
                guard best >= 0 else { continue }
                let base = best * 768
                bins[base + Int((colour >> 16) & 0xff)] += count
                bins[base + 256 + Int((colour >> 8) & 0xff)] += count
                bins[base + 512 + Int(colour & 0xff)] += count
                weights[best] += count
            }
            result = []
            for i in centres.indices where weights[i] > 0 {
                var colour: UInt32 = 0
                for channel in 0..<3 {
                    let base = i * 768 + channel * 256
                    var below = 0
                    var median = 255
                    for v in 0..<256 {
                        below += bins[base + v]
                        if 2 * below >= weights[i] { median = v; break }
                    }
                    colour = colour << 8 | UInt32(median)
                }
                result.append(Cluster(colour: colour, weight: weights[i]))
            }
            centres = result.map(\.colour)
        }
        // Two centres that drifted onto one colour are one class.
        var merged: [UInt32: Int] = [:]
        for c in result { merged[c.colour, default: 0] += c.weight }
        return merged.map { Cluster(colour: $0.key, weight: $0.value) }
            .sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.colour < $1.colour }
    }
}

extension MapClass {
    /// Display colours for label classes, by label value: distinct, saturated, fixed.
    static func labelDisplayColour(_ label: Int) -> [Float] {
        let fixed: [UInt32] = [
            0xe6194b, 0x3cb44b, 0x4363d8, 0xffe119, 0xf58231, 0x911eb4, 0x42d4f4, 0xf032e6,
            0xbfef45, 0xfabed4, 0x469990, 0xdcbeff, 0x9a6324, 0xfffac8, 0x800000, 0xaaffc3,
            0x808000, 0xffd8b1, 0x000075, 0xa9a9a9,
        ]
        if label >= 0 && label < fixed.count { return PackedRGB.unpack(fixed[label]) }
        // Golden-angle hues for the rest.
        let hue = (Double(abs(label)) * 0.618033988749895).truncatingRemainder(dividingBy: 1) * 6
        let f = hue - hue.rounded(.down)
        let (q, t) = (1 - f, f)
        let rgb: (Double, Double, Double)
        switch Int(hue) {
        case 0: rgb = (1, t, 0)
        case 1: rgb = (q, 1, 0)
        case 2: rgb = (0, 1, t)
        case 3: rgb = (0, q, 1)
        case 4: rgb = (t, 0, 1)
        default: rgb = (1, 0, q)
        }
        return [Float((rgb.0 * 255).rounded()), Float((rgb.1 * 255).rounded()), Float((rgb.2 * 255).rounded())]
    }
}
