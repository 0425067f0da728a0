import Dispatch
import Foundation
import Net
import Patches
import Doodle

/// Patch matchers side by side (`doodle bench match`):
///
/// 1. Speed and quality of one call, per style layer, at `size`: the style resized to `size`,
///    the target the style mirrored left to right (real features, a layout the style lacks)
///    with the target map beside it. Per matcher: a cold first call (for PatchMatch an exact
///    match within classes, as at the start of a phase from noise), then `runs` warm calls,
///    each on new features (the target plus a little noise, as between two evaluations), and
///    for PatchMatch `runs` more on unchanged features (converged). Quality: the mean key score
///    of the last call's matches against exact's on the same features, and how many
///    single-class target patches got a style patch of their own class.
/// 2. Syntheses per matcher (one phase by default) at `synthesisSize`, one per seed, each seed
///    shared by all matchers: the style loss each reports, the style loss of its final image
///    re-matched exactly (the fair comparison), and `score` of the final image; differences
///    to exact are paired by seed and averaged.
/// 3. The dot product kernel against a plain loop.
public struct MatchBenchmark {
    public struct Options: Sendable {
        public var size = (width: 512, height: 384)
        public var layers: [VGGLayer] = [.conv3_1, .conv4_1]
        public var matchers: [MatcherKind] = MatcherKind.allCases
        public var runs = 5
        public var synthesisSize = (width: 256, height: 192)
        public var iterations = 30
        /// Phases of the synthesis runs (coarse to fine, as in a render).
        public var phases = 1
        /// Synthesis runs per matcher, from seeds `randomSeed`, `randomSeed + 1`, ...
        public var seeds = 5
        public var synthesis = true
        public var score = true
        public var semanticWeight: Float = RenderSettings().semanticWeight
        public var randomSeed: UInt64 = 0
        public init() {}
    }

    public struct MatcherTiming: Codable, Sendable {
        public let matcher: String
        public let coldMilliseconds: Double
        /// Median over `runs` calls, each on new (perturbed) target features.
        public let warmMilliseconds: Double
        /// PatchMatch: median over `runs` calls on unchanged features.
        public let repeatMilliseconds: Double?
        /// Exact's warm time over this one's.
        public let speedup: Double
        public let coldSpeedup: Double
        public let meanScore: Double
        /// The two parts of `meanScore`: features' correlation, and the maps' (times the semantic weight).
        public let meanFeatureScore: Double
        public let meanMapScore: Double
        /// (exact's mean score - this one's) / exact's, on the same features.
        public let scoreGap: Double
        /// Single-class target patches whose style patch has their dominant class.
        public let sameClassFraction: Double
        /// PatchMatch, last warm call on new features: sweeps run and pairs scored per target patch.
        public let sweeps: Int?
        public let scoredPerPatch: Double?
        /// PatchMatch from random matches (`coldStart: .random`) through the same calls: its cold
        /// call, and its score gap after the last warm call (the search's own quality).
        public let randomStartColdMilliseconds: Double?
        public let randomStartScoreGap: Double?
    }

    public struct LayerResult: Codable, Sendable {
        public let layer: String
        public let targetPatches: Int
        public let stylePatches: Int
        public let keyDimension: Int
        public let exactGflopPerCall: Double
        public let matchers: [MatcherTiming]
    }

    /// One synthesis run: one matcher, one seed.
    public struct SynthesisRun: Codable, Sendable {
        public let seed: UInt64
        /// Evaluations run (fewer than `iterations` when L-BFGS-B stopped early).
        public let evaluations: Int
        /// The run's time without its setup (the style's features and patches), and its share spent matching.
        public let seconds: Double
        public let matchingSeconds: Double
        /// The style loss the run itself reports at its last evaluation (its own matches).
        public let styleLoss: Double
        public let totalLoss: Double
        /// The style loss of the final image with exact matching.
        public let rematchedStyleLoss: Double
        /// `score` of the final image: patch class fractions per layer and the colour distance.
        public let scoreFractions: [String: Double]?
        public let scoreDeltaE: Double?
    }

    /// One matcher's synthesis runs, one per seed, and their means; differences are paired by
    /// seed against exact's run from the same seed (a single short run moves by about 0.02 in
    /// `score` with any small change, so one seed says little).
    public struct SynthesisResult: Codable, Sendable {
        public let matcher: String
        public let runs: [SynthesisRun]
        public let secondsPerEvaluation: Double
        public let matchingPerEvaluation: Double
        public let styleLoss: Double
        public let rematchedStyleLoss: Double
        /// Mean over seeds of (rematched - exact's rematched) / exact's rematched.
        public let rematchedGap: Double
        /// Means over seeds.
        public let scoreFractions: [String: Double]?
        public let scoreDeltaE: Double?
        /// Mean over seeds of (this one's fraction - exact's), and the standard error of that mean.
        public let scoreDifference: [String: Double]?
        public let scoreDifferenceError: [String: Double]?
    }

