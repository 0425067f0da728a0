/// `--variety`: lowers the score of style patches in proportion to how many target patches
/// chose them (the most used by the full `strength`), so the choice spreads over more of the
/// style. The counts are refreshed only every `refreshEvery` calls: in between, the loss stays
/// one function of the pixels, which L-BFGS-B's line search needs (a penalty that moved on
/// every call stalled the optimiser at the seed).
///
/// It also breaks up verbatim copies: when the target copies a piece of the style at one
/// offset (`CopiedPieces`) larger than `pieceLimit` of the target, the style patches of that
/// piece get the full `strength`, and keep it for the rest of the phase, so that no large
/// part of the style is pasted whole (a face in a texture, a building in a transfer).
///
/// Every matcher holds one (strength 0: none); `PatchMatcher.match` records each call's
/// choices here, and the searches read `pointer` or `values(inOrder:)`.
public final class VarietyPenalty {
    public let strength: Float
    public let refreshEvery: Int
    /// Largest copied piece allowed, as a share of the target's patches.
    public static let pieceLimit = 0.03
    /// Per style patch, subtracted from its score; stable storage, read by pointer in searches.
    private let storage: Buffer<Float>
    /// Bumped whenever the values change.
    public private(set) var generation = 0
    private var usage: [Int32]
    private var copied: [Bool]
    private var calls = 0
    private var ordered: (generation: Int, order: [Int32], values: [Float])?

    public init(strength: Float, styleCount: Int, refreshEvery: Int = 10) {
        self.strength = strength
        self.refreshEvery = max(1, refreshEvery)
        storage = Buffer(styleCount)
        storage.pointer.update(repeating: 0, count: styleCount)
        usage = [Int32](repeating: 0, count: styleCount)
        copied = [Bool](repeating: false, count: styleCount)
    }

    public var isActive: Bool { strength > 0 }

    /// Per style patch, subtracted from its score.
    public var values: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count)) }

    /// The values for a search to subtract, or nil when the penalty is off. Valid while this
    /// object lives; they change only in `record`.
    var pointer: UnsafePointer<Float>? { isActive ? UnsafePointer(storage.pointer) : nil }

    /// The values with `order[j]`'s at position `j` (a matcher that sorts the style patches),
    /// kept until the values change.
    func values(inOrder order: [Int32]) -> [Float] {
        if let ordered, ordered.generation == generation, ordered.order == order { return ordered.values }
        let values = order.map { storage.pointer[Int($0)] }
        ordered = (generation, order, values)
        return values
    }

    /// Counts the matches of a call (only on every `refreshEvery`-th call, the first time
    /// after `refreshEvery` calls) and updates `values`. `target` and `style` are the patch
    /// grids' widths (`PatchBank.patchWidth`), for finding copied pieces.
    public func record(_ matches: [Int32], targetWidth: Int, styleWidth: Int) {
        guard strength > 0 else { return }
        calls += 1
        guard calls % refreshEvery == 0, targetWidth > 0 else { return }
        for i in 0..<usage.count { usage[i] = 0 }
        for m in matches { usage[Int(m)] += 1 }
        markCopiedPieces(matches, targetWidth: targetWidth, styleWidth: styleWidth)
        guard let most = usage.max(), most > 0 else { return }
        let scale = strength / Float(most)
        for i in 0..<usage.count { storage.pointer[i] = copied[i] ? strength : Float(usage[i]) * scale }
        generation += 1
    }

    private func markCopiedPieces(_ matches: [Int32], targetWidth: Int, styleWidth: Int) {
        let pieces = CopiedPieces(matches: matches, width: targetWidth, height: matches.count / targetWidth,
                                  styleWidth: styleWidth)
        let limit = max(4, Int(Self.pieceLimit * Double(matches.count)))
        for (i, id) in pieces.piece.enumerated() where pieces.sizes[Int(id)] > limit {
            copied[Int(matches[i])] = true
        }
    }
}
