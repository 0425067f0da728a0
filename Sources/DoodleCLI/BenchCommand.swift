import ArgumentParser
import Foundation
import Net

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the hot paths (medians of several runs after a warm-up).",
        subcommands: [NetBench.self])

    struct NetBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "net",
            abstract: "VGG19 forward to a layer plus the backward pass, against this machine's sgemm.")
        @Option(help: "Image size WxH.")
        var size: ImageSize = ImageSize(width: 512, height: 384)
        @Option(help: "Deepest layer, e.g. 4_2.")
        var layer: String = "4_2"
        @Option(help: "Timed runs after one warm-up.")
        var runs: Int = 5
        @Option(help: "Pooling: average or max.")
        var pooling: String = "average"
        @Option(help: "Weights file (default: `doodle weights path`).")
        var weights: String?
        @Flag(help: "Print one JSON object.")
        var json = false

        func validate() throws {
            guard VGGLayer(name: layer) != nil else {
                throw ValidationError("--layer '\(layer)' is not a VGG19 layer; use e.g. 3_1 or conv4_2")
            }
            guard Pooling2x2.Kind(rawValue: pooling) != nil else {
                throw ValidationError("--pooling must be average or max")
            }
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        }

        func run() throws {
            let path = weights ?? WeightStore().defaultWeightsPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw UserError("'\(path)': no weights file; run scripts/setup")
            }
            let net = VGG19(weights: try VGG19Weights.load(path: path), pooling: Pooling2x2.Kind(rawValue: pooling)!)
            let bench = NetBenchmark(width: size.width, height: size.height, layer: VGGLayer(name: layer)!, runs: runs)
            let result = bench.run(network: net)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(String(format: "net %dx%d to %@ (%@ pooling, %d threads): %.3f s (forward %.3f, backward %.3f), %.1f GFLOP, %.1f GFLOP/s",
                             result.width, result.height, result.layer, result.pooling, result.threads, result.seconds,
                             result.forwardSeconds, result.backwardSeconds, result.gflop, result.gflops))
                print(String(format: "sgemm 2048: %.1f GFLOP/s; ratio %.2f", result.sgemmGflops, result.ratio))
            }
        }
    }
}

struct ImageSize: ExpressibleByArgument {
    let width: Int
    let height: Int
    init(width: Int, height: Int) { self.width = width; self.height = height }
    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w >= 16, h >= 16, w <= 8192, h <= 8192 else {
            return nil
        }
        self.init(width: w, height: h)
    }
    var defaultValueDescription: String { "\(width)x\(height)" }
}
