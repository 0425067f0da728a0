import Foundation
import Net
import Patches

// Presets: every render parameter and the input paths, as YAML keys named like the flags of
// `doodle render` without the dashes. A preset holds only the keys it sets; layers combine with
// `merged(over:)` (built-in defaults < preset < file < flags), and `RenderJob` turns the result
// into `RenderInputs` + `RenderSettings` + an output path.

/// Where a value came from: `file:line` of a YAML file, a built-in preset, or the command line.
public struct PresetSource: Sendable, Equatable, CustomStringConvertible {
    /// The file as the user named it (or `built-in preset NAME`, `command line`).
    public var file: String
    /// 1-based line and column of the value, when it came from a file.
    public var line: Int?
    public var column: Int?

    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static let commandLine = PresetSource(file: "command line")

    /// `file:line`, or the file alone.
    public var description: String { line.map { "\(file):\($0)" } ?? file }
}

/// One problem of a preset or job file: where, and what is wrong (one line).
public struct PresetIssue: Sendable, Equatable, CustomStringConvertible {
    public var source: PresetSource?
    public var message: String

    public init(_ message: String, at source: PresetSource? = nil) {
        self.source = source
        self.message = message
    }

    /// `file:line: message`.
    public var description: String { source.map { "\($0): \(message)" } ?? message }
}

/// A preset or job file that cannot be used: every problem found, each on its own line.
public struct PresetError: Error, Sendable, CustomStringConvertible {
    public let issues: [PresetIssue]
    public init(_ issues: [PresetIssue]) { self.issues = issues }
    public init(_ message: String, at source: PresetSource? = nil) { issues = [PresetIssue(message, at: source)] }

    /// The first problem, one line; says how many more there are.
    public var description: String {
        guard let first = issues.first else { return "invalid preset" }
        let more = issues.count - 1
        guard more > 0 else { return first.description }
        let file = first.source?.file
        return first.description + " (and \(more) more problem\(more == 1 ? "" : "s")"
            + (file.map { "; run `doodle check \($0)`)" } ?? ")")
    }
}

/// A value of a preset key, already checked (type and range).
public enum PresetValue: Sendable, Equatable {
    case number(Float)
    case integer(Int)
    case unsigned(UInt64)
    case flag(Bool)
    case text(String)
    /// A file or folder; relative to the working directory once loaded (a preset file's
    /// relative paths are resolved against its folder when it is read).
    case path(String)
    case layers([VGGLayer])
    case size(width: Int, height: Int)
    case range(ClosedRange<Float>)
    /// Whole numbers, one per phase.
    case counts([Int])
}

/// The keys of a preset: the flags of `doodle render` without the leading dashes.
public enum PresetKey: String, CaseIterable, Sendable, Comparable {
    // Inputs and output.
    case style
    case styleMap = "style-map"
    case map
    case content
    case output
    case outputSize = "output-size"
    case scale
    case semanticExt = "semantic-ext"
    case noMaps = "no-maps"
    case allowUnmatched = "allow-unmatched"
    // The render.
    case contentWeight = "content-weight"
    case contentLayers = "content-layers"
    case styleWeight = "style-weight"
    case styleLayers = "style-layers"
    case semanticWeight = "semantic-weight"
    case smoothness
    case variety
    case iterations
    case phases
    case seed
    case seedRange = "seed-range"
    case randomSeed = "random-seed"
    case pooling
    case matcher
    case mapEncoding = "map-encoding"
    // Reporting.
    case printEvery = "print-every"
    case frames
    case saveEvery = "save-every"
    case weights

    public static func < (a: PresetKey, b: PresetKey) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// `--style-weight`.
    public var flag: String { "--" + rawValue }

    /// Keys whose values are file paths (resolved against a preset file's folder).
    public var isPath: Bool {
        switch self {
        case .style, .styleMap, .map, .content, .output, .frames, .weights: return true
        default: return false
        }
    }

