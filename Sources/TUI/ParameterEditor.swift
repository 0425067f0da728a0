import Doodle
import Foundation
import Net
import Patches

/// Every parameter the studio edits.
public enum ParameterID: String, CaseIterable, Sendable {
    case contentWeight, styleWeight, semanticWeight, smoothness, variety
    case styleLayers, contentLayers, phases, iterations, outputSize, scale
    case seed, randomSeed, matcher, pooling, output, unmatched
}

public enum ParameterValue: Equatable, Sendable {
    case number(Double)
    case integer(Int)
    case layers([VGGLayer])
    /// Evaluations per phase, coarse to fine.
    case counts([Int])
    /// Output size "auto": the target map's, the content's or the style's.
    case automatic
    case size(width: Int, height: Int)
    case choice(String)
    case text(String)
}

public enum ParameterKind: Equatable, Sendable {
    case number(range: ClosedRange<Double>, step: Double, bigStep: Double)
    case integer(range: ClosedRange<Int>, step: Int, bigStep: Int)
    /// Left/right walk through the presets; Enter types any list.
    case layers(presets: [[VGGLayer]])
    /// Pixels each way. A step changes the width by `step` keeping the aspect ratio; a big
    /// step doubles or halves.
    case size(range: ClosedRange<Int>, step: Int)
    case choice([String])
    /// The output path (typed only); a seed image path is typed into `.choice` seeds.
    case path
    /// Whole numbers, one per phase (or one for all): a step moves every one by `step`.
    case counts(range: ClosedRange<Int>, step: Int, bigStep: Int)
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
}

/// A value refused, and why (shown on the status line).
public struct ParameterRefusal: Error, Equatable, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What an edit changed: "style weight 25 -> 26".
public struct ParameterChange: Equatable, Sendable, CustomStringConvertible {
    public let id: ParameterID
    public let label: String
    public let old: String
    public let new: String
    public var description: String { "\(label) \(old) -> \(new)" }
}

public struct Parameter: Sendable {
    public let id: ParameterID
    public let label: String
    public let kind: ParameterKind
    public internal(set) var value: ParameterValue
    public let defaultValue: ParameterValue
    public let help: String
    public let liveness: Liveness
    /// The command-line flag of the same setting.
    public let flag: String
}

/// The list of render parameters with their types, ranges and steps; editing by steps or by
/// typed text, each refusal with its reason. Plain values: no terminal, no engine.
public struct ParameterEditor: Sendable {
    public private(set) var parameters: [Parameter]
    /// Index of the highlighted parameter.
    public var selection = 0
    /// The size `auto` stands for, for display and for stepping from auto.
    public var automaticSize: (width: Int, height: Int)?

    public static let styleLayerPresets: [[VGGLayer]] = [
        [.conv3_1, .conv4_1], [.conv4_1], [.conv3_1], [.conv2_1, .conv3_1, .conv4_1], [.conv3_1, .conv4_1, .conv5_1],
        [.conv4_1, .conv5_1], [.conv1_1, .conv2_1, .conv3_1, .conv4_1, .conv5_1],
    ]
    public static let contentLayerPresets: [[VGGLayer]] = [[.conv4_2], [.conv4_1], [.conv3_2], [.conv5_2], [.conv3_1], [.conv5_1]]
    public static let sizeRange = 16...8192
    /// The settings the studio does not edit (seed range, map encoding) come from here.
    private let base: RenderSettings

