import Foundation
import Patches
import Yams

/// One class palette for a batch (`palette: classes.yaml`): class names and how each class is
/// written in the maps, so that label maps made by another program are read the same way in
/// every job.
///
/// ```yaml
/// sky: "#87ceeb"                      # the colour painted in RGB maps
/// water: [30, 144, 255]               # the same, as numbers
/// rocks: 3                            # the id in single-channel label maps (grey level 3)
/// trees: {color: "#228b22", id: 4}    # either
/// ```
///
/// Every map of a job that names a palette is recoloured to the palette's colours before
/// classes are found (`recoloured`); a colour or id the palette lacks is an error naming the
/// map and the colour. A class given only by id is painted in a colour of `Self.spare`.
public struct MapPalette: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// The colour in RGB maps, if given.
        public let colour: [Int]?
        /// The value in single-channel label maps (also matched as grey (v, v, v) in RGB maps).
        public let id: Int?
        /// What the renderer and `map inspect` show: the colour, or a spare one for id-only classes.
        public let shown: [Int]
        /// Line in the palette file.
        public let line: Int?
    }

    public let path: String
    public let entries: [Entry]

    /// Distinct colours for classes given only by id (Kelly's colours of maximum contrast).
    static let spare: [[Int]] = [
        [0xF3, 0xC3, 0x00], [0x87, 0x56, 0x92], [0xF3, 0x84, 0x00], [0xA1, 0xCA, 0xF1], [0xBE, 0x00, 0x32],
        [0xC2, 0xB2, 0x80], [0x84, 0x84, 0x82], [0x00, 0x88, 0x56], [0xE6, 0x8F, 0xAC], [0x00, 0x67, 0xA5],
        [0xF9, 0x93, 0x79], [0x60, 0x4E, 0x97], [0xF6, 0xA6, 0x00], [0xB3, 0x44, 0x6C], [0xDC, 0xD3, 0x00],
        [0x88, 0x2D, 0x17], [0x8D, 0xB6, 0x00], [0x65, 0x45, 0x22], [0xE2, 0x58, 0x22], [0x2B, 0x3D, 0x26],
    ]

    /// Reads and checks a palette file; throws `PresetError` with each problem's `file:line`.
    public static func load(path: String) throws -> MapPalette {
        try parse(yaml: PresetFiles.read(path), path: path)
    }

    public static func parse(yaml text: String, path: String) throws -> MapPalette {
        func at(_ node: Node?) -> PresetSource { PresetSource(file: path, line: node?.mark?.line, column: node?.mark?.column) }
        if let line = YAMLNesting.firstLineTooDeep(text) {
            throw PresetError([PresetIssue("nested more than \(YAMLNesting.limit) levels deep; a palette is one mapping of class names to colours", at: PresetSource(file: path, line: line))])
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw PresetError([PresetFileReader.syntaxIssue(error, file: path)])
        }
        guard let root, case .mapping(let mapping) = root, !mapping.isEmpty else {
            throw PresetError([PresetIssue("a palette maps class names to colours, like `sky: \"#87ceeb\"` (or label ids, `sky: 1`); this file has none", at: at(root))])
        }
        var issues: [PresetIssue] = []
        var raw: [(name: String, colour: [Int]?, id: Int?, line: Int?)] = []
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? "?"
            func issue(_ message: String) { issues.append(PresetIssue("class '\(name)': \(message)", at: at(value))) }
            var colour: [Int]? = nil, id: Int? = nil
            switch value {
            case .scalar(let s) where Int(s.string) != nil:
                id = Int(s.string)
            case .scalar(let s):
                guard let c = parseColour(s.string) else { issue("'\(s.string)' is not a colour; write \"#rrggbb\", [r, g, b] or a label id"); continue }
                colour = c
            case .sequence:
                guard let c = parseColour(value) else { issue("give a colour as [r, g, b], each 0...255"); continue }
                colour = c
            case .mapping(let fields):
                for (fieldKey, fieldValue) in fields {
                    switch fieldKey.string {
                    case "color", "colour":
                        guard let c = parseColour(fieldValue) else { issue("color: write \"#rrggbb\" or [r, g, b]"); continue }
                        colour = c
                    case "id":
                        guard let n = fieldValue.string.flatMap({ Int($0) }) else { issue("id: give a whole number 0...255"); continue }
                        id = n
                    default:
                        issue("unknown field '\(fieldKey.string ?? "?")'; give color and/or id")
                    }
                }
                if colour == nil && id == nil { issue("give color: \"#rrggbb\" and/or id: N") }
            }
            if let id, !(0...255).contains(id) { issue("id \(id) is outside 0...255 (a label map's values)"); continue }
            if colour != nil || id != nil { raw.append((name, colour, id, value.mark?.line)) }
        }
        // A colour or an id names one class: the same one twice would make two classes one.
        var seen: [[Int]: String] = [:]
        var ids: [Int: String] = [:]
        for entry in raw {
            let source = PresetSource(file: path, line: entry.line)
            if let colour = entry.colour {
                if let other = seen[colour] {
                    issues.append(PresetIssue("class '\(entry.name)': colour \(hex(colour)) is also class '\(other)'s; give each class its own colour", at: source))
                }
                seen[colour] = seen[colour] ?? entry.name
            }
            if let id = entry.id {
                if let other = ids[id] {
                    issues.append(PresetIssue("class '\(entry.name)': id \(id) is also class '\(other)'s; give each class its own id", at: source))
                }
                ids[id] = ids[id] ?? entry.name
                // Read as grey (id, id, id) in RGB maps: another class's colour may not be that grey.
                if let other = seen[[id, id, id]], other != entry.name, entry.colour != [id, id, id] {
                    issues.append(PresetIssue("class '\(entry.name)': id \(id) reads as the grey \(hex([id, id, id])) in RGB maps, which is class '\(other)'s colour", at: source))
                }
            }
        }
        guard issues.isEmpty else { throw PresetError(issues) }
        var spares = spare.filter { seen[$0] == nil }.makeIterator()
        let entries = raw.map { entry in
            Entry(name: entry.name, colour: entry.colour, id: entry.id,
                  shown: entry.colour ?? spares.next() ?? [entry.id!, entry.id!, entry.id!], line: entry.line)
        }
        return MapPalette(path: path, entries: entries)
    }

    static func parseColour(_ node: Node) -> [Int]? {
        switch node {
        case .scalar(let s): return parseColour(s.string)
        case .sequence(let items):
            let values = items.compactMap { $0.string.flatMap { Int($0) } }
            return values.count == 3 && items.count == 3 && values.allSatisfy({ (0...255).contains($0) }) ? values : nil
        default: return nil
        }
    }

    static func parseColour(_ text: String) -> [Int]? {
        var hexDigits = text.trimmingCharacters(in: .whitespaces)
        guard hexDigits.hasPrefix("#") else { return nil }
        hexDigits.removeFirst()
        guard hexDigits.count == 6, let value = Int(hexDigits, radix: 16) else { return nil }
        return [value >> 16 & 255, value >> 8 & 255, value & 255]
    }

    public static func hex(_ colour: [Int]) -> String { String(format: "#%02x%02x%02x", colour[0], colour[1], colour[2]) }

    // MARK: - Reading maps

    /// How one map reads against the palette: each pixel's entry (index into `entries`).
    public struct Reading: Sendable {
        public let width: Int
        public let height: Int
        public let entryOfPixel: [Int]
        /// Pixels per entry.
        public let counts: [Int]
    }

    /// Colours (or label values) of `map` that are none of the palette's, with their share of
    /// the pixels, most frequent first. For RGB maps only flat areas count (a blended seam
    /// between two classes is not a colour of its own; see `ClassPalette`).
    public func unknownColours(in map: Image, name: String) -> [(text: String, share: Double)] {
        let n = map.width * map.height
        if map.channels == 1 {
            let known = Set(entries.compactMap(\.id))
            var counts: [Int: Int] = [:]
            for v in map.pixels { counts[Int(v.rounded()), default: 0] += 1 }
            return counts.filter { !known.contains($0.key) }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { ("value \($0.key)", Double($0.value) / Double(n)) }
        }
        let rgb = map.rgb()
        let detected = ClassPalette.detect(maps: [MapPixels(image: rgb, name: name)])
        let semantic = SemanticMap(MapPixels(image: rgb, name: name), palette: detected)
        var unknown: [(String, Double)] = []
        for mapClass in detected.classes {
            let colour = mapClass.colour.map { Int($0.rounded()) }
            guard nearestEntry(colour, within: Self.tolerance) == nil else { continue }
            let share = Double(semantic.pixelCounts[mapClass.id]) / Double(n)
            if share > 0 { unknown.append((mapClass.hex, share)) }
        }
        return unknown.sorted { $0.1 > $1.1 }
    }

    /// How far (per channel) a flat colour may be from a palette colour and still be it: JPEG
    /// noise, not another class.
    static let tolerance = 24

    /// The entry whose colour (or grey id) is nearest `colour`, if within `tolerance` per channel.
    func nearestEntry(_ colour: [Int], within tolerance: Int = .max) -> Int? {
        var best: Int? = nil
        var bestDistance = Int.max
        for (index, entry) in entries.enumerated() {
            for candidate in [entry.colour, entry.id.map { [$0, $0, $0] }].compactMap({ $0 }) {
                let deltas = zip(candidate, colour).map { abs($0 - $1) }
                guard deltas.max()! <= tolerance else { continue }
                let d = deltas.reduce(0) { $0 + $1 * $1 }
                if d < bestDistance { (best, bestDistance) = (index, d) }
            }
        }
        return best
    }

    /// Each pixel's entry; throws `JobError` naming the map and the colours the palette lacks.
    public func read(_ map: Image, name: String) throws -> Reading {
        let unknown = unknownColours(in: map, name: name)
        if !unknown.isEmpty {
            let listed = unknown.prefix(4).map { "\($0.text) (\(Self.percent($0.share)))" }.joined(separator: ", ")
            let more = unknown.count > 4 ? " and \(unknown.count - 4) more" : ""
            let what = map.channels == 1 ? (unknown.count == 1 ? "a label value" : "label values") : (unknown.count == 1 ? "a colour" : "colours")
            throw JobError("'\(name)' has \(what) not in the palette '\(path)': \(listed)\(more); add \(unknown.count == 1 ? "it" : "them") to the palette or repaint the map",
                           key: .palette)
        }
        let n = map.width * map.height
        var entryOfPixel = [Int](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: entries.count)
        if map.channels == 1 {
            let byID = Dictionary(entries.enumerated().compactMap { i, e in e.id.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
            for i in 0..<n { entryOfPixel[i] = byID[Int(map.pixels[i].rounded())]! }
        } else {
            // Exact colours first; seams and noise go to the nearest palette colour.
            let rgb = map.rgb()
            var cache: [Int: Int] = [:]
            for i in 0..<n {
                let colour = (0..<3).map { Int(rgb.pixels[$0 * n + i].rounded()).clamped(0, 255) }
                let key = colour[0] << 16 | colour[1] << 8 | colour[2]
                if let hit = cache[key] { entryOfPixel[i] = hit; continue }
                let entry = nearestEntry(colour) ?? 0
                cache[key] = entry
                entryOfPixel[i] = entry
            }
        }
        for e in entryOfPixel { counts[e] += 1 }
        return Reading(width: map.width, height: map.height, entryOfPixel: entryOfPixel, counts: counts)
    }

    /// `map` in the palette's colours (RGB, flat): what the renderer sees.
    public func recoloured(_ map: Image, name: String) throws -> Image {
        let reading = try read(map, name: name)
        return Image(width: map.width, height: map.height, channels: 3) { c, x, y in
            Float(self.entries[reading.entryOfPixel[y * map.width + x]].shown[c])
        }
    }

    /// A share of a map's pixels as the map commands print it: `40.0%`, `0.25%`, `<0.01%`.
    public static func percent(_ share: Double) -> String {
        let p = share * 100
        if p >= 1 || p == 0 { return String(format: "%.1f%%", p) }
        return p < 0.01 ? "<0.01%" : String(format: "%.2f%%", p)
    }
}

private extension Int {
    func clamped(_ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(self, lo), hi) }
}
