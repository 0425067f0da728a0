/// A dense float32 array in row-major order. Feature maps are `[C, H, W]`; convolution
/// weights are `[out, in, kh, kw]`; biases are `[out]`.
public struct Tensor: Equatable, Sendable {
    public let shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not hold \(data.count) values")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }

    /// `[C, H, W]` accessors for feature maps.
    public var channels: Int { shape.count == 3 ? shape[0] : 1 }
    public var height: Int { shape[shape.count - 2] }
    public var width: Int { shape[shape.count - 1] }
}
