import Net
import Patches

/// Champandard's semantic patch loss at one layer: every 3x3 patch of the current
/// [features ; map] is matched to its best style patch, and the loss is the mean squared
/// difference of the feature channels to that patch, times `weight`.
public final class StyleLoss {
    public let layer: VGGLayer
    public var weight: Float
    public let style: PatchBank
    public let target: PatchBank
    public let matcher: PatchMatcher
    public private(set) var matches: [Int32] = []
    private var patchGradient: [Float]

    /// `targetMap` is the target's `[K, h, w]` map channels at this layer's size, with the
    /// same classes as the style's (nil without maps).
    public init(layer: VGGLayer, weight: Float, style: PatchBank, targetSize: (height: Int, width: Int),
                targetMap: Tensor?, matcher: PatchMatcher) {
        self.layer = layer
        self.weight = weight
        self.style = style
        self.matcher = matcher
        target = PatchBank(channels: style.channels, mapChannels: style.mapChannels,
                           height: targetSize.height, width: targetSize.width, mapWeight: 1)
        target.setMap(targetMap)
        patchGradient = [Float](repeating: 0, count: target.count * style.featureDimension)
    }

    /// Starts the search from these matches (e.g. the previous phase's, upsampled), for
    /// matchers that warm-start.
    public func seed(matches initial: [Int32]) {
        guard initial.count == target.count else { return }
        matches = initial
    }

    /// Matches the patches of `features` (`[C, h, w]`, this layer of the current image) and
    /// returns the loss with its gradient with respect to `features`.
    public func evaluate(features: Tensor, timing: inout StageTiming) -> (loss: Double, gradient: Tensor) {
        timing.measure(\.matching) {
            target.update(features: features)
            matcher.match(target: target, into: &matches)
        }
        return timing.measure(\.losses) { lossAndGradient(features) }
    }

    private func lossAndGradient(_ features: Tensor) -> (loss: Double, gradient: Tensor) {
        let d = style.featureDimension, n = target.count
        let scale = weight / Float(max(1, n * d))
        var loss = 0.0
        target.features.withUnsafeBufferPointer { t in
            style.features.withUnsafeBufferPointer { s in
                patchGradient.withUnsafeMutableBufferPointer { g in
                    matches.withUnsafeBufferPointer { m in
                        loss = Self.squaredDifference(target: t.baseAddress!, style: s.baseAddress!, matches: m.baseAddress!,
                                                      count: n, dimension: d, scale: scale, gradient: g.baseAddress!)
                    }
                }
            }
        }
        var gradient = Tensor(zeros: features.shape)
        patchGradient.withUnsafeBufferPointer { g in
            gradient.data.withUnsafeMutableBufferPointer { out in
                PatchKernels.fold(g.baseAddress!, rowStride: d, channels: features.channels,
                                  height: features.height, width: features.width, into: out.baseAddress!)
            }
        }
        return (loss * Double(scale), gradient)
    }

    /// Sum of (t - s[match])^2 over all patches, and gradient rows 2 * scale * (t - s[match]).
    private static func squaredDifference(target: UnsafePointer<Float>, style: UnsafePointer<Float>,
                                          matches: UnsafePointer<Int32>, count: Int, dimension d: Int,
                                          scale: Float, gradient: UnsafeMutablePointer<Float>) -> Double {
        let chunks = 8
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { sums in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var sum = 0.0
                for i in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) {
                    let t = target + i * d, s = style + Int(matches[i]) * d, g = gradient + i * d
                    var rowSum: Float = 0
                    for j in 0..<d {
                        let diff = t[j] - s[j]
                        rowSum += diff * diff
                        g[j] = 2 * scale * diff
                    }
                    sum += Double(rowSum)
                }
                sums[chunk] = sum
            }
        }
        return partial.reduce(0, +)
    }
}

import Dispatch