    /// The values to start with. `settings` also supplies what is not edited here (seed range,
    /// map encoding); its seed is ignored (`seed` says it). Values outside the steppable
    /// ranges (a preset may hold 50000 iterations) are kept as given.
    public init(settings: RenderSettings = RenderSettings(), outputSize: (width: Int, height: Int)? = nil,
                output: String = "doodle.png", seed: String = "auto", allowUnmatched: Bool = false, scale: Float = 1) {
        let d = RenderSettings()
        base = settings
        func number(_ id: ParameterID, _ label: String, _ flag: String, _ value: Float, _ def: Float,
                    _ range: ClosedRange<Double>, _ step: Double, _ big: Double, _ live: Liveness, _ help: String) -> Parameter {
            Parameter(id: id, label: label, kind: .number(range: range, step: step, bigStep: big), value: .number(Double(value)),
                      defaultValue: .number(Double(def)), help: help, liveness: live, flag: flag)
        }
        let seedChoices = ["auto", "noise", "content"]
        parameters = [
            number(.contentWeight, "content weight", "--content-weight", settings.contentWeight, d.contentWeight, 0...1000, 1, 10,
                   .nextEvaluation, "How much the result keeps the content image's layout (needs a content image; 0 = off)."),
            number(.styleWeight, "style weight", "--style-weight", settings.styleWeight, d.styleWeight, 0...1000, 1, 10,
                   .nextEvaluation, "How strongly the result copies the style's patches."),
            number(.semanticWeight, "semantic weight", "--semantic-weight", settings.semanticWeight, d.semanticWeight, 0...1000, 1, 10,
                   .nextPhase, "How much the maps steer which style patch goes where (0 = ignore the maps)."),
            number(.smoothness, "smoothness", "--smoothness", settings.smoothness, d.smoothness, 0...100, 0.1, 1,
                   .nextEvaluation, "Total-variation weight: higher gives smoother, less noisy images."),
            number(.variety, "variety", "--variety", settings.variety, d.variety, 0...1, 0.1, 0.5,
                   .nextPhase, "Bias towards style patches used less often (0 = off)."),
            Parameter(id: .styleLayers, label: "style layers", kind: .layers(presets: Self.styleLayerPresets),
                      value: .layers(settings.styleLayers), defaultValue: .layers(d.styleLayers),
                      help: "VGG19 layers whose patches are matched, e.g. 3_1,4_1 (conv1_1 … conv5_4).",
                      liveness: .nextRun, flag: "--style-layers"),
            Parameter(id: .contentLayers, label: "content layers", kind: .layers(presets: Self.contentLayerPresets),
                      value: .layers(settings.contentLayers), defaultValue: .layers(d.contentLayers),
                      help: "VGG19 layers compared with the content image, e.g. 4_2.", liveness: .nextRun, flag: "--content-layers"),
            Parameter(id: .phases, label: "phases", kind: .integer(range: 1...6, step: 1, bigStep: 2), value: .integer(settings.phases),
                      defaultValue: .integer(d.phases), help: "Resolutions, coarse to fine, each twice the previous.",
                      liveness: .nextRun, flag: "--phases"),
            Parameter(id: .iterations, label: "iterations", kind: .counts(range: 1...100_000, step: 10, bigStep: 100),
                      value: .counts(settings.iterations.counts), defaultValue: .counts(d.iterations.counts),
                      help: "Evaluations (network passes) per phase, coarse to fine; the last repeats.",
                      liveness: .nextRun, flag: "--iterations"),
            Parameter(id: .outputSize, label: "output size", kind: .size(range: Self.sizeRange, step: 16),
                      value: outputSize.map { .size(width: $0.width, height: $0.height) } ?? .automatic, defaultValue: .automatic,
                      help: "Size of the result, WxH, or auto (the target map's, the content's or the style's).",
                      liveness: .nextRun, flag: "--output-size"),
            number(.scale, "scale", "--scale", scale, 1, 0.05...4, 0.05, 0.5, .nextRun,
                   "Multiplies the output size (or the auto size): 0.5 renders at half size."),
            Parameter(id: .seed, label: "seed", kind: .choice(seedChoices), value: .choice(seed), defaultValue: .choice("auto"),
                      help: "The first image: auto (the content when there is one, else noise), noise, the content image, or an image file (type its path).",
                      liveness: .nextRun, flag: "--seed"),
            Parameter(id: .randomSeed, label: "random seed", kind: .integer(range: 0...Int.max, step: 1, bigStep: 10),
                      value: .integer(Int(clamping: settings.randomSeed)), defaultValue: .integer(0),
                      help: "The same inputs and random seed give the same image.", liveness: .nextRun, flag: "--random-seed"),
            Parameter(id: .matcher, label: "matcher", kind: .choice(MatcherKind.allCases.map(\.rawValue)),
                      value: .choice(settings.matcher.rawValue), defaultValue: .choice(MatcherKind.default.rawValue),
                      help: "Nearest-neighbour patch search.", liveness: .nextRun, flag: "--matcher"),
            Parameter(id: .pooling, label: "pooling", kind: .choice(["average", "max"]), value: .choice(settings.pooling.rawValue),
                      defaultValue: .choice("average"), help: "Pooling in VGG19.", liveness: .nextRun, flag: "--pooling"),
            Parameter(id: .output, label: "output", kind: .path, value: .text(output), defaultValue: .text("doodle.png"),
                      help: "Where the PNG is written (atomically; never over an input).", liveness: .immediate, flag: "--output"),
            Parameter(id: .unmatched, label: "unmatched classes", kind: .choice(["refuse", "allow"]),
                      value: .choice(allowUnmatched ? "allow" : "refuse"), defaultValue: .choice("refuse"),
                      help: "Whether to run when the target map has classes the style map lacks.",
                      liveness: .nextRun, flag: "--allow-unmatched"),
        ]
    }

