import Dispatch
import Net

/// The classes of every patch of a bank, read from the map part of its keys.
///
/// A patch's map part holds, per class `k`, its coverage at the 9 cells (`keys[c*9 + k*9 + cell]`,
/// scaled by a positive factor). Summed over the cells this gives the class's share of the patch:
/// - `dominant`: the class with the largest share (ties to the lower id);
/// - `masks`: bit `k` set when class `k` has more than `presenceThreshold` of the patch's map
///   mass, so a patch on a boundary carries both sides.
///
/// Without map channels every patch is class 0 with mask bit 0. With more than 64 classes the
/// masks are all ones (no restriction) and only `dominant` is meaningful.
public struct PatchClasses: Sendable {
    /// Share of a patch's map mass above which a class counts as present.
    public static let presenceThreshold: Float = 0.01

    public let classCount: Int
    public let dominant: [Int32]
    public let masks: [UInt64]

    public init(bank: PatchBank) {
        let n = bank.count
        var dominant = [Int32](repeating: 0, count: n)
        var masks = [UInt64](repeating: 0, count: n)
        dominant.withUnsafeMutableBufferPointer { d in
            masks.withUnsafeMutableBufferPointer { m in
                bank.mapKeys.withUnsafeBufferPointer { keys in
                    // No map channels: no keys to read, every patch is class 0.
                    Self.compute(keys: keys.baseAddress ?? UnsafePointer(bitPattern: 64)!, count: n, channels: 0,
                                 mapChannels: bank.mapChannels, dominant: d.baseAddress!, masks: m.baseAddress!)
                }
            }
        }
        classCount = bank.mapChannels
        self.dominant = dominant
        self.masks = masks
    }

    /// Whether the masks restrict anything (1...64 classes).
    public var isRestricting: Bool { classCount > 0 && classCount <= 64 }

    /// The mask with every class below `classCount` (all ones without restriction).
    public var allClasses: UInt64 {
        isRestricting ? (classCount == 64 ? ~0 : (UInt64(1) << UInt64(classCount)) - 1) : ~0
    }

    /// Patch indices by dominant class, ascending within a class.
    public func members() -> [[Int32]] {
        var lists = [[Int32]](repeating: [], count: max(1, classCount))
        for (i, c) in dominant.enumerated() { lists[Int(c)].append(Int32(i)) }
        return lists
    }

    /// Fills `dominant` and `masks` for `count` key rows of `(channels + mapChannels) * 9` floats.
    static func compute(keys: UnsafePointer<Float>, count n: Int, channels: Int, mapChannels k: Int,
                        dominant: UnsafeMutablePointer<Int32>, masks: UnsafeMutablePointer<UInt64>) {
        guard k > 0 else {
            dominant.update(repeating: 0, count: n)
            masks.update(repeating: 1, count: n)
            return
        }
        let d = (channels + k) * 9, first = channels * 9
        let restricting = k <= 64
        parallelFor(n) { i in
            let row = keys + i * d + first
            var total: Float = 0
            var best = 0
            var bestShare: Float = -1
            for c in 0..<k {
                var s: Float = 0
                for cell in 0..<9 { s += row[c * 9 + cell] }
                total += s
                if s > bestShare { bestShare = s; best = c }
            }
            dominant[i] = Int32(best)
            guard restricting, total > 0 else {
                masks[i] = ~0
                return
            }
            var mask: UInt64 = 0
            let threshold = total * presenceThreshold
            for c in 0..<k {
                var s: Float = 0
                for cell in 0..<9 { s += row[c * 9 + cell] }
                if s > threshold { mask |= UInt64(1) << UInt64(c) }
            }
            masks[i] = mask == 0 ? ~0 : mask
        }
    }
}

/// Exact nearest neighbours restricted by class: each target patch is compared only with the
/// style patches whose class mask overlaps its own (`PatchClasses`; a boundary patch keeps
/// both sides). Wherever the exhaustive best has an overlapping class this finds the same
/// patch; elsewhere it finds the best among the overlapping ones.
///
/// The style rows are copied once, grouped by mask (ascending index within a group); target
/// rows are grouped by mask per call and gathered slice by slice, and each slice is multiplied
/// by the style groups it overlaps (`BLAS.sgemm`, consecutive groups merged), keeping the best
/// score per row (ties to the lower style index, like `ExactPatchMatcher`).
/// A target patch whose classes the style lacks searches every style patch.
///
/// Without map channels (or with more than 64 classes) it is `ExactPatchMatcher`.
/// `variety` works as in `ExactPatchMatcher`.
public final class ClassRestrictedMatcher: PatchMatcher {
    public let style: PatchBank
    public let variety: VarietyPenalty
    public let sliceRows: Int
    public let styleClasses: PatchClasses

    private let fallback: ExactPatchMatcher?
    /// Style groups in `groupedKeys` order: one mask, rows `start..<start+count`.
    private var groups: [(mask: UInt64, start: Int, count: Int)] = []
    /// Grouped row -> style index.
    private var order: [Int32] = []
    private var groupedKeys: [Float] = []
    private var scores: [Float] = []
    private var gathered: [Float] = []
    private var rowBest: [Float] = []
    private var rowIndex: [Int32] = []
    // Per-call target classes (reused).
    private var targetDominant: [Int32] = []
    private var targetMasks: [UInt64] = []

    public convenience init(style: PatchBank, variety: Float = 0, sliceRows: Int = 256) {
        self.init(style: style, penalty: VarietyPenalty(strength: variety, styleCount: style.count), sliceRows: sliceRows)
    }

