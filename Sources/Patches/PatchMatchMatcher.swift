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

    private func makeContext(targetWidth: Int) -> Context {
        Context(channels: channels, mapDimension: mapDimension,
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

    // MARK: - Layout

    /// 1 / |patch| of every 3x3 patch of `[H, W, C]` pixels (0 for an all-zero patch), as the
    /// keys are normalised.
    static func inverseNorms(pixels: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
                             pixelNorms: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        PatchKernels.patchSquares(pixels: pixels, channels: c, height: h, width: w, scratch: pixelNorms, into: out)
        let n = PatchKernels.patchCount(height: h, width: w)
        for i in 0..<n { out[i] = out[i] > 1e-12 ? 1 / out[i].squareRoot() : 0 }
    }


    // MARK: - Kernels

    /// Sum of `a[i] * b[i]`: four SIMD8 accumulators over blocks of 32, then SIMD8, then scalars.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= n {
            let o = i * 4
            s0 += ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
            s2 += ra.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
            s3 += ra.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
            i += 32
        }
        while i + 8 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// The plain loop, for comparison with `dot`.
    public static func scalarDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var sum: Float = 0
        for i in 0..<n { sum += a[i] * b[i] }
        return sum
    }

    /// The key dot product of target patch `t` and style patch `s` computed directly from
    /// the banks' keys (what the exact matcher's sgemm computes), for checks and benchmarks.
    public static func keyScore(target: PatchBank, _ t: Int, style: PatchBank, _ s: Int) -> Float {
        let d = target.keyDimension
        return target.keys.withUnsafeBufferPointer { a in
            style.keys.withUnsafeBufferPointer { b in
                dot(a.baseAddress! + t * d, b.baseAddress! + s * d, count: d)
            }
        }
    }

    /// Mean `keyScore` of the matched pairs.
    public static func meanScore(target: PatchBank, style: PatchBank, matches: [Int32]) -> Double {
        precondition(matches.count == target.count, "one match per target patch")
        guard !matches.isEmpty else { return 0 }
        let d = target.keyDimension
        var partial = [Double](repeating: 0, count: 8)
        target.keys.withUnsafeBufferPointer { a in
            style.keys.withUnsafeBufferPointer { b in
                partial.withUnsafeMutableBufferPointer { p in
                    let n = matches.count
                    parallelChunks(n, chunks: 8) { chunk, range in
                        var sum = 0.0
                        for t in range {
                            sum += Double(dot(a.baseAddress! + t * d, b.baseAddress! + Int(matches[t]) * d, count: d))
                        }
                        p[chunk] = sum
                    }
                }
            }
        }
        return partial.reduce(0, +) / Double(matches.count)
    }
}

// MARK: - The search

/// Everything one sweep reads, as raw pointers (shared by the band threads; each writes only
/// its own rows of `matches` and `scores`).
private struct Context: @unchecked Sendable {
    let channels: Int, mapDimension: Int
    let targetRows: Int, targetColumns: Int, targetWidth: Int
    let styleRows: Int, styleColumns: Int, styleWidth: Int, styleCount: Int
    let targetPixels: UnsafePointer<Float>, stylePixels: UnsafePointer<Float>
    let targetInverseNorm: UnsafePointer<Float>, styleInverseNorm: UnsafePointer<Float>
    let targetMap: UnsafePointer<Float>, styleMap: UnsafePointer<Float>
    let targetDominant: UnsafePointer<Int32>, targetMasks: UnsafePointer<UInt64>, styleMasks: UnsafePointer<UInt64>
    let classPresent: UInt64
    let classMembers: UnsafePointer<Int32>
    let classStart: [Int]
    let penalty: UnsafePointer<Float>?
    let scores: UnsafeMutablePointer<Float>
    let randomCandidates: Int
    let seed: UInt64
    let freshDraws: Bool
    var call: UInt64

