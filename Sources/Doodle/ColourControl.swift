import Foundation

// Keeping the content's colours (Gatys et al. 2017, "Controlling Perceptual Factors in Neural
// Style Transfer", section 4), in two ways:
// - luminance only: style and content become grey (their YIQ luminance, the style's matched
//   to the content's mean and spread), the transfer runs on them, and the result's luminance
//   is joined to the content's chrominance (I and Q);
// - colour histogram matching: the style's colours are moved by the affine map that gives
//   their mean and covariance the content's (x' = A (x - mu_s) + mu_c with
//   A = Sigma_c^1/2 Sigma_s^-1/2), and the transfer runs on that style.
public enum ColourControl {
    /// RGB to YIQ (NTSC 1953, as Gatys et al. use it).
    static let toYIQ: [Float] = [0.299, 0.587, 0.114,
                                 0.595716, -0.274453, -0.321263,
                                 0.211456, -0.522591, 0.311135]

    /// The image's luminance in all three channels. With `like`, the luminance is first shifted
    /// and scaled to that image's luminance mean and standard deviation.
    public static func grey(_ image: Image, like reference: Image? = nil) -> Image {
        var y = luminance(image)
        if let reference {
            let target = luminance(reference)
            let (m0, s0) = meanAndDeviation(y), (m1, s1) = meanAndDeviation(target)
            let gain = s0 > 1e-6 ? s1 / s0 : 1
            y = y.map { ($0 - m0) * gain + m1 }
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: y + y + y).clamped()
    }

    /// `result`'s luminance with the chrominance of `colours` (resampled to the result's size
    /// when it has another).
    public static func recolour(_ result: Image, withColoursOf colours: Image) -> Image {
        let rgb = colours.rgb()
        let source = rgb.width == result.width && rgb.height == result.height
            ? rgb : rgb.resized(toWidth: result.width, height: result.height)
        let n = result.planeSize
        let y = luminance(result)
        let m = toYIQ
        var out = [Float](repeating: 0, count: 3 * n)
        for p in 0..<n {
            let (r, g, b) = (source.pixels[p], source.pixels[n + p], source.pixels[2 * n + p])
            let i = m[3] * r + m[4] * g + m[5] * b, q = m[6] * r + m[7] * g + m[8] * b
            // YIQ to RGB.
            out[p] = y[p] + 0.9563 * i + 0.6210 * q
            out[n + p] = y[p] - 0.2721 * i - 0.6474 * q
            out[2 * n + p] = y[p] - 1.1070 * i + 1.7046 * q
        }
        return Image(width: result.width, height: result.height, channels: 3, pixels: out).clamped()
    }

    /// `style` with its colours' mean and covariance made `content`'s.
    public static func matchColours(_ style: Image, to content: Image) -> Image {
        let (ms, cs) = statistics(style.rgb()), (mc, cc) = statistics(content.rgb())
        let a = multiply(symmetricPower(cc, 0.5), symmetricPower(cs, -0.5))
        let n = style.planeSize
        var out = [Float](repeating: 0, count: 3 * n)
        let s = style.rgb().pixels
        for p in 0..<n {
            let d = [Double(s[p]) - ms[0], Double(s[n + p]) - ms[1], Double(s[2 * n + p]) - ms[2]]
            for c in 0..<3 {
                out[c * n + p] = Float(a[c * 3] * d[0] + a[c * 3 + 1] * d[1] + a[c * 3 + 2] * d[2] + mc[c])
            }
        }
        return Image(width: style.width, height: style.height, channels: 3, pixels: out).clamped()
    }

    static func luminance(_ image: Image) -> [Float] {
        let rgb = image.rgb(), n = rgb.planeSize
        return (0..<n).map { 0.299 * rgb.pixels[$0] + 0.587 * rgb.pixels[n + $0] + 0.114 * rgb.pixels[2 * n + $0] }
    }

    static func meanAndDeviation(_ values: [Float]) -> (Float, Float) {
        let mean = values.reduce(0, +) / Float(max(1, values.count))
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(max(1, values.count))
        return (mean, variance.squareRoot())
    }

    /// Mean colour and 3x3 covariance (row-major).
    public static func statistics(_ image: Image) -> (mean: [Double], covariance: [Double]) {
        let n = image.planeSize
        var mean = [0.0, 0, 0]
        for c in 0..<3 { mean[c] = image.pixels[(c * n)..<((c + 1) * n)].reduce(0.0) { $0 + Double($1) } / Double(n) }
        var cov = [Double](repeating: 0, count: 9)
        for p in 0..<n {
            let d = (0..<3).map { Double(image.pixels[$0 * n + p]) - mean[$0] }
            for i in 0..<3 { for j in 0..<3 { cov[i * 3 + j] += d[i] * d[j] } }
        }
        // A small ridge keeps a flat image's inverse root finite.
        return (mean, (0..<9).map { cov[$0] / Double(n) + ($0 % 4 == 0 ? 1e-3 : 0) })
    }

    /// M^power for a symmetric positive definite 3x3 matrix, by its eigen decomposition.
    static func symmetricPower(_ m: [Double], _ power: Double) -> [Double] {
        let (values, vectors) = jacobiEigen(m)
        var out = [Double](repeating: 0, count: 9)
        for k in 0..<3 {
            let scaled = pow(max(values[k], 1e-9), power)
            for i in 0..<3 { for j in 0..<3 { out[i * 3 + j] += vectors[i * 3 + k] * scaled * vectors[j * 3 + k] } }
        }
        return out
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        (0..<9).map { idx in
            let (i, j) = (idx / 3, idx % 3)
            return (0..<3).reduce(0) { $0 + a[i * 3 + $1] * b[$1 * 3 + j] }
        }
    }

    /// Eigenvalues and eigenvectors (columns) of a symmetric 3x3 matrix (cyclic Jacobi).
    static func jacobiEigen(_ m: [Double]) -> (values: [Double], vectors: [Double]) {
        var a = m
        var v: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
        for _ in 0..<50 {
            let off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5]
            if off < 1e-20 { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where abs(a[p * 3 + q]) > 1e-30 {
                let theta = (a[q * 3 + q] - a[p * 3 + p]) / (2 * a[p * 3 + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<3 {  // columns p, q of A
                    let (akp, akq) = (a[k * 3 + p], a[k * 3 + q])
                    a[k * 3 + p] = c * akp - s * akq
                    a[k * 3 + q] = s * akp + c * akq
                }
                for k in 0..<3 {  // rows p, q
                    let (apk, aqk) = (a[p * 3 + k], a[q * 3 + k])
                    a[p * 3 + k] = c * apk - s * aqk
                    a[q * 3 + k] = s * apk + c * aqk
                }
                for k in 0..<3 {
                    let (vkp, vkq) = (v[k * 3 + p], v[k * 3 + q])
                    v[k * 3 + p] = c * vkp - s * vkq
                    v[k * 3 + q] = s * vkp + c * vkq
                }
            }
        }
        return ([a[0], a[4], a[8]], v)
    }
}
