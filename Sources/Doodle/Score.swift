import Foundation
import Net
import Patches

// How faithfully an image follows its doodle, measured on any image (rendered here or not):
//
// 1. Patch classes, per layer (conv3_1 and conv4_1 by default). VGG19 features of the image and
//    of the style, each at its own full resolution. Every 3x3 patch of the image's features is
//    matched to the style patch with the highest normalised cross-correlation of the features
//    alone (no map channels: `PatchBank(features:map:nil)` + `ExactPatchMatcher`). The match
//    counts when the style patch's class equals the doodle's class at the image patch, a
//    patch's class being the class covering most of its centre cell in the map area-averaged
//    to the layer's grid (`SemanticMap.downsampled`, argmax, ties to the lower class id).
//    Patches whose features are all zero (no texture at all: any match would be arbitrary)
//    are left out. The score is matched / counted.
// 2. Region colours. The doodle resampled to the image's size (majority) and the style map to
//    the style's size; per class of the doodle, the mean sRGB colour of its pixels in the image
//    and of the class's pixels in the style, both converted to CIELAB (D65), and their CIE76
//    distance. The overall ΔE is the mean over classes weighted by their share of the doodle.
//
// Classes are detected once over [style map, doodle]: the same colour is the same class.

/// The result of `score(...)`: how faithfully an image follows its doodle.
public struct DoodleScore: Sendable {
    public static let defaultLayers: [VGGLayer] = [.conv3_1, .conv4_1]

    public struct LayerScore: Sendable {
        public let layer: VGGLayer
        /// `matched / counted`, 0...1 (0 when nothing was counted).
        public let fraction: Double
        /// Image patches whose nearest style patch has the doodle's class.
        public let matched: Int
        /// Image patches counted: all of them minus `blank`.
        public let counted: Int
        /// Image patches left out because their features are all zero.
        public let blank: Int
        /// `confusion[d][s]`: counted patches where the doodle asks for class `d` and the nearest
        /// style patch has class `s` (ids of `DoodleScore.palette`); the diagonal sums to `matched`.
        public let confusion: [[Int]]

        /// Per doodle class: the fraction of its patches matched in its own class (nil: none counted).
        public var classFractions: [Double?] {
            confusion.enumerated().map { d, row in
                let total = row.reduce(0, +)
                return total > 0 ? Double(row[d]) / Double(total) : nil
            }
        }
    }

    public struct ClassColour: Sendable {
        public let mapClass: MapClass
        /// Fraction (0...1) of the doodle (resampled to the image's size) that is this class.
        public let share: Double
        /// Mean sRGB (0...255) of the class's pixels in the image and in the style.
        public let outputMean: [Double]
        public let styleMean: [Double]
        /// CIE76 distance between the two means in CIELAB.
        public let deltaE: Double
    }

    /// In the order asked for.
    public let layers: [LayerScore]
    /// Area-weighted mean of the classes' `deltaE`.
    public let deltaE: Double
    /// The classes of the doodle at the image's size, by class id.
    public let classes: [ClassColour]
    /// Every class of the two maps, by id (the confusion's indices).
    public let palette: [MapClass]

    public func fraction(at layer: VGGLayer) -> Double? {
        layers.first { $0.layer == layer }?.fraction
    }
}

/// The files' names as shown in messages.
public struct ScoreNames: Sendable {
    public var output = "output", style = "style", styleMap = "style map", targetMap = "target map"
    public init() {}
    public init(output: String, style: String, styleMap: String, targetMap: String) {
        self.output = output
        self.style = style
        self.styleMap = styleMap
        self.targetMap = targetMap
    }
}

/// An input that cannot be scored: one line naming the file and the fix.
public struct ScoreError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Scores `output` against `style` (see the top of this file). Throws `ScoreError` when an
/// image is too small for the layers, the style map does not have the style's shape, or the
/// doodle has classes the style map lacks.
public func score(output: Image, style: Image, styleMap: Image, targetMap: Image, network: VGG19,
                  names: ScoreNames = ScoreNames(), layers: [VGGLayer] = DoodleScore.defaultLayers) throws -> DoodleScore {
    try DoodleScorer(output: output, style: style, styleMap: styleMap, targetMap: targetMap,
                     names: names, layers: layers).run(network: network)
}

