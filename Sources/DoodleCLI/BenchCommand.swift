import ArgumentParser
import Foundation
import Benchmarks
import Doodle
import Net

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the hot paths (medians of several runs after a warm-up).",
        subcommands: [NetBench.self, RenderBench.self, MatchBench.self, KernelBench.self])

    struct NetBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "net",
            abstract: "VGG19 forward to a layer plus the input gradient, per layer, against one large oneDNN convolution.")
        @Option(help: "Image size WxH.")
        var size: ImageSize = ImageSize(width: 512, height: 384)
        @Option(help: "Deepest layer, e.g. 4_1.")
        var layer: String = "4_1"
        @Option(help: "Timed runs after one warm-up.")
        var runs: Int = 5
        @Option(help: "Pooling: average or max.")
        var pooling: String = "average"
        @Option(help: "Network precision: auto, fp32 or bf16.")
        var precision: PrecisionSetting = .auto
        @Option(help: "onednn, or reference (im2col + sgemm).")
        var implementation: VGG19.Implementation = .oneDNN
        @Option(help: "fp32 convolutions from conv2_1 on: winograd (F(4x4,3x3)) or oneDNN's direct kernels.")
        var algorithm: ConvolutionAlgorithm = .winograd
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
            let loaded = try VGG19Weights.load(path: path)
            let choice = try PrecisionChoice.resolveChecked(precision, weights: loaded, cacheDirectory: WeightStore().home)
            let net = VGG19(weights: loaded, pooling: Pooling2x2.Kind(rawValue: pooling)!,
                            implementation: implementation, precision: choice.precision, algorithm: algorithm)
            let bench = NetBenchmark(width: size.width, height: size.height, layer: VGGLayer(name: layer)!, runs: runs)
            let r = bench.run(network: net)
            if json {
                try printJSON(r)
            } else {
                print("cpu: \(r.cpu.summary); oneDNN \(r.oneDNNVersion)")
                print("precision: \(r.precision) (\(choice.reason))")
                if !r.layers.isEmpty {
                    print("layer      forward  GFLOP/s  backward  GFLOP/s  kernels")
                    for l in r.layers {
                        print(String(format: "%-9@ %7.4f  %7.1f  %8.4f  %7.1f  %@ / %@", l.layer as NSString,
                                     l.forwardSeconds, l.forwardGflops, l.backwardSeconds, l.backwardGflops,
                                     l.forwardKernel as NSString, l.backwardKernel as NSString))
                    }
                }
                print(String(format: "net %dx%d to %@ (%@, %@, %@ pooling, %d threads): %.3f s (forward %.3f, backward %.3f), %.1f GFLOP, %.1f GFLOP/s",
                             r.width, r.height, r.layer, r.implementation, r.algorithm, r.pooling, r.threads, r.seconds,
                             r.forwardSeconds, r.backwardSeconds, r.gflop, r.gflops))
                print(String(format: "peak: %@ %.1f GFLOP/s (%@); network / peak %.2f; sgemm 2048: %.1f GFLOP/s",
                             r.peak.description, r.peak.gflops, r.peak.kernel, r.peakRatio, r.sgemmGflops))
                for w in r.warnings { print("warning: \(w)") }
            }
        }
    }
}

extension PrecisionSetting: ExpressibleByArgument {}
extension VGG19.Implementation: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
extension StyleLossKind: ExpressibleByArgument {}

extension BenchCommand {
    struct RenderBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "A fixed short doodle render, seconds per evaluation split into network, matching, losses and optimiser.",
            discussion: "Defaults: ../shared/images Monet to Coastline when that folder exists, else samples/monet.jpg to samples/coast_sem.png.")
        @Option(help: "Style image.") var style: String?
        @Option(help: "Style map.") var styleMap: String?
        @Option(help: "Target map (the doodle).") var map: String?
        @Option(help: "Render size WxH.") var size: ImageSize = ImageSize(width: 256, height: 192)
        @Option(help: "Phases.") var phases = 2
        @Option(help: "Evaluations per phase.") var iterations = 20
        @Option(help: "Style loss: patch or gram (the guided Gram loss with the maps).") var styleLoss: StyleLossKind = .patch
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
            settings.iterations = IterationSchedule([iterations])
            settings.styleLoss = styleLoss
            let path = weights ?? WeightStore().defaultWeightsPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw UserError("'\(path)': no weights file; run scripts/setup")
            }
            let net = VGG19(weights: try VGG19Weights.load(path: path))
            let r = try RenderBenchmark(inputs: inputs, settings: settings).run(network: net)
            if json {
                try printJSON(r)
            } else {
                print("render \(r.width)x\(r.height) from \(mapPath) with the \(r.styleLoss) loss, \(r.phases) phases x \(r.iterations) iterations: " +
                      String(format: "%.1f s, %.3f s per evaluation", r.seconds, r.secondsPerEvaluation))
                print(String(format: "per evaluation: network %.3f s, matching %.3f s, losses %.3f s, optimiser %.3f s; setup %.2f s in all",
                              r.networkPerEvaluation, r.matchingPerEvaluation, r.lossesPerEvaluation,
                              r.optimiserPerEvaluation, r.setupSeconds))
            }
        }
    }
}

extension BenchCommand {
    struct KernelBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kernels",
            abstract: "Small kernels: the patch dot product against its plain loop, resampling, SHA-256 of the weights, map detection.")
        @Option(help: "Timed runs after one warm-up.") var runs = 5
        @Option(help: "A map to detect classes in (default: a made-up 512x384 map).") var map: String?
        @Option(help: "A file to hash (default: the weights file when present).") var hash: String?
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            var bench = KernelBenchmark(runs: runs)
            if let map { bench.map = try Image.read(from: map) }
            let weights = WeightStore().defaultWeightsPath
            bench.hashFile = hash ?? (FileManager.default.fileExists(atPath: weights) ? weights : nil)
            let r = try bench.run()
            if json {
                try printJSON(r)
                return
            }
            print("cpu: \(r.cpu.summary); medians of \(r.runs) runs")
            for m in r.measures {
                let speedup = m.speedup.map { String(format: ", %.1fx the plain loop", $0) } ?? ""
                print(m.name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: "%9.2f ms", m.milliseconds)
                      + speedup + "  (\(m.detail))")
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
