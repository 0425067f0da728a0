import Net

/// Mean squared difference to the content image's features at one layer, times `weight`
/// times `ContentLoss.scale`.
public final class ContentLoss {
    /// Calibration of `--content-weight` for the normalised VGG19, as `Smoothness.scale` is for
    /// `--smoothness`. neural-doodle's default of 10 was tuned on plain VGG19; here it let the
    /// style paint over the content (structure similarity 0.61 for a Renoir in Monet's
    /// brushwork at 256x160). Swept on a plain transfer and a portrait with a detailed and a
    /// three-class map (README, "Tuning"), this scale makes the documented default keep the
    /// content's layout with the style's brushwork on top.
    public static let scale: Float = 2.5

    public let layer: VGGLayer
    public var weight: Float
    public let content: Tensor

    public init(layer: VGGLayer, weight: Float, content: Tensor) {
        self.layer = layer
        self.weight = weight
        self.content = content
    }

    public func evaluate(features: Tensor) -> (loss: Double, gradient: Tensor) {
        precondition(features.shape == content.shape, "content features differ in shape")
        let scale = weight * Self.scale / Float(max(1, features.count))
        var gradient = Tensor(zeros: features.shape)
        var sum = 0.0
        for i in 0..<features.count {
            let diff = features.data[i] - content.data[i]
            sum += Double(diff * diff)
            gradient.data[i] = 2 * scale * diff
        }
        return (sum * Double(scale), gradient)
    }
}
