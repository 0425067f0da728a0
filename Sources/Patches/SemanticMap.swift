import Net

/// A semantic map cleaned to its palette: every pixel carries the id of one class.
///
/// Painted maps: a pixel is "pure" when its colour is within `exactTolerance` (per channel)
/// of its nearest class colour, or within `clusterRadius` of it on flat ground (see
/// `ClassPalette`); a pure pixel is that class. Any other pixel (an anti-aliased or blurred
/// seam, a speck) takes the nearest colour (Euclidean RGB) among the classes of the pure pixels
/// in its 5x5 neighbourhood (17x17, then 65x65, if there are none), so a blue/orange seam
/// never becomes an unrelated third class that lies between them in RGB; with no pure pixel
/// anywhere near it takes the globally nearest class. Finally, a small connected piece of a
/// class (fewer than `minimumFlatPixels` pixels) without a single flat pixel near its colour is a seam
/// fragment and goes to the classes around it.
/// Label maps: the class of the pixel's value (the nearest value if the palette lacks it).
public struct SemanticMap: Sendable {
    public let width: Int
    public let height: Int
    public let name: String
    public let palette: ClassPalette
    /// Class id per pixel, row-major (`labels[y * width + x]`).
    public let labels: [Int32]
    /// Pixels per class id (`pixelCounts.count == palette.count`).
    public let pixelCounts: [Int]

    /// Labels `map` with the classes of `palette` (usually detected from `map` and the maps
    /// it goes with).
    public init(_ map: MapPixels, palette: ClassPalette) {
        precondition(!palette.classes.isEmpty, "map '\(map.name)': the palette has no classes")
        width = map.width
        height = map.height
        name = map.name
        self.palette = palette
        let labels: [Int32]
        switch palette.kind {
        case .labels: labels = SemanticMap.labelValues(map, palette: palette)
        case .colours: labels = SemanticMap.labelColours(map, palette: palette)
        }
        var counts = [Int](repeating: 0, count: palette.count)
        for l in labels { counts[Int(l)] += 1 }
        self.labels = labels
        self.pixelCounts = counts
    }

    /// Detects one palette for `maps` together and labels each of them with it.
    public static func detect(_ maps: [MapPixels], options: ClassPalette.Options = .init()) -> [SemanticMap] {
        let palette = ClassPalette.detect(maps: maps, options: options)
        return maps.map { SemanticMap($0, palette: palette) }
    }

    public var classCount: Int { palette.count }

    /// Fraction (0...1) of the map's pixels that are `classID`.
    public func pixelShare(of classID: Int) -> Double {
        guard classID >= 0 && classID < pixelCounts.count else { return 0 }
        return Double(pixelCounts[classID]) / Double(width * height)
    }

    /// Ids of the classes with at least one pixel in this map, ascending.
    public func classesPresent() -> [Int] {
        pixelCounts.indices.filter { pixelCounts[$0] > 0 }
    }

    /// `[K, H, W]`: 1 where the pixel is that class, 0 elsewhere.
    public func oneHot() -> Tensor {
        let plane = width * height
        var data = [Float](repeating: 0, count: palette.count * plane)
        for (i, l) in labels.enumerated() { data[Int(l) * plane + i] = 1 }
        return Tensor(shape: [palette.count, height, width], data: data)
    }

    /// `[3, H, W]`: the class colour of each pixel (the cleaned map, 0...255).
    public func colours() -> Tensor {
        let plane = width * height
        var data = [Float](repeating: 0, count: 3 * plane)
        let table = palette.classes.map(\.colour)
        for (i, l) in labels.enumerated() {
            let c = table[Int(l)]
            data[i] = c[0]
            data[plane + i] = c[1]
            data[2 * plane + i] = c[2]
        }
        return Tensor(shape: [3, height, width], data: data)
    }

