import Patches

/// The classes of one or more semantic maps detected together (the same colour is the same
/// class in every map), per map, and for each map after the first whether the first map (the
/// style map) has each of its classes. What `doodle map inspect` shows.
public struct MapReport: Sendable {
    public struct ClassEntry: Sendable {
        public let mapClass: MapClass
        /// Pixels of this class in the map, and their fraction (0...1) of the map.
        public let pixels: Int
        public let share: Double
        /// For a map after the first: whether the first map has at least one pixel of this
        /// class. `nil` for the first map.
        public let inFirstMap: Bool?
    }

    public struct MapEntry: Sendable {
        public let name: String
        public let width: Int
        public let height: Int
        /// The classes present in this map, by class id.
        public let classes: [ClassEntry]
        /// Classes of this map that the first map lacks (always empty for the first map).
        public var missing: [ClassEntry] { classes.filter { $0.inFirstMap == false } }
    }

    /// The classes of all the maps together.
    public let palette: ClassPalette
    /// In the order given; the first is the style map.
    public let maps: [MapEntry]

    /// True when no map after the first has a class the first lacks.
    public var allMatched: Bool { maps.allSatisfy { $0.missing.isEmpty } }

    public init(maps: [MapPixels], options: ClassPalette.Options = ClassPalette.Options()) {
        precondition(!maps.isEmpty, "a map report needs at least one map")
        let labelled = SemanticMap.detect(maps, options: options)
        palette = labelled[0].palette
        let first = labelled[0]
        self.maps = labelled.enumerated().map { index, map in
            MapEntry(name: map.name, width: map.width, height: map.height, classes: map.classesPresent().map { id in
                ClassEntry(mapClass: map.palette.classes[id], pixels: map.pixelCounts[id], share: map.pixelShare(of: id),
                           inFirstMap: index == 0 ? nil : first.pixelCounts[id] > 0)
            })
        }
    }

    /// Maps read as images (1-channel: label map, 3-channel: painted colours), with the names
    /// shown in messages.
    public init(images: [Image], names: [String], options: ClassPalette.Options = ClassPalette.Options()) {
        precondition(images.count == names.count, "one name per map")
        self.init(maps: zip(images, names).map { MapPixels(image: $0.0, name: $0.1) }, options: options)
    }
}

extension MapReport: Encodable {
    /// `{"classes": [{"id": 0, "colour": "#0000ff", "name": "blue"}, ...], "maps": [{"name": "a.png",
    /// "width": 512, "height": 384, "classes": [{"colour": "#0000ff", "name": "blue", "pixels": 1234,
    /// "share": 0.0063, "matched": true}, ...]}, ...], "allMatched": true}`; `"matched"` only for maps
    /// after the first, `"label"` only for label maps, shares rounded to 4 decimals.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(palette.classes.map { PaletteJSON(id: $0.id, mapClass: $0) }, forKey: .classes)
        try c.encode(maps.map(MapJSON.init), forKey: .maps)
        try c.encode(allMatched, forKey: .allMatched)
    }

    private enum Key: String, CodingKey { case classes, maps, allMatched }

    private struct PaletteJSON: Encodable {
        let id: Int
        let mapClass: MapClass
        enum CodingKeys: String, CodingKey { case id, colour, name, label }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(mapClass.hex, forKey: .colour)
            try c.encode(mapClass.shortName, forKey: .name)
            try c.encodeIfPresent(mapClass.label, forKey: .label)
        }
    }

    private struct MapJSON: Encodable {
        let name: String, width: Int, height: Int, classes: [ClassJSON]
        init(_ m: MapEntry) {
            name = m.name
            width = m.width
            height = m.height
            classes = m.classes.map(ClassJSON.init)
        }
    }

    private struct ClassJSON: Encodable {
        let entry: ClassEntry
        enum CodingKeys: String, CodingKey { case colour, name, label, pixels, share, matched }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(entry.mapClass.hex, forKey: .colour)
            try c.encode(entry.mapClass.shortName, forKey: .name)
            try c.encodeIfPresent(entry.mapClass.label, forKey: .label)
            try c.encode(entry.pixels, forKey: .pixels)
            try c.encode((entry.share * 10000).rounded() / 10000, forKey: .share)
            try c.encodeIfPresent(entry.inFirstMap, forKey: .matched)
        }
    }
}

extension MapClass {
    /// `green`, or `label 3` for a label class.
    public var shortName: String { label.map { "label \($0)" } ?? colourName }
}
