import Foundation
import Net
import Patches

// How much of a content image a result keeps, and how much of a style it copies verbatim.
//
// Structure: the luminance (Rec. 601) of the result and of the content (resampled to the
// result's size), each blurred with a Gaussian of sigma 2 so that brushwork does not count,
// compared with SSIM (Wang et al. 2004: Gaussian window sigma 1.5, C1 = (0.01 L)^2,
// C2 = (0.03 L)^2, L = 255), averaged over the image. 1 is the content's layout and shading
// exactly; a result that kept nothing of it scores about 0.3 to 0.5.
//
// Feature distance: |F(result) - F(content)| / |F(content)| at conv4_2 (the content layer),
// both at the result's size. 0 is the content's features exactly.
//
// Style statistics: per layer of conv1_1, conv2_1, conv3_1, conv4_1, the Gram matrix (channel
// correlations averaged over positions) of the result and of the style, each at its own size;
// the score is the mean over layers of |G(result) - G(style)| / |G(style)|. It does not care
// where things are, only which textures and colours occur: 0 is the style's statistics.
//
// Largest copy: every 3x3 patch of the result's conv3_1 features is matched to its nearest
// style patch (normalised cross-correlation of the features alone, as the class score does).
// Neighbouring patches (4-connected) that copy the style at the same offset belong to one
// copied piece; the largest piece's patches as a share of all patches is the score. A texture
// that recombines the style scores a few percent; one that pastes a face of it scores tens.

/// How much of a content image a result keeps (see the top of this file).
public struct ContentScore: Sendable, Encodable {
    /// SSIM of the blurred luminances, about 0.3 (nothing kept) to 1 (the content exactly).
    public let structure: Double
    /// Relative distance of the conv4_2 features, 0 = the content's.
    public let featureDistance: Double
    public let layer: VGGLayer

    public init(structure: Double, featureDistance: Double, layer: VGGLayer) {
        self.structure = structure
        self.featureDistance = featureDistance
        self.layer = layer
    }

    enum CodingKeys: String, CodingKey { case structure, featureDistance }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rounded(structure, 4), forKey: .structure)
        try c.encode(rounded(featureDistance, 4), forKey: .featureDistance)
    }
}

/// How far a result's feature statistics are from the style's (see the top of this file).
public struct StyleStatistics: Sendable, Encodable {
    /// Mean over `layers` of the relative Gram matrix distance.
    public let gramDistance: Double
    public let layers: [VGGLayer]
    /// The relative Gram distance at `classLayer`, class to class with maps (one class covering
    /// everything without), weighted by the classes' shares of the result.
    public let classGramDistance: Double
    public let classLayer: VGGLayer

    public init(gramDistance: Double, layers: [VGGLayer], classGramDistance: Double, classLayer: VGGLayer) {
        self.gramDistance = gramDistance
        self.layers = layers
        self.classGramDistance = classGramDistance
        self.classLayer = classLayer
    }

    enum CodingKeys: String, CodingKey { case gramDistance, classGramDistance, classLayer }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rounded(gramDistance, 4), forKey: .gramDistance)
        try c.encode(rounded(classGramDistance, 4), forKey: .classGramDistance)
        try c.encode(classLayer.name, forKey: .classLayer)
    }
}

/// The largest piece of the style a result copies verbatim (see the top of this file).
public struct CopyScore: Sendable, Encodable {
    /// Share (0...1) of the result's patches in the largest piece copied at one offset.
    public let largestShare: Double
    /// That piece's size in patches, and all patches.
    public let largestPatches: Int
    public let patches: Int
    /// Where the piece sits in the style minus where it sits in the result, in pixels.
    public let offset: (x: Int, y: Int)
    public let layer: VGGLayer

    enum CodingKeys: String, CodingKey { case largestShare, largestPatches, patches, offset }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rounded(largestShare, 4), forKey: .largestShare)
        try c.encode(largestPatches, forKey: .largestPatches)
        try c.encode(patches, forKey: .patches)
        try c.encode([offset.x, offset.y], forKey: .offset)
    }
}

public enum ContentScorer {
    public static let blurSigma = 2.0
    public static let layer = VGGLayer.conv4_2
    public static let copyLayer = VGGLayer.conv3_1

