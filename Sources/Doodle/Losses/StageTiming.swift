import Dispatch

/// Seconds spent per stage of one evaluation, accumulated by the engine for progress and benches.
public struct StageTiming: Sendable, Codable {
    public var network = 0.0
    public var matching = 0.0
    public var losses = 0.0
    /// L-BFGS-B itself and the engine's bookkeeping between evaluations.
    public var optimiser = 0.0
    /// Once per phase: resizing the inputs, the style's features and patches.
    public var setup = 0.0

    public init() {}

    public var total: Double { network + matching + losses + optimiser + setup }

    public mutating func measure<R>(_ stage: WritableKeyPath<StageTiming, Double>, _ body: () -> R) -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        self[keyPath: stage] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }

    public static func + (a: StageTiming, b: StageTiming) -> StageTiming {
        var r = a
        r.network += b.network; r.matching += b.matching; r.losses += b.losses; r.optimiser += b.optimiser
        r.setup += b.setup
        return r
    }
}
