import Net
import Patches

// Every parameter of a render, described once. Preset files, `doodle render`'s flags, the
// built-in `default` preset, `doodle presets --keys`, the studio's parameter list, live changes
// and the job fingerprint all read this table. A new parameter is one entry here, a field of
// `RenderSettings` (whose initial value is the default), its use in the engine, and one
// `@Option` line in `RenderFlags`.

/// A key of preset files: a flag of `doodle render` without the leading dashes.
public struct PresetKey: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.init(value) }
    /// A key of the table, or nil.
    public init?(rawValue: String) {
        guard RenderParameters.index[rawValue] != nil else { return nil }
        self.init(rawValue)
    }

    public var description: String { rawValue }
    /// `--style-weight`.
    public var flag: String { "--" + rawValue }
    /// The table's entry.
    public var parameter: RenderParameter { RenderParameters.all[RenderParameters.index[rawValue]!] }

    /// In the table's order.
    public static func < (a: PresetKey, b: PresetKey) -> Bool {
        (RenderParameters.index[a.rawValue] ?? .max, a.rawValue) < (RenderParameters.index[b.rawValue] ?? .max, b.rawValue)
    }
    public static var allCases: [PresetKey] { RenderParameters.all.map(\.key) }

    // The keys the code names (inputs and reporting are read by name; a render parameter
    // needs a name here only where code outside the table refers to it).
    public static let style: PresetKey = "style", styleMap: PresetKey = "style-map", map: PresetKey = "map"
    public static let content: PresetKey = "content", output: PresetKey = "output", outputSize: PresetKey = "output-size"
    public static let scale: PresetKey = "scale", semanticExt: PresetKey = "semantic-ext", noMaps: PresetKey = "no-maps"
    public static let allowUnmatched: PresetKey = "allow-unmatched", seed: PresetKey = "seed", randomSeed: PresetKey = "random-seed"
    public static let printEvery: PresetKey = "print-every", frames: PresetKey = "frames", saveEvery: PresetKey = "save-every"
    public static let weights: PresetKey = "weights", palette: PresetKey = "palette"
    public static let contentWeight: PresetKey = "content-weight", styleWeight: PresetKey = "style-weight"
    public static let semanticWeight: PresetKey = "semantic-weight", smoothness: PresetKey = "smoothness"
    public static let styleLayers: PresetKey = "style-layers", contentLayers: PresetKey = "content-layers"
    public static let iterations: PresetKey = "iterations", phases: PresetKey = "phases", matcher: PresetKey = "matcher"
    public static let pooling: PresetKey = "pooling", variety: PresetKey = "variety", seedRange: PresetKey = "seed-range"
    public static let mapEncoding: PresetKey = "map-encoding"

    /// Keys a preset file may hold besides the parameters.
    public static let extraKeys = ["name", "description", "preset"]
    /// Other names of keys: `content-map` is the target map when it is the content image's
    /// own map (the name other tools use).
    public static let aliases: [String: PresetKey] = ["content-map": .map]
    /// Every key a job file may hold (`jobs` only at the top).
    public static var allNames: [String] { allCases.map(\.rawValue) + aliases.keys.sorted() + extraKeys + ["jobs"] }
}

/// When a change made during a run takes effect.
public enum Liveness: Sendable, Equatable {
    /// Only for the next run: refused while a run is going.
    case nextRun
    /// At the next evaluation of the running render (`Synthesis.adjust`).
    case nextEvaluation
    /// At the next phase (it shapes the patch banks).
    case nextPhase
    /// Whenever it is used next (the output path).
    case immediate

    public var isLive: Bool { self == .nextEvaluation || self == .nextPhase }
}

/// What a parameter takes, with its range: parsing, range checks and type texts follow from it.
public enum ParameterKind: Sendable, Equatable {
    /// A file to read.
    case file
    /// The output: a file ending in .png.
    case png
    case folder
    /// A file name suffix like `_sem.png`.
    case suffix
    case flag
    /// A real number within `minimum...maximum` (no maximum when nil).
    case number(minimum: Float, maximum: Float?)
    /// A whole number within `minimum...maximum` (no maximum when nil).
    case integer(minimum: Int, maximum: Int?)
    /// A whole number 0...UInt64.max.
    case unsigned
    /// WxH, each side within the range.
    case size(ClosedRange<Int>)
    /// VGG19 layers; `allowEmpty` for a loss that may be off.
    case layers(allowEmpty: Bool)
    /// Whole numbers within the range, one or one per phase (at most `perPhase`).
    case counts(ClosedRange<Int>, perPhase: Int)
    case choice([String])
    /// `auto`, `noise`, `content` or an image file.
    case seed
    /// `LO:HI` within the range.
    case range(ClosedRange<Float>)
    /// `auto`, or numbers >= 0, one per style layer.
    case layerWeights
}

