import Net

/// `doodle map from-image`: a semantic map of a photo or painting, by clustering what each
/// place looks like: its colour (CIELAB) and its texture (VGG19's conv3_1 and conv4_1
/// features, which tell calm sky from rippled water of the same blue), with a little of where
/// it is. The clusters are found on a grid of 4x4-pixel cells of the image scaled to at most
/// `workingSide` pixels, smoothed, cleared of specks, and carried to every pixel by colour (a
/// pixel takes the nearest in colour of the classes of the cells around it), so that edges
/// follow the image's.
public struct MapFromImage: Sendable {
    /// Classes asked for (nil: chosen by the data, see `chooseClassCount`).
    public var classes: Int?
    public var seed: UInt64
    /// Regions smaller than this share of the image join the class around them.
    public var minimumRegionShare = 0.005

    public static let classRange = 2...12
    /// Largest side of the image the clusters are found on.
    static let workingSide = 256
    /// Weights of the parts of a cell's description (the features are unit vectors).
    static let colourWeight: Float = 3, textureWeight: Float = 1, positionWeight: Float = 0.5

    /// Colours of the classes, in order: Kelly's colours of maximum contrast (the same list as
    /// the spare colours of `MapPalette`).
    public static var palette: [[Int]] { MapPalette.spare }

    public init(classes: Int? = nil, seed: UInt64 = 0) {
        self.classes = classes
        self.seed = seed
    }

    public struct Result: Sendable {
        public let map: Image
        public let classCount: Int
        /// Share of the image per class.
        public let shares: [Double]
        /// How the class count was chosen.
        public let reason: String
    }

    public func map(_ image: Image, network: VGG19) -> Result {
        let rgb = image.rgb()
        let scale = min(1, Double(Self.workingSide) / Double(max(rgb.width, rgb.height)))
        let (w, h) = (max(32, Int((Double(rgb.width) * scale).rounded())), max(32, Int((Double(rgb.height) * scale).rounded())))
        let small = rgb.resized(toWidth: w, height: h).clamped()
        let cells = describe(small, network: network)

        var rng = SplitMix64(seed: seed)
        let (k, reason): (Int, String)
        var labels: [Int]
        if let classes {
            (k, reason) = (classes, "as asked")
            labels = Self.bestOf(3, cells.vectors, dimension: cells.dimension, count: classes, rng: &rng).labels
        } else {
            (k, labels, reason) = Self.chooseClassCount(cells.vectors, dimension: cells.dimension, rng: &rng)
        }

        // Smooth the grid, then clear specks.
        var grid = labels.map(Int32.init)
        for _ in 0..<2 { grid = Self.majority(grid, width: cells.width, height: cells.height, radius: 1) }
        let minimumCells = max(2, Int(minimumRegionShare * Double(cells.width * cells.height)))
        _ = MapCleaning.mergeSmallRegions(&grid, width: cells.width, height: cells.height, classCount: k, minimum: minimumCells)

        var full = Self.carry(grid, width: cells.width, height: cells.height, to: rgb)
        full = Self.majority(full, width: rgb.width, height: rgb.height, radius: 1)
        let minimumPixels = max(4, Int(minimumRegionShare * Double(rgb.width * rgb.height)))
        _ = MapCleaning.mergeSmallRegions(&full, width: rgb.width, height: rgb.height, classCount: k, minimum: minimumPixels)

        // Classes numbered by their first appearance in reading order, so colours are stable.
        var order: [Int32: Int] = [:]
        for label in full where order[label] == nil { order[label] = order.count }
        let n = rgb.width * rgb.height
        var shares = [Double](repeating: 0, count: order.count)
        var pixels = [Float](repeating: 0, count: 3 * n)
        let colours = Self.palette
        for p in 0..<n {
            let c = order[full[p]]!
            shares[c] += 1
            for ch in 0..<3 { pixels[ch * n + p] = Float(colours[c % colours.count][ch]) }
        }
        return Result(map: Image(width: rgb.width, height: rgb.height, channels: 3, pixels: pixels),
                      classCount: order.count, shares: shares.map { $0 / Double(n) }, reason: reason)
    }

