import Doodle
import Foundation
import Net

/// A value refused, and why (shown on the status line).
public struct ParameterRefusal: Error, Equatable, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What an edit changed: "style weight 25 -> 26".
public struct ParameterChange: Equatable, Sendable, CustomStringConvertible {
    public let id: PresetKey
    public let label: String
    public let old: String
    public let new: String
    public var description: String { "\(label) \(old) -> \(new)" }
}

/// A parameter as the studio lists it: the table's entry and its value.
public struct Parameter: Sendable {
    public let id: PresetKey
    /// `nil` for an output size of auto.
    public let value: PresetValue?
    public var entry: RenderParameter { id.parameter }
    public var label: String { entry.label }
    public var help: String { entry.help }
    public var liveness: Liveness { entry.liveness }
    public var flag: String { id.flag }
    public var defaultValue: PresetValue? { entry.defaultValue }
}

/// The studio's settings: a preset holding every value (inputs included), of which the render
/// parameters of the table and the output's keys are listed for editing. Values are parsed and
/// checked by the preset parser, as `doodle render` checks its flags; only the step sizes are
/// the studio's own. Plain values: no terminal, no engine.
public struct ParameterEditor: Sendable {
    /// Every value; the studio's state.
    public private(set) var preset: Preset
    /// Every key the studio edits, in order: the render parameters, then the output's.
    public static let allKeys = RenderParameters.all.filter { $0.group == .render }.map(\.key)
        + [.outputSize, .scale, .output, .allowUnmatched]
    /// The keys listed: those that play a part in a render with the current values (the
    /// patch loss's matcher is not listed for the Gram loss, the learning rate only for Adam).
    public var keys: [PresetKey] {
        let settings = self.settings
        return Self.allKeys.filter { $0.parameter.applies(to: settings) }
    }
    /// Index of the highlighted parameter.
    public var selection = 0
    /// The size `auto` stands for, for display and for stepping from auto.
    public var automaticSize: (width: Int, height: Int)?
    /// Whether the inputs hold a content image: `--phases auto` follows it.
    public var contentGiven = true

    /// What ←/→ walk through for the layer lists.
    public static let layerPresets: [PresetKey: [[VGGLayer]]] = [
        .styleLayers: [[.conv3_1, .conv4_1], [.conv4_1], [.conv3_1], [.conv2_1, .conv3_1, .conv4_1], [.conv3_1, .conv4_1, .conv5_1],
                       [.conv4_1, .conv5_1], [.conv1_1, .conv2_1, .conv3_1, .conv4_1, .conv5_1]],
        .contentLayers: [[.conv4_2], [.conv4_1], [.conv3_2], [.conv5_2], [.conv3_1], [.conv5_1], []],
    ]
    /// Steps that the magnitude of the default does not give well (see `steps(for:)`).
    static let stepOverrides: [PresetKey: (step: Double, big: Double)] = [
        .scale: (0.05, 0.5), .phases: (1, 2), .iterations: (10, 100), .outputSize: (16, 2),
    ]

    /// The values of `preset` over the built-in defaults; the output defaults to doodle.png.
    public init(preset: Preset = Preset()) {
        var p = preset.merged(over: .defaults)
        p.name = nil
        p.description = nil
        if p.output == nil { p.output = "doodle.png" }
        self.preset = p
    }

    // MARK: - Reading

    public var parameters: [Parameter] { keys.map { self[$0] } }
    public subscript(id: PresetKey) -> Parameter { Parameter(id: id, value: preset[id]) }
    public func value(_ id: PresetKey) -> PresetValue? { preset[id] }
    public var selected: Parameter { self[keys[min(selection, keys.count - 1)]] }

    public mutating func moveSelection(by delta: Int) {
        selection = max(0, min(keys.count - 1, selection + delta))
    }

    /// Highlights `id`, or the nearest listed key before it when it is not listed.
    public mutating func select(_ id: PresetKey) {
        let listed = keys
        if let index = listed.firstIndex(of: id) { selection = index; return }
        let before = Self.allKeys.prefix(while: { $0 != id })
        selection = listed.lastIndex(where: { before.contains($0) }) ?? 0
    }

    /// The value as shown: `25`, `3_1,4_1`, `auto (512x384)`, `64x48`, `noise`.
    public func display(_ id: PresetKey) -> String {
        guard let value = value(id) else {
            return automaticSize.map { "auto (\($0.width)x\($0.height))" } ?? (id == .outputSize ? "auto" : "none")
        }
        // What auto stands for with the other values (it follows the style loss).
        switch (id, value) {
        case (.styleLayers, .text("auto")): return "auto (\(PresetValue.layers(settings.activeStyleLayers).text))"
        case (.phases, .text("auto")): return "auto (\(phases))"
        default: return value.text
        }
    }

