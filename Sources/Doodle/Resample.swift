// Separable resampling of planar images with any channel count:
//   - area averaging (an exact box filter with fractional pixel coverage) for shrinking,
//   - bicubic interpolation (Keys kernel, a = -0.5, edges clamped) for growing.
// Both map pixel centres to pixel centres: output pixel i of n covers the input
// interval [i, i + 1) * (inputCount / n).

extension Image {
    /// Area-averaged image of `width` x `height`: each output pixel is the mean of
    /// the input area it covers, counting partially covered pixels by their
    /// covered fraction. Exact for non-integer factors; preserves each channel's
    /// mean. Meant for shrinking (it also works, as box interpolation, for growing).
    public func downscaled(toWidth width: Int, height: Int) -> Image {
        resampled(width: width, height: height,
                  horizontal: .area(from: self.width, to: width),
                  vertical: .area(from: self.height, to: height))
    }

    /// Bicubic image of `width` x `height` (Keys kernel with a = -0.5, edge pixels
    /// repeated). Reproduces constant and linear images exactly away from the
    /// border; like any cubic it can overshoot 0...255 slightly near sharp edges
    /// (see `clamped(to:)`). Meant for growing; it aliases when shrinking.
    public func upscaled(toWidth width: Int, height: Int) -> Image {
        resampled(width: width, height: height,
                  horizontal: .bicubic(from: self.width, to: width),
                  vertical: .bicubic(from: self.height, to: height))
    }

    /// Resizes each axis with the appropriate filter: area averaging where it
    /// shrinks, bicubic where it grows, nothing where the size is unchanged.
    public func resized(toWidth width: Int, height: Int) -> Image {
        resampled(width: width, height: height,
                  horizontal: .suited(from: self.width, to: width),
                  vertical: .suited(from: self.height, to: height))
    }

    private func resampled(width newWidth: Int, height newHeight: Int,
                           horizontal: ResampleAxis, vertical: ResampleAxis) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "cannot resample to \(newWidth)x\(newHeight)")
        precondition(pixels.count == width * height * channels, "Image samples do not match its dimensions")
        if horizontal.isIdentity && vertical.isIdentity { return self }

        // Horizontal pass: [C, H, W] -> [C, H, newWidth].
        var wide = pixels
        if !horizontal.isIdentity {
            wide = [Float](repeating: 0, count: channels * height * newWidth)
            let rows = channels * height
            pixels.withUnsafeBufferPointer { src in
                wide.withUnsafeMutableBufferPointer { dst in
                    horizontal.apply(rows: rows, input: src.baseAddress!, output: dst.baseAddress!)
                }
            }
        }
        // Vertical pass: [C, H, newWidth] -> [C, newHeight, newWidth], whole rows at a time.
        var out = wide
        if !vertical.isIdentity {
            out = [Float](repeating: 0, count: channels * newHeight * newWidth)
            wide.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for c in 0..<channels {
                        vertical.applyToRows(rowLength: newWidth,
                                             input: src.baseAddress! + c * height * newWidth,
                                             output: dst.baseAddress! + c * newHeight * newWidth)
                    }
                }
            }
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: out)
    }
}

/// One axis of a separable resampling, as a sparse matrix: output `i` is
/// `Σ weights[k] * input[indices[k]]` for `k` in `offsets[i]..<offsets[i + 1]`.
struct ResampleAxis {
    let inputCount: Int
    let outputCount: Int
    private(set) var offsets: [Int] = [0]
    private(set) var indices: [Int] = []
    private(set) var weights: [Float] = []
    /// Same size and no filtering: the pass is skipped.
    let isIdentity: Bool

    private init(inputCount: Int, outputCount: Int, identity: Bool) {
        precondition(inputCount > 0 && outputCount > 0, "cannot resample \(inputCount) samples to \(outputCount)")
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.isIdentity = identity
    }

    /// Appends one output sample's taps, normalised so the weights sum to 1.
    private mutating func addOutput(_ taps: [(index: Int, weight: Double)]) {
        let total = taps.reduce(0) { $0 + $1.weight }
        for tap in taps where tap.weight != 0 {
            indices.append(tap.index)
            weights.append(Float(tap.weight / total))
        }
        offsets.append(indices.count)
    }

