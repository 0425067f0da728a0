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
        parallelRows(ph) { py in
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
        parallelRows(channels) { c in
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

    /// Scales each row's columns `[from, from + count)` to unit length (rows of zeros stay zero)
    /// and then by `scale`.
    public static func normaliseRows(_ rows: UnsafeMutablePointer<Float>, count n: Int, rowStride: Int,
                                     from: Int, columns: Int, scale: Float = 1) {
        guard columns > 0 else { return }
        parallelRows(n) { i in
            let row = rows + i * rowStride + from
            var sum: Float = 0
            for j in 0..<columns { sum += row[j] * row[j] }
            let factor = sum > 1e-12 ? scale / sum.squareRoot() : 0
            for j in 0..<columns { row[j] *= factor }
        }
    }
}

import Dispatch

/// Splits `count` independent items over the cores in contiguous chunks.
@inline(__always)
func parallelRows(_ count: Int, _ body: (Int) -> Void) {
    let chunks = min(count, 8)
    if chunks < 2 {
        for i in 0..<count { body(i) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let lo = count * chunk / chunks, hi = count * (chunk + 1) / chunks
        for i in lo..<hi { body(i) }
    }
}
