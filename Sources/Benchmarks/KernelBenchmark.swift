import Dispatch
import Doodle
import Foundation
import Net
import Patches

/// The small kernels whose speed the unit tests used to assert (a shared machine made those
/// assertions flaky): the patch dot product against its plain loop, resampling, SHA-256 and
/// map detection. Medians of `runs` timed runs after a warm-up.
public struct KernelBenchmark {
    public struct Measure: Codable, Sendable {
        public let name: String
        /// Median milliseconds per run.
        public let milliseconds: Double
        /// Against the plain reference of the same kernel, when there is one (plain / this).
        public let speedup: Double?
        /// What was measured, one line.
        public let detail: String
    }

    public struct Result: Codable, Sendable {
        public let cpu: CPUInfo
        public let runs: Int
        public let measures: [Measure]
    }

    public let runs: Int
    /// A map to detect classes in (default: a made-up 512x384 map of five classes).
    public var map: Image?
    /// A file to hash (default: 64 MB of made-up bytes in memory).
    public var hashFile: String?

    public init(runs: Int = 5) { self.runs = max(1, runs) }

    public func run() throws -> Result {
        var measures = dot()
        measures += resampling()
        measures.append(try hashing())
        measures.append(detection())
        return Result(cpu: .current, runs: runs, measures: measures)
    }

    /// Median milliseconds of `body` over `runs` runs after one warm-up.
    func time(_ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now()
            body()
            times.append(seconds(start, DispatchTime.now()) * 1000)
        }
        return median(times)
    }

    func dot() -> [Measure] {
        var rng = SplitMix64(seed: 12)
        let a = rng.floats(5000, in: -1...1), b = rng.floats(5000, in: -1...1)
        var sink: Float = 0
        let (fast, plain) = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                (time { for r in 0..<2000 { sink += PatchMatchMatcher.dot(pa.baseAddress!, pb.baseAddress! + (r & 7), count: 2304) } },
                 time { for r in 0..<2000 { sink += PatchMatchMatcher.scalarDot(pa.baseAddress!, pb.baseAddress! + (r & 7), count: 2304) } })
            }
        }
        precondition(sink.isFinite)
        return [Measure(name: "patch dot", milliseconds: fast, speedup: plain / fast,
                        detail: String(format: "2000 dot products of 2304 floats (a 3x3 conv3_1 patch); plain loop %.2f ms", plain))]
    }

    func resampling() -> [Measure] {
        var rng = SplitMix64(seed: 7)
        let image = Image(width: 512, height: 384, channels: 3, pixels: rng.floats(512 * 384 * 3, in: 0...255))
        let half = image.downscaled(toWidth: 256, height: 192)
        return [
            ("downscale 512x384 -> 256x192", { _ = image.downscaled(toWidth: 256, height: 192) }),
            ("downscale 512x384 -> 301x227", { _ = image.downscaled(toWidth: 301, height: 227) }),
            ("upscale 256x192 -> 512x384", { _ = half.upscaled(toWidth: 512, height: 384) }),
            ("resize 512x384 -> 700x200", { _ = image.resized(toWidth: 700, height: 200) }),
        ].map { name, body in Measure(name: name, milliseconds: time(body), speedup: nil, detail: "RGB") }
    }

    func hashing() throws -> Measure {
        if let hashFile {
            let size = Double((try FileManager.default.attributesOfItem(atPath: hashFile)[.size] as? Int) ?? 0)
            var failure: Error?
            let ms = time { do { _ = try SHA256.hexDigest(ofFile: hashFile) } catch { failure = error } }
            if let failure { throw failure }
            return Measure(name: "sha256 file", milliseconds: ms, speedup: nil,
                           detail: String(format: "%@: %.0f MB/s", hashFile, size / 1e6 / (ms / 1000)))
        }
        let bytes = [UInt8](repeating: 0x5a, count: 64 << 20)
        let ms = time { _ = SHA256.hexDigest(of: bytes) }
        return Measure(name: "sha256 64 MB", milliseconds: ms, speedup: nil,
                       detail: String(format: "in memory: %.0f MB/s", 64 * 1.048576 / (ms / 1000)))
    }

    func detection() -> Measure {
        let image = map ?? Image(width: 512, height: 384, channels: 3) { c, x, y in
            let k = (x / 103 + y / 97) % 5
            return [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [255, 255, 255]][k][c]
        }
        let pixels = MapPixels(image: image, name: "map")
        var classes = 0
        let ms = time { classes = SemanticMap.detect([pixels])[0].palette.count }
        return Measure(name: "map detection", milliseconds: ms, speedup: nil,
                       detail: "\(image.width)x\(image.height), \(classes) classes: detect and label")
    }
}
