import Net

/// Finds, for every patch of the target, the style patch whose key correlates best.
public protocol PatchMatcher: AnyObject {
    /// `matches[i]` = index of the style patch chosen for target patch `i`.
    func match(target: PatchBank, into matches: inout [Int32])
}

/// Exhaustive nearest neighbours: every target key against every style key, as matrix
/// products over slices of target rows, so memory stays bounded by `sliceRows * N_style`.
///
/// `variety` > 0 lowers the score of often-used style patches (see `VarietyPenalty`).
public final class ExactPatchMatcher: PatchMatcher {
    public let style: PatchBank
    public var variety: Float {
        get { varietyPenalty.strength }
        set { varietyPenalty.strength = newValue }
    }
    private let varietyPenalty: VarietyPenalty
    private let sliceRows: Int
    private var scores: [Float]

    public init(style: PatchBank, variety: Float = 0, sliceRows: Int = 256) {
        self.style = style
        varietyPenalty = VarietyPenalty(strength: variety, styleCount: style.count)
        self.sliceRows = sliceRows
        scores = [Float](repeating: 0, count: sliceRows * style.count)
    }

    public func match(target: PatchBank, into matches: inout [Int32]) {
        precondition(target.keyDimension == style.keyDimension, "target and style keys differ in size")
        if matches.count != target.count { matches = [Int32](repeating: 0, count: target.count) }
        let (ns, d) = (style.count, style.keyDimension)
        let usePenalty = variety > 0
        target.keys.withUnsafeBufferPointer { t in
            style.keys.withUnsafeBufferPointer { s in
                scores.withUnsafeMutableBufferPointer { sc in
                    varietyPenalty.values.withUnsafeBufferPointer { pen in
                        matches.withUnsafeMutableBufferPointer { out in
                            var first = 0
                            while first < target.count {
                                let rows = min(sliceRows, target.count - first)
                                BLAS.sgemm(m: rows, n: ns, k: d, a: t.baseAddress! + first * d, lda: d,
                                           b: s.baseAddress!, ldb: d, transposeB: true,
                                           c: sc.baseAddress!, ldc: ns)
                                let base = first
                                parallelFor(rows) { r in
                                    out[base + r] = Int32(argmax(sc.baseAddress! + r * ns, count: ns,
                                                                 penalty: usePenalty ? pen.baseAddress! : nil))
                                }
                                first += rows
                            }
                        }
                    }
                }
            }
        }
        varietyPenalty.record(matches, targetWidth: target.patchWidth, styleWidth: style.patchWidth)
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