/// Where a parameter belongs: what `doodle presets --keys` groups and the studio shows.
public enum ParameterGroup: Sendable, Equatable {
    /// Files read and how maps are found.
    case inputs
    /// Where the result goes and its size.
    case output
    /// The synthesis itself.
    case render
    /// What is printed and saved along the way.
    case reporting
}

/// One render parameter: its key, kind and range, default, help, when a change takes effect,
/// whether it changes the result, and its field of `RenderSettings` (if any).
public struct RenderParameter: Sendable {
    public let key: PresetKey
    public let kind: ParameterKind
    public let group: ParameterGroup
    /// One line: the help of the flag and of the key.
    public let help: String
    public let liveness: Liveness
    /// Whether the result's pixels depend on it (the job fingerprint lists those).
    public let affectsResult: Bool
    /// The field of `RenderSettings` it reads and writes.
    public let field: SettingsField?
    /// The renders it plays a part in (nil: all): the studio lists only those.
    public let appliesTo: (@Sendable (RenderSettings) -> Bool)?
    private let explicitDefault: PresetValue?

    init(_ key: PresetKey, _ kind: ParameterKind, _ group: ParameterGroup, default value: PresetValue? = nil,
         field: SettingsField? = nil, live: Liveness = .nextRun, affectsResult: Bool = true,
         appliesTo: (@Sendable (RenderSettings) -> Bool)? = nil, help: String) {
        self.key = key
        self.kind = kind
        self.group = group
        self.help = help
        self.liveness = live
        self.affectsResult = affectsResult
        self.field = field
        self.appliesTo = appliesTo
        explicitDefault = value
    }

    /// Whether it plays a part in a render with these settings.
    public func applies(to settings: RenderSettings) -> Bool { appliesTo?(settings) ?? true }

    /// The built-in default: the initial value of its `RenderSettings` field, else the table's.
    public var defaultValue: PresetValue? { field.map { $0.read(RenderSettings()) } ?? explicitDefault }

    /// "style weight".
    public var label: String { key.rawValue.replacingOccurrences(of: "-", with: " ") }

    /// A value to show in messages: the default, or a typical one.
    public var example: String {
        if let value = defaultValue { return value.text }
        switch kind {
        case .png: return "out.png"
        case .folder: return "frames"
        case .size: return "512x384"
        case .layers: return "4_2"
        default: return "monet.jpg"
        }
    }

    /// What the key takes, for `doodle presets --keys` and the studio.
    public var typeDescription: String {
        switch kind {
        case .file: return "file"
        case .png: return "file ending in .png"
        case .folder: return "folder"
        case .suffix: return "text, e.g. _sem.png"
        case .flag: return "true or false"
        case .number(let lo, let hi):
            let range = hi.map { "number \(lo.shortText)...\($0.shortText)" } ?? "number >= \(lo.shortText)"
            return defaultValue == .text("auto") ? "auto, or " + range : range
        case .integer(let lo, let hi):
            let range = hi.map { "integer \(lo)...\($0)" } ?? "integer >= \(lo)"
            return defaultValue == .text("auto") ? "auto, or " + range : range
        case .unsigned: return "integer 0...\(UInt64.max)"
        case .size(let r): return "WxH, each \(r.lowerBound)...\(r.upperBound) (or [W, H])"
        case .layers(let allowEmpty):
            if defaultValue == .text("auto") { return "auto (the style loss's own), or VGG19 layers: list or comma text, e.g. [3_1, 4_1]" }
            return "VGG19 layers: list or comma text, e.g. [\(example.replacingOccurrences(of: ",", with: ", "))]" + (allowEmpty ? " (may be empty)" : "")
        case .layerWeights: return "auto (1 each), or one number >= 0 per style layer: list or comma text, e.g. [1, 0.5]"
        case .counts(let r, _): return "integer \(r.lowerBound)...\(r.upperBound), or one per phase: 100,100,50"
        case .choice(let names): return names.joined(separator: " or ")
        case .seed: return "auto, noise, content or an image file"
        case .range(let b): return "\"LO:HI\" within \(b.lowerBound.shortText):\(b.upperBound.shortText) (or [LO, HI])"
        }
    }
}

/// A field of `RenderSettings` as a preset value.
public struct SettingsField: Sendable {
    public let read: @Sendable (RenderSettings) -> PresetValue
    public let write: @Sendable (inout RenderSettings, PresetValue) -> Void

