import Foundation
import Net
import Patches

/// Semantic style transfer (Champandard 2016): optimises an image's pixels with L-BFGS-B so
/// that its VGG19 patches, with the semantic map beside them, match the style's patches,
/// over several resolutions from coarse to fine.
public final class Synthesis {
    public let network: VGG19
    public let inputs: RenderInputs
    public var settings: RenderSettings
    /// Seconds per stage summed over the whole run.
    public private(set) var timing = StageTiming()
    public private(set) var evaluations = 0
    /// Where a stopped run stopped: the phase (0-based) of how many, and the evaluations done in it.
    public private(set) var stoppedAt: (phase: Int, phases: Int, iteration: Int)?
    /// Where a stopped run can go on from (see `run(resumingFrom:)`).
    public private(set) var resumePoint: ResumePoint?
    /// Why the run stopped by itself, when it did: the loss stopped being a finite number
    /// (weights far too large). The image is then not worth writing.
    public private(set) var failure: String?
    /// What steers where the style goes.
    private let guide: Guide
    /// The inputs as the optimisation sees them (grey with `--preserve-colors luminance`,
    /// the style recoloured with `histogram`).
    private let working: RenderInputs
    /// With `--preserve-colors luminance`: the image whose colours the result takes.
    private let colourSource: Image?
    /// `colourSource` at the size last presented.
    private var sizedColours: Image?
    private let pendingLock = NSLock()
    private var pendingSettings: RenderSettings?

    /// Checks the inputs and the class lists; throws `RenderError` or the map's error.
    public init(network: VGG19, inputs: RenderInputs, settings: RenderSettings, allowUnmatched: Bool = false) throws {
        self.network = network
        self.inputs = inputs
        self.settings = settings
        self.settings.withContent = inputs.content != nil
        try Self.validate(inputs, settings)
        guide = try Self.guide(inputs, settings, allowUnmatched: allowUnmatched)
        (working, colourSource) = Self.colourPrepared(inputs, settings)
        if phasePlan().isEmpty {
            let (w, h) = inputs.finalSize
            let deepest = settings.deepestLayer(withContent: inputs.content != nil)
            throw RenderError("a \(w)x\(h) result (style \(inputs.style.width)x\(inputs.style.height)) is too small for \(deepest): it needs at least \(deepest.minimumSide) pixels each way; give a larger --output-size or shallower layers")
        }
    }