    /// What Enter puts in the edit field.
    public func editText(_ id: PresetKey) -> String { value(id)?.text ?? "auto" }

    /// The allowed values and the steps, short: "number >= 0; step 1 (big 10)".
    public func rangeDescription(_ id: PresetKey) -> String {
        let entry = id.parameter
        let (step, big) = Self.steps(for: id)
        let steps = "step \(Self.format(step)) (big \(Self.format(big)))"
        switch entry.kind {
        case .number, .integer: return "\(entry.typeDescription); \(steps)"
        case .unsigned: return "whole number >= 0; \(steps)"
        case .counts(let r, _): return "\(r.lowerBound)...\(r.upperBound), one or one per phase; \(steps)"
        case .size(let r): return "WxH \(r.lowerBound)...\(r.upperBound), or auto; ±\(Int(step)) px (big x2)"
        case .layers: return "VGG19 layers, e.g. \(entry.example == "auto" ? "3_1,4_1" : entry.example); ←/→ presets"
        case .range(let b): return "LO:HI within \(Int(b.lowerBound)):\(Int(b.upperBound))"
        default: return entry.typeDescription
        }
    }

    /// A step and a big step: the table's magnitude (a tenth of the default's power of ten,
    /// and ten times that), or the studio's own where that serves badly.
    public static func steps(for id: PresetKey) -> (step: Double, big: Double) {
        if let fixed = stepOverrides[id] { return fixed }
        switch id.parameter.kind {
        case .integer, .unsigned: return (1, 10)
        default:
            guard case .number(let v)? = id.parameter.defaultValue, v > 0 else { return (0.1, 1) }
            let step = max(pow(10, floor(log10(Double(v)))) / 10, 0.001)
            return (step, step * 10)
        }
    }

    // MARK: - Editing

    /// Moves a value one step (`big`: one big step) up (`direction > 0`) or down. A value
    /// at its bound stays there and the step is refused, saying so.
    @discardableResult
    public mutating func step(_ id: PresetKey, by direction: Int, big: Bool = false) throws -> ParameterChange {
        let p = self[id]
        let up = direction > 0
        let (step, bigStep) = Self.steps(for: id)
        let delta = (up ? 1 : -1) * (big ? bigStep : step)
        let new: PresetValue
        func atBound() -> ParameterRefusal {
            ParameterRefusal("\(p.label) is already at its \(up ? "maximum" : "minimum"), \(display(id))")
        }
        switch (p.entry.kind, p.value) {
        case (.number(let lo, let hi), .number(let v)?):
            let target = Float(Self.clean(Double(v) + delta))
            let clamped = min(max(target, lo), hi ?? .greatestFiniteMagnitude)
            if clamped == v { throw atBound() }
            new = .number(clamped)
        case (.integer(let lo, let hi), .text("auto")?) where id == .phases:
            // From auto, a step starts at the count auto stands for.
            let v = phases
            new = .integer(min(max(v + Int(delta), lo), hi ?? .max))
        case (.integer(let lo, let hi), .integer(let v)?):
            let moved = v.addingReportingOverflow(Int(delta))
            let clamped = moved.overflow ? (up ? hi ?? .max : lo) : min(max(moved.partialValue, lo), hi ?? .max)
            if clamped == v { throw atBound() }
            new = .integer(clamped)
        case (.unsigned, .unsigned(let v)?):
            let d = UInt64(abs(delta))
            let clamped = up ? v.addingReportingOverflow(d).overflow ? .max : v + d : (v < d ? 0 : v - d)
            if clamped == v { throw atBound() }
            new = .unsigned(clamped)
        case (.counts(let range, _), let value?):
            let counts: [Int]
            switch value {
            case .integer(let n): counts = [n]
            case .counts(let c): counts = c
            default: throw ParameterRefusal("\(p.label) cannot be stepped")
            }
            let moved = counts.map { min(max($0 + Int(delta), range.lowerBound), range.upperBound) }
            if moved == counts { throw atBound() }
            new = moved.count == 1 ? .integer(moved[0]) : .counts(moved)
        case (.layers, let value?):
            guard let layerPresets = Self.layerPresets[id], !layerPresets.isEmpty else {
                throw ParameterRefusal("\(p.label): press Enter and type the layers")
            }
            // `auto` (where the key takes it) is one more stop of the cycle.
            let presets = (p.entry.defaultValue == .text("auto") ? [PresetValue.text("auto")] : [])
                + layerPresets.map { PresetValue.layers($0) }
            let at = presets.firstIndex(of: value)
            let next = at.map { ($0 + (up ? 1 : presets.count - 1)) % presets.count } ?? 0
            new = presets[next]
        case (.size(let range), _):
            new = try steppedSize(range: range, up: up, big: big)
        case (.choice(let choices), .text(let current)?):
            new = .text(Self.cycle(choices, from: current, up: up))
        case (.seed, let value?):
            let current = value.text
            new = .text(Self.cycle(Preset.seedWords, from: current, up: up))
        case (.flag, .flag(let on)?):
            new = .flag(!on)
        case (.png, _), (.file, _), (.folder, _), (.suffix, _), (.range, _), (.layerWeights, _):
            throw ParameterRefusal("\(p.label): press Enter and type it")
        default:
            throw ParameterRefusal("\(p.label) cannot be stepped")
        }
        return assign(id, new)
    }