    public struct DotTiming: Codable, Sendable {
        public let count: Int
        public let simdGflops: Double
        public let scalarGflops: Double
    }

    public struct Result: Codable, Sendable {
        public let width: Int
        public let height: Int
        public let runs: Int
        public let threads: Int
        public let layers: [LayerResult]
        public let synthesisWidth: Int
        public let synthesisHeight: Int
        public let phases: Int
        public let iterations: Int
        public let seeds: Int
        public let synthesis: [SynthesisResult]
        public let dotKernel: [DotTiming]
    }

    public let style: Image
    public let styleMap: Image
    public let targetMap: Image
    public let options: Options

    public init(style: Image, styleMap: Image, targetMap: Image, options: Options = Options()) {
        self.style = style.rgb()
        self.styleMap = styleMap
        self.targetMap = targetMap
        self.options = options
    }

    public func run(network: VGG19, progress: (String) -> Void = { _ in }) throws -> Result {
        let detected = SemanticMap.detect([MapPixels(image: styleMap, name: "style map"),
                                           MapPixels(image: targetMap, name: "target map")])
        let layers = try options.matchers.isEmpty || options.layers.isEmpty ? [] : timeLayers(network: network, maps: (detected[0], detected[1]),
                                                                   progress: progress)
        var synthesis: [SynthesisResult] = []
        if options.synthesis {
            synthesis = try synthesisRuns(network: network, progress: progress)
        }
        return Result(width: options.size.width, height: options.size.height, runs: options.runs,
                      threads: ProcessInfo.processInfo.activeProcessorCount, layers: layers,
                      synthesisWidth: options.synthesisSize.width, synthesisHeight: options.synthesisSize.height,
                      phases: options.phases, iterations: options.iterations, seeds: options.seeds, synthesis: synthesis, dotKernel: Self.timeDot())
    }

    // MARK: - One call