    /// Runs every phase. `shouldStop` is asked before each evaluation; when it says yes the
    /// best image so far is returned at once.
    /// `resume`, from an earlier run of the same inputs and settings that was stopped, skips the
    /// phases it finished and goes on from its image and patch matches with the evaluations its
    /// phase had left (the optimiser's history starts afresh).
    public func run(resumingFrom resume: ResumePoint? = nil, events: (SynthesisEvent) -> Void = { _ in },
                    shouldStop: () -> Bool = { false }) -> (image: Image, stopped: Bool) {
        let plan = phasePlan()
        var current: Image? = nil
        var rng = SplitMix64(seed: settings.randomSeed)
        var secondsPerCostUnit: Double? = nil
        var previous: [StyleLoss] = []
        for (index, size) in plan.enumerated() {
            if let resume, index < resume.phase { continue }
            let phase = PhaseInfo(index: index, count: plan.count, width: size.width, height: size.height,
                                  styleWidth: size.styleWidth, styleHeight: size.styleHeight)
            events(.phaseStarted(phase))
            let resumed = resume.flatMap { $0.phase == index ? $0 : nil }
            let seed = resumed.map { $0.image.resized(toWidth: size.width, height: size.height) }
                ?? current.map { $0.resized(toWidth: size.width, height: size.height) }
                ?? initialSeed(width: size.width, height: size.height, rng: &rng)
            let setupStart = DispatchTime.now().uptimeNanoseconds
            let objective = makeObjective(phase: phase)
            warmStart(objective.styleLosses, from: previous)
            if let resumed { restoreMatches(objective.styleLosses, resumed.matches) }
            previous = objective.styleLosses
            timing.setup += Double(DispatchTime.now().uptimeNanoseconds - setupStart) / 1e9
            var x = seed.pixels
            let budget = evaluations(inPlanPhase: index, of: plan)
            let minimizer = PixelMinimizer(settings, count: x.count, budget: budget)
            if let (indices, values) = pinnedPixels(width: size.width, height: size.height) {
                minimizer.fix(indices, at: values)
                for (i, v) in zip(indices, values) { x[i] = v }
            }
            var iteration = min(resumed?.iteration ?? 0, budget)
            let firstIteration = iteration
            let phaseStart = DispatchTime.now().uptimeNanoseconds
            var phaseStages = StageTiming()
            var stopped = false
            // Time spent inside `shouldStop` (a paused studio waits there) is not render time.
            var waited: UInt64 = 0
            // L-BFGS-B stops early when the objective changes under it (a live weight change)
            // or when float32 noise defeats its line search; both times it restarts from the
            // best image so far with a fresh history, until the budget is spent or two restarts
            // in a row make no headway.
            var best = Float.infinity
            var stalls = 0
            while iteration < budget && !stopped {
                let firstOfRun = iteration
                var restartForSettings = false
                minimizer.learningRate = settings.learningRate
                let bestValue = minimizer.minimize(x: &x, maxEvaluations: budget - iteration) { pixels, gradient in
                    let asked = DispatchTime.now().uptimeNanoseconds
                    let stop = shouldStop()
                    waited += DispatchTime.now().uptimeNanoseconds - asked
                    if stop {
                        stopped = true
                        return nil
                    }
                    if iteration > firstOfRun && hasPendingSettings {
                        restartForSettings = true
                        return nil
                    }
                    applyPendingSettings(to: objective, iteration: iteration, events: events)
                    var stage = StageTiming()
                    let (losses, grad) = objective.evaluate(pixels, timing: &stage)
                    // L-BFGS-B works in float: a loss or gradient past its range would make it
                    // stop at once and keep the seed.
                    guard Float(losses.total).isFinite, grad.allSatisfy({ $0.isFinite }) else {
                        failure = "the loss is \(Float(losses.total)) at phase \(index + 1) iteration \(iteration + 1): a weight is far too "
                            + "large for float arithmetic (style \(settings.styleWeight.formatted), content \(settings.contentWeight.formatted), "
                            + "semantic \(settings.semanticWeight.formatted), smoothness \(settings.smoothness.formatted)); use values like the defaults (`doodle presets default`)"
                        stopped = true
                        return nil
                    }
                    gradient = grad
                    iteration += 1
                    evaluations += 1
                    phaseStages = phaseStages + stage
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - phaseStart - waited) / 1e9
                    let perIteration = elapsed / Double(iteration - firstIteration)
                    secondsPerCostUnit = perIteration / Double(size.width * size.height)
                    let eta = remainingSeconds(plan: plan, phase: index, iteration: iteration,
                                               perIteration: perIteration, secondsPerCostUnit: secondsPerCostUnit!)
                    events(.iteration(IterationReport(
                        phase: phase, iteration: iteration, iterations: budget, losses: losses,
                        secondsPerIteration: perIteration, eta: eta, timing: stage,
                        image: present(Image(width: size.width, height: size.height, channels: 3, pixels: pixels)))))
                    return Float(losses.total)
                }
                let improved = bestValue < best - 1e-4 * abs(best)
                best = min(best, bestValue)
                if restartForSettings { best = .infinity; continue }
                // Two restarts in a row without headway: this phase has converged. Not so with
                // variety, whose penalties move the objective every few evaluations by design:
                // its values are not comparable from one restart to the next.
                stalls = improved || settings.variety > 0 ? 0 : stalls + 1
                if stalls >= 2 { break }
            }
            phaseStages.optimiser = Double(DispatchTime.now().uptimeNanoseconds - phaseStart - waited) / 1e9 - phaseStages.total
            timing = timing + phaseStages
            let result = Image(width: size.width, height: size.height, channels: 3, pixels: x).clamped()
            current = result
            events(.phaseFinished(phase, present(result)))
            if stopped {
                stoppedAt = (index, plan.count, iteration)
                resumePoint = ResumePoint(phase: index, phases: plan.count, iteration: iteration, image: result,
                                          matches: objective.styleLosses.map(\.matches))
                return (present(result), true)
            }
        }
        return (current.map(present) ?? inputs.style, false)
    }

    /// An image of the optimisation as the user sees it: with its colours put back when only
    /// luminance was transferred.
    private func present(_ image: Image) -> Image {
        guard let colourSource else { return image }
        // Resized once per phase, not at every evaluation.
        if sizedColours?.width != image.width || sizedColours?.height != image.height {
            sizedColours = colourSource.rgb().resized(toWidth: image.width, height: image.height)
        }
        return ColourControl.recolour(image, withColoursOf: sizedColours!)
    }

    /// With a mask on the result's side: the pixels (channel-major indices) it keeps, and the
    /// content's values there, at this phase's size.
    private func pinnedPixels(width: Int, height: Int) -> ([Int], [Float])? {
        guard case .targetMask(let mask) = guide, let content = working.content else { return nil }
        let paint = mask.maskWeights(width: width, height: height)
        let image = content.rgb().resized(toWidth: width, height: height)
        let plane = width * height
        var indices: [Int] = [], values: [Float] = []
        for p in 0..<plane where paint[p] == 0 {
            for c in 0..<3 {
                indices.append(c * plane + p)
                values.append(image.pixels[c * plane + p])
            }
        }
        return (indices, values)
    }

    /// Changes the settings of a running render from any thread. Only the live parameters
    /// take effect (`RenderParameter.liveness`): the loss weights and the smoothness from the
    /// next evaluation; the semantic weight and variety from the next phase (they shape the
    /// patch banks).
    public func adjust(_ change: (inout RenderSettings) -> Void) {
        pendingLock.lock()
        defer { pendingLock.unlock() }
        let current = pendingSettings ?? settings
        var next = current
        change(&next)
        pendingSettings = RenderParameters.takingLiveValues(of: next, into: current)
    }

    private var hasPendingSettings: Bool {
        pendingLock.lock()
        defer { pendingLock.unlock() }
        return pendingSettings != nil && pendingSettings != settings
    }

    private func takePendingSettings() -> RenderSettings? {
        pendingLock.lock()
        defer { pendingLock.unlock() }
        defer { pendingSettings = nil }
        return pendingSettings
    }

    /// Applies settings changed by `adjust`, and says what changed.
    private func applyPendingSettings(to objective: Objective, iteration: Int, events: (SynthesisEvent) -> Void) {
        guard let next = takePendingSettings(), next != settings else { return }
        let changes = RenderParameters.liveChanges(from: settings, to: next)
        settings = next
        objective.apply(settings)
        if !changes.isEmpty { events(.settingsChanged(changes.joined(separator: ", "), fromIteration: iteration + 1)) }
    }

    /// A resumed phase's matches as they were when it stopped (ignored unless they fit: one
    /// per target patch, each a patch of the style).
    private func restoreMatches(_ losses: [StyleLoss], _ saved: [[Int32]]) {
        for (loss, matches) in zip(losses, saved)
        where matches.count == loss.target.count && matches.allSatisfy({ $0 >= 0 && Int($0) < loss.style.count }) {
            loss.seed(matches: matches)
        }
    }

    /// Each layer's matches of the previous phase, mapped onto this phase's patch grids.
    private func warmStart(_ losses: [StyleLoss], from previous: [StyleLoss]) {
        for loss in losses {
            guard let old = previous.first(where: { $0.layer == loss.layer }), !old.matches.isEmpty else { continue }
            let upsampled = MatchUpsampling.upsample(
                old.matches,
                from: (old.target.height, old.target.width, old.style.height, old.style.width),
                to: (loss.target.height, loss.target.width, loss.style.height, loss.style.width))
            loss.seed(matches: upsampled)
        }
    }

    // MARK: - Planning

    public struct PhaseSize: Sendable { public let width: Int, height: Int, styleWidth: Int, styleHeight: Int }

    /// Coarse to fine: phase k of n runs at 1/2^(n-1-k) of the final size; the style is
    /// scaled by the same factor. Phases too small for the deepest layer are dropped.
    public func phasePlan() -> [PhaseSize] { Self.phasePlan(inputs, settings) }

    /// `phasePlan()` before a synthesis is made (for estimates).
    public static func phasePlan(_ inputs: RenderInputs, _ settings: RenderSettings) -> [PhaseSize] {
        var settings = settings
        settings.withContent = inputs.content != nil
        let (w, h) = inputs.finalSize
        let deepest = settings.deepestLayer(withContent: inputs.content != nil)
        let minimum = deepest.minimumSide
        var plan: [PhaseSize] = []
        let styleFactor = settings.styleFactor(style: (inputs.style.width, inputs.style.height), output: (w, h),
                                               texture: inputs.mode == .texture)
        for k in 0..<settings.phases {
            let scale = 1 / Double(1 << (settings.phases - 1 - k))
            let size = PhaseSize(width: Int((Double(w) * scale).rounded()), height: Int((Double(h) * scale).rounded()),
                                 styleWidth: Int((Double(inputs.style.width) * scale * styleFactor).rounded()),
                                 styleHeight: Int((Double(inputs.style.height) * scale * styleFactor).rounded()))
            if min(size.width, size.height, size.styleWidth, size.styleHeight) >= minimum { plan.append(size) }
        }
        return plan
    }

    private func remainingSeconds(plan: [PhaseSize], phase: Int, iteration: Int, perIteration: Double,
                                  secondsPerCostUnit: Double) -> Double {
        var eta = Double(evaluations(inPlanPhase: phase, of: plan) - iteration) * perIteration
        for (offset, later) in plan.enumerated().dropFirst(phase + 1) {
            eta += Double(evaluations(inPlanPhase: offset, of: plan)) * secondsPerCostUnit * Double(later.width * later.height)
        }
        return eta
    }

    /// The budget of a phase of the plan. The plan leaves out coarse phases too small for the
    /// network, so its first phase is not always the first phase asked for.
    func evaluations(inPlanPhase index: Int, of plan: [PhaseSize]) -> Int {
        settings.iterations.evaluations(inPhase: index + settings.phases - plan.count)
    }

    private func initialSeed(width: Int, height: Int, rng: inout SplitMix64) -> Image {
        switch settings.seed {
        case .noise:
            let range = settings.seedRange
            return Image(width: width, height: height, channels: 3,
                         pixels: (0..<3 * width * height).map { _ in
                             range.lowerBound + Float(rng.nextUnit()) * (range.upperBound - range.lowerBound)
                         })
        case .content:
            return (working.content ?? working.style).rgb().resized(toWidth: width, height: height)
        case .image(let image):
            let seed = image.rgb().resized(toWidth: width, height: height)
            return colourSource == nil ? seed : ColourControl.grey(seed)
        }
    }

    // MARK: - The objective of one phase

    private func makeObjective(phase: PhaseInfo) -> Objective {
        let style = working.style.rgb().resized(toWidth: phase.styleWidth, height: phase.styleHeight)
        let layers = settings.activeStyleLayers
        let styleFeatures = network.forward(style.tensor, to: Set(layers))
        var styleLosses: [StyleLoss] = []
        var gramLosses: [GramLoss] = []
        let labels = settings.styleLoss == .gram ? gramLabels(phase: phase) : nil
        for (i, layer) in layers.enumerated() {
            let weight = settings.styleWeight * settings.styleLayerWeight(at: i)
            let features = styleFeatures[layer]!
            let size = (phase.height / layer.stride, phase.width / layer.stride)
            switch settings.styleLoss {
            case .patch:
                let maps = guide.maps
                let styleMap = maps.map { mapChannels($0.style, width: features.width, height: features.height) }
                let bank = PatchBank(features: features, map: styleMap, mapWeight: settings.semanticWeight)
                let targetMap = maps.map { mapChannels($0.target, width: size.1, height: size.0) }
                styleLosses.append(StyleLoss(layer: layer, weight: weight, style: bank, targetSize: size,
                                             targetMap: targetMap,
                                             matcher: settings.matcher.make(style: bank, variety: settings.variety)))
            case .gram:
                let guided = labels!, propagation = settings.maskPropagation
                gramLosses.append(GramLoss(layer: layer, weight: weight, styleFeatures: features,
                                           styleMasks: guided.masks(guided.style, at: layer, propagation),
                                           targetMasks: guided.masks(guided.target, at: layer, propagation), shares: guided.shares))
            }
        }
        var contentLosses: [ContentLoss] = []
        if let content = working.content, settings.contentWeight != 0 {
            let image = content.rgb().resized(toWidth: phase.width, height: phase.height)
            let features = network.forward(image.tensor, to: Set(settings.contentLayers))
            for layer in settings.contentLayers {
                contentLosses.append(ContentLoss(layer: layer, weight: settings.contentWeight, content: features[layer]!))
            }
        }
        return Objective(network: network, width: phase.width, height: phase.height, styleLosses: styleLosses,
                         gramLosses: gramLosses, contentLosses: contentLosses, smoothness: Smoothness(weight: settings.smoothness))
    }

    /// The guide's classes at this phase's sizes, computed once for all the Gram layers.
    private func gramLabels(phase: PhaseInfo) -> GramGuide {
        func labels(_ map: SemanticMap, _ width: Int, _ height: Int) -> ClassLabels {
            ClassLabels(width: width, height: height, labels: map.resampled(toWidth: width, height: height).labels,
                        classCount: map.palette.count)
        }
        func white(_ mask: Image, _ width: Int, _ height: Int) -> ClassLabels {
            ClassLabels(width: width, height: height, labels: mask.maskWeights(width: width, height: height).map { Int32($0) },
                        classCount: 2)
        }
        switch guide {
        case .none:
            return GramGuide(style: nil, target: nil, only: nil)
        case .maps(let style, let target):
            return GramGuide(style: labels(style, phase.styleWidth, phase.styleHeight), target: labels(target, phase.width, phase.height), only: nil)
        case .targetMask(let mask):
            return GramGuide(style: nil, target: white(mask, phase.width, phase.height), only: 1)
        case .styleMask(let mask):
            return GramGuide(style: white(mask, phase.styleWidth, phase.styleHeight), target: nil, only: 1)
        }
    }

    /// The map as channels beside the features at a layer's size: one channel per class
    /// (area fractions), or the class colours mixed by those fractions.
    private func mapChannels(_ map: SemanticMap, width: Int, height: Int) -> Tensor {
        let fractions = map.downsampled(toWidth: width, height: height)
        guard settings.mapEncoding == .colours else { return fractions }
        let plane = width * height
        var colours = Tensor(zeros: [3, height, width])
        for (k, mapClass) in map.palette.classes.enumerated() {
            for c in 0..<3 {
                let value = mapClass.colour[c] / 255
                for i in 0..<plane { colours.data[c * plane + i] += value * fractions.data[k * plane + i] }
            }
        }
        return colours
    }

    static func validate(_ inputs: RenderInputs, _ settings: RenderSettings) throws {
        let names = inputs.names
        // A map on one side only is a black-and-white mask: white is painted (on the result's
        // side, over a content image) or painted from (on the style's side).
        if let map = inputs.targetMap, inputs.styleMap == nil, !(map.isBlackAndWhiteMask && inputs.content != nil) {
            throw RenderError("'\(names.targetMap)' has no style map to match; give --style-map (or drop --map)"
                + (inputs.content == nil ? "" : "; a map alone must be a black-and-white mask of the content"))
        }
        if let map = inputs.styleMap, inputs.targetMap == nil, !map.isBlackAndWhiteMask {
            throw RenderError("'\(names.styleMap)' has no target map to match; give --map for the doodle (or --no-maps); a style map alone must be a black-and-white mask")
        }
        if settings.preserveColors != .none && inputs.content == nil {
            throw RenderError("--preserve-colors \(settings.preserveColors.rawValue) keeps a content image's colours; give --content IMG or use --preserve-colors none")
        }
        if let map = inputs.styleMap { try checkAspect(map, inputs.style, names.styleMap, names.style) }
        if let map = inputs.targetMap, let content = inputs.content {
            try checkAspect(map, content, names.targetMap, names.content)
        }
        let layers = settings.activeStyleLayers
        guard !layers.isEmpty else { throw RenderError("--style-layers is empty; give e.g. 3_1,4_1") }
        if let weights = settings.styleLayerWeights, weights.count != layers.count {
            throw RenderError("--style-layer-weights gives \(weights.count) weights for \(layers.count) style layers (\(PresetValue.layers(layers).text)); give one per layer, or auto")
        }
        guard settings.phases >= 1, settings.iterations.counts.allSatisfy({ $0 >= 1 }) else {
            throw RenderError("--phases and --iterations must be at least 1")
        }
    }

    private static func checkAspect(_ map: Image, _ image: Image, _ mapName: String, _ imageName: String) throws {
        guard RenderInputs.sameShape(map, image) else {
            throw RenderError("'\(mapName)' is \(map.width)x\(map.height) but '\(imageName)' is \(image.width)x\(image.height): a map must have its image's shape; resize one of them")
        }
    }
}

