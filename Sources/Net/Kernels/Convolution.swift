import Dispatch

/// 3x3 convolution, stride 1, zero padding 1 ("same"), as im2col + sgemm.
///
/// Buffers: input `[Cin, H, W]`, weights `[Cout, Cin*9]`, output `[Cout, H, W]`,
/// columns `[Cin*9, rows*W]` for one band of output rows. Bands keep the column buffer
/// bounded (and warm in cache) whatever the image size; sgemm writes each band straight
/// into its rows of the output through the leading dimension `H*W`.
public enum Convolution3x3 {
    /// Column buffer floats the fast kernel wants for a layer (one band).
    public static func columnCapacity(inChannels: Int, width: Int, height: Int,
                                      budget: Int = 1 << 21) -> Int {
        let perRow = inChannels * 9 * width
        let rows = max(1, min(height, budget / max(perRow, 1)))
        return rows * perRow
    }

    /// output = weights * im2col(input) + bias, then ReLU when `relu`.
    public static func forward(
        input: UnsafePointer<Float>, inChannels: Int, height: Int, width: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int,
        output: UnsafeMutablePointer<Float>, relu: Bool,
        columns: UnsafeMutablePointer<Float>, columnCapacity: Int
    ) {
        let k = inChannels * 9
        let plane = height * width
        let bandRows = max(1, min(height, columnCapacity / (k * width)))
        precondition(bandRows * k * width <= columnCapacity, "column buffer too small")
        var y0 = 0
        while y0 < height {
            let rows = min(bandRows, height - y0)
            im2col(input: input, channels: inChannels, height: height, width: width,
                   firstRow: y0, rows: rows, columns: columns)
            BLAS.sgemm(m: outChannels, n: rows * width, k: k,
                       a: weights, lda: k, b: columns, ldb: rows * width,
                       c: output + y0 * width, ldc: plane)
            y0 += rows
        }
        addBiasAndRectify(output: output, channels: outChannels, plane: plane, bias: bias, relu: relu)
    }

    /// Unrolls rows [firstRow, firstRow + rows) of the 3x3 neighbourhoods:
    /// columns[(c*9 + ky*3 + kx), r*W + x] = input[c, firstRow + r + ky - 1, x + kx - 1] (0 outside).
    static func im2col(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                       firstRow: Int, rows: Int, columns: UnsafeMutablePointer<Float>) {
        let n = rows * width
        parallelFor(channels) { c in
            let src = input + c * height * width
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let dst = columns + (c * 9 + ky * 3 + kx) * n
                    let dx = kx - 1
                    for r in 0..<rows {
                        let y = firstRow + r + ky - 1
                        let line = dst + r * width
                        guard y >= 0 && y < height else {
                            line.update(repeating: 0, count: width)
                            continue
                        }
                        let srcLine = src + y * width
                        // Interior copy, then the one column that falls outside.
                        let lo = max(0, -dx), hi = min(width, width - dx)
                        if lo > 0 { line[0] = 0 }
                        if hi < width { line[width - 1] = 0 }
                        (line + lo).update(from: srcLine + lo + dx, count: hi - lo)
                    }
                }
            }
        }
    }

    static func addBiasAndRectify(output: UnsafeMutablePointer<Float>, channels: Int, plane: Int,
                                  bias: UnsafePointer<Float>?, relu: Bool) {
        guard bias != nil || relu else { return }
        parallelFor(channels) { c in
            let row = output + c * plane
            let b = bias?[c] ?? 0
            if relu {
                for i in 0..<plane { row[i] = max(row[i] + b, 0) }
            } else {
                for i in 0..<plane { row[i] += b }
            }
        }
    }

    /// Weights for the input gradient: the gradient of a "same" 3x3 convolution with
    /// respect to its input is another "same" 3x3 convolution of the output gradient, with
    /// in/out swapped and the kernel rotated by 180 degrees.
    /// `[Cout, Cin, 3, 3]` -> `[Cin, Cout, 3, 3]`.
    public static func transposedFlipped(_ weights: [Float], outChannels: Int, inChannels: Int) -> [Float] {
        var result = [Float](repeating: 0, count: weights.count)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for t in 0..<9 {
                    result[(i * outChannels + o) * 9 + (8 - t)] = weights[(o * inChannels + i) * 9 + t]
                }
            }
        }
        return result
    }

    /// Direct seven-loop convolution: the readable reference the fast kernel is tested against.
    public static func reference(input: [Float], inChannels: Int, height: Int, width: Int,
                                 weights: [Float], bias: [Float]?, outChannels: Int, relu: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: outChannels * height * width)
        for o in 0..<outChannels {
            for y in 0..<height {
                for x in 0..<width {
                    var sum = Double(bias?[o] ?? 0)
                    for i in 0..<inChannels {
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let yy = y + ky - 1, xx = x + kx - 1
                                guard yy >= 0, yy < height, xx >= 0, xx < width else { continue }
                                sum += Double(weights[((o * inChannels + i) * 3 + ky) * 3 + kx])
                                    * Double(input[(i * height + yy) * width + xx])
                            }
                        }
                    }
                    out[(o * height + y) * width + x] = relu ? Float(max(sum, 0)) : Float(sum)
                }
            }
        }
        return out
    }
}