    /// What the key takes, for `doodle presets --keys` and messages.
    public var typeDescription: String {
        switch self {
        case .style, .styleMap, .map, .content, .weights: return "file"
        case .output: return "file ending in .png"
        case .frames: return "folder"
        case .outputSize: return "WxH, each 16...8192 (or [W, H])"
        case .scale: return "number 0.05...4"
        case .semanticExt: return "text, e.g. _sem.png"
        case .noMaps, .allowUnmatched: return "true or false"
        case .contentWeight, .styleWeight, .semanticWeight, .smoothness: return "number >= 0"
        case .variety: return "number 0...1"
        case .contentLayers: return "VGG19 layers: list or comma text, e.g. [4_2] (may be empty)"
        case .styleLayers: return "VGG19 layers: list or comma text, e.g. [3_1, 4_1]"
        case .iterations: return "integer 1...100000, or one per phase: 100,100,50"
        case .phases: return "integer 1...6"
        case .seed: return "auto, noise, content or an image file"
        case .seedRange: return "\"LO:HI\" within 0:255 (or [LO, HI])"
        case .randomSeed: return "integer 0...18446744073709551615"
        case .pooling: return "average or max"
        case .matcher: return MatcherKind.allCases.map(\.rawValue).joined(separator: " or ")
        case .mapEncoding: return RenderSettings.MapEncoding.allCases.map(\.rawValue).joined(separator: " or ")
        case .printEvery: return "integer >= 0"
        case .saveEvery: return "integer >= 1"
        }
    }

    /// One line on what the key does (the help text of its flag).
    public var help: String {
        switch self {
        case .style: return "The painting whose brushwork to use."
        case .styleMap: return "The painting's semantic map (default: STYLE_sem.png when it exists)."
        case .map: return "The target semantic map: the doodle, or the content image's own map (also content-map; default: CONTENT_sem.png or OUTPUT_sem.png when it exists)."
        case .content: return "A content image to keep the layout of."
        case .output: return "Where to write the PNG."
        case .outputSize: return "Size of the result, WxH (default: the map's, the content's or the style's)."
        case .scale: return "Multiplies the size of the result (the output size or the default size)."
        case .semanticExt: return "Suffix of map files looked for beside their images."
        case .noMaps: return "Ignore semantic maps, even when they exist."
        case .allowUnmatched: return "Continue when the doodle has classes the style map lacks."
        case .contentWeight: return "Weight of the content loss."
        case .contentLayers: return "Layers for the content loss, e.g. 4_2."
        case .styleWeight: return "Weight of the style loss."
        case .styleLayers: return "Layers for the style loss, e.g. 3_1,4_1."
        case .semanticWeight: return "Weight of the semantic map beside the features."
        case .smoothness: return "Weight of the smoothness (total variation) term."
        case .variety: return "Bias towards style patches used less, and against copying large pieces of the style, 0 to 1 (0 = off)."
        case .iterations: return "Evaluations per phase, coarse to fine: one number for all, or one per phase (the last repeats)."
        case .phases: return "Resolutions, each twice the previous."
        case .seed: return "First image: auto (the content when there is one, else noise), noise, content, or an image file."
        case .seedRange: return "Pixel range of the noise seed, LO:HI."
        case .randomSeed: return "Random seed: the same inputs and seed give the same PNG."
        case .pooling: return "Pooling in VGG19: average or max."
        case .matcher: return "Patch search: \(MatcherKind.allCases.map(\.rawValue).joined(separator: ", ")) (default \(MatcherKind.default.rawValue))."
        case .mapEncoding: return "How the map enters the network: classes (one channel each) or colours."
        case .printEvery: return "Print progress every N iterations (0 = only phases)."
        case .frames: return "Folder for intermediate PNGs."
        case .saveEvery: return "Write a frame every N iterations (with frames)."
        case .weights: return "Weights file (default: `doodle weights path`)."
        }
    }

    /// Keys that change the pixels of the result (the others only change what is printed,
    /// which frames are saved, or where; `weights` is pinned by its checksum).
    public var affectsResult: Bool {
        switch self {
        case .printEvery, .frames, .saveEvery, .weights: return false
        default: return true
        }
    }

    /// Keys a preset file may hold besides the render keys.
    public static let extraKeys = ["name", "description", "preset"]
    /// Other names of render keys: `content-map` is the target map when it is the content
    /// image's own map (the name other tools use).
    public static let aliases: [String: PresetKey] = ["content-map": .map]
    /// Every key a job file may hold (`jobs` only at the top).
    public static var allNames: [String] { allCases.map(\.rawValue) + aliases.keys.sorted() + extraKeys + ["jobs"] }
}

/// A set of render parameters and input paths; any of them may be missing (`nil`): the
/// layer below supplies it (see `merged(over:)`).
public struct Preset: Sendable, Equatable {
    /// A job's or preset's name (not inherited by `merged(over:)`).
    public var name: String?
    /// One line shown by `doodle presets` (not inherited).
    public var description: String?
    /// The values, checked for type and range when read from YAML or flags.
    public private(set) var values: [PresetKey: PresetValue] = [:]
    /// Where each value came from (for messages).
    public var sources: [PresetKey: PresetSource] = [:]

    public init() {}

    public subscript(key: PresetKey) -> PresetValue? {
        get { values[key] }
        set {
            values[key] = newValue
            if newValue == nil { sources[key] = nil }
        }
    }

