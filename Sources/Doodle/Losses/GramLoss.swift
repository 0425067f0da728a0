import Net

/// Gatys' style loss at one layer: the squared distance between the Gram matrices (channel
/// correlations averaged over positions) of the result's features and of the style's, over the
/// square of the channel count, times `weight` times `GramLoss.scale`.
///
/// Guided (Gatys et al. 2017): with class masks, one Gram matrix per class over the features
/// weighted by that class's mask at this layer, compared class to class, each class's term
/// weighted by its share of the result. Without maps there is one class covering everything.
public final class GramLoss {
    /// Calibration of `--style-weight` for the Gram loss on the normalised VGG19, as
    /// `ContentLoss.scale` is for the content weight: with it the documented defaults (style
    /// weight 25, content weight 10) give a transfer that keeps the content's layout with the
    /// style's colours and strokes (README, "Gram loss").
    public static let scale: Float = 8

    public let layer: VGGLayer
    public var weight: Float
    /// Per class: the style's Gram matrix `[C, C]`, the result's mask at this layer (`[h * w]`,
    /// weights 0...1), and the class's share of the result.
    let classes: [GuidedClass]
    private let channels: Int

    struct GuidedClass {
        let styleGram: [Float]
        let mask: [Float]?
        let share: Float
        /// Sum of squared mask weights: the Gram's normaliser.
        let norm: Float
    }

    /// `styleFeatures` is `[C, hs, ws]`; `styleMasks` and `targetMasks` are per class at this
    /// layer's grids (nil: one class covering everything), `shares` the classes' shares of the
    /// result. A class without pixels on either side takes no part.
    public init(layer: VGGLayer, weight: Float, styleFeatures: Tensor, styleMasks: [[Float]]?,
                targetMasks: [[Float]]?, shares: [Float]?) {
        self.layer = layer
        self.weight = weight
        channels = styleFeatures.channels
        let count = targetMasks?.count ?? 1
        var made: [GuidedClass] = []
        for k in 0..<count {
            let styleMask = styleMasks?[k]
            let targetMask = targetMasks?[k]
            let styleNorm = styleMask.map { $0.reduce(0) { $0 + $1 * $1 } } ?? Float(styleFeatures.width * styleFeatures.height)
            let targetNorm = targetMask.map { $0.reduce(0) { $0 + $1 * $1 } } ?? 1
            guard styleNorm > 0, targetNorm > 0 else { continue }
            let gram = Self.gram(styleFeatures.data, channels: channels, mask: styleMask, norm: styleNorm)
            made.append(GuidedClass(styleGram: gram, mask: targetMask, share: shares?[k] ?? 1, norm: targetNorm))
        }
        classes = made
    }

    /// The loss and its gradient with respect to `features` (`[C, h, w]`).
    public func evaluate(features: Tensor) -> (loss: Double, gradient: Tensor) {
        let n = features.width * features.height
        let c = channels
        var gradient = Tensor(zeros: features.shape)
        var loss = 0.0
        var weighted = [Float](repeating: 0, count: c * n)
        var difference = [Float](repeating: 0, count: c * c)
        for guided in classes {
            let norm = guided.mask == nil ? Float(n) : guided.norm
            let gram = Self.gram(features.data, channels: c, mask: guided.mask, norm: norm, scratch: &weighted)
            let k = weight * Self.scale * guided.share / Float(c * c)
            var sum = 0.0
            for i in 0..<(c * c) {
                let d = gram[i] - guided.styleGram[i]
                difference[i] = d
                sum += Double(d * d)
            }
            loss += Double(k) * sum
            // d/dF of k |F M F^T / Z - S|^2 = (4k / Z) (G - S) F M, M the squared mask weights;
            // `weighted` holds F sqrt(M) from the Gram, so multiply its columns once more.
            if let mask = guided.mask {
                for ch in 0..<c {
                    for i in 0..<n { weighted[ch * n + i] *= mask[i] }
                }
            }
            difference.withUnsafeBufferPointer { d in
                weighted.withUnsafeBufferPointer { f in
                    gradient.data.withUnsafeMutableBufferPointer { g in
                        BLAS.sgemm(m: c, n: n, k: c, a: d.baseAddress!, lda: c, b: f.baseAddress!, ldb: n,
                                   c: g.baseAddress!, ldc: n, alpha: 4 * k / norm, beta: 1)
                    }
                }
            }
        }
        return (loss, gradient)
    }

    /// F W W F^T / norm for `features` `[C, N]`, W the diagonal of `mask` (nil: identity).
    static func gram(_ features: [Float], channels c: Int, mask: [Float]?, norm: Float) -> [Float] {
        var scratch = [Float](repeating: 0, count: features.count)
        return gram(features, channels: c, mask: mask, norm: norm, scratch: &scratch)
    }

    /// As above; leaves the masked features F W in `scratch`.
    static func gram(_ features: [Float], channels c: Int, mask: [Float]?, norm: Float, scratch: inout [Float]) -> [Float] {
        let n = features.count / c
        if let mask {
            for ch in 0..<c {
                for i in 0..<n { scratch[ch * n + i] = features[ch * n + i] * mask[i] }
            }
        } else {
            scratch = features
        }
        var result = [Float](repeating: 0, count: c * c)
        scratch.withUnsafeBufferPointer { f in
            result.withUnsafeMutableBufferPointer { g in
                BLAS.sgemm(m: c, n: c, k: n, a: f.baseAddress!, lda: n, b: f.baseAddress!, ldb: n, transposeB: true,
                           c: g.baseAddress!, ldc: c, alpha: 1 / norm)
            }
        }
        return result
    }
}