    static func number(_ path: WritableKeyPath<RenderSettings, Float> & Sendable) -> SettingsField {
        SettingsField(read: { .number($0[keyPath: path]) },
                      write: { s, v in if case .number(let x) = v { s[keyPath: path] = x } })
    }
    static func integer(_ path: WritableKeyPath<RenderSettings, Int> & Sendable) -> SettingsField {
        SettingsField(read: { .integer($0[keyPath: path]) },
                      write: { s, v in if case .integer(let x) = v { s[keyPath: path] = x } })
    }
    static func layers(_ path: WritableKeyPath<RenderSettings, [VGGLayer]> & Sendable) -> SettingsField {
        SettingsField(read: { .layers($0[keyPath: path]) },
                      write: { s, v in if case .layers(let x) = v { s[keyPath: path] = x } })
    }
    static func choice<T: RawRepresentable<String>>(_ path: WritableKeyPath<RenderSettings, T> & Sendable) -> SettingsField {
        SettingsField(read: { .text($0[keyPath: path].rawValue) },
                      write: { s, v in if case .text(let x) = v, let t = T(rawValue: x) { s[keyPath: path] = t } })
    }
    static let iterations = SettingsField(
        read: { s in s.iterations.counts.count == 1 ? .integer(s.iterations.counts[0]) : .counts(s.iterations.counts) },
        write: { s, v in
            switch v {
            case .integer(let n): s.iterations = [n]
            case .counts(let c) where !c.isEmpty: s.iterations = IterationSchedule(c)
            default: break
            }
        })
    /// An optional field: nil reads and writes as `auto`.
    static func automatic<T>(_ path: WritableKeyPath<RenderSettings, T?> & Sendable,
                             _ wrap: @escaping @Sendable (T) -> PresetValue,
                             _ unwrap: @escaping @Sendable (PresetValue) -> T?) -> SettingsField {
        SettingsField(read: { s in s[keyPath: path].map(wrap) ?? .text("auto") },
                      write: { s, v in
                          if v == .text("auto") { s[keyPath: path] = nil } else if let x = unwrap(v) { s[keyPath: path] = x }
                      })
    }
    static let styleLayers = automatic(\.styleLayers, { .layers($0) }) { if case .layers(let x) = $0 { x } else { nil } }
    static let styleLayerWeights = automatic(\.styleLayerWeights, { .numbers($0) }) { if case .numbers(let x) = $0 { x } else { nil } }
    static let phaseCount = automatic(\.phaseCount, { .integer($0) }) { if case .integer(let x) = $0 { x } else { nil } }
    static let styleScale = automatic(\.styleScale, { .number($0) }) { if case .number(let x) = $0 { x } else { nil } }
    static let seedRange = SettingsField(read: { .range($0.seedRange) },
                                         write: { s, v in if case .range(let r) = v { s.seedRange = r } })
    static let randomSeed = SettingsField(read: { .unsigned($0.randomSeed) },
                                          write: { s, v in if case .unsigned(let n) = v { s.randomSeed = n } })
}