    init(channels: Int, mapDimension: Int, targetRows: Int, targetColumns: Int, targetWidth: Int,
         styleRows: Int, styleColumns: Int, styleWidth: Int, styleCount: Int,
         targetPixels: UnsafeMutablePointer<Float>, stylePixels: UnsafeMutablePointer<Float>,
         targetInverseNorm: UnsafeMutablePointer<Float>, styleInverseNorm: UnsafeMutablePointer<Float>,
         targetMap: UnsafeMutablePointer<Float>, styleMap: UnsafeMutablePointer<Float>,
         targetDominant: UnsafeMutablePointer<Int32>, targetMasks: UnsafeMutablePointer<UInt64>,
         styleMasks: UnsafeMutablePointer<UInt64>, classPresent: UInt64, classMembers: UnsafeMutablePointer<Int32>,
         classStart: [Int], penalty: UnsafePointer<Float>?, scores: UnsafeMutablePointer<Float>,
         randomCandidates: Int, seed: UInt64, freshDraws: Bool, call: UInt64) {
        self.freshDraws = freshDraws
        self.channels = channels
        self.mapDimension = mapDimension
        self.targetRows = targetRows
        self.targetColumns = targetColumns
        self.targetWidth = targetWidth
        self.styleRows = styleRows
        self.styleColumns = styleColumns
        self.styleWidth = styleWidth
        self.styleCount = styleCount
        self.targetPixels = UnsafePointer(targetPixels)
        self.stylePixels = UnsafePointer(stylePixels)
        self.targetInverseNorm = UnsafePointer(targetInverseNorm)
        self.styleInverseNorm = UnsafePointer(styleInverseNorm)
        self.targetMap = UnsafePointer(targetMap)
        self.styleMap = UnsafePointer(styleMap)
        self.targetDominant = UnsafePointer(targetDominant)
        self.targetMasks = UnsafePointer(targetMasks)
        self.styleMasks = UnsafePointer(styleMasks)
        self.classPresent = classPresent
        self.classMembers = UnsafePointer(classMembers)
        self.classStart = classStart
        self.penalty = penalty
        self.scores = scores
        self.randomCandidates = randomCandidates
        self.seed = seed
        self.call = call
    }

    /// Key dot product of target patch `t` at (y, x) with style patch `s`, minus the penalty.
    @inline(__always)
    func score(_ t: Int, _ y: Int, _ x: Int, _ s: Int) -> Float {
        let c = channels, run = 3 * c
        let sy = s / styleColumns, sx = s - sy * styleColumns
        let tp = targetPixels + (y * targetWidth + x) * c
        let sp = stylePixels + (sy * styleWidth + sx) * c
        var feature = PatchMatchMatcher.dot(tp, sp, count: run)
        feature += PatchMatchMatcher.dot(tp + targetWidth * c, sp + styleWidth * c, count: run)
        feature += PatchMatchMatcher.dot(tp + 2 * targetWidth * c, sp + 2 * styleWidth * c, count: run)
        var value = feature * targetInverseNorm[t] * styleInverseNorm[s]
        if mapDimension > 0 {
            let tm = targetMap + t * mapDimension, sm = styleMap + s * mapDimension
            var m: Float = 0
            for j in 0..<mapDimension { m += tm[j] * sm[j] }
            value += m
        }
        if let penalty { value -= penalty[s] }
        return value
    }

    /// The classes a target patch may match: its mask, or every class when the style has none of them.
    @inline(__always)
    func filter(_ t: Int) -> UInt64 {
        let mask = targetMasks[t] & classPresent
        return mask == 0 ? ~0 : mask
    }

    /// A random style patch of target patch `t`'s dominant class (any patch when the style lacks it).
    @inline(__always)
    func randomMember(of t: Int, _ rng: inout Random) -> Int {
        let c = Int(targetDominant[t])
        if c + 1 < classStart.count {
            let (lo, hi) = (classStart[c], classStart[c + 1])
            if hi > lo { return Int(classMembers[lo + rng.below(hi - lo)]) }
        }
        return rng.below(styleCount)
    }