/// `score(...)` in two steps: `init` checks the inputs and detects the classes (cheap, no
/// network), `run` does the network work.
public struct DoodleScorer: Sendable {
    public let output: Image
    public let style: Image
    public let layers: [VGGLayer]
    /// Both maps labelled with one palette, at their own sizes.
    public let styleMap: SemanticMap
    public let targetMap: SemanticMap
    public let names: ScoreNames

    public init(output: Image, style: Image, styleMap: Image, targetMap: Image,
                names: ScoreNames = ScoreNames(), layers: [VGGLayer] = DoodleScore.defaultLayers) throws {
        precondition(!layers.isEmpty, "score needs at least one layer")
        self.output = output.rgb()
        self.style = style.rgb()
        self.layers = layers
        self.names = names
        let deepest = layers.max()!
        let minimum = deepest.minimumSide
        for (image, name) in [(output, names.output), (style, names.style)] where min(image.width, image.height) < minimum {
            throw ScoreError("'\(name)' is \(image.width)x\(image.height): too small to score at \(deepest), "
                + "which needs at least \(minimum)x\(minimum) pixels; score a larger image")
        }
        let a = Double(styleMap.width) / Double(styleMap.height), b = Double(style.width) / Double(style.height)
        guard abs(a / b - 1) < 0.03 else {
            throw ScoreError("'\(names.styleMap)' is \(styleMap.width)x\(styleMap.height) but '\(names.style)' is "
                + "\(style.width)x\(style.height): a map must have its image's shape; give the style's own map")
        }
        let detected = SemanticMap.detect([MapPixels(image: styleMap, name: names.styleMap),
                                           MapPixels(image: targetMap, name: names.targetMap)])
        self.styleMap = detected[0]
        self.targetMap = detected[1]
        // Every class of the doodle needs a region in the style, as painted and at the sizes
        // the colours are compared at.
        let styleAtImage = detected[0].resampled(toWidth: style.width, height: style.height)
        var missing = detected[1].unmatchedClasses(in: detected[0])
        if missing.isEmpty {
            let targetAtOutput = detected[1].resampled(toWidth: output.width, height: output.height)
            missing = targetAtOutput.unmatchedClasses(in: styleAtImage)
        }
        if !missing.isEmpty {
            let listed = missing.map { id -> String in
                let c = detected[1].palette.classes[id]
                return "\(c.hex) (\(c.shortName), \(sharePercent(detected[1].pixelShare(of: id))) of the map)"
            }
            let noun = missing.count == 1 ? "class" : "classes"
            throw ScoreError("'\(names.targetMap)': \(noun) \(listed.joined(separator: ", ")) \(missing.count == 1 ? "has" : "have") "
                + "no region in '\(names.styleMap)'; give the style map the result was rendered with, or paint the "
                + "\(noun) in it")
        }
    }

    public func run(network: VGG19) -> DoodleScore {
        let wanted = Set(layers)
        let outputFeatures = network.forward(output.tensor, to: wanted)
        let styleFeatures = network.forward(style.tensor, to: wanted)
        let layerScores = layers.map { layer in
            scoreLayer(layer, output: outputFeatures[layer]!, style: styleFeatures[layer]!)
        }
        let (classes, deltaE) = regionColours()
        return DoodleScore(layers: layerScores, deltaE: deltaE, classes: classes, palette: targetMap.palette.classes)
    }

    private func scoreLayer(_ layer: VGGLayer, output: Tensor, style: Tensor) -> DoodleScore.LayerScore {
        let styleBank = PatchBank(features: style, map: nil, mapWeight: 0)
        let outputBank = PatchBank(features: output, map: nil, mapWeight: 0)
        var matches: [Int32] = []
        ExactPatchMatcher(style: styleBank).match(target: outputBank, into: &matches)

        let styleClasses = Self.majorityClasses(styleMap.downsampled(toWidth: style.width, height: style.height))
        let outputClasses = Self.majorityClasses(targetMap.downsampled(toWidth: output.width, height: output.height))
        let (opw, spw) = (output.width - 2, style.width - 2)
        let dimension = outputBank.featureDimension
        let classCount = targetMap.palette.classes.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        var matched = 0, blank = 0
        outputBank.features.withUnsafeBufferPointer { features in
            for i in 0..<outputBank.count {
                let row = features.baseAddress! + i * dimension
                if !(0..<dimension).contains(where: { row[$0] != 0 }) { blank += 1; continue }
                // Patch i covers rows y...y+2 and columns x...x+2 of the layer; its centre is (y+1, x+1).
                let (oy, ox) = (i / opw, i % opw)
                let j = Int(matches[i])
                let (sy, sx) = (j / spw, j % spw)
                let wanted = Int(outputClasses[(oy + 1) * output.width + ox + 1])
                let found = Int(styleClasses[(sy + 1) * style.width + sx + 1])
                confusion[wanted][found] += 1
                if wanted == found { matched += 1 }
            }
        }
        let counted = outputBank.count - blank
        return DoodleScore.LayerScore(layer: layer, fraction: counted > 0 ? Double(matched) / Double(counted) : 0,
                                      matched: matched, counted: counted, blank: blank, confusion: confusion)
    }