    // MARK: - Describing cells

    struct Cells {
        let width: Int, height: Int, dimension: Int
        /// `width * height` rows of `dimension` values.
        let vectors: [Float]
    }

    /// One row per 4x4 cell: weighted Lab mean, unit conv3_1 and conv4_1 features, position.
    func describe(_ image: Image, network: VGG19) -> Cells {
        let features = network.forward(image.tensor, to: [.conv3_1, .conv4_1])
        let f3 = features[.conv3_1]!, f4 = features[.conv4_1]!
        let (cw, ch) = (f3.shape[2], f3.shape[1])
        let (c3, c4) = (f3.shape[0], f4.shape[0])
        let (w4, h4) = (f4.shape[2], f4.shape[1])
        let dimension = 3 + c3 + c4 + 2
        var vectors = [Float](repeating: 0, count: cw * ch * dimension)
        let n = image.width * image.height
        for y in 0..<ch {
            for x in 0..<cw {
                let row = (y * cw + x) * dimension
                // Mean colour of the cell's pixels, in CIELAB / 100.
                var sums = [Double](repeating: 0, count: 3)
                var count = 0
                for py in (y * 4)..<min(image.height, y * 4 + 4) {
                    for px in (x * 4)..<min(image.width, x * 4 + 4) {
                        let p = py * image.width + px
                        let lab = CIELab(sRGB: Double(image.pixels[p]), Double(image.pixels[n + p]), Double(image.pixels[2 * n + p]))
                        sums[0] += lab.l; sums[1] += lab.a; sums[2] += lab.b
                        count += 1
                    }
                }
                for c in 0..<3 { vectors[row + c] = Self.colourWeight * Float(sums[c] / Double(max(1, count)) / 100) }
                Self.unit(f3, x: x, y: y, into: &vectors, at: row + 3, weight: Self.textureWeight)
                Self.unit(f4, x: min(w4 - 1, x / 2), y: min(h4 - 1, y / 2), into: &vectors, at: row + 3 + c3, weight: Self.textureWeight)
                vectors[row + 3 + c3 + c4] = Self.positionWeight * Float(x) / Float(max(1, cw - 1))
                vectors[row + 3 + c3 + c4 + 1] = Self.positionWeight * Float(y) / Float(max(1, ch - 1))
            }
        }
        return Cells(width: cw, height: ch, dimension: dimension, vectors: vectors)
    }

    /// The feature vector at (x, y) of a `[C, h, w]` tensor, scaled to length `weight`.
    static func unit(_ t: Tensor, x: Int, y: Int, into out: inout [Float], at offset: Int, weight: Float) {
        let (c, h, w) = (t.shape[0], t.shape[1], t.shape[2])
        var norm: Float = 0
        for k in 0..<c { let v = t.data[(k * h + y) * w + x]; norm += v * v }
        let s = norm > 0 ? weight / norm.squareRoot() : 0
        for k in 0..<c { out[offset + k] = t.data[(k * h + y) * w + x] * s }
    }

    // MARK: - Clustering