    /// Sets a value and remembers where it came from.
    public mutating func set(_ key: PresetKey, _ value: PresetValue?, from source: PresetSource?) {
        self[key] = value
        sources[key] = value == nil ? nil : source
    }

    public var isEmpty: Bool { values.isEmpty }

    /// This preset's values on top of `base`'s: every key set here wins. The name and
    /// description are this preset's.
    public func merged(over base: Preset) -> Preset {
        var result = base
        result.name = name
        result.description = description
        for (key, value) in values {
            result.values[key] = value
            result.sources[key] = sources[key]
        }
        return result
    }

    /// The values of `keys` only.
    public func restricted(to keys: (PresetKey) -> Bool) -> Preset {
        var result = Preset()
        result.name = name
        result.description = description
        for (key, value) in values where keys(key) {
            result.values[key] = value
            result.sources[key] = sources[key]
        }
        return result
    }

    // MARK: - Typed access

    private func path(_ key: PresetKey) -> String? {
        if case .path(let p)? = values[key] { return p }
        return nil
    }
    private func number(_ key: PresetKey) -> Float? {
        if case .number(let v)? = values[key] { return v }
        return nil
    }
    private func integer(_ key: PresetKey) -> Int? {
        if case .integer(let v)? = values[key] { return v }
        return nil
    }
    private func flag(_ key: PresetKey) -> Bool? {
        if case .flag(let v)? = values[key] { return v }
        return nil
    }
    private func text(_ key: PresetKey) -> String? {
        if case .text(let v)? = values[key] { return v }
        return nil
    }
    private func layers(_ key: PresetKey) -> [VGGLayer]? {
        if case .layers(let v)? = values[key] { return v }
        return nil
    }

    public var style: String? {
        get { path(.style) }
        set { self[.style] = newValue.map { .path($0) } }
    }
    public var styleMap: String? {
        get { path(.styleMap) }
        set { self[.styleMap] = newValue.map { .path($0) } }
    }
    public var map: String? {
        get { path(.map) }
        set { self[.map] = newValue.map { .path($0) } }
    }
    public var content: String? {
        get { path(.content) }
        set { self[.content] = newValue.map { .path($0) } }
    }
    public var output: String? {
        get { path(.output) }
        set { self[.output] = newValue.map { .path($0) } }
    }
    public var outputSize: (width: Int, height: Int)? {
        get {
            if case .size(let w, let h)? = values[.outputSize] { return (w, h) }
            return nil
        }
        set { self[.outputSize] = newValue.map { .size(width: $0.width, height: $0.height) } }
    }
    public var scale: Float? {
        get { number(.scale) }
        set { self[.scale] = newValue.map { .number($0) } }
    }
    public var semanticExt: String? {
        get { text(.semanticExt) }
        set { self[.semanticExt] = newValue.map { .text($0) } }
    }
    public var noMaps: Bool? {
        get { flag(.noMaps) }
        set { self[.noMaps] = newValue.map { .flag($0) } }
    }
    public var allowUnmatched: Bool? {
        get { flag(.allowUnmatched) }
        set { self[.allowUnmatched] = newValue.map { .flag($0) } }
    }
    public var contentWeight: Float? {
        get { number(.contentWeight) }
        set { self[.contentWeight] = newValue.map { .number($0) } }
    }
    public var contentLayers: [VGGLayer]? {
        get { layers(.contentLayers) }
        set { self[.contentLayers] = newValue.map { .layers($0) } }
    }
    public var styleWeight: Float? {
        get { number(.styleWeight) }
        set { self[.styleWeight] = newValue.map { .number($0) } }
    }
    public var styleLayers: [VGGLayer]? {
        get { layers(.styleLayers) }
        set { self[.styleLayers] = newValue.map { .layers($0) } }
    }
    public var semanticWeight: Float? {
        get { number(.semanticWeight) }
        set { self[.semanticWeight] = newValue.map { .number($0) } }
    }
    public var smoothness: Float? {
        get { number(.smoothness) }
        set { self[.smoothness] = newValue.map { .number($0) } }
    }
    public var variety: Float? {
        get { number(.variety) }
        set { self[.variety] = newValue.map { .number($0) } }
    }
    public var iterations: IterationSchedule? {
        get {
            switch self[.iterations] {
            case .integer(let n): return [n]
            case .counts(let counts): return IterationSchedule(counts)
            default: return nil
            }
        }
        set { self[.iterations] = newValue.map { $0.counts.count == 1 ? .integer($0.counts[0]) : .counts($0.counts) } }
    }
    public var phases: Int? {
        get { integer(.phases) }
        set { self[.phases] = newValue.map { .integer($0) } }
    }
    /// The seed values that are not file names. `auto` starts from the content image when
    /// there is one (neural-doodle's advice for style transfer) and from noise otherwise.
    public static let seedWords: Set<String> = ["auto", "noise", "content"]
    /// `auto`, `noise`, `content`, or an image file.
    public var seed: String? {
        get {
            switch values[.seed] {
            case .text(let t)?: return t
            case .path(let p)?: return p
            default: return nil
            }
        }
        set {
            guard let newValue else { self[.seed] = nil; return }
            self[.seed] = Self.seedWords.contains(newValue) ? .text(newValue) : .path(newValue)
        }
    }
    public var seedRange: ClosedRange<Float>? {
        get {
            if case .range(let r)? = values[.seedRange] { return r }
            return nil
        }
        set { self[.seedRange] = newValue.map { .range($0) } }
    }
    public var randomSeed: UInt64? {
        get {
            if case .unsigned(let v)? = values[.randomSeed] { return v }
            return nil
        }
        set { self[.randomSeed] = newValue.map { .unsigned($0) } }
    }
    public var pooling: Pooling2x2.Kind? {
        get { text(.pooling).flatMap(Pooling2x2.Kind.init(rawValue:)) }
        set { self[.pooling] = newValue.map { .text($0.rawValue) } }
    }
    public var matcher: MatcherKind? {
        get { text(.matcher).flatMap(MatcherKind.init(rawValue:)) }
        set { self[.matcher] = newValue.map { .text($0.rawValue) } }
    }
    public var mapEncoding: RenderSettings.MapEncoding? {
        get { text(.mapEncoding).flatMap(RenderSettings.MapEncoding.init(rawValue:)) }
        set { self[.mapEncoding] = newValue.map { .text($0.rawValue) } }
    }
    public var printEvery: Int? {
        get { integer(.printEvery) }
        set { self[.printEvery] = newValue.map { .integer($0) } }
    }
    public var frames: String? {
        get { path(.frames) }
        set { self[.frames] = newValue.map { .path($0) } }
    }
    public var saveEvery: Int? {
        get { integer(.saveEvery) }
        set { self[.saveEvery] = newValue.map { .integer($0) } }
    }
    public var weights: String? {
        get { path(.weights) }
        set { self[.weights] = newValue.map { .path($0) } }
    }