    /// Per cell of a `[K, h, w]` coverage, the class covering most of it (ties to the lower id).
    static func majorityClasses(_ coverage: Tensor) -> [Int32] {
        let (k, plane) = (coverage.channels, coverage.height * coverage.width)
        var result = [Int32](repeating: 0, count: plane)
        coverage.data.withUnsafeBufferPointer { c in
            for i in 0..<plane {
                var best = 0
                for id in 1..<max(1, k) where c[id * plane + i] > c[best * plane + i] + 1e-6 { best = id }
                result[i] = Int32(best)
            }
        }
        return result
    }

    private func regionColours() -> ([DoodleScore.ClassColour], Double) {
        let target = targetMap.resampled(toWidth: output.width, height: output.height)
        let source = styleMap.resampled(toWidth: style.width, height: style.height)
        let outputMeans = Self.meanColours(output, labels: target.labels, classes: target.classCount)
        let styleMeans = Self.meanColours(style, labels: source.labels, classes: source.classCount)
        var classes: [DoodleScore.ClassColour] = []
        var weighted = 0.0
        for id in target.classesPresent() {
            let o = outputMeans[id], s = styleMeans[id]
            let distance = CIELab(sRGB: o).deltaE(to: CIELab(sRGB: s))
            let share = target.pixelShare(of: id)
            weighted += share * distance
            classes.append(DoodleScore.ClassColour(mapClass: target.palette.classes[id], share: share,
                                                   outputMean: o, styleMean: s, deltaE: distance))
        }
        return (classes, weighted)
    }

    /// Mean RGB per class id (zeros for a class without pixels).
    static func meanColours(_ image: Image, labels: [Int32], classes: Int) -> [[Double]] {
        precondition(labels.count == image.planeSize && image.channels == 3)
        var sums = [Double](repeating: 0, count: classes * 3)
        var counts = [Int](repeating: 0, count: classes)
        let plane = image.planeSize
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<plane {
                let c = Int(labels[i])
                counts[c] += 1
                sums[c * 3] += Double(p[i])
                sums[c * 3 + 1] += Double(p[plane + i])
                sums[c * 3 + 2] += Double(p[2 * plane + i])
            }
        }
        return (0..<classes).map { c in
            counts[c] == 0 ? [0, 0, 0] : (0..<3).map { sums[c * 3 + $0] / Double(counts[c]) }
        }
    }
}

// MARK: - CIELAB

/// A colour in CIELAB (D65 white), from sRGB.
public struct CIELab: Equatable, Sendable {
    public let l: Double
    public let a: Double
    public let b: Double

    public init(l: Double, a: Double, b: Double) {
        self.l = l
        self.a = a
        self.b = b
    }

    /// sRGB in 0...255 (IEC 61966-2-1 transfer curve) to linear RGB, to XYZ with the sRGB
    /// primaries, to CIELAB relative to the D65 white of the same matrix (so that sRGB white is
    /// exactly L = 100, a = b = 0).
    public init(sRGB r: Double, _ g: Double, _ b: Double) {
        func linear(_ v: Double) -> Double {
            let c = min(max(v / 255, 0), 1)
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        let (lr, lg, lb) = (linear(r), linear(g), linear(b))
        let m = CIELab.srgbToXYZ
        let x = m[0] * lr + m[1] * lg + m[2] * lb
        let y = m[3] * lr + m[4] * lg + m[5] * lb
        let z = m[6] * lr + m[7] * lg + m[8] * lb
        let (xn, yn, zn) = (m[0] + m[1] + m[2], m[3] + m[4] + m[5], m[6] + m[7] + m[8])
        func f(_ t: Double) -> Double {
            let delta = 6.0 / 29
            return t > delta * delta * delta ? cbrt(t) : t / (3 * delta * delta) + 4.0 / 29
        }
        let (fx, fy, fz) = (f(x / xn), f(y / yn), f(z / zn))
        self.init(l: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz))
    }