public enum RenderParameters {
    /// The table, in the order of preset files, `doodle presets --keys` and the README.
    public static let all: [RenderParameter] = [
        // Inputs.
        .init("style", .file, .inputs, help: "The painting whose brushwork to use."),
        .init("style-map", .file, .inputs, help: "The painting's semantic map (default: STYLE_sem.png when it exists)."),
        .init("map", .file, .inputs, help: "The target semantic map: the doodle, or the content image's own map (also content-map; default: CONTENT_sem.png or OUTPUT_sem.png when it exists)."),
        .init("content", .file, .inputs, help: "A content image to keep the layout of."),
        .init("palette", .file, .inputs,
              help: "A class palette (YAML: class name to colour, or to label id) every map is read against; for label maps made by other programs."),
        .init("semantic-ext", .suffix, .inputs, default: .text("_sem.png"), help: "Suffix of map files looked for beside their images."),
        .init("no-maps", .flag, .inputs, default: .flag(false), help: "Ignore semantic maps, even when they exist."),
        .init("allow-unmatched", .flag, .inputs, default: .flag(false), affectsResult: false,
              help: "Continue when the doodle has classes the style map lacks."),
        // Output.
        .init("output", .png, .output, live: .immediate, affectsResult: false, help: "Where to write the PNG."),
        .init("output-size", .size(16...8192), .output, help: "Size of the result, WxH (default: the map's, the content's or the style's)."),
        .init("scale", .number(minimum: 0.05, maximum: 4), .output, default: .number(1),
              help: "Multiplies the size of the result (the output size or the default size)."),
        // The render.
        .init("content-weight", .number(minimum: 0, maximum: nil), .render, field: .number(\.contentWeight), live: .nextEvaluation,
              help: "Weight of the content loss: how much the result keeps the content image's layout."),
        .init("style-weight", .number(minimum: 0, maximum: nil), .render, field: .number(\.styleWeight), live: .nextEvaluation,
              help: "Weight of the style loss: how strongly the result takes the style's patches."),
        .init("style-loss", .choice(StyleLossKind.allCases.map(\.rawValue)), .render, field: .choice(\.styleLoss),
              help: "What of the style to match: patch (each 3x3 patch of features to its nearest style patch) or gram (the features' Gram matrices, Gatys; one per class with maps)."),
        .init("semantic-weight", .number(minimum: 0, maximum: nil), .render, field: .number(\.semanticWeight), live: .nextPhase,
              appliesTo: usesPatches, help: "Weight of the semantic map beside the features: how much the maps steer which patch goes where."),
        .init("smoothness", .number(minimum: 0, maximum: nil), .render, field: .number(\.smoothness), live: .nextEvaluation,
              help: "Weight of the smoothness (total variation) term: higher gives smoother, less noisy images."),
        .init("variety", .number(minimum: 0, maximum: 1), .render, field: .number(\.variety), live: .nextPhase,
              appliesTo: usesPatches, help: "Bias towards style patches used less, and against copying large pieces of the style (0 = off)."),
        .init("style-layers", .layers(allowEmpty: false), .render, field: .styleLayers,
              help: "VGG19 layers the style is matched at, e.g. 3_1,4_1 (conv1_1 ... conv5_4); auto: 3_1,4_1 for patch, 1_1,2_1,3_1,4_1,5_1 for gram."),
        .init("style-layer-weights", .layerWeights, .render, field: .styleLayerWeights, live: .nextEvaluation,
              help: "Weight of each style layer, in the order of the style layers, multiplying the style weight; auto: 1 each."),
        .init("content-layers", .layers(allowEmpty: true), .render, field: .layers(\.contentLayers),
              help: "VGG19 layers compared with the content image, e.g. 4_2 (may be empty)."),
        .init("phases", .integer(minimum: 1, maximum: 6), .render, field: .phaseCount,
              help: "Resolutions, coarse to fine, each twice the previous; auto: 3, or 1 for gram with a content image."),
        .init("style-scale", .number(minimum: 0.05, maximum: 4), .render, field: .styleScale,
              help: "Multiplies the style painting's size (its brushwork's scale in the result); auto: 1, or less so that the style's area is at most 4 times the result's (16 for a texture)."),
        .init("iterations", .counts(1...100_000, perPhase: 6), .render, field: .iterations,
              help: "Evaluations per phase, coarse to fine: one number for every phase, or one per phase (the last repeats)."),
        .init("seed", .seed, .render, default: .text("auto"),
              help: "First image: auto (the content when there is one, else noise), noise, content, or an image file."),
        .init("seed-range", .range(0...255), .render, field: .seedRange, help: "Pixel range of the noise seed, LO:HI."),
        .init("random-seed", .unsigned, .render, field: .randomSeed, help: "Random seed: the same inputs and seed give the same PNG."),
        .init("pooling", .choice(Pooling2x2.Kind.allCases.map(\.rawValue)), .render, field: .choice(\.pooling),
              help: "Pooling in VGG19."),
        .init("matcher", .choice(MatcherKind.allCases.map(\.rawValue)), .render, field: .choice(\.matcher),
              appliesTo: usesPatches, help: "Nearest-neighbour patch search."),
        .init("map-encoding", .choice(RenderSettings.MapEncoding.allCases.map(\.rawValue)), .render, field: .choice(\.mapEncoding),
              appliesTo: usesPatches, help: "How the map enters the network: classes (one channel each) or colours."),
        .init("mask-propagation", .choice(MaskPropagation.allCases.map(\.rawValue)), .render, field: .choice(\.maskPropagation),
              appliesTo: { $0.styleLoss == .gram },
              help: "Gram loss with maps: how each class's mask reaches a layer: simple (resized), inside (receptive field wholly inside), all (touching it), mean (through the network's own pooling)."),
        .init("mask-colors", .integer(minimum: 0, maximum: 32), .render, field: .integer(\.maskColors),
              help: "Cluster the maps' colours into N classes (k-means in CIELAB) before finding classes: for JPEG or hand-painted maps (0 = off)."),
        .init("preserve-colors", .choice(ColourPreservation.allCases.map(\.rawValue)), .render, field: .choice(\.preserveColors),
              help: "Keep the content's colours: luminance (transfer luminance only) or histogram (give the style the content's colour statistics first)."),
        .init("optimizer", .choice(OptimizerKind.allCases.map(\.rawValue)), .render, field: .choice(\.optimizer),
              help: "lbfgsb (L-BFGS-B, bounded) or adam (first-order steps of --learning-rate)."),
        .init("learning-rate", .number(minimum: 0.001, maximum: 255), .render, field: .number(\.learningRate), live: .nextEvaluation,
              appliesTo: { $0.optimizer == .adam }, help: "Adam's step size, in grey levels (with --optimizer adam)."),
        // Reporting.
        .init("print-every", .integer(minimum: 0, maximum: nil), .reporting, default: .integer(10), affectsResult: false,
              help: "Print progress every N iterations (0 = only phases)."),
        .init("frames", .folder, .reporting, affectsResult: false, help: "Folder for intermediate PNGs."),
        .init("save-every", .integer(minimum: 1, maximum: nil), .reporting, default: .integer(10), affectsResult: false,
              help: "Write a frame every N iterations (with frames)."),
        .init("weights", .file, .reporting, affectsResult: false, help: "Weights file (default: `doodle weights path`)."),
    ]

