import Net

/// Mean squared difference to the content image's features at one layer, times `weight`.
public final class ContentLoss {
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
        let scale = weight / Float(max(1, features.count))
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
