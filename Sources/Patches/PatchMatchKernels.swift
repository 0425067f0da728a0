import Net

// The kernels of `PatchMatchMatcher`'s search, each checked against the plain computation
// (`keyScore`, `scalarDot`) in the tests.
extension PatchMatchMatcher {
    // MARK: - Layout

    /// 1 / |patch| of every 3x3 patch of `[H, W, C]` pixels (0 for an all-zero patch), as the
    /// keys are normalised.
    static func inverseNorms(pixels: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
                             pixelNorms: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        PatchKernels.patchSquares(pixels: pixels, channels: c, height: h, width: w, scratch: pixelNorms, into: out)
        let n = PatchKernels.patchCount(height: h, width: w)
        for i in 0..<n { out[i] = out[i] > 1e-12 ? 1 / out[i].squareRoot() : 0 }
    }


    // MARK: - Kernels

    /// Sum of `a[i] * b[i]`: four SIMD8 accumulators over blocks of 32, then SIMD8, then scalars.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= n {
            let o = i * 4
            s0 += ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
            s2 += ra.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
            s3 += ra.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
            i += 32
        }
        while i + 8 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// The plain loop, for comparison with `dot`.
    public static func scalarDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var sum: Float = 0
        for i in 0..<n { sum += a[i] * b[i] }
        return sum
    }

    /// The key dot product of target patch `t` and style patch `s` computed directly from
    /// the banks' keys (what the exact matcher's sgemm computes), for checks and benchmarks.
    public static func keyScore(target: PatchBank, _ t: Int, style: PatchBank, _ s: Int) -> Float {
        let d = target.keyDimension
        return target.keys.withUnsafeBufferPointer { a in
            style.keys.withUnsafeBufferPointer { b in
                dot(a.baseAddress! + t * d, b.baseAddress! + s * d, count: d)
            }
        }
    }

    /// Mean `keyScore` of the matched pairs.
    public static func meanScore(target: PatchBank, style: PatchBank, matches: [Int32]) -> Double {
        precondition(matches.count == target.count, "one match per target patch")
        guard !matches.isEmpty else { return 0 }
        let d = target.keyDimension
        var partial = [Double](repeating: 0, count: 8)
        target.keys.withUnsafeBufferPointer { a in
            style.keys.withUnsafeBufferPointer { b in
                partial.withUnsafeMutableBufferPointer { p in
                    let n = matches.count
                    parallelChunks(n, chunks: 8) { chunk, range in
                        var sum = 0.0
                        for t in range {
                            sum += Double(dot(a.baseAddress! + t * d, b.baseAddress! + Int(matches[t]) * d, count: d))
                        }
                        p[chunk] = sum
                    }
                }
            }
        }
        return partial.reduce(0, +) / Double(matches.count)
    }
}
