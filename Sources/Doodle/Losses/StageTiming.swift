import Dispatch

/// Seconds spent per stage of one evaluation, accumulated by the engine for progress and benches.
public struct StageTiming: Sendable, Codable {
    public var network = 0.0
    public var matching = 0.0
    public var losses = 0.0
    public var optimiser = 0.0

    public init() {}

    public var total: Double { network + matching + losses + optimiser }

    public mutating func measure<R>(_ stage: WritableKeyPath<StageTiming, Double>, _ body: () -> R) -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        self[keyPath: stage] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }

    public static func + (a: StageTiming, b: StageTiming) -> StageTiming {
        var r = a
        r.network += b.network; r.matching += b.matching; r.losses += b.losses; r.optimiser += b.optimiser
        return r
    }
}
