import Doodle
import Foundation
import Patches

/// The four inputs of a render.
public enum InputSlot: Int, CaseIterable, Sendable {
    case style, styleMap, targetMap, content

    public var title: String {
        switch self {
        case .style: return "style image"
        case .styleMap: return "style map"
        case .targetMap: return "target map"
        case .content: return "content image"
        }
    }

    public var flag: String {
        switch self {
        case .style: return "--style"
        case .styleMap: return "--style-map"
        case .targetMap: return "--map"
        case .content: return "--content"
        }
    }

    public var isMap: Bool { self == .styleMap || self == .targetMap }
    public var isOptional: Bool { self != .style }
}

/// A chosen input file: its image, or why it could not be read.
public struct InputFile: Sendable {
    public let path: String
    public let image: Image?
    public let error: String?
    /// How it was chosen ("found beside monet.jpg").
    public let note: String?
    /// Changes whenever the slot gets another file (for caches).
    public let version: Int

    public static func load(_ path: String, note: String? = nil, version: Int) -> InputFile {
        do {
            return InputFile(path: path, image: try Image.read(from: path), error: nil, note: note, version: version)
        } catch {
            return InputFile(path: path, image: nil, error: "\(error)", note: note, version: version)
        }
    }
}

/// One class of a map's legend.
public struct LegendEntry: Equatable, Sendable {
    /// `#rrggbb`.
    public let hex: String
    /// "green", "label 3".
    public let name: String
    /// RGB 0...255 (the class colour, or the display colour of a label class).
    public let red: Int, green: Int, blue: Int
    /// Fraction (0...1) of the map.
    public let share: Double
    /// Target map only: the style map has no pixel of this class.
    public let missingInStyle: Bool

    /// `12.5%`, `0.07%`, `<0.01%`.
    public var percent: String {
        let p = share * 100
        if p >= 1 { return String(format: "%.1f%%", p) }
        if p >= 0.01 { return String(format: "%.2f%%", p) }
        return "<0.01%"
    }
}

/// The classes of the style map and of the target map, detected together so that one colour
/// is one class in both, and the target classes the style map lacks.
public struct MapLegend: Sendable {
    public var style: [LegendEntry] = []
    public var target: [LegendEntry] = []
    public var missing: [LegendEntry] { target.filter(\.missingInStyle) }

    /// Either map may be absent.
    public init(styleMap: Image?, styleName: String = "style map", targetMap: Image?, targetName: String = "target map") {
        var images: [Image] = [], names: [String] = []
        if let styleMap { images.append(styleMap); names.append(styleName) }
        if let targetMap { images.append(targetMap); names.append(targetName) }
        guard !images.isEmpty, images.allSatisfy({ $0.channels == 1 || $0.channels == 3 }) else { return }
        let report = MapReport(images: images, names: names)
        func entries(_ map: MapReport.MapEntry, checked: Bool) -> [LegendEntry] {
            map.classes.map { c in
                let rgb = c.mapClass.colour.map { Int(min(max($0, 0), 255).rounded()) }
                return LegendEntry(hex: c.mapClass.hex, name: c.mapClass.shortName, red: rgb[0], green: rgb[1], blue: rgb[2],
                                   share: c.share, missingInStyle: checked && c.inFirstMap == false)
            }
        }
        var index = 0
        if styleMap != nil { style = entries(report.maps[index], checked: false); index += 1 }
        if targetMap != nil { target = entries(report.maps[index], checked: styleMap != nil) }
    }
}
