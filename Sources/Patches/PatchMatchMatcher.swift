import Dispatch
import Net

/// Approximate nearest neighbours by PatchMatch (Barnes et al. 2009) in feature space, as in
/// Deep Image Analogy (Liao et al. 2017).
///
/// The score of a (target, style) pair is the dot product of their keys, the same quantity
/// the exact matcher's sgemm computes (minus the `variety` penalty), evaluated as
/// `featureDot / (|t| |s|) + mapDot`: the feature part from the features laid out pixel by
/// pixel (`[H, W, C]`), where a 3x3 patch is three contiguous runs of `3C` floats, so the
/// style stays 9x smaller than its keys (it fits in the last-level cache at conv3_1 512x384),
/// and the map part from a compact copy of the keys' map columns.
///
/// Each call:
/// 1. Start: with `matches` of the target's size (the previous evaluation's, or a coarser
///    phase's through `MatchUpsampling`), rescore them against the new features. Without
///    them (a phase that starts from noise), match exactly within classes
///    (`ClassRestrictedMatcher`) and return: that one call costs tens of PatchMatch calls, but
///    propagation has nothing coherent to spread from noise, and how the first matches are
///    chosen steers the whole phase (`Options.coldStart`, measured there). With `.random`,
///    every target patch gets a random style patch of its dominant class (`PatchClasses`).
/// 2. Sweeps, at most `options.sweeps`, or `options.coldSweeps` on the matcher's first call
///    (a new phase) and after a random start; a sweep that improves no patch ends the call.
///    Per patch, in scan order (even sweeps left to right and top to bottom, odd sweeps the
///    reverse): propagation from the four neighbours (candidate = the neighbour's match moved
///    back by the offset to this patch), then random search around the current best in
///    windows of radius max(style patch rows, columns), halving down to 1, then
///    `options.randomCandidates` random style patches of the target's dominant class.
///    Candidates whose class mask does not overlap the target's are not scored (unless the
///    style has none of the target's classes), so matches stay within their class.
/// 3. Random draws are a hash of (seed, patch, its match at the start of its random search),
///    not of the call: on unchanged features the matches settle to a fixed point and stop
///    changing. This matters to L-BFGS-B: matches that keep improving at a fixed image make
///    the loss look like it rises along a search direction, and its line search gives up
///    (fresh draws every call, `options.freshDraws`, explore more and score ~0.4% closer to
///    exact, but cost a 256x160 render 3-4 evaluations at its first line search, and with
///    two-neighbour propagation made L-BFGS-B give up after 6).
/// 4. Parallel and deterministic: the target's patch rows are split into `options.bands`
///    bands (independent of the core count); each band is scanned in order by one thread,
///    reading its own patches as they are updated and the other bands' from a copy taken at
///    the start of the sweep. The same sequence of calls on a fresh matcher gives the same
///    matches, whatever the number of cores.
///
/// Small problems (`options.exactBelow`, 2^29 multiply-adds: about conv3_1 of a 96x72 image
/// against a 96x72 style, or conv4_1 of 128x96 against 128x96) are matched exactly. At 2^31
/// a default 512x384 render spent 8.4 s matching in its 256x192 phase (conv4_1 exact)
/// against 3.5 s at 2^29, and scored the same (Coastline 0.982 / 0.975 against 0.981 / 0.975).
///
/// Buffers are allocated on the first call (or when the target's size changes) and reused.
///
/// `variety` > 0 lowers the score of style patches in proportion to how often the previous
/// call used them (at most by `variety`), as in `ExactPatchMatcher`.
public final class PatchMatchMatcher: PatchMatcher {
    public enum ColdStart: Sendable, Equatable {
        /// Exact nearest neighbours within classes.
        case exactWithinClasses
        /// A random style patch of the target patch's dominant class, then `coldSweeps` sweeps.
        case random
    }

