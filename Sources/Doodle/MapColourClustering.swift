import Net

/// Maps that are not flat colours (JPEG guides, soft brushes, anti-aliased edges), made flat:
/// the pixels of all the maps together are clustered into `classes` colours by k-means in
/// CIELAB (k-means++ seeding from `seed`, so the same maps give the same classes), and each
/// pixel takes its cluster's mean colour. Maps of one render are clustered together so that a
/// region of the style and of the doodle painted alike fall in one class.
public enum MapColourClustering {
    /// Pixels at most this many are used to fit the clusters; every pixel is then assigned.
    static let sampleLimit = 40_000

    public static func flatten(_ maps: [Image], classes: Int, seed: UInt64) -> [Image] {
        precondition(classes >= 1, "at least one class")
        let rgbMaps = maps.map { $0.rgb() }
        let all = rgbMaps.flatMap { lab(of: $0) }
        let total = all.count
        let step = max(1, total / sampleLimit)
        let sample = stride(from: 0, to: total, by: step).map { all[$0] }
        var rng = SplitMix64(seed: seed)
        var centres = seeds(sample, count: min(classes, sample.count), rng: &rng)
        for _ in 0..<30 {
            var sums = [[Double]](repeating: [0, 0, 0], count: centres.count)
            var counts = [Int](repeating: 0, count: centres.count)
            for p in sample {
                let k = nearest(p, centres)
                for c in 0..<3 { sums[k][c] += p[c] }
                counts[k] += 1
            }
            let moved = (0..<centres.count).map { k in counts[k] == 0 ? centres[k] : sums[k].map { $0 / Double(counts[k]) } }
            if moved == centres { break }
            centres = moved
        }
        // Each cluster's colour: the mean sRGB of its pixels over all maps.
        var colourSums = [[Double]](repeating: [0, 0, 0], count: centres.count)
        var colourCounts = [Int](repeating: 0, count: centres.count)
        var labels: [[Int]] = []
        var offset = 0
        for map in rgbMaps {
            let n = map.planeSize
            let mapLabels = (0..<n).map { nearest(all[offset + $0], centres) }
            for (p, k) in mapLabels.enumerated() {
                for c in 0..<3 { colourSums[k][c] += Double(map.pixels[c * n + p]) }
                colourCounts[k] += 1
            }
            labels.append(mapLabels)
            offset += n
        }
        let colours = (0..<centres.count).map { k in colourSums[k].map { Float(($0 / Double(max(1, colourCounts[k]))).rounded()) } }
        return zip(rgbMaps, labels).map { map, mapLabels in
            let n = map.planeSize
            var pixels = [Float](repeating: 0, count: 3 * n)
            for (p, k) in mapLabels.enumerated() { for c in 0..<3 { pixels[c * n + p] = colours[k][c] } }
            return Image(width: map.width, height: map.height, channels: 3, pixels: pixels)
        }
    }

    static func lab(of image: Image) -> [[Double]] {
        let n = image.planeSize
        return (0..<n).map { p in
            let c = CIELab(sRGB: Double(image.pixels[p]), Double(image.pixels[n + p]), Double(image.pixels[2 * n + p]))
            return [c.l, c.a, c.b]
        }
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2])
    }

    static func nearest(_ p: [Double], _ centres: [[Double]]) -> Int {
        var best = 0, bestDistance = Double.infinity
        for (k, c) in centres.enumerated() {
            let d = distance(p, c)
            if d < bestDistance { (best, bestDistance) = (k, d) }
        }
        return best
    }

    /// k-means++: each next centre drawn with probability proportional to the squared distance
    /// to the nearest centre so far.
    static func seeds(_ points: [[Double]], count: Int, rng: inout SplitMix64) -> [[Double]] {
        var centres = [points[Int(rng.nextUnit() * Double(points.count)) % points.count]]
        var distances = points.map { distance($0, centres[0]) }
        while centres.count < count {
            let total = distances.reduce(0, +)
            guard total > 0 else { break }
            var target = rng.nextUnit() * total
            var chosen = points.count - 1
            for (i, d) in distances.enumerated() {
                target -= d
                if target <= 0 { chosen = i; break }
            }
            centres.append(points[chosen])
            for i in 0..<points.count { distances[i] = min(distances[i], distance(points[i], points[chosen])) }
        }
        return centres
    }
}

extension Image {
    /// Whether the image reads as a black-and-white mask: nearly all its pixels grey and either
    /// dark or light (JPEG noise and soft edges allowed).
    public var isBlackAndWhiteMask: Bool {
        let rgb = self.rgb(), n = rgb.planeSize
        var plain = 0
        var light = 0
        for p in 0..<n {
            let (r, g, b) = (rgb.pixels[p], rgb.pixels[n + p], rgb.pixels[2 * n + p])
            let (lo, hi) = (min(r, g, b), max(r, g, b))
            if hi - lo < 48 && (hi < 80 || lo > 175) { plain += 1 }
            if lo > 175 { light += 1 }
        }
        return plain * 20 >= n * 19 && light > 0
    }

    /// The mask's white part at `width` x `height`: 1 where the resampled luminance is above
    /// middle grey, else 0.
    public func maskWeights(width: Int, height: Int) -> [Float] {
        let grey = ColourControl.luminance(rgb().resized(toWidth: width, height: height))
        return grey.map { $0 >= 127.5 ? 1 : 0 }
    }
}
