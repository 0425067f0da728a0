import Net
import Patches

/// Every knob of a render, with neural-doodle's flag names and defaults.
public struct RenderSettings: Sendable, Equatable {
    public var contentWeight: Float = 10
    public var contentLayers: [VGGLayer] = [.conv4_2]
    public var styleWeight: Float = 25
    /// nil: the style loss's own layers (`StyleLossKind.defaultLayers`).
    public var styleLayers: [VGGLayer]? = nil
    /// One weight per style layer, multiplying the style weight; nil: 1 each.
    public var styleLayerWeights: [Float]? = nil
    public var styleLoss: StyleLossKind = .patch
    /// How a class's mask reaches each layer (Gram loss with maps).
    public var maskPropagation: MaskPropagation = .simple
    /// Cluster the maps' colours into this many classes before finding classes (0: off).
    public var maskColors = 0
    public var preserveColors: ColourPreservation = .none
    public var optimizer: OptimizerKind = .lbfgsb
    /// Adam's step, in grey levels per evaluation.
    public var learningRate: Float = 2
    public var semanticWeight: Float = 10
    public var smoothness: Float = 1
    public var variety: Float = 0
    /// Evaluations (network passes) per phase, coarse to fine. The finest phase costs four
    /// times the one before and refines an image that is already formed, so it gets fewer.
    public var iterations: IterationSchedule = [100, 100, 50]
    /// Resolutions asked for (nil: auto, `StyleLossKind.defaultPhases(withContent:)`).
    public var phaseCount: Int? = nil
    /// Whether the render keeps a content image, which `--phases auto` follows. `ResolvedJob`
    /// and `Synthesis` set it from their inputs.
    public var withContent = true
    /// Resolutions, coarse to fine, each half the next: 3 phases run at 1/4, 1/2 and 1.
    public var phases: Int {
        get { phaseCount ?? styleLoss.defaultPhases(withContent: withContent) }
        set { phaseCount = newValue }
    }
    /// What the style painting's size is multiplied by (nil: `automaticStyleScale`, at most 1).
    public var styleScale: Float? = nil
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

    /// The style layers in use: the ones asked for, or the loss's own.
    public var activeStyleLayers: [VGGLayer] { styleLayers ?? styleLoss.defaultLayers }

    /// The weight of the style layer at `index` of `activeStyleLayers`.
    public func styleLayerWeight(at index: Int) -> Float {
        guard let weights = styleLayerWeights, index < weights.count else { return 1 }
        return weights[index]
    }

    /// The deepest layer a render uses: its patches need a 3x3 neighbourhood at every phase,
    /// so the result and the style need `deepestLayer(...).minimumSide` pixels each way (the
    /// Gram loss keeps the same rule, so that a render can change loss at the same size).
    public func deepestLayer(withContent: Bool) -> VGGLayer {
        (activeStyleLayers + (withContent ? contentLayers : [])).max() ?? .conv1_1
    }
}

/// Which statistic of the style the result is made to match.
public enum StyleLossKind: String, Sendable, CaseIterable {
    /// Champandard / Li & Wand: every 3x3 patch of features matched to the style's nearest.
    case patch
    /// Gatys: the features' channel correlations (Gram matrices), one per class with maps.
    case gram

    /// The patch loss grows the painting coarse to fine. The Gram loss keeping a content image
    /// runs at the full size only, as Gatys et al. do: a coarse phase paints over the content's
    /// layout at low resolution and the fine phase does not bring it back (structure similarity
    /// 0.80 with two phases, 0.87 with one, for the same style statistics). Without a content
    /// image there is no layout to lose, and the coarse phases lay out the larger shapes (a
    /// guided Gram doodle: class score 0.849 with three, 0.817 with one; README, "Gram loss").
    public func defaultPhases(withContent: Bool) -> Int { self == .gram && withContent ? 1 : 3 }

    public var defaultLayers: [VGGLayer] {
        switch self {
        case .patch: return [.conv3_1, .conv4_1]
        case .gram: return [.conv1_1, .conv2_1, .conv3_1, .conv4_1, .conv5_1]
        }
    }
}

/// How a class's mask is carried down to a layer's grid for the guided Gram loss (Gatys et al.
/// 2017, "Controlling Perceptual Factors", section 3).
public enum MaskPropagation: String, Sendable, CaseIterable {
    /// The class's share of each cell's pixels (the mask resized to the layer).
    case simple
    /// 1 where the cell's receptive field lies wholly inside the class, else 0.
    case inside
    /// 1 where the cell's receptive field touches the class, else 0.
    case all
    /// The mask passed through the network's own shape: a 3x3 mean for each convolution and
    /// a 2x2 mean for each pooling.
    case mean
}

/// Keeping the content's colours (Gatys et al. 2017, section 4).
public enum ColourPreservation: String, Sendable, CaseIterable {
    case none
    /// Transfer on luminance alone; the result takes the content's chrominance (YIQ).
    case luminance
    /// Recolour the style so its colours' mean and covariance are the content's, then transfer.
    case histogram
}

public enum OptimizerKind: String, Sendable, CaseIterable {
    case lbfgsb
    case adam
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

    /// "3 phases x 100,100,50 iterations", "1 phase x 100 iterations": the plan of `phases`
    /// phases, the finest `planned` of `asked` (coarse phases too small are left out).
    public func plan(phases planned: Int, of asked: Int) -> String {
        let used = (0..<planned).map { evaluations(inPhase: $0 + asked - planned) }
        let text = Set(used).count == 1 ? String(used[0]) : used.map(String.init).joined(separator: ",")
        return "\(planned) phase\(planned == 1 ? "" : "s") x \(text) iterations"
    }
}

extension RenderSettings {
    /// A style larger than the result needs costs memory and time for nothing it can show: by
    /// default its area is at most `styleAreaLimit` times the result's. A texture's size is
    /// arbitrary and its point is the painting's brushwork at the painting's scale, so it
    /// keeps more (scaled down to a quarter of its area, a small texture copies whole pieces
    /// of the painting: a face instead of brushwork).
    public static func styleAreaLimit(texture: Bool) -> Double { texture ? 16 : 4 }

    /// The factor the style's sides are multiplied by for a result of `output` pixels.
    public func styleFactor(style: (width: Int, height: Int), output: (width: Int, height: Int), texture: Bool = false) -> Double {
        if let styleScale { return Double(styleScale) }
        let ratio = Self.styleAreaLimit(texture: texture) * Double(output.width * output.height)
            / Double(max(1, style.width * style.height))
        return min(1, ratio.squareRoot())
    }
}