    private static let usesPatches: @Sendable (RenderSettings) -> Bool = { $0.styleLoss == .patch }

    /// Position of each key in `all`.
    static let index: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($0.element.key.rawValue, $0.offset) })

    /// The parameters that are fields of `RenderSettings`.
    public static var settingsParameters: [RenderParameter] { all.filter { $0.field != nil } }

    /// Every default as a preset: the built-in `default` preset.
    static var defaults: Preset {
        var p = Preset()
        for parameter in all { if let value = parameter.defaultValue { p[parameter.key] = value } }
        return p
    }

    /// `settings` with the live fields of `live` (the others as they were).
    public static func takingLiveValues(of live: RenderSettings, into settings: RenderSettings) -> RenderSettings {
        var result = settings
        for parameter in settingsParameters where parameter.liveness.isLive {
            parameter.field!.write(&result, parameter.field!.read(live))
        }
        return result
    }

    /// What changed from `old` to `new` among the live fields: "style weight 25 -> 30",
    /// "variety 0 -> 0.5 (next phase)".
    public static func liveChanges(from old: RenderSettings, to new: RenderSettings) -> [String] {
        settingsParameters.filter { $0.liveness.isLive }.compactMap { parameter in
            let before = parameter.field!.read(old), after = parameter.field!.read(new)
            guard before != after else { return nil }
            let when = parameter.liveness == .nextPhase ? " (next phase)" : ""
            return "\(parameter.label) \(before.text) -> \(after.text)\(when)"
        }
    }

    /// "content weight, style weight, ... (next phase), output": what may change during a run.
    public static var liveDescription: String {
        (all.filter(\.liveness.isLive) + all.filter { $0.liveness == .immediate }).map(\.label).joined(separator: ", ")
    }

    /// One line per result-affecting settings field, exact (floats by their bits), for the
    /// job fingerprint.
    static func fingerprintLines(_ settings: RenderSettings) -> [String] {
        settingsParameters.filter(\.affectsResult).map { parameter in
            "\(parameter.key) \(parameter.field!.read(settings).exactText)"
        }
    }
}

extension PresetValue {
    /// As typed on the command line: `25`, `3_1,4_1`, `16:240`, `512x384`, `100,100,50`.
    public var text: String {
        switch self {
        case .number(let v): return v.shortText
        case .integer(let n): return String(n)
        case .unsigned(let n): return String(n)
        case .flag(let b): return b ? "true" : "false"
        case .text(let t): return t
        case .path(let p): return p
        case .layers(let layers): return layers.map { "\($0.block)_\($0.indexInBlock)" }.joined(separator: ",")
        case .size(let w, let h): return "\(w)x\(h)"
        case .range(let r): return "\(r.lowerBound.shortText):\(r.upperBound.shortText)"
        case .counts(let counts): return counts.map(String.init).joined(separator: ",")
        case .numbers(let values): return values.map(\.shortText).joined(separator: ",")
        }
    }

    /// `text`, with floats by their bit patterns (nothing rounded away).
    var exactText: String {
        func bits(_ v: Float) -> String { String(v.bitPattern, radix: 16) }
        switch self {
        case .number(let v): return bits(v)
        case .range(let r): return "\(bits(r.lowerBound)):\(bits(r.upperBound))"
        case .numbers(let values): return values.map(bits).joined(separator: ",")
        default: return text
        }
    }
}