    /// Exact box filter: input pixel j covers [j, j + 1); output i covers
    /// [i * scale, (i + 1) * scale) in input units, weighted by overlap.
    static func area(from inputCount: Int, to outputCount: Int) -> ResampleAxis {
        var axis = ResampleAxis(inputCount: inputCount, outputCount: outputCount, identity: inputCount == outputCount)
        if axis.isIdentity { return axis }
        let scale = Double(inputCount) / Double(outputCount)
        for i in 0..<outputCount {
            let low = Double(i) * scale
            let high = i == outputCount - 1 ? Double(inputCount) : Double(i + 1) * scale
            var taps: [(index: Int, weight: Double)] = []
            var j = Int(low.rounded(.down))
            while j < inputCount && Double(j) < high {
                let overlap = min(high, Double(j + 1)) - max(low, Double(j))
                if overlap > 1e-12 { taps.append((j, overlap)) }
                j += 1
            }
            axis.addOutput(taps)
        }
        return axis
    }

    /// Keys' cubic convolution kernel with a = -0.5 (Catmull-Rom).
    static func keys(_ distance: Double) -> Double {
        let a = -0.5
        let x = abs(distance)
        if x <= 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return 0
    }

    /// Bicubic interpolation at input position (i + 0.5) * scale - 0.5, with
    /// indices outside the input clamped to its first or last sample.
    static func bicubic(from inputCount: Int, to outputCount: Int) -> ResampleAxis {
        var axis = ResampleAxis(inputCount: inputCount, outputCount: outputCount, identity: inputCount == outputCount)
        if axis.isIdentity { return axis }
        let scale = Double(inputCount) / Double(outputCount)
        for i in 0..<outputCount {
            let position = (Double(i) + 0.5) * scale - 0.5
            let base = Int(position.rounded(.down))
            var taps: [(index: Int, weight: Double)] = []
            for j in (base - 1)...(base + 2) {
                let weight = keys(position - Double(j))
                let index = min(max(j, 0), inputCount - 1)
                if let k = taps.firstIndex(where: { $0.index == index }) {
                    taps[k].weight += weight  // clamped taps merge into the edge sample
                } else {
                    taps.append((index, weight))
                }
            }
            axis.addOutput(taps)
        }
        return axis
    }

    /// Area averaging when shrinking, bicubic when growing.
    static func suited(from inputCount: Int, to outputCount: Int) -> ResampleAxis {
        outputCount < inputCount ? area(from: inputCount, to: outputCount) : bicubic(from: inputCount, to: outputCount)
    }

    /// Resamples `rows` contiguous rows of `inputCount` samples each into rows
    /// of `outputCount` samples.
    func apply(rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        offsets.withUnsafeBufferPointer { offsets in
            indices.withUnsafeBufferPointer { indices in
                weights.withUnsafeBufferPointer { weights in
                    for row in 0..<rows {
                        let src = input + row * inputCount
                        let dst = output + row * outputCount
                        for i in 0..<outputCount {
                            var sum: Float = 0
                            for k in offsets[i]..<offsets[i + 1] {
                                sum += weights[k] * src[indices[k]]
                            }
                            dst[i] = sum
                        }
                    }
                }
            }
        }
    }

    /// Resamples along the slow axis: input is `inputCount` rows of
    /// `rowLength` samples, output `outputCount` rows, each a weighted sum of
    /// whole input rows (a contiguous, vectorisable inner loop).
    func applyToRows(rowLength: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        offsets.withUnsafeBufferPointer { offsets in
            indices.withUnsafeBufferPointer { indices in
                weights.withUnsafeBufferPointer { weights in
                    for i in 0..<outputCount {
                        let dst = output + i * rowLength
                        dst.update(repeating: 0, count: rowLength)
                        for k in offsets[i]..<offsets[i + 1] {
                            let src = input + indices[k] * rowLength
                            let weight = weights[k]
                            for x in 0..<rowLength { dst[x] += weight * src[x] }
                        }
                    }
                }
            }
        }
    }
}