    private func timeLayers(network: VGG19, maps: (style: SemanticMap, target: SemanticMap),
                            progress: (String) -> Void) throws -> [LayerResult] {
        let (w, h) = options.size
        let styleImage = style.resized(toWidth: w, height: h)
        let mirrored = Image(width: w, height: h, channels: 3) { c, x, y in styleImage[c, w - 1 - x, y] }
        let wanted = Set(options.layers)
        let styleFeatures = network.forward(styleImage.tensor, to: wanted)
        // Feature sets: 0 for the cold call, 1...runs each a little different.
        var rng = SplitMix64(seed: 7)
        var targetFeatures: [[VGGLayer: Tensor]] = []
        for i in 0...max(1, options.runs) {
            var image = mirrored
            if i > 0 {
                for j in 0..<image.pixels.count {
                    image.pixels[j] = min(255, max(0, image.pixels[j] + Float(rng.nextUnit() * 8 - 4)))
                }
            }
            targetFeatures.append(network.forward(image.tensor, to: wanted))
        }
        var results: [LayerResult] = []
        for layer in options.layers {
            let sf = styleFeatures[layer]!
            let styleBank = PatchBank(features: sf, map: maps.style.downsampled(toWidth: sf.width, height: sf.height),
                                      mapWeight: options.semanticWeight)
            let tf0 = targetFeatures[0][layer]!
            let target = PatchBank(channels: sf.channels, mapChannels: styleBank.mapChannels,
                                   height: tf0.height, width: tf0.width, mapWeight: 1)
            target.setMap(maps.target.downsampled(toWidth: tf0.width, height: tf0.height))
            let styleClasses = PatchClasses(bank: styleBank)
            target.update(features: tf0)
            let targetClasses = PatchClasses(bank: target)

            struct Raw { let kind: MatcherKind, cold: Double, warm: Double, repeated: Double?, score: Double, feature: Double,
                         same: Double, sweeps: Int?, scored: Double?, randomStart: (cold: Double, score: Double)? }
            var raws: [Raw] = []
            // A cold call on the first features, then one warm call on each of the others.
            func callSequence(_ matcher: PatchMatcher, _ matches: inout [Int32]) -> (cold: Double, warm: [Double]) {
                target.update(features: tf0)
                let cold = Self.milliseconds { matcher.match(target: target, into: &matches) }
                let warm = (1...max(1, options.runs)).map { i in
                    target.update(features: targetFeatures[i][layer]!)
                    return Self.milliseconds { matcher.match(target: target, into: &matches) }
                }
                return (cold, warm)
            }
            // Exact first: the reference for speed and score.
            let kinds = [MatcherKind.exact] + options.matchers.filter { $0 != .exact }
            for kind in kinds {
                progress("\(layer.name): \(kind.rawValue)")
                let matcher = kind.make(style: styleBank)
                var matches: [Int32] = []
                let (cold, warm) = callSequence(matcher, &matches)
                // What PatchMatch did in the last warm call.
                let pm = matcher as? PatchMatchMatcher
                let sweeps = pm?.statistics.sweeps
                let scored = pm.map { Double($0.statistics.scored) / Double(max(1, target.count)) }
                let score = PatchMatchMatcher.meanScore(target: target, style: styleBank, matches: matches)
                let feature = Self.meanFeatureScore(target: target, style: styleBank, matches: matches)
                var same = 0, single = 0
                for t in 0..<target.count where targetClasses.masks[t].nonzeroBitCount == 1 {
                    single += 1
                    if styleClasses.dominant[Int(matches[t])] == targetClasses.dominant[t] { same += 1 }
                }
                var repeated: Double?
                if pm != nil {
                    var times: [Double] = []
                    for _ in 0..<max(1, options.runs) {
                        times.append(Self.milliseconds { matcher.match(target: target, into: &matches) })
                    }
                    repeated = median(times)
                }
                // The search on its own: the same calls from random matches instead of an exact start.
                var randomStart: (cold: Double, score: Double)?
                if kind == .patchmatch {
                    let search = PatchMatchMatcher(style: styleBank, options: .init(coldStart: .random))
                    var own: [Int32] = []
                    let cold = callSequence(search, &own).cold
                    randomStart = (cold, PatchMatchMatcher.meanScore(target: target, style: styleBank, matches: own))
                }
                raws.append(Raw(kind: kind, cold: cold, warm: median(warm), repeated: repeated, score: score, feature: feature,
                                same: single > 0 ? Double(same) / Double(single) : 1, sweeps: sweeps, scored: scored,
                                randomStart: randomStart))
            }
            let exact = raws[0]
            let timings = raws.filter { options.matchers.contains($0.kind) }.map { r in
                MatcherTiming(matcher: r.kind.rawValue, coldMilliseconds: r.cold, warmMilliseconds: r.warm,
                              repeatMilliseconds: r.repeated, speedup: exact.warm / r.warm, coldSpeedup: exact.cold / r.cold,
                              meanScore: r.score, meanFeatureScore: r.feature, meanMapScore: r.score - r.feature,
                              scoreGap: (exact.score - r.score) / abs(exact.score),
                              sameClassFraction: r.same, sweeps: r.sweeps, scoredPerPatch: r.scored,
                              randomStartColdMilliseconds: r.randomStart?.cold,
                              randomStartScoreGap: r.randomStart.map { (exact.score - $0.score) / abs(exact.score) })
            }
            let gflop = 2 * Double(target.count) * Double(styleBank.count) * Double(styleBank.keyDimension) / 1e9
            results.append(LayerResult(layer: layer.name, targetPatches: target.count, stylePatches: styleBank.count,
                                       keyDimension: styleBank.keyDimension, exactGflopPerCall: gflop, matchers: timings))
        }
        return results
    }

    // MARK: - Synthesis

    private func synthesisRuns(network: VGG19, progress: (String) -> Void) throws -> [SynthesisResult] {
        let inputs = RenderInputs(style: style, styleMap: styleMap, targetMap: targetMap,
                                  outputSize: (options.synthesisSize.width, options.synthesisSize.height))
        let seeds = (0..<UInt64(max(1, options.seeds))).map { options.randomSeed + $0 }
        let noRef = ProcessInfo.processInfo.environment["DOODLE_NO_REF"] != nil
        let kinds = noRef ? options.matchers : [MatcherKind.exact] + options.matchers.filter { $0 != .exact }
        var runs: [MatcherKind: [SynthesisRun]] = [:]
        for kind in kinds {
            runs[kind] = try seeds.map { seed in
                progress("synthesis: \(kind.rawValue), seed \(seed)")
                return try synthesisRun(network: network, inputs: inputs, matcher: kind, seed: seed)
            }
        }
        let reference = runs[kinds[0]]!
        return kinds.filter { options.matchers.contains($0) }.map { kind in
            summary(kind, runs[kind]!, reference: reference)
        }
    }

