import Dispatch
import Doodle
import Foundation
import Net
import Patches

/// The small kernels whose speed the unit tests used to assert (a shared machine made those
/// assertions flaky): the patch dot product against its plain loop, resampling, SHA-256,
/// map detection, and a Winograd convolution's passes against their matrix products alone. Medians of `runs` timed runs after a warm-up.
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
        measures += winograd(inChannels: 128, outChannels: 128, height: 192, width: 256)
        measures += winograd(inChannels: 256, outChannels: 256, height: 96, width: 128)
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
        let (fast, baseline, plain) = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                (time { for r in 0..<2000 { sink += PatchMatchMatcher.dot(pa.baseAddress!, pb.baseAddress! + (r & 7), count: 2304) } },
                 time { for r in 0..<2000 { sink += PatchMatchMatcher.baselineDot(pa.baseAddress!, pb.baseAddress! + (r & 7), count: 2304) } },
                 time { for r in 0..<2000 { sink += PatchMatchMatcher.scalarDot(pa.baseAddress!, pb.baseAddress! + (r & 7), count: 2304) } })
            }
        }
        // As PatchMatch reads them: three runs of 3C floats per score, style patches anywhere in
        // conv3_1's features of a 512x384 style (12.6 MB).
        let (c, w, h) = (256, 128, 96)
        let style = rng.floats(c * w * h, in: -1...1), target = rng.floats(c * w * 3, in: -1...1)
        let picks = (0..<4000).map { _ in Int(rng.next() % UInt64((h - 2) * w - 2)) }
        func scattered(_ dot: (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float) -> Double {
            style.withUnsafeBufferPointer { sp in
                target.withUnsafeBufferPointer { tp in
                    time {
                        for s in picks {
                            for row in 0..<3 { sink += dot(tp.baseAddress! + row * w * c, sp.baseAddress! + (s + row * w) * c, 3 * c) }
                        }
                    }
                }
            }
        }
        let spread = scattered { PatchMatchMatcher.dot($0, $1, count: $2) }
        let spreadBaseline = scattered { PatchMatchMatcher.baselineDot($0, $1, count: $2) }
        precondition(sink.isFinite)
        let kernel = PatchMatchMatcher.dotKernel
        return [Measure(name: "patch dot", milliseconds: fast, speedup: plain / fast,
                        detail: String(format: "2000 dot products of 2304 floats (a 3x3 conv3_1 patch), %@; sse2 %.2f ms, plain loop %.2f ms",
                                       kernel, baseline, plain)),
                Measure(name: "patch dot, scattered", milliseconds: spread, speedup: nil,
                        detail: String(format: "4000 patch scores at random places of a 12.6 MB style, %@; sse2 %.2f ms",
                                       kernel, spreadBaseline))]
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

    /// One Winograd convolution (a VGG19 layer's shape at a 512x384 input): the forward pass,
    /// its adjoint, and their 36 matrix products alone (the rest is the transforms).
    func winograd(inChannels cin: Int, outChannels cout: Int, height h: Int, width w: Int) -> [Measure] {
        var rng = SplitMix64(seed: 5)
        let weights = rng.floats(cout * cin * 9, in: -0.1...0.1), bias = rng.floats(cout, in: -0.1...0.1)
        let conv = weights.withUnsafeBufferPointer { wp in
            bias.withUnsafeBufferPointer { WinogradConvolution(weights: wp.baseAddress!, bias: $0.baseAddress!, inChannels: cin,
                                                               outChannels: cout, height: h, width: w, relu: true) }
        }
        let input = rng.floats(max(cin, cout) * h * w, in: 0...1)
        var output = [Float](repeating: 0, count: max(cin, cout) * h * w)
        var scratch = [Float](repeating: 0, count: conv.scratchCount)
        let tiles = conv.bandRows * ((w + 3) / 4), bands = ((h + 3) / 4 + conv.bandRows - 1) / conv.bandRows
        let shape = "\(cin)->\(cout) \(w)x\(h)"
        let flop = 2.0 * 9 * Double(cin * cout * h * w)
        return input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                scratch.withUnsafeMutableBufferPointer { s in
                    let (i, o, t) = (x.baseAddress!, y.baseAddress!, s.baseAddress!)
                    let forward = time { conv.run(input: i, output: o, scratch: t) }
                    let adjoint = time { conv.runAdjoint(outputGradient: i, inputGradient: o, scratch: t) }
                    func products(transposed: Bool) -> Double {
                        time {
                            for _ in 0..<bands {
                                for point in 0..<36 {
                                    BLAS.sgemm(m: tiles, n: transposed ? cin : cout, k: transposed ? cout : cin,
                                               a: t, lda: transposed ? cout : cin, b: i, ldb: transposed ? cin : cout,
                                               transposeB: transposed, c: t + 36 * tiles * cin + point * tiles * cout,
                                               ldc: transposed ? cin : cout)
                                }
                            }
                        }
                    }
                    let (f, a) = (products(transposed: false), products(transposed: true))
                    return [
                        Measure(name: "winograd \(shape)", milliseconds: forward, speedup: nil,
                                detail: String(format: "forward, %.0f direct-equivalent GFLOP/s; its products alone %.2f ms", flop / forward / 1e6, f)),
                        Measure(name: "winograd adjoint \(shape)", milliseconds: adjoint, speedup: nil,
                                detail: String(format: "input gradient, %.0f direct-equivalent GFLOP/s; its products alone %.2f ms", flop / adjoint / 1e6, a)),
                    ]
                }
            }
        }
    }
}
