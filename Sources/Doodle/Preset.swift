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

    /// The message is kept to one line: line breaks from the file's own text show escaped.
    public init(_ message: String, at source: PresetSource? = nil) {
        self.source = source
        self.message = message.oneLine
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
    /// Real numbers, e.g. one weight per layer.
    case numbers([Float])
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
            // A value set in code has no file or line (`set(_:_:from:)` gives one).
            values[key] = newValue
            sources[key] = nil
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
    public var palette: String? {
        get { path(.palette) }
        set { self[.palette] = newValue.map { .path($0) } }
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
    /// The seed values that are not file names. `auto` starts from the content image when
    /// there is one (neural-doodle's advice for style transfer) and from noise otherwise.
    public static let seedWords = ["auto", "noise", "content"]
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
        var s = RenderSettings()
        for parameter in RenderParameters.settingsParameters {
            if let value = values[parameter.key] { parameter.field!.write(&s, value) }
        }
        s.seed = seed == "content" ? .content : .noise
        return s
    }

    /// Every field of `settings` as preset values, and the seed when it is not an image. For a
    /// front end that saves what it runs as a preset.
    public mutating func setRenderSettings(_ settings: RenderSettings) {
        setFields(of: settings)
        switch settings.seed {
        case .noise: seed = "noise"
        case .content: seed = "content"
        case .image: break
        }
    }

    /// Every field of `settings` as preset values (the seed left as it is).
    public mutating func setFields(of settings: RenderSettings) {
        for parameter in RenderParameters.settingsParameters {
            self[parameter.key] = parameter.field!.read(settings)
        }
    }

    /// Whether `scale` multiplies the result's size. It always multiplies the default size;
    /// an explicit output size only when the scale was given with it (in the same file, or both
    /// in the studio) or on the command line: a preset's scale does not shrink a size given
    /// elsewhere (`--preset quick --output-size 96x72` renders 96x72).
    public var scaleApplies: Bool {
        guard values[.outputSize] != nil, let scaleSource = sources[.scale] else { return true }
        return scaleSource == .commandLine || scaleSource.file == sources[.outputSize]?.file
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
