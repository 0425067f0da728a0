import Net
import Patches

/// Champandard's semantic patch loss at one layer: every 3x3 patch of the current
/// [features ; map] is matched to its best style patch, and the loss is the mean squared
/// difference of the feature channels to that patch, times `weight`. It is computed from the
/// pixel-major features directly (`PatchKernels.matchedPatchLoss`), without cutting patches.
public final class StyleLoss {
    public let layer: VGGLayer
    public var weight: Float
    public let style: PatchBank
    public let target: PatchBank
    public let matcher: PatchMatcher
    public private(set) var matches: [Int32] = []
    /// Sum of squares of each style patch, and scratch for the matched style pixels.
    private let styleSquares: [Float]
    private var gather: [Float]

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
        var squares = [Float](repeating: 0, count: style.count)
        var scratch = [Float](repeating: 0, count: style.height * style.width)
        style.pixels.withUnsafeBufferPointer { p in
            squares.withUnsafeMutableBufferPointer { out in
                PatchKernels.patchSquares(pixels: p.baseAddress!, channels: style.channels, height: style.height,
                                          width: style.width, scratch: &scratch, into: out.baseAddress!)
            }
        }
        styleSquares = squares
        gather = [Float](repeating: 0, count: targetSize.height * targetSize.width * style.channels)
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
        let scale = weight / Float(max(1, target.count * style.featureDimension))
        var loss = 0.0
        // Every element is written by the kernel: no need to zero it first.
        var gradient = Tensor(shape: features.shape, data: [Float](unsafeUninitializedCapacity: features.count) { _, n in
            n = features.count
        })
        target.pixels.withUnsafeBufferPointer { t in
            style.pixels.withUnsafeBufferPointer { s in
                matches.withUnsafeBufferPointer { m in
                    styleSquares.withUnsafeBufferPointer { sq in
                        gather.withUnsafeMutableBufferPointer { g in
                            gradient.data.withUnsafeMutableBufferPointer { out in
                                loss = PatchKernels.matchedPatchLoss(
                                    target: t.baseAddress!, height: target.height, width: target.width,
                                    style: s.baseAddress!, styleWidth: style.width, channels: style.channels,
                                    matches: m.baseAddress!, styleSquares: sq.baseAddress!, scale: scale,
                                    gather: g.baseAddress!, gradient: out.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return (loss, gradient)
    }
}

import Dispatch