    // MARK: - Reading

    public subscript(id: ParameterID) -> Parameter { parameters[index(of: id)] }
    public func value(_ id: ParameterID) -> ParameterValue { self[id].value }
    public var selected: Parameter { parameters[selection] }

    public mutating func moveSelection(by delta: Int) {
        selection = max(0, min(parameters.count - 1, selection + delta))
    }

    public mutating func select(_ id: ParameterID) { selection = index(of: id) }

    /// The value as shown: `25`, `3_1,4_1`, `auto (512x384)`, `64x48`, `noise`.
    public func display(_ id: ParameterID) -> String {
        switch value(id) {
        case .automatic: return automaticSize.map { "auto (\($0.width)x\($0.height))" } ?? "auto"
        default: return Self.text(of: value(id))
        }
    }

    /// What Enter puts in the edit field.
    public func editText(_ id: ParameterID) -> String {
        value(id) == .automatic ? "auto" : Self.text(of: value(id))
    }

    /// The allowed values: "0 … 1000, step 1 (big 10)".
    public func rangeDescription(_ id: ParameterID) -> String {
        switch self[id].kind {
        case .number(let range, let step, let big):
            return "\(Self.format(range.lowerBound)) … \(Self.format(range.upperBound)), step \(Self.format(step)) (big \(Self.format(big)))"
        case .integer(let range, let step, let big):
            let upper = range.upperBound == Int.max ? "any" : String(range.upperBound)
            return "\(range.lowerBound) … \(upper), step \(step) (big \(big))"
        case .layers: return "comma-separated VGG19 layers; ←/→ presets"
        case .size(let range, let step):
            return "WxH, \(range.lowerBound) … \(range.upperBound) each way, or auto; ±\(step) px wide (big: x2 / ÷2)"
        case .choice(let choices):
            return self[id].id == .seed ? "auto, noise, content, or an image file" : choices.joined(separator: ", ")
        case .path: return "a .png path"
        case .counts(let range, let step, let big):
            return "\(range.lowerBound) … \(range.upperBound), one or one per phase (100,100,50); step \(step) (big \(big)) each"
        }
    }

    // MARK: - Editing

