/// Carries matches from one phase to the next (usually 2x larger) as a warm start.
public enum MatchUpsampling {
    /// Sizes are FEATURE map sizes `(H, W)`; patch grids are `(H-2) x (W-2)`, row-major.
    ///
    /// Each new target patch takes its parent: the old patch whose centre cell contains the
    /// new centre's position scaled by the old/new target ratio (clamped to the old grid).
    /// The parent's style patch is scaled by the new/old style ratio, plus the new patch's
    /// offset from the scaled parent, and clamped to the new style grid. At exactly 2x this is
    /// the usual `2 * parent match + (child - 2 * parent)`.
    ///
    /// Continuous coordinates: cell `i` covers `[i, i+1)`, so patch `p` is centred at `p + 1.5`.
    public static func upsample(_ matches: [Int32],
                                from old: (targetH: Int, targetW: Int, styleH: Int, styleW: Int),
                                to new: (targetH: Int, targetW: Int, styleH: Int, styleW: Int)) -> [Int32] {
        let (oldRows, oldColumns) = (max(0, old.targetH - 2), max(0, old.targetW - 2))
        let (oldStyleRows, oldStyleColumns) = (max(0, old.styleH - 2), max(0, old.styleW - 2))
        let (rows, columns) = (max(0, new.targetH - 2), max(0, new.targetW - 2))
        let (styleRows, styleColumns) = (max(0, new.styleH - 2), max(0, new.styleW - 2))
        precondition(matches.count == oldRows * oldColumns, "\(matches.count) matches for a \(oldRows)x\(oldColumns) patch grid")
        guard rows > 0, columns > 0 else { return [] }
        guard oldRows > 0, oldColumns > 0, oldStyleRows > 0, oldStyleColumns > 0, styleRows > 0, styleColumns > 0 else {
            return [Int32](repeating: 0, count: rows * columns)
        }
        // One axis: (parent patch, function from the parent's style coordinate to the new one).
        func axis(_ p: Int, oldTarget: Int, newTarget: Int, oldGrid: Int) -> (parent: Int, offset: Double) {
            let ratio = Double(oldTarget) / Double(newTarget)
            let centre = Double(p) + 1.5
            let parent = min(max(Int((centre * ratio).rounded(.down)) - 1, 0), oldGrid - 1)
            // New-grid offset of this patch from its parent's centre mapped into the new grid.
            return (parent, centre - (Double(parent) + 1.5) / ratio)
        }
        func place(_ s: Int, offset: Double, oldStyle: Int, newStyle: Int, grid: Int) -> Int {
            let centre = (Double(s) + 1.5) * Double(newStyle) / Double(oldStyle) + offset
            return min(max(Int(centre.rounded(.down)) - 1, 0), grid - 1)
        }
        let ys = (0..<rows).map { axis($0, oldTarget: old.targetH, newTarget: new.targetH, oldGrid: oldRows) }
        let xs = (0..<columns).map { axis($0, oldTarget: old.targetW, newTarget: new.targetW, oldGrid: oldColumns) }
        var result = [Int32](repeating: 0, count: rows * columns)
        for y in 0..<rows {
            for x in 0..<columns {
                let parent = Int(matches[ys[y].parent * oldColumns + xs[x].parent])
                let (sy, sx) = (parent / oldStyleColumns, parent % oldStyleColumns)
                let ny = place(sy, offset: ys[y].offset, oldStyle: old.styleH, newStyle: new.styleH, grid: styleRows)
                let nx = place(sx, offset: xs[x].offset, oldStyle: old.styleW, newStyle: new.styleW, grid: styleColumns)
                result[y * columns + x] = Int32(ny * styleColumns + nx)
            }
        }
        return result
    }
}