    /// k-means++ seeding then Lloyd's iterations; returns each row's cluster and the total
    /// squared distance to the centres of all but the last two values (the position).
    static func kMeans(_ vectors: [Float], dimension d: Int, count k: Int, rng: inout SplitMix64)
        -> (labels: [Int], cost: Double) {
        let n = vectors.count / d
        func distance(_ i: Int, _ centres: [Float], _ c: Int) -> Float {
            var s: Float = 0
            for j in 0..<d { let t = vectors[i * d + j] - centres[c * d + j]; s += t * t }
            return s
        }
        var centres = [Float]()
        var first = Int(rng.nextUnit() * Double(n)) % n
        centres += vectors[(first * d)..<(first * d + d)]
        var nearest = (0..<n).map { distance($0, centres, 0) }
        while centres.count / d < k {
            let total = nearest.reduce(0, +)
            guard total > 0 else { break }
            var target = Float(rng.nextUnit()) * total
            first = n - 1
            for (i, v) in nearest.enumerated() {
                target -= v
                if target <= 0 { first = i; break }
            }
            centres += vectors[(first * d)..<(first * d + d)]
            let c = centres.count / d - 1
            for i in 0..<n { nearest[i] = min(nearest[i], distance(i, centres, c)) }
        }
        let clusters = centres.count / d
        var labels = [Int](repeating: 0, count: n)
        var cost: Double = 0
        for _ in 0..<40 {
            var changed = false
            cost = 0
            for i in 0..<n {
                var best = 0, bestDistance = Float.infinity
                for c in 0..<clusters {
                    let v = distance(i, centres, c)
                    if v < bestDistance { (best, bestDistance) = (c, v) }
                }
                if labels[i] != best { labels[i] = best; changed = true }
                // The cost of what a place looks like: without its position (the last two
                // values), which splits any large region a little.
                var appearance = bestDistance
                for j in (d - 2)..<d { let t = vectors[i * d + j] - centres[best * d + j]; appearance -= t * t }
                cost += Double(max(0, appearance))
            }
            var sums = [Float](repeating: 0, count: clusters * d)
            var counts = [Int](repeating: 0, count: clusters)
            for i in 0..<n {
                counts[labels[i]] += 1
                for j in 0..<d { sums[labels[i] * d + j] += vectors[i * d + j] }
            }
            for c in 0..<clusters where counts[c] > 0 {
                for j in 0..<d { centres[c * d + j] = sums[c * d + j] / Float(counts[c]) }
            }
            if !changed { break }
        }
        return (labels, cost)
    }

    /// The class count the data asks for: the smallest k in 2...8 after which one more class
    /// would explain less than `elbow` of the image's whole spread (the cost of one class: the
    /// "elbow" of explained variance), or would be a class of under `smallestShare` of the cells
    /// (a seam between two regions, not a region). It chose 4 classes for Renoir's river, 5 for
    /// Monet's cliffs, 5 for a photo portrait, 4 for Van Gogh's self-portrait (the next class
    /// would have explained 0.9-1.4%), and 3 for three synthetic regions.
    static let elbow = 0.015, smallestShare = 0.03
    static func chooseClassCount(_ vectors: [Float], dimension: Int, rng: inout SplitMix64) -> (Int, [Int], String) {
        let cells = vectors.count / dimension
        let whole = kMeans(vectors, dimension: dimension, count: 1, rng: &rng).cost
        var previous = bestOf(3, vectors, dimension: dimension, count: 2, rng: &rng)
        for k in 2..<8 {
            let next = bestOf(3, vectors, dimension: dimension, count: k + 1, rng: &rng)
            let gain = (previous.cost - next.cost) / max(whole, 1e-12)
            var sizes = [Int](repeating: 0, count: k + 1)
            for label in next.labels { sizes[label] += 1 }
            let smallest = Double(sizes.min() ?? 0) / Double(max(1, cells))
            if gain < elbow {
                return (k, previous.labels, String(format: "chosen: one more class would explain only %.1f%% of the image's spread (under %.1f%%)",
                                                   100 * gain, 100 * elbow))
            }
            if smallest < smallestShare {
                return (k, previous.labels, String(format: "chosen: one more class would hold only %.1f%% of the image (under %.0f%%)",
                                                   100 * smallest, 100 * smallestShare))
            }
            previous = next
        }
        return (8, previous.labels, "chosen: the most it chooses")
    }

    /// The cheapest of `tries` k-means runs (k-means++ seeds differ from run to run).
    static func bestOf(_ tries: Int, _ vectors: [Float], dimension: Int, count: Int, rng: inout SplitMix64) -> (labels: [Int], cost: Double) {
        var best = kMeans(vectors, dimension: dimension, count: count, rng: &rng)
        for _ in 1..<tries {
            let next = kMeans(vectors, dimension: dimension, count: count, rng: &rng)
            if next.cost < best.cost { best = next }
        }
        return best
    }