/// One phase's loss: network forward, the losses at their layers, network backward, plus
/// smoothness on the pixels.
final class Objective {
    let network: VGG19
    let width: Int, height: Int
    let styleLosses: [StyleLoss]
    let gramLosses: [GramLoss]
    let contentLosses: [ContentLoss]
    private(set) var smoothness: Smoothness
    private let layers: Set<VGGLayer>

    /// Takes new loss weights (the patch banks stay as they are). The style losses are in the
    /// order of the style layers.
    func apply(_ settings: RenderSettings) {
        for (i, loss) in styleLosses.enumerated() { loss.weight = settings.styleWeight * settings.styleLayerWeight(at: i) }
        for (i, loss) in gramLosses.enumerated() { loss.weight = settings.styleWeight * settings.styleLayerWeight(at: i) }
        for loss in contentLosses { loss.weight = settings.contentWeight }
        smoothness.weight = settings.smoothness
    }

    init(network: VGG19, width: Int, height: Int, styleLosses: [StyleLoss], gramLosses: [GramLoss] = [],
         contentLosses: [ContentLoss], smoothness: Smoothness) {
        self.network = network
        self.width = width
        self.height = height
        self.styleLosses = styleLosses
        self.gramLosses = gramLosses
        self.contentLosses = contentLosses
        self.smoothness = smoothness
        layers = Set(styleLosses.map(\.layer) + gramLosses.map(\.layer) + contentLosses.map(\.layer))
    }