    /// Structure and feature distance of `output` against `content` (resampled to its size).
    public static func score(output: Image, content: Image, network: VGG19) -> ContentScore {
        let result = output.rgb()
        let reference = content.rgb().resized(toWidth: result.width, height: result.height)
        let structure = structureSimilarity(result, reference)
        let features = network.forward(result.tensor, to: [layer])[layer]!
        let target = network.forward(reference.tensor, to: [layer])[layer]!
        var difference = 0.0, norm = 0.0
        for i in 0..<target.count {
            let d = Double(features.data[i] - target.data[i])
            difference += d * d
            norm += Double(target.data[i]) * Double(target.data[i])
        }
        let distance = norm > 0 ? (difference / norm).squareRoot() : 0
        return ContentScore(structure: structure, featureDistance: distance, layer: layer)
    }

    /// Mean SSIM of the two images' luminances after a Gaussian blur of `blurSigma`.
    public static func structureSimilarity(_ a: Image, _ b: Image) -> Double {
        precondition(a.width == b.width && a.height == b.height, "structure needs images of one size")
        let (w, h) = (a.width, a.height)
        let x = gaussianBlur(luminance(a), width: w, height: h, sigma: blurSigma)
        let y = gaussianBlur(luminance(b), width: w, height: h, sigma: blurSigma)
        let window = 1.5
        let mx = gaussianBlur(x, width: w, height: h, sigma: window)
        let my = gaussianBlur(y, width: w, height: h, sigma: window)
        func product(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 * $1 } }
        let xx = gaussianBlur(product(x, x), width: w, height: h, sigma: window)
        let yy = gaussianBlur(product(y, y), width: w, height: h, sigma: window)
        let xy = gaussianBlur(product(x, y), width: w, height: h, sigma: window)
        let c1: Double = (0.01 * 255) * (0.01 * 255), c2: Double = (0.03 * 255) * (0.03 * 255)
        var total = 0.0
        for i in 0..<(w * h) {
            let (ux, uy) = (mx[i], my[i])
            let vx = max(0, xx[i] - ux * ux), vy = max(0, yy[i] - uy * uy), cov = xy[i] - ux * uy
            total += ((2 * ux * uy + c1) * (2 * cov + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        }
        return total / Double(w * h)
    }

    /// Rec. 601 luma of an RGB image, 0...255.
    static func luminance(_ image: Image) -> [Double] {
        let plane = image.planeSize
        return (0..<plane).map { i in
            0.299 * Double(image.pixels[i]) + 0.587 * Double(image.pixels[plane + i]) + 0.114 * Double(image.pixels[2 * plane + i])
        }
    }

    /// Separable Gaussian blur (kernel radius 3 sigma), edges clamped.
    static func gaussianBlur(_ values: [Double], width w: Int, height h: Int, sigma: Double) -> [Double] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let sum = kernel.reduce(0, +)
        kernel = kernel.map { $0 / sum }
        var rows = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for (k, weight) in kernel.enumerated() {
                    s += weight * values[y * w + min(max(x + k - radius, 0), w - 1)]
                }
                rows[y * w + x] = s
            }
        }
        var out = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for (k, weight) in kernel.enumerated() {
                    s += weight * rows[min(max(y + k - radius, 0), h - 1) * w + x]
                }
                out[y * w + x] = s
            }
        }
        return out
    }

    public static let statisticsLayers: [VGGLayer] = [.conv1_1, .conv2_1, .conv3_1, .conv4_1]

    /// The relative Gram distance of `output` to `style` (see the top of this file); with
    /// maps (`outputMap` at the output's size, `styleMap` at the style's, one palette), also
    /// class to class at conv3_1.
    public static func styleStatistics(output: Image, style: Image, maps: (output: SemanticMap, style: SemanticMap)? = nil,
                                       network: VGG19) -> StyleStatistics {
        let layers = statisticsLayers
        let a = network.forward(output.rgb().tensor, to: Set(layers))
        let b = network.forward(style.rgb().tensor, to: Set(layers))
        var total = 0.0
        for layer in layers { total += relativeDistance(gram(a[layer]!), gram(b[layer]!)) }
        let classLayer = VGGLayer.conv3_1
        var classDistance = relativeDistance(gram(a[classLayer]!), gram(b[classLayer]!))
        if let maps {
            let (fa, fb) = (a[classLayer]!, b[classLayer]!)
            func labels(_ map: SemanticMap) -> ClassLabels {
                ClassLabels(width: map.width, height: map.height, labels: map.labels, classCount: map.palette.count)
            }
            let outputLabels = labels(maps.output)
            let (ma, mb) = (outputLabels.masks(at: classLayer, .simple), labels(maps.style).masks(at: classLayer, .simple))
            var (sum, weight) = (0.0, 0.0)
            for (k, share) in outputLabels.shares.enumerated() where share > 0 {
                let (na, nb) = (ma[k].reduce(0) { $0 + $1 * $1 }, mb[k].reduce(0) { $0 + $1 * $1 })
                guard na > 0, nb > 0 else { continue }
                let ga = GramLoss.gram(fa.data, channels: fa.channels, mask: ma[k], norm: na)
                let gb = GramLoss.gram(fb.data, channels: fb.channels, mask: mb[k], norm: nb)
                sum += Double(share) * relativeDistance(ga, gb)
                weight += Double(share)
            }
            if weight > 0 { classDistance = sum / weight }
        }
        return StyleStatistics(gramDistance: total / Double(layers.count), layers: layers,
                               classGramDistance: classDistance, classLayer: classLayer)
    }

    /// |a - b| / |b|.
    static func relativeDistance(_ a: [Float], _ b: [Float]) -> Double {
        var difference = 0.0, norm = 0.0
        for i in 0..<b.count {
            difference += Double(a[i] - b[i]) * Double(a[i] - b[i])
            norm += Double(b[i]) * Double(b[i])
        }
        return norm > 0 ? (difference / norm).squareRoot() : 0
    }

    /// `F F^T / (h w)` of `[C, h, w]` features, C x C: the Gram loss's own.
    static func gram(_ features: Tensor) -> [Float] {
        let n = features.height * features.width
        return GramLoss.product(features.data, channels: features.channels, count: n, norm: Float(max(1, n)))
    }

    /// The largest piece of `style` that `output` copies at one offset (see the top of this file).
    public static func largestCopy(output: Image, style: Image, network: VGG19) -> CopyScore {
        let layer = copyLayer
        let outputFeatures = network.forward(output.rgb().tensor, to: [layer])[layer]!
        let styleFeatures = network.forward(style.rgb().tensor, to: [layer])[layer]!
        let styleBank = PatchBank(features: styleFeatures, map: nil, mapWeight: 0)
        let outputBank = PatchBank(features: outputFeatures, map: nil, mapWeight: 0)
        var matches: [Int32] = []
        ExactPatchMatcher(style: styleBank).match(target: outputBank, into: &matches)
        let piece = CopiedPieces(matches: matches, width: outputFeatures.width - 2, height: outputFeatures.height - 2,
                                 styleWidth: styleFeatures.width - 2).largest
        return CopyScore(largestShare: Double(piece.size) / Double(max(1, matches.count)), largestPatches: piece.size,
                         patches: matches.count, offset: (piece.offset.x * layer.stride, piece.offset.y * layer.stride),
                         layer: layer)
    }
}

/// Everything `doodle score` measured: each part only when asked for. Its JSON holds the
/// doodle score's keys at the top (as before), and `content` and `texture` objects.
public struct ScoreReport: Sendable, Encodable {
    public let doodle: DoodleScore?
    public let content: ContentScore?
    public let texture: CopyScore?
    public let style: StyleStatistics?

    public init(doodle: DoodleScore?, content: ContentScore?, texture: CopyScore?, style: StyleStatistics?) {
        self.doodle = doodle
        self.content = content
        self.texture = texture
        self.style = style
    }

    enum CodingKeys: String, CodingKey { case content, texture, style }
    public func encode(to encoder: Encoder) throws {
        try doodle?.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(content, forKey: .content)
        try c.encodeIfPresent(texture, forKey: .texture)
        try c.encodeIfPresent(style, forKey: .style)
    }
}
