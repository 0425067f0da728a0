import Net

/// Total variation with exponent 1.25 on the image (0...255): the mean over pixels and
/// channels of (dx^2 + dy^2)^1.25, times `weight` times `Smoothness.scale`.
public struct Smoothness {
    public var weight: Float

    /// Calibration of `--smoothness` for the normalised VGG19. neural-doodle tuned its
    /// default of 1 on plain VGG19, whose features are hundreds of times larger; on the
    /// normalised network the same number buries the style term and paints a grey blur.
    /// This scale makes the documented default give the sharp result (see README, "Tuning").
    public static let scale: Float = 1e-3

    public init(weight: Float) { self.weight = weight }

    /// Loss and its gradient with respect to `image` (`[3, H, W]`).
    public func evaluate(image: Tensor) -> (loss: Double, gradient: Tensor) {
        let (c, h, w) = (image.channels, image.height, image.width)
        var gradient = Tensor(zeros: image.shape)
        guard weight != 0, h > 1, w > 1 else { return (0, gradient) }
        let terms = c * (h - 1) * (w - 1)
        let k = weight * Self.scale / Float(terms)
        var sum = 0.0
        image.data.withUnsafeBufferPointer { x in
            gradient.data.withUnsafeMutableBufferPointer { g in
                for ch in 0..<c {
                    let base = ch * h * w
                    for y in 0..<(h - 1) {
                        for xx in 0..<(w - 1) {
                            let i = base + y * w + xx
                            let dx = x[i + 1] - x[i], dy = x[i + w] - x[i]
                            let s = dx * dx + dy * dy
                            guard s > 0 else { continue }
                            let root = s.squareRoot().squareRoot()   // s^0.25
                            sum += Double(s * root)                  // s^1.25
                            let ds = k * 1.25 * root * 2             // d(k s^1.25)/d(dx) = that * dx
                            g[i + 1] += ds * dx
                            g[i + w] += ds * dy
                            g[i] -= ds * (dx + dy)
                        }
                    }
                }
            }
        }
        return (sum * Double(k), gradient)
    }
}
