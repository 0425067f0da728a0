/// Target classes that have no region in the style map: there is nothing to copy into them.
public struct UnmatchedClassError: Error, CustomStringConvertible, Sendable {
    public struct Region: Equatable, Sendable {
        public let mapClass: MapClass
        /// Fraction (0...1) of the target map.
        public let share: Double
        /// Bounding box in the target map.
        public let x: Int, y: Int, width: Int, height: Int

        public init(mapClass: MapClass, share: Double, x: Int, y: Int, width: Int, height: Int) {
            self.mapClass = mapClass
            self.share = share
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    public let targetName: String
    public let styleName: String
    /// One per missing class, by id.
    public let unmatched: [Region]

    public init(targetName: String, styleName: String, unmatched: [Region]) {
        self.targetName = targetName
        self.styleName = styleName
        self.unmatched = unmatched
    }

    /// One line, e.g. `'doodle.png': class #00ff00 (green, 12.5% of the map, around x 40-120,
    /// y 200-260) has no region in 'style_sem.png'; paint it in the style map or pass
    /// --allow-unmatched`. Several classes are listed in the same line, the largest first, at
    /// most `listed` of them ("and 97 more").
    public var description: String {
        let listed = 4
        func text(_ r: Region) -> String {
            let what = r.mapClass.label.map { "label \($0) (\(r.mapClass.hex)" } ?? "\(r.mapClass.hex) (\(r.mapClass.colourName)"
            return "\(what), \(formatPercent(r.share)) of the map, "
                + "around x \(r.x)-\(r.x + r.width - 1), y \(r.y)-\(r.y + r.height - 1))"
        }
        if unmatched.count == 1 {
            return "'\(targetName)': class \(text(unmatched[0])) has no region in '\(styleName)'; "
                + "paint it in the style map or pass --allow-unmatched"
        }
        let largest = unmatched.sorted { $0.share > $1.share }
        var names = largest.prefix(listed).map(text).joined(separator: ", ")
        if largest.count > listed { names += " and \(largest.count - listed) more" }
        return "'\(targetName)': \(unmatched.count) classes have no region in '\(styleName)': \(names); "
            + "paint them in the style map or pass --allow-unmatched"
    }
}

extension SemanticMap {
    /// Ids of the classes present in this map that have fewer than `minimumPixels` pixels in
    /// `style` (both maps labelled with the same palette).
    public func unmatchedClasses(in style: SemanticMap, minimumPixels: Int = 1) -> [Int] {
        precondition(palette == style.palette, "'\(name)' and '\(style.name)' are labelled with different palettes")
        return classesPresent().filter { style.pixelCounts[$0] < max(1, minimumPixels) }
    }
}

/// Throws `UnmatchedClassError` naming every class of `target` that `style` lacks.
public func checkMatched(target: SemanticMap, style: SemanticMap, minimumPixels: Int = 1) throws {
    let missing = target.unmatchedClasses(in: style, minimumPixels: minimumPixels)
    guard !missing.isEmpty else { return }
    let regions = missing.map { id -> UnmatchedClassError.Region in
        let box = target.location(of: id)!
        return UnmatchedClassError.Region(mapClass: target.palette.classes[id], share: target.pixelShare(of: id),
                                          x: box.x, y: box.y, width: box.width, height: box.height)
    }
    throw UnmatchedClassError(targetName: target.name, styleName: style.name, unmatched: regions)
}

/// `12.5%`, `0.07%`, `<0.01%`.
private func formatPercent(_ share: Double) -> String {
    let percent = share * 100
    if percent >= 1 {
        let tenths = Int((percent * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
    let hundredths = Int((percent * 100).rounded())
    if hundredths == 0 { return "<0.01%" }
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)%"
}
