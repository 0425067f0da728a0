import Patches

/// Gives a target map the style map's colours, for two maps made separately: each class of the
/// target is paired with a class of the style map, and painted in its colour.
///
/// Pairs come from explicit colours, from the images' regions (mean colour in CIELAB and the
/// spread of luminance, when both images are given) or from the maps' layout (each region's
/// centre and share). The pairing that costs least in all is taken (every order is tried up to
/// 8 classes, nearest first beyond); target classes left over take their nearest style class.
public enum MapMatching {
    public struct Pair: Sendable, Equatable {
        public let target: MapClass
        public let style: MapClass
        public let targetShare: Double
    }

    /// What a region looks like, for pairing.
    struct Region {
        var features: [Double]
    }

    public static func match(style: Image, target: Image, styleImage: Image? = nil, targetImage: Image? = nil,
                             explicit: [(target: [Float], style: [Float])] = [],
                             names: (style: String, target: String)) throws -> (image: Image, pairs: [Pair]) {
        let styleMap = SemanticMap.detect([MapPixels(image: style, name: names.style)])[0]
        let targetMap = SemanticMap.detect([MapPixels(image: target, name: names.target)])[0]
        let styleClasses = styleMap.classesPresent(), targetClasses = targetMap.classesPresent()
        let useImages = styleImage != nil && targetImage != nil
        func regions(_ map: SemanticMap, _ image: Image?) -> [Int: Region] {
            var out: [Int: Region] = [:]
            for k in map.classesPresent() { out[k] = region(of: k, in: map, image: useImages ? image : nil) }
            return out
        }
        let styleRegions = regions(styleMap, styleImage), targetRegions = regions(targetMap, targetImage)
        var cost = [[Double]](repeating: [Double](repeating: 0, count: styleClasses.count), count: targetClasses.count)
        for (i, t) in targetClasses.enumerated() {
            for (j, s) in styleClasses.enumerated() {
                cost[i][j] = distance(targetRegions[t]!.features, styleRegions[s]!.features)
            }
        }
        // Explicit pairs first: their classes leave the search.
        var chosen: [Int: Int] = [:]  // target class index -> style class index
        for pair in explicit {
            guard let i = targetClasses.firstIndex(where: { near(targetMap.palette.classes[$0].colour, pair.target) }) else {
                throw RenderError("--pairs: \(MapClass(id: 0, colour: pair.target).hex) is not a class of '\(names.target)'; see `doodle map inspect \(names.target)`")
            }
            guard let j = styleClasses.firstIndex(where: { near(styleMap.palette.classes[$0].colour, pair.style) }) else {
                throw RenderError("--pairs: \(MapClass(id: 0, colour: pair.style).hex) is not a class of '\(names.style)'; see `doodle map inspect \(names.style)`")
            }
            chosen[i] = j
        }
        let freeTargets = targetClasses.indices.filter { chosen[$0] == nil }
        let freeStyles = styleClasses.indices.filter { !chosen.values.contains($0) }
        for (i, j) in assign(freeTargets, freeStyles, cost) { chosen[i] = j }
        for i in freeTargets where chosen[i] == nil {
            chosen[i] = styleClasses.indices.min { cost[i][$0] < cost[i][$1] }
        }
        // Recolour.
        let plane = target.width * target.height
        var pixels = [Float](repeating: 0, count: 3 * plane)
        var colourOf: [Int: [Float]] = [:]
        for (i, t) in targetClasses.enumerated() { colourOf[t] = styleMap.palette.classes[styleClasses[chosen[i]!]].colour }
        for p in 0..<plane {
            let colour = colourOf[Int(targetMap.labels[p])] ?? [0, 0, 0]
            for c in 0..<3 { pixels[c * plane + p] = colour[c].rounded() }
        }
        let pairs = targetClasses.enumerated().map { i, t in
            Pair(target: targetMap.palette.classes[t], style: styleMap.palette.classes[styleClasses[chosen[i]!]],
                 targetShare: targetMap.pixelShare(of: t))
        }
        return (Image(width: target.width, height: target.height, channels: 3, pixels: pixels), pairs)
    }