    /// `[K, h, w]`: the one-hot map area-averaged onto a `w x h` grid (a feature layer's size).
    /// Each output cell covers exactly `width/w x height/h` source pixels, partly covered pixels
    /// counting with their covered fraction, so values are fractional along edges and the K
    /// values of every cell sum to 1. Works for any sizes, including upsampling.
    public func downsampled(toWidth w: Int, height h: Int) -> Tensor {
        precondition(w > 0 && h > 0, "downsampled needs a positive size, got \(w)x\(h)")
        let k = palette.count
        let xs = SemanticMap.boxWeights(source: width, target: w)
        let ys = SemanticMap.boxWeights(source: height, target: h)
        // Horizontal pass: [K, H, w].
        var rows = [Double](repeating: 0, count: k * height * w)
        labels.withUnsafeBufferPointer { lab in
            rows.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let row = y * width
                    for t in xs {
                        let c = Int(lab[row + t.source])
                        out[(c * height + y) * w + t.target] += t.weight
                    }
                }
            }
        }
        // Vertical pass: [K, h, w].
        var result = [Double](repeating: 0, count: k * h * w)
        rows.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { out in
                for c in 0..<k {
                    for t in ys {
                        let o = (c * h + t.target) * w
                        let s = (c * height + t.source) * w
                        for x in 0..<w { out[o + x] += t.weight * src[s + x] }
                    }
                }
            }
        }
        return Tensor(shape: [k, h, w], data: result.map { Float($0) })
    }

    /// The same map at another size: each cell takes the class covering most of it (the box
    /// filter of `downsampled`; ties to the lower id). Detect classes on the full-size maps and
    /// resample the result: tiny regions (the eyes) have no flat pixels left in a shrunken map.
    public func resampled(toWidth w: Int, height h: Int) -> SemanticMap {
        if w == width && h == height { return self }
        let k = palette.count
        let coverage = downsampled(toWidth: w, height: h).data
        var labels = [Int32](repeating: 0, count: w * h)
        for i in 0..<(w * h) {
            var best = 0
            for c in 1..<max(1, k) where coverage[c * w * h + i] > coverage[best * w * h + i] + 1e-6 { best = c }
            labels[i] = Int32(best)
        }
        return SemanticMap(width: w, height: h, name: name, palette: palette, labels: labels)
    }

    private init(width: Int, height: Int, name: String, palette: ClassPalette, labels: [Int32]) {
        self.width = width
        self.height = height
        self.name = name
        self.palette = palette
        var counts = [Int](repeating: 0, count: palette.count)
        for l in labels { counts[Int(l)] += 1 }
        self.labels = labels
        self.pixelCounts = counts
    }

    /// Bounding box of `classID`'s pixels, `nil` if the class is absent.
    public func location(of classID: Int) -> (x: Int, y: Int, width: Int, height: Int)? {
        guard classID >= 0 && classID < pixelCounts.count && pixelCounts[classID] > 0 else { return nil }
        let target = Int32(classID)
        var x0 = width, x1 = -1, y0 = height, y1 = -1
        for y in 0..<height {
            let row = y * width
            for x in 0..<width where labels[row + x] == target {
                x0 = min(x0, x); x1 = max(x1, x)
                y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        return (x0, y0, x1 - x0 + 1, y1 - y0 + 1)
    }

    // MARK: - Internals

    /// Overlaps of output cells with source pixels along one axis: cell `o` covers
    /// `[o*n, (o+1)*n)` and pixel `s` covers `[s*m, (s+1)*m)` in units of 1/(n*m) of the
    /// axis, so the weights are exact rationals that sum to 1 per cell.
    static func boxWeights(source n: Int, target m: Int) -> [(target: Int, source: Int, weight: Double)] {
        var result: [(target: Int, source: Int, weight: Double)] = []
        result.reserveCapacity(n + m)
        for o in 0..<m {
            let lo = o * n, hi = (o + 1) * n
            for s in (lo / m)...((hi - 1) / m) {
                let overlap = min(hi, (s + 1) * m) - max(lo, s * m)
                if overlap > 0 { result.append((o, s, Double(overlap) / Double(n))) }
            }
        }
        return result
    }

    private static func labelValues(_ map: MapPixels, palette: ClassPalette) -> [Int32] {
        // Values are 0...255: one table entry per value, nearest label (ties to the lower).
        let known = palette.classes.map { (value: $0.label ?? 0, id: Int32($0.id)) }
        let table: [Int32] = (0...255).map { v in
            known.min { abs($0.value - v) < abs($1.value - v) }!.id
        }
        return map.labelValues().map { table[Int($0)] }
    }

    private static func labelColours(_ map: MapPixels, palette: ClassPalette) -> [Int32] {
        let packed = map.packedRGB()
        let n = packed.count
        let w = map.width, h = map.height
        let classColours = palette.classes.map(\.packed)
        let options = palette.options
        let exact = Int32(options.exactTolerance)
        let cluster = Int32(options.clusterRadius)
        let flat = PackedRGB.flatMask(packed, width: w, height: h, radius: options.flatRadius, tolerance: options.flatTolerance)

        // Pass 1: nearest class per pixel. Anchored: flat and near the class (what detection
        // counted). Pure: anchored, or very near the class anywhere (region borders, thin strokes).
        var labels = [Int32](repeating: 0, count: n)
        var anchored = [Bool](repeating: false, count: n)
        var pure = [Bool](repeating: false, count: n)
        var impure: [Int] = []
        packed.withUnsafeBufferPointer { p in
            var cache: [UInt32: (id: Int32, distance: Int32)] = [:]
            var lastColour = p[0]
            var last = nearest(p[0], classColours)
            for i in 0..<n {
                let c = p[i]
                if c != lastColour {
                    if let hit = cache[c] {
                        last = hit
                    } else {
                        last = nearest(c, classColours)
                        cache[c] = last
                    }
                    lastColour = c
                }
                labels[i] = last.id
                anchored[i] = flat[i] && last.distance <= cluster
                pure[i] = anchored[i] || last.distance <= exact
                if !pure[i] { impure.append(i) }
            }
        }

        // Pass 2: seams take the nearest class among the pure pixels around them (5x5, wider
        // if none), so a blend never turns into a class that is not there.
        let first = labels
        packed.withUnsafeBufferPointer { p in
            first.withUnsafeBufferPointer { f in
                pure.withUnsafeBufferPointer { isPure in
                    for i in impure {
                        let x = i % w, y = i / w
                        let c = p[i]
                        var radius = 2
                        while radius <= 32 {
                            var best: Int32 = -1
                            var bestDistance = Int32.max
                            for ny in max(0, y - radius)...min(h - 1, y + radius) {
                                for nx in max(0, x - radius)...min(w - 1, x + radius) where isPure[ny * w + nx] {
                                    let id = f[ny * w + nx]
                                    guard id != best else { continue }
                                    let d = PackedRGB.squaredDistance(classColours[Int(id)], c)
                                    if d < bestDistance || (d == bestDistance && id < best) {
                                        bestDistance = d
                                        best = id
                                    }
                                }
                            }
                            if best >= 0 { labels[i] = best; break }
                            radius *= 4
                        }
                    }
                }
            }
        }

        removeStrayComponents(&labels, packed: packed, width: w, height: h, anchored: anchored,
                              classColours: classColours, minimumSize: options.minimumFlatPixels)
        return labels
    }

    /// Pass 3: a connected piece of one class (8-neighbours) without a single anchored pixel
    /// and smaller than `minimumSize` is a fragment of a seam whose blend came close to a third
    /// class (a green/yellow seam near lime): each of its pixels takes the nearest colour among
    /// the classes around the piece. Bigger pieces are kept (thin strokes of a class).
    private static func removeStrayComponents(_ labels: inout [Int32], packed: [UInt32], width w: Int, height h: Int,
                                              anchored: [Bool], classColours: [UInt32], minimumSize: Int) {
        let n = labels.count
        // Union-find over the pixels that are not anchored, joined to every same-class neighbour.
        var parent = [Int32](repeating: -1, count: n)    // -1: not part of any candidate piece
        func find(_ i: Int32) -> Int32 {
            var r = i
            while parent[Int(r)] != r { r = parent[Int(r)] }
            var j = i
            while parent[Int(j)] != r { let next = parent[Int(j)]; parent[Int(j)] = r; j = next }
            return r
        }
        func join(_ a: Int, _ b: Int) {
            if parent[b] < 0 { parent[b] = Int32(b) }
            let ra = find(Int32(a)), rb = find(Int32(b))
            if ra != rb { parent[Int(max(ra, rb))] = min(ra, rb) }
        }
        var any = false
        for i in 0..<n where !anchored[i] {
            any = true
            if parent[i] < 0 { parent[i] = Int32(i) }
            let x = i % w, y = i / w, l = labels[i]
            for ny in max(0, y - 1)...min(h - 1, y + 1) {
                for nx in max(0, x - 1)...min(w - 1, x + 1) where labels[ny * w + nx] == l {
                    join(i, ny * w + nx)
                }
            }
        }
        guard any else { return }
        // Size and anchoring per piece.
        var size: [Int32: Int] = [:]
        var hasAnchor = Set<Int32>()
        for i in 0..<n where parent[i] >= 0 {
            let r = find(Int32(i))
            size[r, default: 0] += 1
            if anchored[i] { hasAnchor.insert(r) }
        }
        let stray = Set(size.filter { $0.value < minimumSize && !hasAnchor.contains($0.key) }.keys)
        guard !stray.isEmpty else { return }
        // Classes bordering each stray piece, then the nearest of them per pixel.
        var members: [Int32: [Int]] = [:]
        var around: [Int32: Set<Int32>] = [:]
        for i in 0..<n where parent[i] >= 0 {
            let r = find(Int32(i))
            guard stray.contains(r) else { continue }
            members[r, default: []].append(i)
            let x = i % w, y = i / w
            for ny in max(0, y - 1)...min(h - 1, y + 1) {
                for nx in max(0, x - 1)...min(w - 1, x + 1) where labels[ny * w + nx] != labels[i] {
                    around[r, default: []].insert(labels[ny * w + nx])
                }
            }
        }
        for (r, pixels) in members {
            guard let candidates = around[r], !candidates.isEmpty else { continue }
            let sorted = candidates.sorted()
            for i in pixels {
                var best = sorted[0]
                var bestDistance = Int32.max
                for id in sorted {
                    let d = PackedRGB.squaredDistance(classColours[Int(id)], packed[i])
                    if d < bestDistance { bestDistance = d; best = id }
                }
                labels[i] = best
            }
        }
    }
}

/// Nearest class (Euclidean, ties to the lower id) and its largest per-channel difference.
@inline(__always)
private func nearest(_ c: UInt32, _ classColours: [UInt32]) -> (id: Int32, distance: Int32) {
    var best = 0
    var bestDistance = Int32.max
    for (i, k) in classColours.enumerated() {
        let d = PackedRGB.squaredDistance(k, c)
        if d < bestDistance { bestDistance = d; best = i }
    }
    return (Int32(best), PackedRGB.chebyshev(classColours[best], c))
}
