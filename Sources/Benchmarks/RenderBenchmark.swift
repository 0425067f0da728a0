import Dispatch
import Net
import Doodle

/// A fixed short render, timed per stage, so that changes to the hot path can be compared.
public struct RenderBenchmark {
    public struct Result: Codable, Sendable {
        public let styleLoss: String
        public let width: Int
        public let height: Int
        public let phases: Int
        public let iterations: Int
        public let evaluations: Int
        public let seconds: Double
        /// Per evaluation, averaged over the whole run.
        public let secondsPerEvaluation: Double
        public let networkPerEvaluation: Double
        public let matchingPerEvaluation: Double
        public let lossesPerEvaluation: Double
        public let optimiserPerEvaluation: Double
        /// Once per phase, summed.
        public let setupSeconds: Double
        public let finalLoss: Double
    }

    public let inputs: RenderInputs
    public let settings: RenderSettings

    public init(inputs: RenderInputs, settings: RenderSettings) {
        self.inputs = inputs
        self.settings = settings
    }

    public func run(network: VGG19) throws -> Result {
        let synthesis = try Synthesis(network: network, inputs: inputs, settings: settings)
        var finalLoss = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        _ = synthesis.run(events: { event in
            if case .iteration(let report) = event { finalLoss = report.losses.total }
        })
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let t = synthesis.timing, n = Double(max(1, synthesis.evaluations))
        let (w, h) = inputs.finalSize
        return Result(styleLoss: settings.styleLoss.rawValue, width: w, height: h, phases: synthesis.phasePlan().count, iterations: settings.iterations.evaluations(inPhase: 0),
                      evaluations: synthesis.evaluations, seconds: seconds,
                      secondsPerEvaluation: (seconds - t.setup) / n, networkPerEvaluation: t.network / n,
                      matchingPerEvaluation: t.matching / n, lossesPerEvaluation: t.losses / n,
                      optimiserPerEvaluation: t.optimiser / n, setupSeconds: t.setup, finalLoss: finalLoss)
    }
}