    /// Moves a value one step (`big`: one big step) up (`direction > 0`) or down. A value
    /// at its bound stays there and the step is refused, saying so.
    @discardableResult
    public mutating func step(_ id: ParameterID, by direction: Int, big: Bool = false) throws -> ParameterChange {
        let p = self[id]
        let up = direction > 0
        let new: ParameterValue
        switch (p.kind, p.value) {
        case (.number(let range, let step, let bigStep), .number(let v)):
            let target = Self.clean(v + (up ? 1 : -1) * (big ? bigStep : step))
            let clamped = min(max(target, range.lowerBound), range.upperBound)
            if clamped == v {
                throw ParameterRefusal("\(p.label) is already at its \(up ? "maximum" : "minimum"), \(Self.format(v))")
            }
            new = .number(clamped)
        case (.integer(let range, let step, let bigStep), .integer(let v)):
            let delta = big ? bigStep : step
            let target = up ? v.addingReportingOverflow(delta) : v.subtractingReportingOverflow(delta)
            let clamped = target.overflow ? (up ? range.upperBound : range.lowerBound)
                : min(max(target.partialValue, range.lowerBound), range.upperBound)
            if clamped == v {
                throw ParameterRefusal("\(p.label) is already at its \(up ? "maximum" : "minimum"), \(v)")
            }
            new = .integer(clamped)
        case (.counts(let range, let step, let bigStep), .counts(let counts)):
            let delta = (up ? 1 : -1) * (big ? bigStep : step)
            let moved = counts.map { min(max($0 + delta, range.lowerBound), range.upperBound) }
            if moved == counts {
                throw ParameterRefusal("\(p.label) is already at its \(up ? "maximum" : "minimum"), \(Self.text(of: p.value))")
            }
            new = .counts(moved)
        case (.layers(let presets), .layers(let layers)):
            let at = presets.firstIndex(of: layers)
            let next = at.map { ($0 + (up ? 1 : presets.count - 1)) % presets.count } ?? 0
            new = .layers(presets[next])
        case (.size(let range, let step), _):
            guard let (w, h) = sizeValue(p.value) else {
                throw ParameterRefusal("output size is auto and there is no map or image to take it from yet; type a size like 512x384")
            }
            let aspect = Double(w) / Double(h)
            var width: Int
            if big { width = up ? w * 2 : w / 2 } else { width = up ? w + step : w - step }
            var height = Int((Double(width) / aspect).rounded())
            // Keep both sides in range, keeping the aspect ratio where possible.
            if min(width, height) < range.lowerBound {
                let scale = Double(range.lowerBound) / Double(min(w, h))
                width = Int((Double(w) * scale).rounded()); height = Int((Double(h) * scale).rounded())
            }
            if max(width, height) > range.upperBound {
                let scale = Double(range.upperBound) / Double(max(w, h))
                width = Int((Double(w) * scale).rounded()); height = Int((Double(h) * scale).rounded())
            }
            width = min(max(width, range.lowerBound), range.upperBound)
            height = min(max(height, range.lowerBound), range.upperBound)
            if width == w && height == h {
                throw ParameterRefusal("output size is already at its \(up ? "largest" : "smallest") for this shape, \(w)x\(h)")
            }
            new = .size(width: width, height: height)
        case (.choice(let choices), .choice(let current)):
            guard choices.count > 1 else { throw ParameterRefusal("\(current) is the only \(p.label) there is") }
            let at = choices.firstIndex(of: current)
            let next = at.map { ($0 + (up ? 1 : choices.count - 1)) % choices.count } ?? 0
            new = .choice(choices[next])
        case (.path, _):
            throw ParameterRefusal("\(p.label) is a path: press Enter and type it")
        default:
            throw ParameterRefusal("\(p.label) cannot be stepped")
        }
        return assign(id, new)
    }