    // MARK: - Render settings

    /// The render settings of this preset over the built-in defaults. A file seed is left as
    /// `.noise` here (reading it is `RenderJob`'s work); `seed: content` gives `.content`.
    public var renderSettings: RenderSettings {
        let p = merged(over: .defaults)
        var s = RenderSettings()
        s.contentWeight = p.contentWeight!
        s.contentLayers = p.contentLayers!
        s.styleWeight = p.styleWeight!
        s.styleLayers = p.styleLayers!
        s.semanticWeight = p.semanticWeight!
        s.smoothness = p.smoothness!
        s.variety = p.variety!
        s.iterations = p.iterations!
        s.phases = p.phases!
        s.seed = p.seed == "content" ? .content : .noise
        s.seedRange = p.seedRange!
        s.randomSeed = p.randomSeed!
        s.pooling = p.pooling!
        s.matcher = p.matcher ?? .default
        s.mapEncoding = p.mapEncoding ?? .oneHot
        return s
    }

    /// The settings of `settings` as preset values (all of them; the seed when not an image).
    /// For a front end that saves what it is running as a preset.
    public mutating func setRenderSettings(_ settings: RenderSettings) {
        contentWeight = settings.contentWeight
        contentLayers = settings.contentLayers
        styleWeight = settings.styleWeight
        styleLayers = settings.styleLayers
        semanticWeight = settings.semanticWeight
        smoothness = settings.smoothness
        variety = settings.variety
        iterations = settings.iterations
        phases = settings.phases
        switch settings.seed {
        case .noise: seed = "noise"
        case .content: seed = "content"
        case .image: break
        }
        seedRange = settings.seedRange
        randomSeed = settings.randomSeed
        pooling = settings.pooling
        matcher = settings.matcher
        mapEncoding = settings.mapEncoding
    }

    // MARK: - Checks

    /// Range problems of the values (values set through the typed properties are not checked
    /// when set). Empty when every value is acceptable.
    public func validationIssues() -> [PresetIssue] {
        values.keys.sorted().compactMap { key in
            let label = sources[key] == .commandLine ? key.flag : key.rawValue
            return PresetValueParser.rangeProblem(key, values[key]!, label: label).map {
                PresetIssue($0, at: sources[key])
            }
        }
    }
}