    func evaluate(_ pixels: [Float], timing: inout StageTiming) -> (LossBreakdown, [Float]) {
        let image = Tensor(shape: [3, height, width], data: pixels)
        let features = timing.measure(\.network) { network.forward(image, to: layers) }
        var losses = LossBreakdown()
        var gradients: [VGGLayer: Tensor] = [:]
        for loss in styleLosses {
            let (value, gradient) = loss.evaluate(features: features[loss.layer]!, timing: &timing)
            losses.style[loss.layer.name] = value
            timing.measure(\.losses) { gradients[loss.layer] = Self.sum(gradients[loss.layer], gradient) }
        }
        timing.measure(\.losses) {
            for loss in gramLosses {
                let (value, gradient) = loss.evaluate(features: features[loss.layer]!)
                losses.style[loss.layer.name] = value
                gradients[loss.layer] = Self.sum(gradients[loss.layer], gradient)
            }
            for loss in contentLosses {
                let (value, gradient) = loss.evaluate(features: features[loss.layer]!)
                losses.content += value
                gradients[loss.layer] = Self.sum(gradients[loss.layer], gradient)
            }
        }
        var total = timing.measure(\.network) { network.backward(gradients) }
        timing.measure(\.losses) {
            let (value, gradient) = smoothness.evaluate(image: image)
            losses.smoothness = value
            for i in 0..<total.count { total.data[i] += gradient.data[i] }
        }
        return (losses, total.data)
    }

