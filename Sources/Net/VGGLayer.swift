/// The sixteen 3x3 convolutions of VGG19, named as in the papers. Features are taken
/// after the ReLU that follows each one.
public enum VGGLayer: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case conv1_1, conv1_2
    case conv2_1, conv2_2
    case conv3_1, conv3_2, conv3_3, conv3_4
    case conv4_1, conv4_2, conv4_3, conv4_4
    case conv5_1, conv5_2, conv5_3, conv5_4

    static let blockSizes = [2, 2, 4, 4, 4]
    static let blockChannels = [64, 128, 256, 512, 512]

    /// 1-based block and position, e.g. conv3_1 -> (3, 1).
    public var block: Int { position.block }
    public var indexInBlock: Int { position.index }

    private var position: (block: Int, index: Int) {
        var i = rawValue
        for (b, size) in Self.blockSizes.enumerated() {
            if i < size { return (b + 1, i + 1) }
            i -= size
        }
        fatalError("unreachable")
    }

    public var name: String { "conv\(block)_\(indexInBlock)" }
    public var description: String { name }

    public var outChannels: Int { Self.blockChannels[block - 1] }
    public var inChannels: Int {
        rawValue == 0 ? 3 : VGGLayer(rawValue: rawValue - 1)!.outChannels
    }
    /// A 2x2 pooling sits between the previous layer and this one.
    public var followsPooling: Bool { block > 1 && indexInBlock == 1 }
    /// Spatial size divisor relative to the input image.
    public var stride: Int { 1 << (block - 1) }
    /// The smallest side, in pixels, of an image whose features here hold a 3x3 patch: the
    /// one minimum-size rule of renders and scores.
    public var minimumSide: Int { stride * 3 }

    /// Accepts "conv3_1", "3_1" and "relu3_1".
    public init?(name: String) {
        var s = Substring(name.lowercased())
        for prefix in ["conv", "relu"] where s.hasPrefix(prefix) { s = s.dropFirst(prefix.count) }
        let parts = s.split(separator: "_")
        guard parts.count == 2, let b = Int(parts[0]), let i = Int(parts[1]),
              (1...5).contains(b), (1...Self.blockSizes[b - 1]).contains(i) else { return nil }
        self.init(rawValue: Self.blockSizes.prefix(b - 1).reduce(0, +) + i - 1)
    }

    public static func < (a: VGGLayer, b: VGGLayer) -> Bool { a.rawValue < b.rawValue }
}