    /// Shares `penalty` with the matcher that hands this one its searches.
    init(style: PatchBank, penalty: VarietyPenalty, sliceRows: Int = 256) {
        self.style = style
        variety = penalty
        self.sliceRows = sliceRows
        styleClasses = PatchClasses(bank: style)
        guard styleClasses.isRestricting else {
            fallback = ExactPatchMatcher(style: style, penalty: penalty, sliceRows: sliceRows)
            return
        }
        fallback = nil
        let n = style.count, d = style.keyDimension
        let sorted = (0..<n).sorted { a, b in
            let (ma, mb) = (styleClasses.masks[a], styleClasses.masks[b])
            return ma != mb ? ma < mb : a < b
        }
        order = sorted.map { Int32($0) }
        var start = 0
        while start < n {
            let mask = styleClasses.masks[sorted[start]]
            var end = start
            while end < n && styleClasses.masks[sorted[end]] == mask { end += 1 }
            groups.append((mask, start, end - start))
            start = end
        }
        groupedKeys = [Float](repeating: 0, count: n * d)
        groupedKeys.withUnsafeMutableBufferPointer { out in
            style.keys.withUnsafeBufferPointer { keys in
                order.withUnsafeBufferPointer { o in
                    parallelFor(n) { j in
                        (out.baseAddress! + j * d).update(from: keys.baseAddress! + Int(o[j]) * d, count: d)
                    }
                }
            }
        }
        scores = [Float](repeating: 0, count: sliceRows * n)
        gathered = [Float](repeating: 0, count: sliceRows * d)
        rowBest = [Float](repeating: 0, count: sliceRows)
        rowIndex = [Int32](repeating: 0, count: sliceRows)
    }

    public func search(target: PatchBank, into matches: inout [Int32]) {
        if let fallback {
            fallback.search(target: target, into: &matches)
            return
        }
        precondition(target.keyDimension == style.keyDimension && target.mapChannels == style.mapChannels,
                     "target and style keys differ in size")
        let n = target.count, d = style.keyDimension
        if matches.count != n { matches = [Int32](repeating: 0, count: n) }
        if targetDominant.count != n {
            targetDominant = [Int32](repeating: 0, count: n)
            targetMasks = [UInt64](repeating: 0, count: n)
        }
        targetDominant.withUnsafeMutableBufferPointer { dom in
            targetMasks.withUnsafeMutableBufferPointer { m in
                target.keys.withUnsafeBufferPointer { keys in
                    PatchClasses.compute(keys: keys.baseAddress!, count: n, channels: target.channels,
                                         mapChannels: target.mapChannels, dominant: dom.baseAddress!, masks: m.baseAddress!)
                }
            }
        }
        // In grouped order.
        let penalty = variety.isActive ? variety.values(inOrder: order) : nil
        let styleAll = styleClasses.allClasses
        // Target rows by mask, in a fixed order (masks ascending, rows ascending).
        var byMask: [UInt64: [Int32]] = [:]
        for i in 0..<n { byMask[targetMasks[i], default: []].append(Int32(i)) }
        for mask in byMask.keys.sorted() {
            let rows = byMask[mask]!
            // The style rows to search: groups overlapping the mask, consecutive ones merged.
            var ranges: [(start: Int, count: Int)] = []
            let overlapping = groups.contains { $0.mask & mask & styleAll != 0 }
            for g in groups where !overlapping || g.mask & mask != 0 {
                if let last = ranges.last, last.start + last.count == g.start {
                    ranges[ranges.count - 1].count += g.count
                } else {
                    ranges.append((g.start, g.count))
                }
            }
            var first = 0
            while first < rows.count {
                let count = min(sliceRows, rows.count - first)
                searchSlice(Array(rows[first..<first + count]), target: target, dimension: d, ranges: ranges,
                            penalty: penalty, into: &matches)
                first += count
            }
        }
    }

    private func searchSlice(_ rows: [Int32], target: PatchBank, dimension d: Int, ranges: [(start: Int, count: Int)],
                             penalty: [Float]?, into matches: inout [Int32]) {
        let m = rows.count
        target.keys.withUnsafeBufferPointer { t in
            gathered.withUnsafeMutableBufferPointer { g in
                parallelFor(m) { r in
                    (g.baseAddress! + r * d).update(from: t.baseAddress! + Int(rows[r]) * d, count: d)
                }
            }
        }
        for r in 0..<m {
            rowBest[r] = -.infinity
            rowIndex[r] = Int32.max
        }
        gathered.withUnsafeBufferPointer { g in
            groupedKeys.withUnsafeBufferPointer { s in
                scores.withUnsafeMutableBufferPointer { sc in
                    (penalty ?? []).withUnsafeBufferPointer { pen in
                        order.withUnsafeBufferPointer { o in
                            rowBest.withUnsafeMutableBufferPointer { best in
                                rowIndex.withUnsafeMutableBufferPointer { index in
                                    for range in ranges {
                                        let cols = range.count
                                        BLAS.sgemm(m: m, n: cols, k: d, a: g.baseAddress!, lda: d,
                                                   b: s.baseAddress! + range.start * d, ldb: d, transposeB: true,
                                                   c: sc.baseAddress!, ldc: cols)
                                        let p = penalty == nil ? nil : pen.baseAddress! + range.start
                                        parallelFor(m) { r in
                                            let row = sc.baseAddress! + r * cols
                                            let j = argmax(row, count: cols, penalty: p)
                                            let value = row[j] - (p?[j] ?? 0)
                                            let original = o[range.start + j]
                                            if value > best[r] || (value == best[r] && original < index[r]) {
                                                best[r] = value
                                                index[r] = original
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for r in 0..<m { matches[Int(rows[r])] = rowIndex[r] }
    }
}