    private static func sum(_ a: Tensor?, _ b: Tensor) -> Tensor {
        guard var a else { return b }
        for i in 0..<a.count { a.data[i] += b.data[i] }
        return a
    }
}

extension Float {
    /// Short form for messages: 25, 0.5, 1e-05.
    var formatted: String { self == rounded() && abs(self) < 1e6 ? String(Int(self)) : "\(self)" }
}

extension Image {
    /// The pixels as a network input `[3, H, W]` (RGB images only).
    public var tensor: Tensor { Tensor(shape: [channels, height, width], data: pixels) }
}

extension MapPixels {
    /// A map image as the map detector reads it.
    public init(image: Image, name: String) {
        self.init(width: image.width, height: image.height, channels: image.channels, pixels: image.pixels, name: name)
    }
}


/// What steers where the style goes.
enum Guide {
    case none
    /// Maps on both sides: each class of the result painted from the same class of the style.
    case maps(style: SemanticMap, target: SemanticMap)
    /// A black-and-white mask of the content: white is painted, black keeps the content.
    case targetMask(Image)
    /// A black-and-white mask of the style: only its white part is painted from.
    case styleMask(Image)

    var maps: (style: SemanticMap, target: SemanticMap)? {
        if case .maps(let style, let target) = self { return (style, target) }
        return nil
    }
}

