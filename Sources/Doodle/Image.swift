/// An image or a semantic (label) map, stored planar as `[channel][row][column]`
/// floats with values nominally in 0...255.
///
/// `channels` is 3 for RGB and 1 for gray images and label maps; resampling and
/// the other helpers work with any channel count. Values outside 0...255 are
/// allowed in memory (bicubic upscaling can overshoot slightly) and are clamped
/// when written to a file.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// Planar samples: `pixels[(c * height + y) * width + x]`.
    public var pixels: [Float]
    /// Share of the pixels that were not opaque in the file read (composited over white).
    public var transparentShare = 0.0

    /// Wraps existing planar samples; `pixels.count` must be
    /// `channels * height * width` (a programming error otherwise).
    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        precondition(width > 0 && height > 0 && channels > 0,
                     "Image needs positive dimensions, got \(width)x\(height)x\(channels)")
        precondition(pixels.count == width * height * channels,
                     "Image \(width)x\(height)x\(channels) needs \(width * height * channels) samples, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image with every sample set to `value`.
    public init(width: Int, height: Int, channels: Int, repeating value: Float = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [Float](repeating: value, count: max(0, width * height * channels)))
    }

    /// An image whose samples are computed by `value(c, x, y)`.
    public init(width: Int, height: Int, channels: Int, _ value: (_ c: Int, _ x: Int, _ y: Int) -> Float) {
        var pixels = [Float]()
        pixels.reserveCapacity(max(0, width * height * channels))
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width { pixels.append(value(c, x, y)) }
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Number of samples in one channel plane (`width * height`).
    public var planeSize: Int { width * height }

    /// Index of sample `(c, x, y)` in `pixels`.
    @inlinable
    public func index(c: Int, x: Int, y: Int) -> Int { (c * height + y) * width + x }

    @inlinable
    public func pixel(c: Int, x: Int, y: Int) -> Float { pixels[(c * height + y) * width + x] }

    @inlinable
    public mutating func setPixel(c: Int, x: Int, y: Int, _ value: Float) {
        pixels[(c * height + y) * width + x] = value
    }

    @inlinable
    public subscript(c: Int, x: Int, y: Int) -> Float {
        get { pixels[(c * height + y) * width + x] }
        set { pixels[(c * height + y) * width + x] = newValue }
    }

    /// The samples of channel `c`, row after row.
    public func plane(_ c: Int) -> ArraySlice<Float> {
        pixels[(c * planeSize)..<((c + 1) * planeSize)]
    }

    /// Three-channel version: a gray image is repeated into R, G and B; an RGB
    /// image is returned unchanged. Other channel counts are a programming error.
    public func rgb() -> Image {
        if channels == 3 { return self }
        precondition(channels == 1, "rgb() needs a 1- or 3-channel image, got \(channels) channels")
        return Image(width: width, height: height, channels: 3, pixels: pixels + pixels + pixels)
    }

    /// Every sample limited to `range` (NaN becomes the lower bound).
    public func clamped(to range: ClosedRange<Float> = 0...255) -> Image {
        var copy = self
        copy.pixels = pixels.map { $0.isNaN ? range.lowerBound : min(max($0, range.lowerBound), range.upperBound) }
        return copy
    }

    /// Mean of every sample of channel `c`.
    public func mean(channel c: Int) -> Float {
        var sum = 0.0
        for v in plane(c) { sum += Double(v) }
        return Float(sum / Double(planeSize))
    }
}
