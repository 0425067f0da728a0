import Net

/// The 3x3 patches of one layer of one image, with the layer's semantic map channels beside
/// the features:
/// - `pixels`: the features pixel by pixel, `[H, W, C]`, where a patch is three contiguous
///   runs of `3C` floats: what PatchMatch and the style loss read, 9x smaller than the rows;
/// - `features`: raw feature patches `[N, C*9]`, row by row;
/// - `keys`: `[N, (C+K)*9]`, the feature part and the map part each scaled to unit length,
///   the map part then multiplied by `mapWeight`, so a dot product of two keys is the
///   features' normalised cross-correlation plus `mapWeight` times the maps';
/// - `mapKeys`: the map part of the keys alone, `[N, K*9]`.
/// Built once per image and phase for the style; updated every evaluation for the target.
/// The patch rows (`features`, `keys`) are cut from the pixels on first use after an update:
/// the exact matchers read them, PatchMatch and the style loss never do.
public final class PatchBank {
    public let channels: Int
    public let mapChannels: Int
    public let height: Int
    public let width: Int
    public let count: Int
    public let mapWeight: Float
    public private(set) var pixels: [Float]
    public private(set) var mapKeys: [Float]
    private var source = Tensor(zeros: [0])
    private var patchFeatures: [Float] = []
    private var patchKeys: [Float] = []
    private var rowsAreStale = true

    public var featureDimension: Int { channels * 9 }
    public var keyDimension: Int { (channels + mapChannels) * 9 }
    public var patchWidth: Int { width - 2 }

    public var features: [Float] { cutRows(); return patchFeatures }
    public var keys: [Float] { cutRows(); return patchKeys }

    /// An empty bank shaped for `[C, H, W]` features and `[K, H, W]` map channels.
    public init(channels: Int, mapChannels: Int, height: Int, width: Int, mapWeight: Float) {
        self.channels = channels
        self.mapChannels = mapChannels
        self.height = height
        self.width = width
        self.mapWeight = mapWeight
        count = PatchKernels.patchCount(height: height, width: width)
        pixels = [Float](repeating: 0, count: height * width * channels)
        mapKeys = [Float](repeating: 0, count: count * mapChannels * 9)
        source = Tensor(zeros: [channels, height, width])
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
        let (k, n) = (mapChannels, count)
        map.data.withUnsafeBufferPointer { m in
            mapKeys.withUnsafeMutableBufferPointer { keys in
                PatchKernels.extract(m.baseAddress!, channels: k, height: height, width: width,
                                     into: keys.baseAddress!, rowStride: k * 9)
                PatchKernels.normaliseRows(keys.baseAddress!, count: n, rowStride: k * 9, from: 0,
                                           columns: k * 9, scale: mapWeight)
            }
        }
        rowsAreStale = true
    }

    /// Takes new features: the pixel-major copy now, the patch rows when next read.
    public func update(features new: Tensor) {
        precondition(new.shape == [channels, height, width], "features \(new.shape) do not fit the bank")
        source = new
        new.data.withUnsafeBufferPointer { f in
            pixels.withUnsafeMutableBufferPointer { p in
                PatchKernels.pixelMajor(f.baseAddress!, channels: channels, height: height, width: width,
                                        into: p.baseAddress!)
            }
        }
        rowsAreStale = true
    }

    private func cutRows() {
        guard rowsAreStale else { return }
        rowsAreStale = false
        let (c, k, d, n) = (channels, mapChannels, keyDimension, count)
        if patchFeatures.count != n * c * 9 {
            patchFeatures = [Float](repeating: 0, count: n * c * 9)
            patchKeys = [Float](repeating: 0, count: n * d)
        }
        source.data.withUnsafeBufferPointer { f in
            patchFeatures.withUnsafeMutableBufferPointer { raw in
                PatchKernels.extract(f.baseAddress!, channels: c, height: height, width: width,
                                     into: raw.baseAddress!, rowStride: c * 9)
            }
            patchKeys.withUnsafeMutableBufferPointer { keys in
                PatchKernels.extract(f.baseAddress!, channels: c, height: height, width: width,
                                     into: keys.baseAddress!, rowStride: d)
                PatchKernels.normaliseRows(keys.baseAddress!, count: n, rowStride: d, from: 0, columns: c * 9)
                guard k > 0 else { return }
                mapKeys.withUnsafeBufferPointer { m in
                    for i in 0..<n {
                        (keys.baseAddress! + i * d + c * 9).update(from: m.baseAddress! + i * k * 9, count: k * 9)
                    }
                }
            }
        }
    }
}
