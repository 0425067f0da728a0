import ArgumentParser
import Foundation
import Doodle
import Net

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the hot paths (medians of several runs after a warm-up).",
        subcommands: [NetBench.self, RenderBench.self, MatchBench.self])

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

extension BenchCommand {
    struct RenderBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "A fixed short doodle render, seconds per evaluation split into network, matching and optimiser.",
            discussion: "Defaults: ../shared/images Monet to Coastline when that folder exists, else samples/monet.jpg to samples/coast_sem.png.")
        @Option(help: "Style image.") var style: String?
        @Option(help: "Style map.") var styleMap: String?
        @Option(help: "Target map (the doodle).") var map: String?
        @Option(help: "Render size WxH.") var size: ImageSize = ImageSize(width: 256, height: 192)
        @Option(help: "Phases.") var phases = 2
        @Option(help: "Evaluations per phase.") var iterations = 20
        @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let shared = "../shared/images"
            let useShared = FileManager.default.fileExists(atPath: shared + "/Coastline_sem.png")
            let stylePath = style ?? (useShared ? shared + "/Monet.jpg" : "samples/monet.jpg")
            let styleMapPath = styleMap ?? (useShared ? shared + "/Monet_sem.png" : "samples/monet_sem.png")
            let mapPath = map ?? (useShared ? shared + "/Coastline_sem.png" : "samples/coast_sem.png")
            var inputs = RenderInputs(style: try Image.read(from: stylePath).rgb(),
                                      styleMap: try Image.read(from: styleMapPath),
                                      targetMap: try Image.read(from: mapPath),
                                      outputSize: (size.width, size.height))
            inputs.names.styleMap = styleMapPath
            inputs.names.targetMap = mapPath
            var settings = RenderSettings()
            settings.phases = phases
            settings.iterations = iterations
            let path = weights ?? WeightStore().defaultWeightsPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw UserError("'\(path)': no weights file; run scripts/setup")
            }
            let net = VGG19(weights: try VGG19Weights.load(path: path))
            let r = try RenderBenchmark(inputs: inputs, settings: settings).run(network: net)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(r), as: UTF8.self))
            } else {
                print("render \(r.width)x\(r.height) from \(mapPath), \(r.phases) phases x \(r.iterations) iterations: " +
                      String(format: "%.1f s, %.3f s per evaluation", r.seconds, r.secondsPerEvaluation))
                print(String(format: "per evaluation: network %.3f s, matching %.3f s, losses %.3f s, optimiser %.3f s; setup %.2f s in all",
                              r.networkPerEvaluation, r.matchingPerEvaluation, r.lossesPerEvaluation,
                              r.optimiserPerEvaluation, r.setupSeconds))
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