    /// Sets a value from typed text, parsed and checked as `doodle render` does its flags;
    /// refuses it with the reason when it is not valid.
    @discardableResult
    public mutating func set(_ id: PresetKey, typed raw: String) throws -> ParameterChange {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if id == .outputSize && (text.isEmpty || text.lowercased() == "auto") { return assign(id, nil) }
        let value: PresetValue
        do {
            value = try PresetValueParser.parse(id, .scalar(text), label: self[id].label)
        } catch let error as PresetError {
            throw ParameterRefusal(error.description)
        }
        switch value {
        case .path(let path) where id == .seed:
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ParameterRefusal("seed '\(path)': no such file; give auto, noise, content or an image file")
            }
        case .path(let path) where id == .output:
            do { try Image.checkWritable(path) } catch { throw ParameterRefusal("\(error)") }
        default: break
        }
        return assign(id, value)
    }

    /// Back to the default value.
    @discardableResult
    public mutating func reset(_ id: PresetKey) -> ParameterChange {
        assign(id, self[id].defaultValue ?? (id == .output ? .path("doodle.png") : nil))
    }

    // MARK: - The values for a render

    /// The engine settings (the seed is `.noise` or `.content`; a seed file is read by the resolver).
    public var settings: RenderSettings { preset.renderSettings }
    /// The phases a run of these values with the current inputs asks for.
    public var phases: Int {
        var settings = settings
        settings.withContent = contentGiven
        return settings.phases
    }
    public var scale: Float { preset.scale ?? 1 }
    /// `nil` for auto.
    public var outputSize: (width: Int, height: Int)? { preset.outputSize }
    public var output: String { preset.output ?? "doodle.png" }
    /// "auto", "noise", "content" or an image path.
    public var seedChoice: String { preset.seed ?? "auto" }
    public var allowUnmatched: Bool { preset.allowUnmatched ?? false }

    // MARK: - Formatting

    /// `25`, `0.5`, `1e-05`.
    public static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: "%.6g", v)
    }

    // MARK: - Internals

    /// Where values edited here come from (the studio's edits go together, like one file's).
    static let studio = PresetSource(file: "the studio")

    private mutating func assign(_ id: PresetKey, _ new: PresetValue?) -> ParameterChange {
        let old = display(id)
        let highlighted = keys[min(selection, keys.count - 1)]
        preset.set(id, new, from: Self.studio)
        // The list may have changed (another style loss or optimiser): keep the highlight.
        select(highlighted)
        return ParameterChange(id: id, label: id.parameter.label, old: old, new: display(id))
    }

    private func steppedSize(range: ClosedRange<Int>, up: Bool, big: Bool) throws -> PresetValue {
        let current: (Int, Int)?
        if case .size(let w, let h)? = value(.outputSize) { current = (w, h) } else { current = automaticSize }
        guard let (w, h) = current else {
            throw ParameterRefusal("output size is auto and there is no map or image to take it from yet; type a size like 512x384")
        }
        let aspect = Double(w) / Double(h)
        let step = Int(Self.steps(for: .outputSize).step)
        var width = big ? (up ? w * 2 : w / 2) : (up ? w + step : w - step)
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
        return .size(width: width, height: height)
    }

    private static func cycle(_ choices: [String], from current: String, up: Bool) -> String {
        let at = choices.firstIndex(of: current)
        return choices[at.map { ($0 + (up ? 1 : choices.count - 1)) % choices.count } ?? 0]
    }

    /// Removes binary noise from a sum of decimal steps (0.1 + 0.2 -> 0.3).
    private static func clean(_ v: Double) -> Double {
        guard v != 0 else { return 0 }
        let magnitude = pow(10, 6 - floor(log10(abs(v))))
        return (v * magnitude).rounded() / magnitude
    }
}