    public struct Options: Sendable, Equatable {
        /// How a call without usable matches starts. `doodle bench match`, Monet to Coastline,
        /// one phase of 30 evaluations from noise at 256x192, means of 5 seeds against exact
        /// matching: `.random` scored conv4_1 0.903 against exact's 0.934 (style loss re-matched
        /// exactly 1.8% above exact's); `.exactWithinClasses` 0.921 (2.5% below exact's).
        public var coldStart: ColdStart
        /// At most this many sweeps per call when starting from the previous call's matches.
        public var sweeps: Int
        /// At most this many sweeps on the first call and after a random start.
        public var coldSweeps: Int
        /// Random style patches of the target's class tried per patch and sweep.
        public var randomCandidates: Int
        /// Bands of target rows scanned in parallel (part of the result: keep it fixed).
        public var bands: Int
        public var seed: UInt64
        /// Draw new random candidates on every call and sweep (true), or make them a function of
        /// the patch and its current match (false), so that repeated calls on the same features
        /// reach a fixed point and stop changing.
        public var freshDraws: Bool
        /// Problems of at most this many multiply-adds (target patches x style patches x key
        /// dimension) are matched exactly instead (`ExactPatchMatcher`): sgemm does them in tens
        /// of milliseconds, and on small grids PatchMatch has little coherence to work with.
        public var exactBelow: Int

        public init(sweeps: Int = 3, coldSweeps: Int = 16, randomCandidates: Int = 2, bands: Int = 8, seed: UInt64 = 0,
                    freshDraws: Bool = false, exactBelow: Int = 1 << 29, coldStart: ColdStart = .exactWithinClasses) {
            self.coldStart = coldStart
            self.freshDraws = freshDraws
            self.exactBelow = exactBelow
            self.sweeps = sweeps
            self.coldSweeps = coldSweeps
            self.randomCandidates = randomCandidates
            self.bands = bands
            self.seed = seed
        }
    }

    /// What the last call did.
    public struct Statistics: Sendable, Equatable {
        /// Matched exactly: the problem was small (`Options.exactBelow`), or a cold start within
        /// classes (`cold` is then set too); nothing else is set.
        public var exact = false
        public var cold = false
        public var sweeps = 0
        /// Patches whose match improved, summed over the sweeps.
        public var improvements = 0
        /// Pairs scored, including the start.
        public var scored = 0
        /// Seconds spent laying out the target, rescoring the start, and sweeping.
        public var prepareSeconds = 0.0
        public var startSeconds = 0.0
        public var sweepSeconds = 0.0
        public init() {}
    }

    public let style: PatchBank
    public let variety: VarietyPenalty
    public var options: Options
    public let styleClasses: PatchClasses
    public private(set) var statistics = Statistics()

    private let channels: Int
    private let mapDimension: Int
    private let styleRows: Int, styleColumns: Int
    private let stylePixels: Buffer<Float>
    private let styleInverseNorm: Buffer<Float>
    private let styleMap: Buffer<Float>
    private let styleMasks: Buffer<UInt64>
    /// Style patch indices grouped by dominant class: class `c` is `classMembers[classStart[c]..<classStart[c+1]]`.
    private let classMembers: Buffer<Int32>
    private let classStart: [Int]
    private let classPresent: UInt64
    private var calls: UInt64 = 0
    private var smallProblem: ExactPatchMatcher?

    // Target buffers (resized when the target's size changes).
    private var targetHeight = -1, targetWidth = -1
    private var targetPixels = Buffer<Float>(0)
    private var targetInverseNorm = Buffer<Float>(0)
    private var targetMap = Buffer<Float>(0)
    private var targetDominant = Buffer<Int32>(0)
    private var targetMasks = Buffer<UInt64>(0)
    private var scores = Buffer<Float>(0)
    private var snapshot = Buffer<Int32>(0)
    private var pixelNorms = Buffer<Float>(0)
    private var bandCounts = Buffer<Int>(0)

