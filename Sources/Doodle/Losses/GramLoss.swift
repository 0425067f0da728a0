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
        /// The cells where the result's mask is not zero, and its weights there (nil: every
        /// cell, weight 1). Only those cells enter the Gram matrix, so a class costs its area.
        let cells: [Int]?
        let weights: [Float]
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
            let styleNorm = styleMask.map { $0.reduce(0) { $0 + $1 * $1 } } ?? Float(styleFeatures.width * styleFeatures.height)
            guard styleNorm > 0 else { continue }
            var cells: [Int]? = nil, weights: [Float] = [], norm: Float = 0
            if let mask = targetMasks?[k] {
                let kept = mask.indices.filter { mask[$0] != 0 }
                cells = kept
                weights = kept.map { mask[$0] }
                norm = weights.reduce(0) { $0 + $1 * $1 }
                guard norm > 0 else { continue }
            }
            let gram = Self.gram(styleFeatures.data, channels: channels, mask: styleMask, norm: styleNorm)
            made.append(GuidedClass(styleGram: gram, cells: cells, weights: weights, share: shares?[k] ?? 1, norm: norm))
        }
        classes = made
    }

    /// The loss and its gradient with respect to `features` (`[C, h, w]`).
    public func evaluate(features: Tensor) -> (loss: Double, gradient: Tensor) {
        let n = features.width * features.height
        let c = channels
        var gradient = Tensor(zeros: features.shape)
        var loss = 0.0
        var difference = [Float](repeating: 0, count: c * c)
        for guided in classes {
            // The class's cells, weighted: F W, C x m.
            var weighted: [Float]
            let m: Int
            if let cells = guided.cells {
                m = cells.count
                weighted = GramKernels.gather(features.data, channels: c, cells: cells, weights: guided.weights)
            } else {
                m = n
                weighted = features.data
            }
            let norm = guided.cells == nil ? Float(n) : guided.norm
            let gram = Self.product(weighted, channels: c, count: m, norm: norm)
            let k = weight * Self.scale * guided.share / Float(c * c)
            var sum = 0.0
            for i in 0..<(c * c) {
                let d = gram[i] - guided.styleGram[i]
                difference[i] = d
                sum += Double(d * d)
            }
            loss += Double(k) * sum
            // d/dF of k |F W W F^T / Z - S|^2 = (4k / Z) (G - S) F W W: multiply F W by W once
            // more, then by (G - S), and add the columns back at their cells.
            if let cells = guided.cells {
                GramKernels.scale(&weighted, channels: c, by: guided.weights)
                var columns = [Float](repeating: 0, count: c * m)
                multiply(difference, weighted, into: &columns, channels: c, count: m, alpha: 4 * k / norm)
                GramKernels.scatterAdd(columns, channels: c, cells: cells, into: &gradient.data)
            } else {
                multiply(difference, weighted, into: &gradient.data, channels: c, count: n, alpha: 4 * k / norm)
            }
        }
        return (loss, gradient)
    }

    /// out = alpha * D W, D `[C, C]`, W `[C, count]`.
    private func multiply(_ d: [Float], _ w: [Float], into out: inout [Float], channels c: Int, count: Int, alpha: Float) {
        d.withUnsafeBufferPointer { dp in
            w.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    BLAS.sgemm(m: c, n: count, k: c, a: dp.baseAddress!, lda: c, b: wp.baseAddress!, ldb: count,
                               c: op.baseAddress!, ldc: count, alpha: alpha)
                }
            }
        }
    }

    /// X X^T / norm for `x` `[C, count]`.
    static func product(_ x: [Float], channels c: Int, count: Int, norm: Float) -> [Float] {
        var result = [Float](repeating: 0, count: c * c)
        x.withUnsafeBufferPointer { f in
            result.withUnsafeMutableBufferPointer { g in
                BLAS.sgemm(m: c, n: c, k: count, a: f.baseAddress!, lda: count, b: f.baseAddress!, ldb: count, transposeB: true,
                           c: g.baseAddress!, ldc: c, alpha: 1 / norm)
            }
        }
        return result
    }

    /// F W W F^T / norm for `features` `[C, N]`, W the diagonal of `mask` (nil: identity).
    static func gram(_ features: [Float], channels c: Int, mask: [Float]?, norm: Float) -> [Float] {
        let n = features.count / c
        guard let mask else { return product(features, channels: c, count: n, norm: norm) }
        var weighted = features
        for ch in 0..<c {
            for i in 0..<n { weighted[ch * n + i] *= mask[i] }
        }
        return product(weighted, channels: c, count: n, norm: norm)
    }
}

/// The guided Gram loss's column gathers and scatters over `[C, N]` planes, parallel over
/// channels; `GramTests` checks each against plain loops.
public enum GramKernels {
    /// out[ch, j] = features[ch, cells[j]] * weights[j], `[C, cells.count]`.
    public static func gather(_ features: [Float], channels c: Int, cells: [Int], weights: [Float]) -> [Float] {
        let n = features.count / c, m = cells.count
        return [Float](unsafeUninitializedCapacity: c * m) { out, count in
            features.withUnsafeBufferPointer { f in
                cells.withUnsafeBufferPointer { idx in
                    weights.withUnsafeBufferPointer { w in
                        let o = out.baseAddress!
                        parallelFor(c) { ch in
                            let row = f.baseAddress! + ch * n, dst = o + ch * m
                            for j in 0..<m { dst[j] = row[idx[j]] * w[j] }
                        }
                    }
                }
            }
            count = c * m
        }
    }

    /// values[ch, j] *= weights[j].
    public static func scale(_ values: inout [Float], channels c: Int, by weights: [Float]) {
        let m = weights.count
        values.withUnsafeMutableBufferPointer { v in
            weights.withUnsafeBufferPointer { w in
                let base = v.baseAddress!
                parallelFor(c) { ch in
                    let row = base + ch * m
                    for j in 0..<m { row[j] *= w[j] }
                }
            }
        }
    }

    /// plane[ch, cells[j]] += columns[ch, j] (cells are distinct).
    public static func scatterAdd(_ columns: [Float], channels c: Int, cells: [Int], into plane: inout [Float]) {
        let n = plane.count / c, m = cells.count
        columns.withUnsafeBufferPointer { col in
            cells.withUnsafeBufferPointer { idx in
                plane.withUnsafeMutableBufferPointer { p in
                    let base = p.baseAddress!
                    parallelFor(c) { ch in
                        let row = base + ch * n, src = col.baseAddress! + ch * m
                        for j in 0..<m { row[idx[j]] += src[j] }
                    }
                }
            }
        }
    }
}
