import Net

/// The 3x3 patches of one layer of one image, with the layer's semantic map channels beside
/// the features:
/// - `features`: raw feature patches `[N, C*9]`, what the style loss compares;
/// - `keys`: `[N, (C+K)*9]`, the feature part and the map part each scaled to unit length,
///   the map part then multiplied by `mapWeight`, so a dot product of two keys is the
///   features' normalised cross-correlation plus `mapWeight` times the maps'.
/// Built once per image and phase for the style; rebuilt every evaluation for the target.
public final class PatchBank {
    public let channels: Int
    public let mapChannels: Int
    public let height: Int
    public let width: Int
    public let count: Int
    public let mapWeight: Float
    public private(set) var features: [Float]
    public private(set) var keys: [Float]

    public var featureDimension: Int { channels * 9 }
    public var keyDimension: Int { (channels + mapChannels) * 9 }
    public var patchWidth: Int { width - 2 }

    /// An empty bank shaped for `[C, H, W]` features and `[K, H, W]` map channels.
    public init(channels: Int, mapChannels: Int, height: Int, width: Int, mapWeight: Float) {
        self.channels = channels
        self.mapChannels = mapChannels
        self.height = height
        self.width = width
        self.mapWeight = mapWeight
        count = PatchKernels.patchCount(height: height, width: width)
        features = [Float](repeating: 0, count: count * channels * 9)
        keys = [Float](repeating: 0, count: count * (channels + mapChannels) * 9)
    }

    /// A bank filled from `features` (`[C, H, W]`) and optional `map` (`[K, H, W]`).
    public convenience init(features: Tensor, map: Tensor?, mapWeight: Float) {
        self.init(channels: features.channels, mapChannels: map?.channels ?? 0,
                  height: features.height, width: features.width, mapWeight: mapWeight)
        setMap(map)
        update(features: features)
    }

    /// Writes the map part of every key (constant while the maps stay the same).
    public func setMap(_ map: Tensor?) {
        guard let map, mapChannels > 0 else { return }
        precondition(map.shape == [mapChannels, height, width], "map \(map.shape) does not fit the bank")
        let (k, d, n, c) = (mapChannels, keyDimension, count, channels)
        map.data.withUnsafeBufferPointer { m in
            keys.withUnsafeMutableBufferPointer { keys in
                PatchKernels.extract(m.baseAddress!, channels: k, height: height, width: width,
                                     into: keys.baseAddress!, rowStride: d, firstColumn: c * 9)
                PatchKernels.normaliseRows(keys.baseAddress!, count: n, rowStride: d, from: c * 9,
                                           columns: k * 9, scale: mapWeight)
            }
        }
    }

    /// Re-extracts the feature patches and the feature part of every key.
    public func update(features source: Tensor) {
        precondition(source.shape == [channels, height, width], "features \(source.shape) do not fit the bank")
        let (c, d, n) = (channels, keyDimension, count)
        source.data.withUnsafeBufferPointer { f in
            features.withUnsafeMutableBufferPointer { raw in
                PatchKernels.extract(f.baseAddress!, channels: c, height: height, width: width,
                                     into: raw.baseAddress!, rowStride: c * 9)
            }
            keys.withUnsafeMutableBufferPointer { keys in
                PatchKernels.extract(f.baseAddress!, channels: c, height: height, width: width,
                                     into: keys.baseAddress!, rowStride: d)
                PatchKernels.normaliseRows(keys.baseAddress!, count: n, rowStride: d, from: 0, columns: c * 9)
            }
        }
    }
}