    /// `[r, g, b]` in 0...255.
    public init(sRGB rgb: [Double]) {
        precondition(rgb.count == 3, "sRGB needs three components")
        self.init(sRGB: rgb[0], rgb[1], rgb[2])
    }

    /// CIE76 colour difference: the Euclidean distance in CIELAB.
    public func deltaE(to other: CIELab) -> Double {
        let (dl, da, db) = (l - other.l, a - other.a, b - other.b)
        return (dl * dl + da * da + db * db).squareRoot()
    }

    /// Rows of the linear sRGB -> XYZ matrix (D65).
    static let srgbToXYZ: [Double] = [
        0.4124564, 0.3575761, 0.1804375,
        0.2126729, 0.7151522, 0.0721750,
        0.0193339, 0.1191920, 0.9503041,
    ]
}

// MARK: - JSON

extension DoodleScore: Encodable {
    /// `{"layers": {"conv3_1": 0.93, ...}, "deltaE": 7.1, "classes": [{"colour": "#ffffff",
    /// "name": "white", "share": 0.4, "deltaE": 5.2, "outputMean": "#...", "styleMean": "#...",
    /// "layers": {"conv3_1": 0.95, ...}}, ...]}`;
    /// fractions and shares rounded to 4 decimals, ΔE to 2.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        var layerValues: [String: Double] = [:]
        for l in layers { layerValues[l.layer.name] = rounded(l.fraction, 4) }
        try container.encode(layerValues, forKey: .layers)
        try container.encode(rounded(deltaE, 2), forKey: .deltaE)
        try container.encode(classes.map { c in
            var fractions: [String: Double] = [:]
            for l in layers { if let f = l.classFractions[c.mapClass.id] { fractions[l.layer.name] = rounded(f, 4) } }
            return ClassJSON(c, layers: fractions)
        }, forKey: .classes)
    }

    private enum Key: String, CodingKey { case layers, deltaE, classes }

    private struct ClassJSON: Encodable {
        let colour: String, name: String, share: Double, deltaE: Double, outputMean: String, styleMean: String
        let label: Int?
        /// The class's own patch score per layer.
        let layers: [String: Double]
        init(_ c: ClassColour, layers: [String: Double]) {
            self.layers = layers
            colour = c.mapClass.hex
            name = c.mapClass.shortName
            label = c.mapClass.label
            share = rounded(c.share, 4)
            deltaE = rounded(c.deltaE, 2)
            outputMean = DoodleScore.hex(c.outputMean)
            styleMean = DoodleScore.hex(c.styleMean)
        }
        enum CodingKeys: String, CodingKey { case colour, name, share, deltaE, outputMean, styleMean, label, layers }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(colour, forKey: .colour)
            try c.encode(name, forKey: .name)
            try c.encodeIfPresent(label, forKey: .label)
            try c.encode(share, forKey: .share)
            try c.encode(deltaE, forKey: .deltaE)
            try c.encode(outputMean, forKey: .outputMean)
            try c.encode(styleMean, forKey: .styleMean)
            try c.encode(layers, forKey: .layers)
        }
    }
}

extension DoodleScore {
    /// `#rrggbb` of an RGB colour in 0...255 (rounded, clamped).
    public static func hex(_ rgb: [Double]) -> String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in rgb.prefix(3) {
            let b = Int(min(max(v, 0), 255).rounded())
            s.append(digits[b >> 4])
            s.append(digits[b & 15])
        }
        return s
    }
}

/// `value` to `decimals` places for JSON (0 when not finite).
func rounded(_ value: Double, _ decimals: Int) -> Double {
    guard value.isFinite else { return 0 }
    let scale = pow(10.0, Double(decimals))
    return (value * scale).rounded() / scale
}

/// `12.5%`, `0.07%`, `<0.01%`.
func sharePercent(_ share: Double) -> String {
    let p = share * 100
    if p >= 1 || p == 0 { return String(format: "%.1f%%", p) }
    if p < 0.01 { return "<0.01%" }
    return String(format: "%.2f%%", p)
}
