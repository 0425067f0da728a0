import Net

/// Finds, for every patch of the target, the style patch whose key correlates best.
public protocol PatchMatcher: AnyObject {
    var style: PatchBank { get }
    /// The bias against often-used style patches (`--variety`; strength 0: none).
    var variety: VarietyPenalty { get }
    /// The search alone: `matches[i]` = index of the style patch chosen for target patch `i`,
    /// each score lowered by `variety`'s values. Use `match`, which also records the choices.
    func search(target: PatchBank, into matches: inout [Int32])
}

extension PatchMatcher {
    /// `matches[i]` = index of the style patch chosen for target patch `i`; the choices are
    /// recorded in `variety` (the one place every matcher's choices are counted).
    public func match(target: PatchBank, into matches: inout [Int32]) {
        search(target: target, into: &matches)
        variety.record(matches, targetWidth: target.patchWidth, styleWidth: style.patchWidth)
    }
}

/// Exhaustive nearest neighbours: every target key against every style key, as matrix
/// products over slices of target rows, so memory stays bounded by `sliceRows * N_style`.
///
/// `variety` > 0 lowers the score of often-used style patches (see `VarietyPenalty`).
public final class ExactPatchMatcher: PatchMatcher {
    public let style: PatchBank
    public let variety: VarietyPenalty
    private let sliceRows: Int
    private var scores: [Float]

    public convenience init(style: PatchBank, variety: Float = 0, sliceRows: Int = 256) {
        self.init(style: style, penalty: VarietyPenalty(strength: variety, styleCount: style.count), sliceRows: sliceRows)
    }

    /// Shares `penalty` with the matcher that hands this one its searches.
    init(style: PatchBank, penalty: VarietyPenalty, sliceRows: Int = 256) {
        self.style = style
        variety = penalty
        self.sliceRows = sliceRows
        scores = [Float](repeating: 0, count: sliceRows * style.count)
    }

    public func search(target: PatchBank, into matches: inout [Int32]) {
        precondition(target.keyDimension == style.keyDimension, "target and style keys differ in size")
        if matches.count != target.count { matches = [Int32](repeating: 0, count: target.count) }
        let (ns, d) = (style.count, style.keyDimension)
        let penalty = variety.pointer
        target.keys.withUnsafeBufferPointer { t in
            style.keys.withUnsafeBufferPointer { s in
                scores.withUnsafeMutableBufferPointer { sc in
                    matches.withUnsafeMutableBufferPointer { out in
                        var first = 0
                        while first < target.count {
                            let rows = min(sliceRows, target.count - first)
                            BLAS.sgemm(m: rows, n: ns, k: d, a: t.baseAddress! + first * d, lda: d,
                                       b: s.baseAddress!, ldb: d, transposeB: true,
                                       c: sc.baseAddress!, ldc: ns)
                            let base = first
                            parallelFor(rows) { r in
                                out[base + r] = Int32(argmax(sc.baseAddress! + r * ns, count: ns, penalty: penalty))
                            }
                            first += rows
                        }
                    }
                }
            }
        }
    }
}

/// Index of the largest `row[j] - penalty[j]`; the first one on ties.
@inline(__always)
func argmax(_ row: UnsafePointer<Float>, count: Int, penalty: UnsafePointer<Float>?) -> Int {
    var best = 0
    var bestScore = -Float.infinity
    if let penalty {
        for j in 0..<count where row[j] - penalty[j] > bestScore {
            bestScore = row[j] - penalty[j]
            best = j
        }
    } else {
        for j in 0..<count where row[j] > bestScore {
            bestScore = row[j]
            best = j
        }
    }
    return best
}