extension Synthesis {
    /// The guide the inputs give. With `--mask-colors N` the maps are first flattened to N
    /// colours. The patch loss reads a style-side mask as a map pair whose result side is all
    /// white, so that only the style's white part is matched.
    static func guide(_ inputs: RenderInputs, _ settings: RenderSettings, allowUnmatched: Bool) throws -> Guide {
        switch (inputs.styleMap, inputs.targetMap) {
        case (let styleMap?, let targetMap?):
            var maps = [styleMap, targetMap]
            if settings.maskColors > 0 {
                maps = MapColourClustering.flatten(maps, classes: settings.maskColors, seed: settings.randomSeed)
            }
            let detected = SemanticMap.detect([MapPixels(image: maps[0], name: inputs.names.styleMap),
                                               MapPixels(image: maps[1], name: inputs.names.targetMap)])
            if !allowUnmatched { try checkMatched(target: detected[1], style: detected[0]) }
            return .maps(style: detected[0], target: detected[1])
        case (nil, let mask?):
            return .targetMask(mask)
        case (let mask?, nil):
            guard settings.styleLoss == .patch else { return .styleMask(mask) }
            let (w, h) = (mask.width, mask.height)
            let plane = mask.maskWeights(width: w, height: h).map { $0 * 255 }
            let flat = Image(width: w, height: h, channels: 3, pixels: plane + plane + plane)
            let (rw, rh) = inputs.finalSize
            let white = Image(width: rw, height: rh, channels: 3, repeating: 255)
            let detected = SemanticMap.detect([MapPixels(image: flat, name: inputs.names.styleMap),
                                               MapPixels(image: white, name: "the result")])
            return .maps(style: detected[0], target: detected[1])
        case (nil, nil):
            return .none
        }
    }