    public init(style: PatchBank, variety: Float = 0, options: Options = Options()) {
        self.style = style
        self.variety = VarietyPenalty(strength: variety, styleCount: style.count)
        self.options = options
        let n = style.count
        let (c, m) = (style.channels, style.mapChannels * 9)
        let pixels = Buffer<Float>(style.height * style.width * c)
        let inverse = Buffer<Float>(n)
        let map = Buffer<Float>(n * m)
        let masks = Buffer<UInt64>(n)
        let norms = Buffer<Float>(style.height * style.width)
        style.pixels.withUnsafeBufferPointer { pixels.pointer.update(from: $0.baseAddress!, count: $0.count) }
        Self.inverseNorms(pixels: pixels.pointer, channels: c, height: style.height, width: style.width,
                          pixelNorms: norms.pointer, into: inverse.pointer)
        if m > 0 { style.mapKeys.withUnsafeBufferPointer { map.pointer.update(from: $0.baseAddress!, count: n * m) } }
        let classes = PatchClasses(bank: style)
        for i in 0..<n { masks.pointer[i] = classes.masks[i] }
        let members = Buffer<Int32>(n)
        var start = [0]
        var k = 0
        var present: UInt64 = 0
        for (id, list) in classes.members().enumerated() {
            for i in list {
                members.pointer[k] = i
                k += 1
            }
            start.append(k)
            if !list.isEmpty && id < 64 { present |= UInt64(1) << UInt64(id) }
        }
        styleClasses = classes
        channels = c
        mapDimension = m
        styleRows = max(0, style.height - 2)
        styleColumns = max(0, style.width - 2)
        stylePixels = pixels
        styleInverseNorm = inverse
        styleMap = map
        styleMasks = masks
        pixelNorms = norms
        classMembers = members
        classStart = start
        classPresent = classes.isRestricting ? present : ~0
    }