    /// One sweep over `rows` (a band); returns (patches improved, pairs scored).
    func sweep(rows: Range<Int>, sweep: Int, matches: UnsafeMutablePointer<Int32>,
               snapshot: UnsafePointer<Int32>) -> (Int, Int) {
        let forward = sweep % 2 == 0
        let pw = targetColumns, sw = styleColumns, sh = styleRows
        var improved = 0, scored = 0
        let radius0 = max(sh, sw)
        for i in 0..<rows.count {
            let y = forward ? rows.lowerBound + i : rows.upperBound - 1 - i
            for j in 0..<pw {
                let x = forward ? j : pw - 1 - j
                let t = y * pw + x
                var best = Int(matches[t])
                var bestScore = scores[t]
                let allowed = filter(t)
                var changed = false
                @inline(__always) func consider(_ s: Int) {
                    guard s != best, styleMasks[s] & allowed != 0 else { return }
                    let v = score(t, y, x, s)
                    scored += 1
                    if v > bestScore {
                        bestScore = v
                        best = s
                        changed = true
                    }
                }
                @inline(__always) func propagate(_ m: Int, _ dy: Int, _ dx: Int) {
                    let my = m / sw - dy, mx = m % sw - dx
                    if my >= 0 && my < sh && mx >= 0 && mx < sw { consider(my * sw + mx) }
                }
                // Propagation from the four neighbours: each one's match moved back by the
                // offset to this patch. Neighbours in other bands are read as they were at
                // the start of the sweep.
                if x > 0 { propagate(Int(matches[t - 1]), 0, -1) }
                if x + 1 < pw { propagate(Int(matches[t + 1]), 0, 1) }
                if y > 0 { propagate(Int(y - 1 >= rows.lowerBound ? matches[t - pw] : snapshot[t - pw]), -1, 0) }
                if y + 1 < targetRows { propagate(Int(y + 1 < rows.upperBound ? matches[t + pw] : snapshot[t + pw]), 1, 0) }
                // Random search around the best, radius halving.
                var rng = Random(seed, freshDraws ? call : 0, freshDraws ? UInt64(sweep) : UInt64(best), t)
                var r = radius0
                while r >= 1 {
                    let by = best / sw, bx = best - by * sw
                    let y0 = max(0, by - r), y1 = min(sh - 1, by + r)
                    let x0 = max(0, bx - r), x1 = min(sw - 1, bx + r)
                    let cy = y0 + rng.below(y1 - y0 + 1), cx = x0 + rng.below(x1 - x0 + 1)
                    consider(cy * sw + cx)
                    r /= 2
                }
                for _ in 0..<randomCandidates { consider(randomMember(of: t, &rng)) }
                if changed {
                    matches[t] = Int32(best)
                    scores[t] = bestScore
                    improved += 1
                }
            }
        }
        return (improved, scored)
    }
}

/// Counter-based random numbers: a SplitMix64 stream seeded by a hash of its coordinates, so
/// a patch's draws do not depend on the order the threads run in.
struct Random {
    private var state: UInt64

    init(_ seed: UInt64, _ call: UInt64, _ sweep: UInt64, _ patch: Int) {
        var h = seed &* 0x9E37_79B9_7F4A_7C15
        h = Self.mix(h ^ call &* 0xC2B2_AE3D_27D4_EB4F)
        h = Self.mix(h ^ sweep &* 0x1656_67B1_9E37_79F9)
        state = Self.mix(h ^ UInt64(truncatingIfNeeded: patch) &* 0xD6E8_FEB8_6659_FD93)
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform in `0..<bound` (`bound` > 0).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        Int(((next() >> 32) &* UInt64(bound)) >> 32)
    }
}

/// A fixed-size allocation owned by its matcher.
final class Buffer<T> {
    let pointer: UnsafeMutablePointer<T>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<T>.allocate(capacity: max(1, count))
    }

    deinit { pointer.deallocate() }
}