    private func synthesisRun(network: VGG19, inputs: RenderInputs, matcher: MatcherKind, seed: UInt64) throws -> SynthesisRun {
        var settings = RenderSettings()
        settings.phases = options.phases
        settings.iterations = IterationSchedule([options.iterations])
        settings.randomSeed = seed
        settings.semanticWeight = options.semanticWeight
        settings.matcher = matcher
        let synthesis = try Synthesis(network: network, inputs: inputs, settings: settings)
        var last = LossBreakdown()
        let start = DispatchTime.now().uptimeNanoseconds
        let (image, _) = synthesis.run(events: { event in
            if case .iteration(let report) = event { last = report.losses }
        })
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // The final image once more, matched exactly: one evaluation from it as the seed.
        var check = settings
        check.matcher = .exact
        check.iterations = 1
        check.phases = 1
        check.seed = .image(image)
        var rematched = LossBreakdown()
        _ = try Synthesis(network: network, inputs: inputs, settings: check).run(events: { event in
            if case .iteration(let report) = event { rematched = report.losses }
        })
        var fractions: [String: Double]?, deltaE: Double?
        if options.score {
            let s = try Doodle.score(output: image, style: style, styleMap: styleMap, targetMap: targetMap, network: network)
            fractions = Dictionary(uniqueKeysWithValues: s.layers.map { ($0.layer.name, $0.fraction) })
            deltaE = s.deltaE
        }
        return SynthesisRun(seed: seed, evaluations: synthesis.evaluations, seconds: seconds - synthesis.timing.setup,
                            matchingSeconds: synthesis.timing.matching, styleLoss: last.style.values.reduce(0, +),
                            totalLoss: last.total, rematchedStyleLoss: rematched.style.values.reduce(0, +),
                            scoreFractions: fractions, scoreDeltaE: deltaE)
    }

    private func summary(_ kind: MatcherKind, _ runs: [SynthesisRun], reference: [SynthesisRun]) -> SynthesisResult {
        let evaluations = Double(max(1, runs.map(\.evaluations).reduce(0, +)))
        var fractions: [String: Double]?, differences: [String: Double]?, errors: [String: Double]?
        if let layers = runs.first?.scoreFractions?.keys {
            fractions = [:]; differences = [:]; errors = [:]
            for layer in layers {
                fractions![layer] = Self.mean(runs.map { $0.scoreFractions![layer]! })
                let paired = zip(runs, reference).map { $0.scoreFractions![layer]! - $1.scoreFractions![layer]! }
                differences![layer] = Self.mean(paired)
                errors![layer] = Self.standardError(paired)
            }
        }
        return SynthesisResult(
            matcher: kind.rawValue, runs: runs,
            secondsPerEvaluation: runs.map(\.seconds).reduce(0, +) / evaluations,
            matchingPerEvaluation: runs.map(\.matchingSeconds).reduce(0, +) / evaluations,
            styleLoss: Self.mean(runs.map(\.styleLoss)), rematchedStyleLoss: Self.mean(runs.map(\.rematchedStyleLoss)),
            rematchedGap: Self.mean(zip(runs, reference).map { ($0.rematchedStyleLoss - $1.rematchedStyleLoss) / $1.rematchedStyleLoss }),
            scoreFractions: fractions, scoreDeltaE: runs.first?.scoreDeltaE == nil ? nil : Self.mean(runs.map { $0.scoreDeltaE! }),
            scoreDifference: differences, scoreDifferenceError: errors)
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    /// Standard error of the mean (0 for fewer than two values).
    static func standardError(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let m = mean(values)
        let variance = values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)
        return (variance / Double(values.count)).squareRoot()
    }

    // MARK: - Helpers

    /// Mean dot product of the feature part of the matched keys.
    static func meanFeatureScore(target: PatchBank, style: PatchBank, matches: [Int32]) -> Double {
        let (d, f) = (target.keyDimension, target.featureDimension)
        var sum = 0.0
        target.keys.withUnsafeBufferPointer { a in
            style.keys.withUnsafeBufferPointer { b in
                for t in 0..<matches.count {
                    sum += Double(PatchMatchMatcher.dot(a.baseAddress! + t * d, b.baseAddress! + Int(matches[t]) * d, count: f))
                }
            }
        }
        return sum / Double(max(1, matches.count))
    }

    static func timeDot() -> [DotTiming] {
        [768, 2304, 4608].map { n in
            let a = (0..<n).map { Float($0 % 13) * 0.1 }, b = (0..<n + 8).map { Float($0 % 7) * 0.2 }
            let reps = max(1000, 20_000_000 / n)
            var sink: Float = 0
            let (simd, scalar) = a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    (Self.milliseconds {
                        for r in 0..<reps { sink += PatchMatchMatcher.dot(pa.baseAddress!, pb.baseAddress! + (r & 7), count: n) }
                    }, Self.milliseconds {
                        for r in 0..<reps { sink += PatchMatchMatcher.scalarDot(pa.baseAddress!, pb.baseAddress! + (r & 7), count: n) }
                    })
                }
            }
            precondition(sink.isFinite)
            let flop = 2 * Double(n) * Double(reps)
            return DotTiming(count: n, simdGflops: flop / (simd * 1e6), scalarGflops: flop / (scalar * 1e6))
        }
    }

    static func milliseconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }
}