    /// Layout: centre (0...1 each way) and share. With the image: mean CIELAB / 100 and the
    /// spread of lightness / 100, which say more than where a region lies.
    static func region(of classID: Int, in map: SemanticMap, image: Image?) -> Region {
        var (sx, sy, n) = (0.0, 0.0, 0.0)
        var lab = [0.0, 0.0, 0.0], lightness: [Double] = []
        let resized = image.map { $0.rgb().resized(toWidth: map.width, height: map.height) }
        let plane = map.width * map.height
        for p in 0..<plane where Int(map.labels[p]) == classID {
            sx += Double(p % map.width) / Double(map.width)
            sy += Double(p / map.width) / Double(map.height)
            n += 1
            if let resized {
                let c = CIELab(sRGB: Double(resized.pixels[p]), Double(resized.pixels[plane + p]), Double(resized.pixels[2 * plane + p]))
                lab[0] += c.l; lab[1] += c.a; lab[2] += c.b
                lightness.append(c.l)
            }
        }
        let share = n / Double(max(1, plane))
        guard image != nil, n > 0 else { return Region(features: [sx / max(n, 1), sy / max(n, 1), share]) }
        let mean = lab.map { $0 / n }
        let spread = (lightness.reduce(0) { $0 + ($1 - mean[0]) * ($1 - mean[0]) } / n).squareRoot()
        return Region(features: mean.map { $0 / 100 } + [spread / 100])
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    /// The one-to-one pairing of `targets` with `styles` of least total cost: every order up to
    /// 8 classes on the smaller side, else the cheapest remaining pair first.
    static func assign(_ targets: [Int], _ styles: [Int], _ cost: [[Double]]) -> [(Int, Int)] {
        guard !targets.isEmpty, !styles.isEmpty else { return [] }
        if min(targets.count, styles.count) <= 8 && max(targets.count, styles.count) <= 8 {
            var best: [(Int, Int)] = [], bestCost = Double.infinity
            func search(_ t: Int, _ used: Set<Int>, _ pairs: [(Int, Int)], _ total: Double) {
                if total >= bestCost { return }
                if t == targets.count || used.count == styles.count {
                    (best, bestCost) = (pairs, total)
                    return
                }
                var anyFree = false
                for s in styles where !used.contains(s) {
                    anyFree = true
                    search(t + 1, used.union([s]), pairs + [(targets[t], s)], total + cost[targets[t]][s])
                }
                // Leave this target unpaired (it takes its nearest later) when there are more
                // targets than styles.
                if targets.count - t > styles.count - used.count || !anyFree { search(t + 1, used, pairs, total) }
            }
            search(0, [], [], 0)
            return best
        }
        var pairs: [(Int, Int)] = []
        var freeT = Set(targets), freeS = Set(styles)
        while !freeT.isEmpty && !freeS.isEmpty {
            let (t, s) = freeT.flatMap { t in freeS.map { (t, $0) } }.min { cost[$0.0][$0.1] < cost[$1.0][$1.1] }!
            pairs.append((t, s))
            freeT.remove(t)
            freeS.remove(s)
        }
        return pairs
    }

    static func near(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) <= 8 } }

    /// "#ff0000=#00ff00,#0000ff=#ffffff": target colour = style colour, each `#rrggbb`.
    public static func parsePairs(_ text: String) throws -> [(target: [Float], style: [Float])] {
        func colour(_ s: Substring) -> [Float]? {
            let digits = s.trimmingCharacters(in: .whitespaces).drop { $0 == "#" }
            guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
            return [Float(value >> 16 & 255), Float(value >> 8 & 255), Float(value & 255)]
        }
        return try text.split(separator: ",").map { item in
            let sides = item.split(separator: "=")
            guard sides.count == 2, let t = colour(sides[0]), let s = colour(sides[1]) else {
                throw RenderError("--pairs '\(item)' must be TARGET=STYLE colours like #ff0000=#00ff00")
            }
            return (t, s)
        }
    }
}
