import Foundation

/// A one-line chart of a series, newest value on the right.
public enum Sparkline {
    public static let unicodeLevels: [Character] = Array("▁▂▃▄▅▆▇█")
    public static let asciiLevels: [Character] = Array("_.-~=+*#")

    /// The last `width` values as level characters, scaled between their minimum and maximum;
    /// `logScale` (the default) for losses that fall over decades. Non-finite values are skipped.
    public static func render(_ values: [Double], width: Int, unicode: Bool = true, logScale: Bool = true) -> String {
        guard width > 0 else { return "" }
        let levels = unicode ? unicodeLevels : asciiLevels
        let shown = values.filter(\.isFinite).suffix(width)
        guard !shown.isEmpty else { return "" }
        let floor = shown.filter { $0 > 0 }.min() ?? 1e-12
        let mapped = shown.map { logScale ? log10(max($0, floor)) : $0 }
        let lo = mapped.min()!, hi = mapped.max()!
        return String(mapped.map { v -> Character in
            guard hi > lo else { return levels[levels.count / 2] }
            let index = Int(((v - lo) / (hi - lo) * Double(levels.count - 1)).rounded())
            return levels[max(0, min(levels.count - 1, index))]
        })
    }
}
