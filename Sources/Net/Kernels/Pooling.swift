/// 2x2 pooling with stride 2. Input `[C, H, W]`, output `[C, H/2, W/2]` (rounded down:
/// an odd last row or column is dropped, as in VGG's own pooling).
public enum Pooling2x2 {
    public enum Kind: String, Sendable, CaseIterable {
        case average, max
    }

    public static func forward(_ kind: Kind, input: UnsafePointer<Float>, channels: Int,
                               height: Int, width: Int, output: UnsafeMutablePointer<Float>) {
        let oh = height / 2, ow = width / 2
        parallelFor(channels) { c in
            let src = input + c * height * width
            let dst = output + c * oh * ow
            for y in 0..<oh {
                let top = src + 2 * y * width, bottom = top + width
                for x in 0..<ow {
                    let a = top[2 * x], b = top[2 * x + 1], d = bottom[2 * x], e = bottom[2 * x + 1]
                    dst[y * ow + x] = kind == .average ? 0.25 * (a + b + d + e) : Swift.max(Swift.max(a, b), Swift.max(d, e))
                }
            }
        }
    }

    /// Input gradient from output gradient. Max pooling sends each gradient to the first
    /// maximum of its window (the forward input is needed to find it); dropped edges get 0.
    public static func backward(_ kind: Kind, outputGradient: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                inputGradient: UnsafeMutablePointer<Float>) {
        let oh = height / 2, ow = width / 2
        parallelFor(channels) { c in
            let g = outputGradient + c * oh * ow
            let src = input + c * height * width
            let dst = inputGradient + c * height * width
            dst.update(repeating: 0, count: height * width)
            for y in 0..<oh {
                for x in 0..<ow {
                    let v = g[y * ow + x]
                    let i00 = 2 * y * width + 2 * x, i10 = i00 + width
                    switch kind {
                    case .average:
                        let q = 0.25 * v
                        dst[i00] = q; dst[i00 + 1] = q; dst[i10] = q; dst[i10 + 1] = q
                    case .max:
                        var best = i00
                        if src[i00 + 1] > src[best] { best = i00 + 1 }
                        if src[i10] > src[best] { best = i10 }
                        if src[i10 + 1] > src[best] { best = i10 + 1 }
                        dst[best] = v
                    }
                }
            }
        }
    }
}
