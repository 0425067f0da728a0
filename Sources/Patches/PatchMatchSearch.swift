import Net

// The search of `PatchMatchMatcher`: one sweep over a band of target rows, and its random
// numbers.

/// Everything one sweep reads, as raw pointers (shared by the band threads; each writes only
/// its own rows of `matches` and `scores`).
struct PatchMatchContext: @unchecked Sendable {
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
