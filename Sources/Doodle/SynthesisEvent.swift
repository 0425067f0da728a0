import Net

/// What the engine reports while it works. The CLI prints these; the TUI draws them.
public enum SynthesisEvent: Sendable {
    case phaseStarted(PhaseInfo)
    case iteration(IterationReport)
    case phaseFinished(PhaseInfo, Image)
    /// Settings changed by `Synthesis.adjust` took effect.
    case settingsChanged(String, fromIteration: Int)
}

public struct PhaseInfo: Sendable, Equatable {
    public let index: Int          // 0-based
    public let count: Int
    public let width: Int
    public let height: Int
    public let styleWidth: Int
    public let styleHeight: Int

    public init(index: Int, count: Int, width: Int, height: Int, styleWidth: Int, styleHeight: Int) {
        self.index = index; self.count = count; self.width = width; self.height = height
        self.styleWidth = styleWidth; self.styleHeight = styleHeight
    }
}

/// The losses of one evaluation, already multiplied by their weights.
public struct LossBreakdown: Sendable, Codable {
    public var style: [String: Double] = [:]
    public var content = 0.0
    public var smoothness = 0.0
    public var total: Double { style.values.reduce(0, +) + content + smoothness }
    public init() {}
}

public struct IterationReport: Sendable {
    public let phase: PhaseInfo
    public let iteration: Int       // 1-based evaluation count within the phase
    public let iterations: Int
    public let losses: LossBreakdown
    public let secondsPerIteration: Double
    /// Estimated seconds left for the whole render.
    public let eta: Double
    public let timing: StageTiming
    /// The image as it is now.
    public let image: Image

    public init(phase: PhaseInfo, iteration: Int, iterations: Int, losses: LossBreakdown, secondsPerIteration: Double,
                eta: Double, timing: StageTiming, image: Image) {
        self.phase = phase; self.iteration = iteration; self.iterations = iterations; self.losses = losses
        self.secondsPerIteration = secondsPerIteration; self.eta = eta; self.timing = timing; self.image = image
    }
}