    public func search(target: PatchBank, into matches: inout [Int32]) {
        precondition(target.keyDimension == style.keyDimension && target.mapChannels == style.mapChannels,
                     "target and style keys differ in size")
        let n = target.count
        statistics = Statistics()
        guard n > 0, style.count > 0 else {
            if matches.count != n { matches = [Int32](repeating: 0, count: n) }
            return
        }
        if n * style.count * style.keyDimension <= options.exactBelow {
            let exact = smallProblem ?? ExactPatchMatcher(style: style, penalty: variety)
            smallProblem = exact
            exact.search(target: target, into: &matches)
            statistics.exact = true
            return
        }
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now - clock) / 1e9
        }
        let call = calls
        calls &+= 1
        let cold = matches.count != n
        if cold && options.coldStart == .exactWithinClasses {
            // Built for this one call: its sorted copy of the style keys is as large as the keys.
            ClassRestrictedMatcher(style: style, penalty: variety).search(target: target, into: &matches)
            statistics.exact = true
            statistics.cold = true
            return
        }
        prepare(target)
        statistics.prepareSeconds = lap()
        if cold { matches = [Int32](repeating: 0, count: n) }
        var context = makeContext(targetWidth: target.width)
        context.call = call
        matches.withUnsafeMutableBufferPointer { m in
            let out = m.baseAddress!
            // Start.
            let ctx = context
            parallelFor(ctx.targetRows) { y in
                for x in 0..<ctx.targetColumns {
                    let t = y * ctx.targetColumns + x
                    var s = Int(out[t])
                    if cold || s < 0 || s >= ctx.styleCount {
                        var rng = Random(ctx.seed, call, 0xFFFF, t)
                        s = ctx.randomMember(of: t, &rng)
                        out[t] = Int32(s)
                    }
                    ctx.scores[t] = ctx.score(t, y, x, s)
                }
            }
            statistics.cold = cold
            statistics.scored = n
            statistics.startSeconds = lap()
            // Sweeps.
            // The first call of a phase settles further even from given matches (upsampled from
            // the previous phase): L-BFGS-B's first step is tiny, and matches still improving
            // at that point look to its line search like a loss that rises.
            let sweeps = cold || call == 0 ? options.coldSweeps : options.sweeps
            let bands = max(1, min(options.bands, ctx.targetRows))
            for sweep in 0..<max(0, sweeps) {
                snapshot.pointer.update(from: out, count: n)
                let snap = UnsafePointer(snapshot.pointer)
                let counts = bandCounts.pointer
                parallelChunks(ctx.targetRows, chunks: bands) { b, rows in
                    let (improved, scored) = ctx.sweep(rows: rows, sweep: sweep, matches: out, snapshot: snap)
                    counts[2 * b] = improved
                    counts[2 * b + 1] = scored
                }
                var improved = 0
                for b in 0..<bands {
                    improved += counts[2 * b]
                    statistics.scored += counts[2 * b + 1]
                }
                statistics.sweeps += 1
                statistics.improvements += improved
                if improved == 0 { break }
            }
            statistics.sweepSeconds = lap()
        }
    }

    // MARK: - State

    private func prepare(_ target: PatchBank) {
        let (h, w, n) = (target.height, target.width, target.count)
        if h != targetHeight || w != targetWidth {
            targetHeight = h
            targetWidth = w
            targetPixels = Buffer(h * w * channels)
            targetInverseNorm = Buffer(n)
            targetMap = Buffer(n * mapDimension)
            targetDominant = Buffer(n)
            targetMasks = Buffer(n)
            scores = Buffer(n)
            snapshot = Buffer(n)
            pixelNorms = Buffer(max(h * w, style.height * style.width))
            bandCounts = Buffer(2 * max(1, options.bands))
        }
        if bandCounts.count < 2 * options.bands { bandCounts = Buffer(2 * options.bands) }
        target.pixels.withUnsafeBufferPointer { targetPixels.pointer.update(from: $0.baseAddress!, count: h * w * channels) }
        Self.inverseNorms(pixels: targetPixels.pointer, channels: channels, height: h, width: w,
                          pixelNorms: pixelNorms.pointer, into: targetInverseNorm.pointer)
        if mapDimension > 0 {
            target.mapKeys.withUnsafeBufferPointer { targetMap.pointer.update(from: $0.baseAddress!, count: n * mapDimension) }
        }
        PatchClasses.compute(keys: targetMap.pointer, count: n, channels: 0, mapChannels: target.mapChannels,
                             dominant: targetDominant.pointer, masks: targetMasks.pointer)
    }

    /// The search's own score of each (target patch, style patch) pair: `target` laid out as
    /// the sweeps read it (pixel-major features, inverse norms, map columns) and the penalty
    /// subtracted. The kernels' check: it equals `keyScore` minus the penalty.
    public func layoutScores(target: PatchBank, pairs: [(t: Int, s: Int)]) -> [Float] {
        prepare(target)
        let context = makeContext(targetWidth: target.width)
        return pairs.map { t, s in
            let y = t / context.targetColumns
            return context.score(t, y, t - y * context.targetColumns, s)
        }
    }

    private func makeContext(targetWidth: Int) -> PatchMatchContext {
        PatchMatchContext(channels: channels, mapDimension: mapDimension,
                targetRows: max(0, targetHeight - 2), targetColumns: max(0, targetWidth - 2), targetWidth: targetWidth,
                styleRows: styleRows, styleColumns: styleColumns, styleWidth: style.width, styleCount: style.count,
                targetPixels: targetPixels.pointer, stylePixels: stylePixels.pointer,
                targetInverseNorm: targetInverseNorm.pointer, styleInverseNorm: styleInverseNorm.pointer,
                targetMap: targetMap.pointer, styleMap: styleMap.pointer,
                targetDominant: targetDominant.pointer, targetMasks: targetMasks.pointer, styleMasks: styleMasks.pointer,
                classPresent: classPresent, classMembers: classMembers.pointer, classStart: classStart,
                penalty: variety.pointer, scores: scores.pointer,
                randomCandidates: max(0, options.randomCandidates), seed: options.seed,
                freshDraws: options.freshDraws, call: 0)
    }
}
