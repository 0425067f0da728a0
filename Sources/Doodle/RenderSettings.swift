import Net
import Patches

/// Every knob of a render, with neural-doodle's flag names and defaults.
public struct RenderSettings: Sendable, Equatable {
    public var contentWeight: Float = 10
    public var contentLayers: [VGGLayer] = [.conv4_2]
    public var styleWeight: Float = 25
    public var styleLayers: [VGGLayer] = [.conv3_1, .conv4_1]
    public var semanticWeight: Float = 10
    public var smoothness: Float = 1
    public var variety: Float = 0
    /// Evaluations (network passes) per phase, coarse to fine. The finest phase costs four
    /// times the one before and refines an image that is already formed, so it gets fewer.
    public var iterations: IterationSchedule = [100, 100, 50]
    /// Resolutions, coarse to fine, each half the next: 3 phases run at 1/4, 1/2 and 1.
    public var phases = 3
    public var seed: Seed = .noise
    public var seedRange: ClosedRange<Float> = 16...240
    public var randomSeed: UInt64 = 0
    public var pooling: Pooling2x2.Kind = .average
    public var matcher: MatcherKind = .default
    /// How the map enters the network beside the features (see README, "Semantic maps").
    public var mapEncoding: MapEncoding = .oneHot

    public enum MapEncoding: String, Sendable, CaseIterable {
        /// One channel per class, holding the fraction of the cell that class covers.
        case oneHot = "classes"
        /// The class colours (0...1), as neural-doodle feeds its maps.
        case colours
    }

    public enum Seed: Sendable, Equatable {
        case noise
        case content
        case image(Image)
    }

    public init() {}

    /// The deepest layer a render uses: its patches need a 3x3 neighbourhood at every phase,
    /// so the result and the style need `deepestLayer(...).minimumSide` pixels each way.
    public func deepestLayer(withContent: Bool) -> VGGLayer {
        (styleLayers + (withContent ? contentLayers : [])).max() ?? .conv1_1
    }
}

/// Evaluations per phase, coarse to fine: one number for every phase, or one per phase. When
/// there are more phases than numbers, the last number repeats for the finer phases.
public struct IterationSchedule: Sendable, Equatable, CustomStringConvertible,
                                 ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    public let counts: [Int]

    public init(_ counts: [Int]) {
        precondition(!counts.isEmpty, "an iteration schedule needs at least one count")
        self.counts = counts
    }

    public init(integerLiteral value: Int) { self.init([value]) }
    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// Evaluations in phase `index` (0 = the coarsest of all phases asked for).
    public func evaluations(inPhase index: Int) -> Int { counts[min(max(index, 0), counts.count - 1)] }

    /// "100" or "100,100,50".
    public var description: String { counts.map(String.init).joined(separator: ",") }
}