    // MARK: - Smoothing and carrying to every pixel

    /// Each cell takes the most frequent class of its (2r+1)^2 neighbourhood (ties keep it).
    static func majority(_ labels: [Int32], width: Int, height: Int, radius r: Int) -> [Int32] {
        var out = labels
        let classes = Int(labels.max() ?? 0) + 1
        var counts = [Int](repeating: 0, count: classes)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<classes { counts[c] = 0 }
                for yy in max(0, y - r)...min(height - 1, y + r) {
                    for xx in max(0, x - r)...min(width - 1, x + r) { counts[Int(labels[yy * width + xx])] += 1 }
                }
                let own = Int(labels[y * width + x])
                var best = own
                for c in 0..<classes where counts[c] > counts[best] { best = c }
                out[y * width + x] = Int32(best)
            }
        }
        return out
    }

    /// Every pixel of `image` takes its own cell's class, unless the class of a neighbouring cell
    /// is much nearer (half the distance) to the pixel's colour, so that edges follow the
    /// image's rather than the cell grid. The colour compared is the mean of the pixel's 3x3
    /// neighbourhood, so that a fine texture is judged by its mean, not by its darkest or
    /// lightest pixel.
    static func carry(_ grid: [Int32], width gw: Int, height gh: Int, to image: Image) -> [Int32] {
        let (w, h) = (image.width, image.height)
        let n = w * h
        let classes = Int(grid.max() ?? 0) + 1
        func cell(_ x: Int, _ y: Int) -> Int32 {
            grid[min(gh - 1, y * gh / h) * gw + min(gw - 1, x * gw / w)]
        }
        // The 3x3 mean colour of every pixel.
        var local = [Double](repeating: 0, count: 3 * n)
        for y in 0..<h {
            for x in 0..<w {
                var sum = [0.0, 0.0, 0.0], count = 0.0
                for yy in max(0, y - 1)...min(h - 1, y + 1) {
                    for xx in max(0, x - 1)...min(w - 1, x + 1) {
                        for ch in 0..<3 { sum[ch] += Double(min(255, max(0, image.pixels[ch * n + yy * w + xx]))) }
                        count += 1
                    }
                }
                for ch in 0..<3 { local[ch * n + y * w + x] = sum[ch] / count }
            }
        }
        // Mean colour per class over the pixels whose own cell has it.
        var sums = [Double](repeating: 0, count: 3 * classes)
        var counts = [Int](repeating: 0, count: classes)
        for y in 0..<h {
            for x in 0..<w {
                let c = Int(cell(x, y)), p = y * w + x
                for ch in 0..<3 { sums[3 * c + ch] += local[ch * n + p] }
                counts[c] += 1
            }
        }
        let means = (0..<3 * classes).map { sums[$0] / Double(max(1, counts[$0 / 3])) }
        func distance(_ p: Int, _ c: Int) -> Double {
            var d = 0.0
            for ch in 0..<3 { let t = local[ch * n + p] - means[3 * c + ch]; d += t * t }
            return d
        }
        var out = [Int32](repeating: 0, count: n)
        let reachX = max(1, w / gw), reachY = max(1, h / gh)
        for y in 0..<h {
            for x in 0..<w {
                let p = y * w + x
                let own = cell(x, y)
                var best = own, bestDistance = 0.25 * distance(p, Int(own))
                for (dx, dy) in [(-reachX, 0), (reachX, 0), (0, -reachY), (0, reachY)] {
                    let c = cell(min(w - 1, max(0, x + dx)), min(h - 1, max(0, y + dy)))
                    guard c != own else { continue }
                    let d = distance(p, Int(c))
                    if d < bestDistance { (best, bestDistance) = (c, d) }
                }
                out[p] = best
            }
        }
        return out
    }
}