    /// The inputs the optimisation sees under `--preserve-colors`, and the image whose colours
    /// the result takes back (luminance only).
    static func colourPrepared(_ inputs: RenderInputs, _ settings: RenderSettings) -> (RenderInputs, Image?) {
        guard let content = inputs.content else { return (inputs, nil) }
        var working = inputs
        switch settings.preserveColors {
        case .none:
            return (inputs, nil)
        case .luminance:
            working.style = ColourControl.grey(inputs.style, like: content)
            working.content = ColourControl.grey(content)
            return (working, content)
        case .histogram:
            working.style = ColourControl.matchColours(inputs.style, to: content)
            return (working, nil)
        }
    }
}

/// One phase's classes for the Gram loss: each side's labels (nil: one class covering
/// everything) and, for a black-and-white mask, the one class that takes part.
struct GramGuide {
    let style: ClassLabels?
    let target: ClassLabels?
    let only: Int?

    /// A side's masks at `layer`, one per class taking part.
    func masks(_ side: ClassLabels?, at layer: VGGLayer, _ propagation: MaskPropagation) -> [[Float]]? {
        guard let side else { return nil }
        return only.map { [side.mask(of: $0, at: layer, propagation)] } ?? side.masks(at: layer, propagation)
    }

    /// The classes' shares of the result.
    var shares: [Float]? { target.map { only == nil ? $0.shares : [1] } }
}

/// L-BFGS-B or Adam behind one call, for the phase loop.
final class PixelMinimizer {
    private let lbfgsb: LBFGSBMinimizer?
    private let adam: AdamMinimizer?
    var learningRate: Float {
        get { adam?.learningRate ?? 0 }
        set { adam?.learningRate = newValue }
    }

    init(_ settings: RenderSettings, count: Int, budget: Int) {
        switch settings.optimizer {
        case .lbfgsb:
            lbfgsb = LBFGSBMinimizer(count: count, lower: 0, upper: 255,
                                     options: LBFGSBOptions(historySize: 5, maxEvaluations: budget, factr: 0, pgtol: 0))
            adam = nil
        case .adam:
            lbfgsb = nil
            adam = AdamMinimizer(count: count, lower: 0, upper: 255, learningRate: settings.learningRate)
        }
    }

    func fix(_ indices: [Int], at values: [Float]) {
        lbfgsb?.fix(indices, at: values)
        adam?.fix(indices, at: values)
    }

    /// Up to `maxEvaluations`; leaves the best point in `x` and returns the best value.
    func minimize(x: inout [Float], maxEvaluations: Int,
                  evaluate: (_ x: [Float], _ grad: inout [Float]) -> Float?) -> Float {
        if let lbfgsb {
            lbfgsb.options.maxEvaluations = maxEvaluations
            return lbfgsb.minimize(x: &x, evaluate: evaluate).bestValue
        }
        return adam!.minimize(x: &x, maxEvaluations: maxEvaluations, evaluate: evaluate).bestValue
    }
}
