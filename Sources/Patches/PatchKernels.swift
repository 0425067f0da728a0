import Net

/// 3x3 patches, stride 1, "valid" (whole patches only): a `[C, H, W]` map has
/// `(H-2)*(W-2)` patches, row-major by top-left corner, each a row of `C*9` values ordered
/// `[c*9 + ky*3 + kx]`.
public enum PatchKernels {
    public static func patchCount(height: Int, width: Int) -> Int {
        max(0, height - 2) * max(0, width - 2)
    }

    /// Copies every patch of `source` (`[C, H, W]`) into `rows` (`[N, rowStride]`) starting at
    /// column `firstColumn`, so that features and map channels can share one matrix.
    public static func extract(_ source: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                               into rows: UnsafeMutablePointer<Float>, rowStride: Int, firstColumn: Int = 0) {
        let pw = width - 2, ph = height - 2
        guard pw > 0, ph > 0 else { return }
        parallelFor(ph) { py in
            for px in 0..<pw {
                let row = rows + (py * pw + px) * rowStride + firstColumn
                for c in 0..<channels {
                    let plane = source + c * height * width
                    for ky in 0..<3 {
                        let line = plane + (py + ky) * width + px
                        let out = row + c * 9 + ky * 3
                        out[0] = line[0]; out[1] = line[1]; out[2] = line[2]
                    }
                }
            }
        }
    }

    /// The adjoint of `extract`: adds every patch row back onto the pixels it came from
    /// (overlapping patches sum). `target` (`[C, H, W]`) is zeroed first.
    public static func fold(_ rows: UnsafePointer<Float>, rowStride: Int, channels: Int, height: Int, width: Int,
                            into target: UnsafeMutablePointer<Float>) {
        let pw = width - 2, ph = height - 2
        target.update(repeating: 0, count: channels * height * width)
        guard pw > 0, ph > 0 else { return }
        // Channels are independent, so they split across cores without write conflicts.
        parallelFor(channels) { c in
            let plane = target + c * height * width
            for py in 0..<ph {
                for px in 0..<pw {
                    let row = rows + (py * pw + px) * rowStride + c * 9
                    for ky in 0..<3 {
                        let line = plane + (py + ky) * width + px
                        let src = row + ky * 3
                        line[0] += src[0]; line[1] += src[1]; line[2] += src[2]
                    }
                }
            }
        }
    }

    /// `[C, H, W]` -> `[H, W, C]`, in tiles of 16 pixels so that reads and writes both stay
    /// in a few cache lines.
    public static func pixelMajor(_ source: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
                                  into target: UnsafeMutablePointer<Float>) {
        let plane = h * w, tile = 16
        parallelFor(h) { y in
            var x0 = 0
            while x0 < w {
                let x1 = min(w, x0 + tile)
                for ch in 0..<c {
                    let src = source + ch * plane + y * w
                    for x in x0..<x1 { target[(y * w + x) * c + ch] = src[x] }
                }
                x0 = x1
            }
        }
    }

    /// Sum of squares of every 3x3 patch of `[H, W, C]` pixels, one per patch `[N]`, through
    /// each pixel's sum of squares in `scratch` (`[H, W]`).
    public static func patchSquares(pixels: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
                                    scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let (ph, pw) = (h - 2, w - 2)
        guard ph > 0, pw > 0 else { return }
        parallelFor(h) { y in
            for x in 0..<w {
                let p = pixels + (y * w + x) * c
                scratch[y * w + x] = PatchMatchMatcher.dot(p, p, count: c)
            }
        }
        parallelFor(ph) { py in
            for px in 0..<pw {
                var sum: Float = 0
                for ky in 0..<3 {
                    let line = scratch + (py + ky) * w + px
                    sum += line[0] + line[1] + line[2]
                }
                out[py * pw + px] = sum
            }
        }
    }

    /// The patch style loss without cutting any patch: `scale * sum_i |P_i(T) - P_m(i)(S)|^2`
    /// over the target's patches i, and its gradient `2 * scale * (n(p) T(p) - G(p))` at every
    /// target pixel p, where n(p) counts the patches over p and G(p) sums the matched style
    /// pixels that those patches put over p. Both images are `[H, W, C]` (`pixels`);
    /// `styleSquares` is `patchSquares` of the style; `gather` is scratch of the target's size;
    /// `gradient` is written `[C, H, W]`, as the network takes it.
    public static func matchedPatchLoss(target: UnsafePointer<Float>, height h: Int, width w: Int,
                                        style: UnsafePointer<Float>, styleWidth sw: Int, channels c: Int,
                                        matches: UnsafePointer<Int32>, styleSquares: UnsafePointer<Float>,
                                        scale: Float, gather: UnsafeMutablePointer<Float>,
                                        gradient: UnsafeMutablePointer<Float>) -> Double {
        let (ph, pw, spw) = (h - 2, w - 2, sw - 2)
        guard ph > 0, pw > 0 else {
            gradient.update(repeating: 0, count: c * h * w)
            return 0
        }
        let plane = h * w
        var rowSums = [Double](repeating: 0, count: h)
        rowSums.withUnsafeMutableBufferPointer { sums in
            parallelFor(h) { y in
                var targetSquares = 0.0, cross = 0.0
                for x in 0..<w {
                    let g = gather + (y * w + x) * c
                    g.update(repeating: 0, count: c)
                    var covering: Float = 0
                    for ky in 0..<3 {
                        let py = y - ky
                        guard py >= 0 && py < ph else { continue }
                        for kx in 0..<3 {
                            let px = x - kx
                            guard px >= 0 && px < pw else { continue }
                            let j = Int(matches[py * pw + px])
                            let s = style + (((j / spw) + ky) * sw + (j % spw) + kx) * c
                            for ch in 0..<c { g[ch] += s[ch] }
                            covering += 1
                        }
                    }
                    let t = target + (y * w + x) * c
                    var tt: Float = 0, tg: Float = 0
                    for ch in 0..<c {
                        tt += t[ch] * t[ch]
                        tg += t[ch] * g[ch]
                        gradient[ch * plane + y * w + x] = 2 * scale * (covering * t[ch] - g[ch])
                    }
                    targetSquares += Double(covering) * Double(tt)
                    cross += Double(tg)
                }
                sums[y] = targetSquares - 2 * cross
            }
        }
        var styleSum = 0.0
        for i in 0..<(ph * pw) { styleSum += Double(styleSquares[Int(matches[i])]) }
        // Expanded, a perfect match leaves rounding either side of zero.
        return max(0, Double(scale) * (rowSums.reduce(0, +) + styleSum))
    }

    /// Scales each row's columns `[from, from + count)` to unit length (rows of zeros stay zero)
    /// and then by `scale`.
    public static func normaliseRows(_ rows: UnsafeMutablePointer<Float>, count n: Int, rowStride: Int,
                                     from: Int, columns: Int, scale: Float = 1) {
        guard columns > 0 else { return }
        parallelFor(n) { i in
            let row = rows + i * rowStride + from
            var sum: Float = 0
            for j in 0..<columns { sum += row[j] * row[j] }
            let factor = sum > 1e-12 ? scale / sum.squareRoot() : 0
            for j in 0..<columns { row[j] *= factor }
        }
    }
}