    /// Sets a value from typed text; refuses it with the reason when it is not valid.
    @discardableResult
    public mutating func set(_ id: ParameterID, typed raw: String) throws -> ParameterChange {
        let p = self[id]
        let text = raw.trimmingCharacters(in: .whitespaces)
        let new: ParameterValue
        switch p.kind {
        case .number(let range, _, _):
            guard let v = Double(text), v.isFinite else {
                throw ParameterRefusal("\(p.label) must be a number, e.g. \(Self.format(Self.number(p.defaultValue))) (got '\(raw)')")
            }
            guard range.contains(v) else {
                throw ParameterRefusal("\(p.label) must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)) (got \(text))")
            }
            new = .number(v)
        case .integer(let range, _, _):
            let upper = range.upperBound == Int.max ? "" : " and \(range.upperBound)"
            guard let v = Int(text) else {
                throw ParameterRefusal("\(p.label) must be a whole number\(range.upperBound == Int.max ? " from \(range.lowerBound)" : " between \(range.lowerBound)\(upper)") (got '\(raw)')")
            }
            guard range.contains(v) else {
                throw ParameterRefusal(range.upperBound == Int.max ? "\(p.label) must be at least \(range.lowerBound) (got \(v))"
                    : "\(p.label) must be between \(range.lowerBound) and \(range.upperBound) (got \(v))")
            }
            new = .integer(v)
        case .layers:
            let layers = try Self.parseLayers(text)
            guard !layers.isEmpty else {
                throw ParameterRefusal("\(p.label) needs at least one layer, e.g. \(Self.text(of: p.defaultValue))")
            }
            new = .layers(layers)
        case .size(let range, _):
            if text.isEmpty || text.lowercased() == "auto" {
                new = .automatic
            } else {
                let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else {
                    throw ParameterRefusal("output size must be WxH like 512x384, or auto (got '\(raw)')")
                }
                guard range.contains(w) && range.contains(h) else {
                    throw ParameterRefusal("output size must be \(range.lowerBound) … \(range.upperBound) pixels each way (got \(w)x\(h))")
                }
                new = .size(width: w, height: h)
            }
        case .choice(let choices):
            if let match = choices.first(where: { $0.lowercased() == text.lowercased() }) {
                new = .choice(match)
            } else if id == .seed {
                try Self.checkSeedFile(text)
                new = .choice(text)
            } else {
                throw ParameterRefusal("\(p.label) must be one of: \(choices.joined(separator: ", ")) (got '\(raw)')")
            }
        case .path:
            try Self.checkOutputPath(text)
            new = .text(text)
        case .counts(let range, _, _):
            let counts = text.split(separator: ",", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.count <= 6, counts.allSatisfy({ $0.map(range.contains) ?? false }) else {
                throw ParameterRefusal("\(p.label) must be whole numbers \(range.lowerBound) … \(range.upperBound), one or one per phase like 100,100,50 (got '\(raw)')")
            }
            new = .counts(counts.map { $0! })
        }
        return assign(id, new)
    }

    /// Back to the default value.
    @discardableResult
    public mutating func reset(_ id: ParameterID) -> ParameterChange {
        assign(id, self[id].defaultValue)
    }

    // MARK: - The settings for a render

    /// The engine settings (the seed is `.noise` or `.content`; a seed file is read by the caller).
    public var settings: RenderSettings {
        var s = base
        s.contentWeight = Float(Self.number(value(.contentWeight)))
        s.styleWeight = Float(Self.number(value(.styleWeight)))
        s.semanticWeight = Float(Self.number(value(.semanticWeight)))
        s.smoothness = Float(Self.number(value(.smoothness)))
        s.variety = Float(Self.number(value(.variety)))
        if case .layers(let l) = value(.styleLayers) { s.styleLayers = l }
        if case .layers(let l) = value(.contentLayers) { s.contentLayers = l }
        if case .integer(let v) = value(.phases) { s.phases = v }
        if case .counts(let v) = value(.iterations) { s.iterations = IterationSchedule(v) }
        if case .integer(let v) = value(.randomSeed) { s.randomSeed = UInt64(v) }
        if case .choice(let m) = value(.matcher), let kind = MatcherKind(rawValue: m) { s.matcher = kind }
        if case .choice(let p) = value(.pooling), let kind = Pooling2x2.Kind(rawValue: p) { s.pooling = kind }
        s.seed = seedChoice == "content" ? .content : .noise
        return s
    }

    /// Multiplies the output size (or the auto size).
    public var scale: Float { Float(Self.number(value(.scale))) }

    /// `nil` for auto.
    public var outputSize: (width: Int, height: Int)? {
        if case .size(let w, let h) = value(.outputSize) { return (w, h) }
        return nil
    }

    public var output: String {
        if case .text(let t) = value(.output) { return t }
        return ""
    }

    /// "auto", "noise", "content" or an image path.
    public var seedChoice: String {
        if case .choice(let c) = value(.seed) { return c }
        return "auto"
    }

    public var allowUnmatched: Bool { value(.unmatched) == .choice("allow") }

    // MARK: - Parsing and formatting

    /// "3_1,4_1", "conv3_1 relu4_1", "3_1; 4_1": VGG19 layers in order, without repeats.
    public static func parseLayers(_ text: String) throws -> [VGGLayer] {
        let names = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" }).map(String.init)
        var layers: [VGGLayer] = []
        for name in names {
            guard let layer = VGGLayer(name: name) else {
                throw ParameterRefusal("'\(name)' is not a VGG19 layer; use names like 3_1,4_1 (conv1_1 … conv5_4)")
            }
            if !layers.contains(layer) { layers.append(layer) }
        }
        return layers
    }

    /// `25`, `0.5`, `1e-05`.
    public static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: "%.6g", v)
    }

    public static func text(of value: ParameterValue) -> String {
        switch value {
        case .number(let v): return format(v)
        case .integer(let v): return String(v)
        case .layers(let l): return l.map { "\($0.block)_\($0.indexInBlock)" }.joined(separator: ",")
        case .counts(let c): return c.map(String.init).joined(separator: ",")
        case .automatic: return "auto"
        case .size(let w, let h): return "\(w)x\(h)"
        case .choice(let c): return c
        case .text(let t): return t
        }
    }

    /// Why `path` cannot be the output, if it cannot.
    public static func checkOutputPath(_ path: String) throws {
        guard !path.isEmpty else { throw ParameterRefusal("output needs a file name like out.png") }
        guard path.lowercased().hasSuffix(".png") else {
            throw ParameterRefusal("output '\(path)' must end in .png (doodle writes PNG)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ParameterRefusal("output '\(path)' is a directory; give a file name like out.png")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
                throw ParameterRefusal("cannot write '\(path)': directory '\(directory)' does not exist")
            }
        }
    }

    static func checkSeedFile(_ path: String) throws {
        let lower = path.lowercased()
        guard [".png", ".jpg", ".jpeg"].contains(where: { lower.hasSuffix($0) }) else {
            throw ParameterRefusal("seed must be auto, noise, content or an image file (.png/.jpg), got '\(path)'")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ParameterRefusal("seed '\(path)': no such file")
        }
    }

    // MARK: - Internals

    private func index(of id: ParameterID) -> Int { parameters.firstIndex { $0.id == id }! }

    private mutating func assign(_ id: ParameterID, _ new: ParameterValue) -> ParameterChange {
        let i = index(of: id)
        let old = display(id)
        parameters[i].value = new
        return ParameterChange(id: id, label: parameters[i].label, old: old, new: display(id))
    }

    private func sizeValue(_ value: ParameterValue) -> (Int, Int)? {
        if case .size(let w, let h) = value { return (w, h) }
        return automaticSize.map { ($0.width, $0.height) }
    }

    private static func number(_ value: ParameterValue) -> Double {
        if case .number(let v) = value { return v }
        return 0
    }

    /// Removes binary noise from a sum of decimal steps (0.1 + 0.2 -> 0.3).
    private static func clean(_ v: Double) -> Double {
        guard v != 0 else { return 0 }
        let magnitude = pow(10, 9 - floor(log10(abs(v))))
        return (v * magnitude).rounded() / magnitude
    }
}
