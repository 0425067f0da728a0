import ArgumentParser
import Benchmarks
import Doodle
import Foundation
import Net
import Patches

extension BenchCommand {
    struct MatchBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "match",
            abstract: "Patch matchers side by side: milliseconds per call and mean score gap at each style layer, then a short synthesis each.",
            discussion: """
            Calls: the style at --size, the target the style mirrored with the target map beside it; a cold \
            first call, then --runs warm calls each on slightly different features (medians), and for \
            patchmatch --runs more on unchanged features. Synthesis: --phases phases (default 1) of --iterations evaluations at \
            --synthesis-size per matcher and seed (--seeds runs from seeds --seed, --seed+1, ...; every matcher \
            gets the same seeds); the style loss each reports, the style loss of its final image matched exactly, \
            and `doodle score` of that image, with differences to exact paired by seed and averaged. \
            Defaults: ../shared/images Monet to Coastline when that folder exists, else samples/monet.jpg to samples/coast_sem.png.
            """)
        @Option(help: "Style image.") var style: String?
        @Option(help: "Style map.") var styleMap: String?
        @Option(help: "Target map (the doodle).") var map: String?
        @Option(help: "Size WxH for the per-call timings.") var size: ImageSize = ImageSize(width: 512, height: 384)
        @Option(help: "Style layers, comma-separated.") var layers: String = "3_1,4_1"
        @Option(help: "Matchers, comma-separated (exact is always run as the reference).")
        var matchers: String = MatcherKind.allCases.map(\.rawValue).joined(separator: ",")
        @Option(help: "Warm calls per matcher (medians).") var runs = 5
        @Option(help: "Synthesis size WxH.") var synthesisSize: ImageSize = ImageSize(width: 256, height: 192)
        @Option(help: "Evaluations per synthesis phase.") var iterations = 30
        @Option(help: "Synthesis phases (coarse to fine).") var phases = 1
        @Option(help: "Synthesis runs per matcher, one per seed.") var seeds = 5
        @Option(help: "First seed of the synthesis runs.") var seed: UInt64 = 0
        @Flag(help: "Skip the per-call timings.") var noCalls = false
        @Flag(help: "Skip the synthesis runs.") var noSynthesis = false
        @Flag(help: "Skip scoring the synthesis results.") var noScore = false
        @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?
        @Flag(help: "Print one JSON object.") var json = false

        private func pad(_ name: String) -> String { name.padding(toLength: 10, withPad: " ", startingAt: 0) }

        func validate() throws {
            for name in layers.split(separator: ",") where VGGLayer(name: String(name)) == nil {
                throw ValidationError("--layers: '\(name)' is not a VGG19 layer; use e.g. 3_1,4_1")
            }
            for name in matchers.split(separator: ",") where MatcherKind(rawValue: String(name)) == nil {
                throw ValidationError("--matchers: '\(name)' is not one of \(MatcherKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard runs >= 1, iterations >= 1, phases >= 1, seeds >= 1 else {
                throw ValidationError("--runs, --iterations, --phases and --seeds must be at least 1")
            }
        }

        func run() throws {
            let shared = "../shared/images"
            let useShared = FileManager.default.fileExists(atPath: shared + "/Coastline_sem.png")
            let stylePath = style ?? (useShared ? shared + "/Monet.jpg" : "samples/monet.jpg")
            let styleMapPath = styleMap ?? (useShared ? shared + "/Monet_sem.png" : "samples/monet_sem.png")
            let mapPath = map ?? (useShared ? shared + "/Coastline_sem.png" : "samples/coast_sem.png")
            var options = MatchBenchmark.Options()
            options.size = (size.width, size.height)
            options.layers = noCalls ? [] : layers.split(separator: ",").map { VGGLayer(name: String($0))! }
            options.matchers = matchers.split(separator: ",").map { MatcherKind(rawValue: String($0))! }
            options.runs = runs
            options.synthesisSize = (synthesisSize.width, synthesisSize.height)
            options.iterations = iterations
            options.phases = phases
            options.seeds = seeds
            options.randomSeed = seed
            options.synthesis = !noSynthesis
            options.score = !noScore
            let path = weights ?? WeightStore().defaultWeightsPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw UserError("'\(path)': no weights file; run scripts/setup")
            }
            let bench = MatchBenchmark(style: try Image.read(from: stylePath), styleMap: try Image.read(from: styleMapPath),
                                       targetMap: try Image.read(from: mapPath), options: options)
            let net = VGG19(weights: try VGG19Weights.load(path: path))
            let r = try bench.run(network: net)
            if json {
                try printJSON(r)
                return
            }
            print("match \(r.width)x\(r.height), \(stylePath) to \(mapPath), \(r.threads) threads, medians of \(r.runs) calls")
            for layer in r.layers {
                print(String(format: "%@: %d target x %d style patches of %d, exact %.0f GFLOP per call", layer.layer,
                             layer.targetPatches, layer.stylePatches, layer.keyDimension, layer.exactGflopPerCall))
                for m in layer.matchers {
                    var line = String(format: "  %@ cold %9.1f ms  warm %9.1f ms  x%6.1f  score %.4f = %.4f + %.4f (gap %+.2f%%)  same class %.2f%%",
                                      pad(m.matcher), m.coldMilliseconds, m.warmMilliseconds, m.speedup, m.meanScore,
                                      m.meanFeatureScore, m.meanMapScore,
                                      100 * m.scoreGap, 100 * m.sameClassFraction)
                    if let repeated = m.repeatMilliseconds { line += String(format: "  unchanged %.1f ms", repeated) }
                    if let sweeps = m.sweeps, let scored = m.scoredPerPatch {
                        line += String(format: "  (%d sweeps, %.0f pairs per patch)", sweeps, scored)
                    }
                    if let cold = m.randomStartColdMilliseconds, let gap = m.randomStartScoreGap {
                        line += String(format: "\n  %@ from random matches: cold %.1f ms, then gap %+.2f%%", pad(""), cold, 100 * gap)
                    }
                    print(line)
                }
            }
            if !r.synthesis.isEmpty {
                print("synthesis \(r.synthesisWidth)x\(r.synthesisHeight), \(r.phases) phase(s) x \(r.iterations) evaluations, \(r.seeds) seed(s); means:")
                for s in r.synthesis {
                    var line = String(format: "  %@ %.3f s per evaluation (matching %.3f)  style loss %.4g, re-matched exactly %.4g (%+.2f%%)",
                                      pad(s.matcher), s.secondsPerEvaluation, s.matchingPerEvaluation, s.styleLoss,
                                      s.rematchedStyleLoss, 100 * s.rematchedGap)
                    if let f = s.scoreFractions, let d = s.scoreDeltaE, let diff = s.scoreDifference, let err = s.scoreDifferenceError {
                        line += "  score " + f.keys.sorted().map {
                            String(format: "%@ %.3f (%+.3f ± %.3f)", $0, f[$0]!, diff[$0]!, err[$0]!)
                        }.joined(separator: ", ") + String(format: ", ΔE %.2f", d)
                    }
                    print(line)
                    for run in s.runs {
                        var detail = String(format: "    seed %llu: %d evaluations, re-matched %.4g", run.seed, run.evaluations,
                                            run.rematchedStyleLoss)
                        if let f = run.scoreFractions {
                            detail += ", " + f.keys.sorted().map { String(format: "%@ %.3f", $0, f[$0]!) }.joined(separator: ", ")
                        }
                        print(detail)
                    }
                }
            }
            print("dot kernel: " + r.dotKernel.map { String(format: "%d floats %.1f GFLOP/s (plain loop %.1f)", $0.count, $0.simdGflops, $0.scalarGflops) }
                .joined(separator: "; "))
        }
    }
}
