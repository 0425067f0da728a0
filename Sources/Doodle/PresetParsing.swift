import Foundation
import Net
import Patches
import Yams

/// A value as written: one scalar (YAML or a flag's argument) or a YAML list of scalars.
public enum RawPresetValue: Sendable, Equatable {
    case scalar(String)
    case list([String])
}

/// Turns written values into checked `PresetValue`s; the messages name the key as `label`
/// (`style-weight` in a file, `--style-weight` on the command line).
public enum PresetValueParser {
    struct Problem: Error { let message: String }

    /// The value of `key` written as `raw`; relative paths are joined to `directory`.
    /// Throws a one-line message (without a location) when the type or range is wrong.
    public static func parse(_ key: PresetKey, _ raw: RawPresetValue, label: String,
                             directory: String? = nil) throws -> PresetValue {
        do {
            let value = try convert(key, raw, label: label, directory: directory)
            if let problem = rangeProblem(key, value, label: label) { throw Problem(message: problem) }
            return value
        } catch let problem as Problem {
            throw PresetError(problem.message)
        }
    }

    private static func scalar(_ raw: RawPresetValue, _ label: String, example: String) throws -> String {
        switch raw {
        case .scalar(let s): return s.trimmingCharacters(in: .whitespaces)
        case .list: throw Problem(message: "\(label) takes one value, not a list; e.g. \(label.hasPrefix("-") ? "\(label) \(example)" : "\(label): \(example)")")
        }
    }

    private static func convert(_ key: PresetKey, _ raw: RawPresetValue, label: String,
                                directory: String?) throws -> PresetValue {
        let parameter = key.parameter
        let example = parameter.example
        switch parameter.kind {
        case .file, .png, .folder:
            let text = try scalar(raw, label, example: example)
            guard !text.isEmpty else { throw Problem(message: "\(label) is empty; give a file name") }
            return .path(PresetPaths.join(directory, text))
        case .suffix:
            let text = try scalar(raw, label, example: example)
            guard !text.isEmpty, !text.contains("/") else {
                throw Problem(message: "\(label) '\(text)' must be a file name suffix like _sem.png")
            }
            return .text(text)
        case .size:
            let parts: [String]
            switch raw {
            case .scalar(let s): parts = s.lowercased().split(separator: "x", omittingEmptySubsequences: false).map(String.init)
            case .list(let items): parts = items
            }
            let numbers = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, numbers.count == 2 else {
                throw Problem(message: "\(label) '\(raw.text)' must be WxH, e.g. 512x384")
            }
            return .size(width: numbers[0], height: numbers[1])
        case .flag:
            let text = try scalar(raw, label, example: "true")
            switch text.lowercased() {
            case "true", "yes", "on": return .flag(true)
            case "false", "no", "off": return .flag(false)
            default: throw Problem(message: "\(label) '\(text)' must be true or false")
            }
        case .number:
            let text = try scalar(raw, label, example: example)
            if text == "auto" && parameter.defaultValue == .text("auto") { return .text("auto") }
            guard let value = Float(text) else {
                throw Problem(message: "\(label) '\(text)' is not a number; give e.g. \(example)")
            }
            guard value.isFinite else { throw Problem(message: "\(label) \(text) must be a finite number, e.g. \(example)") }
            return .number(value)
        case .counts:
            let parts: [String]
            switch raw {
            case .scalar(let s): parts = s.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            case .list(let items): parts = items.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            }
            let counts = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ $0 != nil }) else {
                throw Problem(message: "\(label) '\(parts.joined(separator: ","))' is not a whole number or one per phase; give e.g. 100 or 100,100,50")
            }
            return counts.count == 1 ? .integer(counts[0]!) : .counts(counts.map { $0! })
        case .integer:
            let text = try scalar(raw, label, example: example)
            if text == "auto" && parameter.defaultValue == .text("auto") { return .text("auto") }
            guard let value = Int(text) else {
                throw Problem(message: "\(label) '\(text)' is not a whole number; give e.g. \(example)")
            }
            return .integer(value)
        case .unsigned:
            let text = try scalar(raw, label, example: example)
            guard let value = UInt64(text) else {
                throw Problem(message: "\(label) '\(text)' must be a whole number from 0 to \(UInt64.max)")
            }
            return .unsigned(value)
        case .layers:
            if case .scalar(let s) = raw, s.trimmingCharacters(in: .whitespaces) == "auto", parameter.defaultValue == .text("auto") {
                return .text("auto")
            }
            let names: [String]
            switch raw {
            case .scalar(let s): names = s.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" }).map(String.init)
            case .list(let items): names = items.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" }).map(String.init) }
            }
            var layers: [VGGLayer] = []
            for name in names.map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard let layer = VGGLayer(name: name) else {
                    throw Problem(message: "\(label): '\(name)' is not a VGG19 layer; use names like 3_1,4_1 (conv1_1 ... conv5_4)")
                }
                if !layers.contains(layer) { layers.append(layer) }
            }
            return .layers(layers)
        case .layerWeights:
            let parts: [String]
            switch raw {
            case .scalar(let s) where s.trimmingCharacters(in: .whitespaces) == "auto": return .text("auto")
            case .scalar(let s): parts = s.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            case .list(let items): parts = items.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            }
            let values = parts.map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw Problem(message: "\(label) '\(parts.joined(separator: ","))' must be auto or one number per style layer, e.g. 1,1,0.5")
            }
            return .numbers(values.map { $0! })
        case .seed:
            let text = try scalar(raw, label, example: "noise")
            guard !text.isEmpty else { throw Problem(message: "\(label) is empty; give auto, noise, content or an image file") }
            return Preset.seedWords.contains(text) ? .text(text) : .path(PresetPaths.join(directory, text))
        case .range(let bounds):
            let parts: [String]
            switch raw {
            case .scalar(let s): parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            case .list(let items): parts = items
            }
            let numbers = parts.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, numbers.count == 2, numbers[0] <= numbers[1] else {
                throw Problem(message: "\(label) '\(raw.text.replacingOccurrences(of: ", ", with: ":"))' must be LO:HI within \(bounds.lowerBound.shortText):\(bounds.upperBound.shortText), e.g. \(example)")
            }
            return .range(numbers[0]...numbers[1])
        case .choice(let names):
            let text = try scalar(raw, label, example: example)
            guard names.contains(text) else {
                let hint = closest(to: text, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                throw Problem(message: "\(label) '\(text)' must be one of \(names.joined(separator: ", "))\(hint)")
            }
            return .text(text)
        }
    }

    /// Why `value` is out of range for `key`, or nil when it is fine.
    public static func rangeProblem(_ key: PresetKey, _ value: PresetValue, label: String) -> String? {
        let parameter = key.parameter
        switch (parameter.kind, value) {
        case (.number(let lo, let hi), .number(let v)):
            guard v.isFinite else { return "\(label) \(v.shortText) must be a finite number, e.g. \(parameter.example)" }
            if let hi { return (lo...hi).contains(v) ? nil : "\(label) \(v.shortText) must be within \(lo.shortText)...\(hi.shortText)" }
            return v >= lo ? nil : "\(label) \(v.shortText) must be at least \(lo.shortText)"
        case (.integer(let lo, let hi), .integer(let n)):
            if n < lo { return "\(label) \(n) must be at least \(lo)" }
            if let hi, n > hi { return "\(label) \(n) is more than \(hi)" }
            return nil
        case (.size(let range), .size(let w, let h)):
            return range.contains(w) && range.contains(h) ? nil
                : "\(label) \(w)x\(h) must have each side within \(range.lowerBound)...\(range.upperBound), e.g. 512x384"
        case (.counts(let range, _), .integer(let n)):
            return range.contains(n) ? nil : "\(label) \(n) must be within \(range.lowerBound)...\(range.upperBound)"
        case (.counts(let range, let perPhase), .counts(let counts)):
            if counts.count > perPhase { return "\(label) gives \(counts.count) numbers; give one, or one per phase (at most \(perPhase))" }
            return counts.allSatisfy(range.contains) ? nil
                : "\(label) \(counts.map(String.init).joined(separator: ",")): each must be within \(range.lowerBound)...\(range.upperBound)"
        case (.layerWeights, .numbers(let values)):
            return values.allSatisfy({ $0 >= 0 }) ? nil : "\(label) \(values.map(\.shortText).joined(separator: ",")): each weight must be at least 0"
        case (.layers(let allowEmpty), .layers(let layers)):
            return layers.isEmpty && !allowEmpty ? "\(label) is empty; give e.g. \(parameter.example)" : nil
        case (.range(let bounds), .range(let r)):
            return bounds.contains(r.lowerBound) && bounds.contains(r.upperBound) ? nil
                : "\(label) '\(r.lowerBound.shortText):\(r.upperBound.shortText)' must be LO:HI within \(bounds.lowerBound.shortText):\(bounds.upperBound.shortText), e.g. \(parameter.example)"
        case (.png, .path(let p)):
            return p.lowercased().hasSuffix(".png") ? nil : "\(label) '\(p)' must end in .png (doodle writes PNG)"
        default:
            return nil
        }
    }

    /// The name among `candidates` nearest to `word` (optimal string alignment distance, after
    /// folding case, `_` and camelCase to the dashed form), when it is near enough to be a typo.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let folded = fold(word)
        var best: (name: String, distance: Int)? = nil
        for candidate in candidates {
            let d = editDistance(folded, candidate)
            if best == nil || d < best!.distance { best = (candidate, d) }
        }
        guard let best else { return nil }
        let limit = max(1, min(3, (folded.count + 1) / 4))
        return best.distance <= limit ? best.name : nil
    }

    /// `styleWeight`, `style_weight`, `Style Weight` -> `style-weight`.
    public static func fold(_ word: String) -> String {
        var out = ""
        var previousLower = false
        for ch in word {
            if ch.isUppercase && previousLower { out.append("-") }
            if ch == "_" || ch == " " { out.append("-") } else { out += ch.lowercased() }
            previousLower = ch.isLowercase || ch.isNumber
        }
        return out
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// two neighbours each cost 1 (`styel-weight` is 1 from `style-weight`).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let s = Array(a), t = Array(b)
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: t.count + 1), count: s.count + 1)
        for i in 0...s.count { d[i][0] = i }
        for j in 0...t.count { d[0][j] = j }
        for i in 1...s.count {
            for j in 1...t.count {
                let cost = s[i - 1] == t[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[s.count][t.count]
    }
}

extension RawPresetValue {
    /// As written, for messages.
    var text: String {
        switch self {
        case .scalar(let s): return s
        case .list(let items): return items.joined(separator: ", ")
        }
    }
}

extension Float {
    /// 25, 0.5, 1e-05 (no trailing .0).
    var shortText: String { self == rounded() && abs(self) < 1e9 ? String(Int(self)) : "\(self)" }
}

/// Paths in preset files.
public enum PresetPaths {
    /// `path` as seen from the working directory when it was written in a file in `directory`:
    /// absolute paths stay, `~/` is expanded, relative paths are joined to the directory.
    public static func join(_ directory: String?, _ path: String) -> String {
        if path.hasPrefix("~") { return (path as NSString).expandingTildeInPath }
        if path.hasPrefix("/") { return normalise(path) }
        guard let directory, !directory.isEmpty, directory != "." else { return normalise(path) }
        return normalise(directory + "/" + path)
    }

    /// Drops `.` parts and resolves `..` against the part before it (keeping leading `..`).
    public static func normalise(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if part == "..", absolute, parts.isEmpty { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The folder of a file path (`""` for a bare file name).
    public static func directory(of path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }

    /// `path` written relative to `directory` (both relative to the working directory or
    /// absolute), using `..` where needed; absolute when they share nothing but the root.
    public static func relative(_ path: String, to directory: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> [Substring] {
            normalise(p.hasPrefix("/") ? p : cwd + "/" + p).split(separator: "/")
        }
        let target = absolute(path), base = absolute(directory.isEmpty ? "." : directory)
        var common = 0
        while common < target.count, common < base.count, target[common] == base[common] { common += 1 }
        if common == 0 { return normalise(path.hasPrefix("/") ? path : cwd + "/" + path) }
        let ups = [Substring](repeating: "..", count: base.count - common)
        let rest = ups + target[common...]
        return rest.isEmpty ? "." : rest.joined(separator: "/")
    }
}

// MARK: - Reading YAML

/// The parts of one YAML mapping: a preset layer, the preset it names, and (at the top of a
/// job file) its jobs.
struct PresetLayer {
    var preset = Preset()
    var presetReference: (name: String, source: PresetSource)? = nil
    var jobs: [PresetLayer]? = nil
    var jobsSource: PresetSource? = nil
    var source: PresetSource
}

/// Reads preset and job files, collecting every problem with its `file:line`.
struct PresetFileReader {
    let file: String
    let directory: String
    var issues: [PresetIssue] = []

    init(file: String) {
        self.file = file
        directory = PresetPaths.directory(of: file)
    }

    func source(_ node: Node?) -> PresetSource {
        PresetSource(file: file, line: node?.mark?.line, column: node?.mark?.column)
    }

    mutating func issue(_ message: String, _ node: Node?) {
        issues.append(PresetIssue(message, at: source(node)))
    }

    /// The root mapping of `text`, or nil (with an issue) when it is not YAML or not a mapping.
    mutating func root(_ text: String) -> Node? {
        if let line = YAMLNesting.firstLineTooDeep(text) {
            issues.append(PresetIssue("nested more than \(YAMLNesting.limit) levels deep; a preset or job file needs a few "
                                      + "(`jobs:` then `- style: ...`): remove the extra brackets or indentation",
                                      at: PresetSource(file: file, line: line)))
            return nil
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            issues.append(Self.syntaxIssue(error, file: file))
            return nil
        } catch {
            issues.append(PresetIssue("not YAML: \(error)", at: PresetSource(file: file)))
            return nil
        }
        guard let node else {
            issues.append(PresetIssue("the file is empty; give keys like `style: monet.jpg` (see `doodle presets --keys`)",
                                      at: PresetSource(file: file, line: 1)))
            return nil
        }
        guard case .mapping = node else {
            issue("the file must be a mapping of keys to values, like `style: monet.jpg`; found \(Self.kind(of: node))", node)
            return nil
        }
        return node
    }

    static func syntaxIssue(_ error: YamlError, file: String) -> PresetIssue {
        func line(_ problem: String, _ mark: Mark, _ context: YamlError.Context?) -> PresetIssue {
            let what = context.map { "\(problem) \($0.text)" } ?? problem
            return PresetIssue("YAML syntax: \(what.replacingOccurrences(of: "\n", with: " "))",
                               at: PresetSource(file: file, line: mark.line, column: mark.column))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _): return line(problem, mark, context)
        case .parser(let context, let problem, let mark, _): return line(problem, mark, context)
        case .composer(let context, let problem, let mark, _): return line(problem, mark, context)
        case .reader(let problem, _, _, _): return PresetIssue("not readable as UTF-8 text: \(problem)", at: PresetSource(file: file))
        default: return PresetIssue("YAML: \("\(error)".replacingOccurrences(of: "\n", with: " "))", at: PresetSource(file: file))
        }
    }

    static func kind(of node: Node) -> String {
        switch node {
        case .scalar(let s):
            // A scalar may be a whole paragraph: its first 40 characters show what it is.
            let text = s.string.count > 40 ? s.string.prefix(40) + "…" : s.string
            return "the text '\(text)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// One mapping as a layer. `top`: the top of a file, where `jobs` may appear.
    mutating func layer(_ node: Node, top: Bool) -> PresetLayer {
        var layer = PresetLayer(source: source(node))
        guard case .mapping(let mapping) = node else {
            issue("a job must be a mapping of keys to values, like `style: monet.jpg`; found \(Self.kind(of: node))", node)
            return layer
        }
        var seen: [String: Int] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                issue("a key must be a name like style-weight; found \(Self.kind(of: keyNode))", keyNode)
                continue
            }
            let name = keyScalar.string
            if let first = seen[name] {
                issue("'\(name)' is given twice (first on line \(first)); keep one", keyNode)
                continue
            }
            seen[name] = keyNode.mark?.line ?? 0

            switch name {
            case "jobs":
                guard top else { issue("jobs is only allowed at the top of a job file, not inside a job", keyNode); continue }
                guard case .sequence(let items) = value else {
                    issue("jobs must be a list of jobs (`- style: ...`); found \(Self.kind(of: value))", value)
                    continue
                }
                if items.isEmpty { issue("jobs is empty; give at least one job", keyNode) }
                layer.jobs = items.map { self.layer($0, top: false) }
                layer.jobsSource = source(keyNode)
                continue
            case "name", "description", "preset":
                guard case .scalar(let s) = value, !Self.isNull(s) else {
                    issue("\(name) must be text; found \(Self.kind(of: value))", value)
                    continue
                }
                switch name {
                case "name": layer.preset.name = s.string
                case "description": layer.preset.description = s.string
                default: layer.presetReference = (s.string, source(value))
                }
                continue
            default:
                break
            }

            guard let key = PresetKey(rawValue: name) ?? PresetKey.aliases[name] else {
                let hint = PresetValueParser.closest(to: name, among: PresetKey.allNames)
                    .map { "; did you mean '\($0)'?" } ?? "; see `doodle presets --keys`"
                issue("unknown key '\(name)'\(hint)", keyNode)
                continue
            }
            let raw: RawPresetValue
            switch value {
            case .scalar(let s):
                if Self.isNull(s) {
                    issue("\(name) has no value; give one or remove the line", keyNode)
                    continue
                }
                raw = .scalar(s.string)
            case .sequence(let items):
                var strings: [String] = []
                for item in items {
                    if case .scalar(let s) = item { strings.append(s.string) } else {
                        issue("\(name): list items must be plain values; found \(Self.kind(of: item))", item)
                    }
                }
                raw = .list(strings)
            case .mapping:
                issue("\(name) takes a value, not a mapping", value)
                continue
            }
            if let other = ([key.rawValue] + PresetKey.aliases.filter { $0.value == key }.map(\.key))
                .first(where: { $0 != name && seen[$0] != nil }) {
                issue("'\(name)' and '\(other)' (line \(seen[other]!)) name the same input; keep one", keyNode)
                continue
            }
            do {
                let parsed = try PresetValueParser.parse(key, raw, label: name, directory: directory)
                layer.preset.set(key, parsed, from: source(value))
            } catch let error as PresetError {
                for i in error.issues { issue(i.message, value) }
            } catch {
                issue("\(name): \(error)", value)
            }
        }
        return layer
    }

    static func isNull(_ s: Node.Scalar) -> Bool {
        s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
    }
}

// MARK: - Loading presets

extension Preset {
    /// Reads a preset file: its keys over the preset it names with `preset:` (a built-in
    /// name or another file), without the built-in defaults underneath. Relative paths are
    /// resolved against the file's folder. Throws `PresetError` (every problem with its
    /// `file:line`); a file with `jobs:` is for `doodle run` and is refused.
    public static func load(path: String) throws -> Preset {
        try load(path: path, chain: [])
    }

    /// `load(path:)` on text already read; `path` names it in messages and is the folder
    /// relative paths (and a `preset:` file) are resolved against. The preset fuzz target's entry.
    public static func parse(yaml text: String, path: String) throws -> Preset {
        try parse(yaml: text, path: path, chain: [])
    }

    static func load(path: String, chain: [String]) throws -> Preset {
        try parse(yaml: PresetFiles.read(path), path: path, chain: chain)
    }

    static func parse(yaml text: String, path: String, chain: [String]) throws -> Preset {
        var reader = PresetFileReader(file: path)
        guard let root = reader.root(text) else { throw PresetError(reader.issues) }
        var layer = reader.layer(root, top: true)
        if let jobs = layer.jobs {
            reader.issues.append(PresetIssue("this is a job file with \(jobs.count) job\(jobs.count == 1 ? "" : "s"), not a preset; run it with `doodle run \(path)`",
                                             at: layer.jobsSource))
        }
        guard reader.issues.isEmpty else { throw PresetError(reader.issues) }
        if layer.preset.name == nil {
            layer.preset.name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        }
        guard let reference = layer.presetReference else { return layer.preset }
        let base = try resolve(reference: reference.name, from: path, at: reference.source, chain: chain + [path])
        return layer.preset.merged(over: base)
    }

    /// A built-in preset's name, or a preset file (relative to the folder of `file`, when given).
    /// Throws `PresetError` naming the built-in presets when neither.
    public static func named(_ nameOrPath: String, relativeTo file: String? = nil) throws -> Preset {
        try resolve(reference: nameOrPath, from: file, at: nil, chain: [])
    }

    /// Whether `reference` names a file rather than a built-in preset.
    public static func isFileReference(_ reference: String) -> Bool {
        reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml")
            || (builtin(named: reference) == nil && FileManager.default.fileExists(atPath: reference))
    }

    static func resolve(reference: String, from file: String?, at source: PresetSource?, chain: [String]) throws -> Preset {
        if !isFileReference(reference) {
            if let preset = builtin(named: reference) { return preset }
            let names = builtinNames
            let hint = PresetValueParser.closest(to: reference, among: names).map { "did you mean '\($0)'? " } ?? ""
            throw PresetError("no built-in preset '\(reference)'; \(hint)built-in presets: \(names.joined(separator: ", ")) (or give a .yaml file)",
                              at: source)
        }
        let path = PresetPaths.join(file.map(PresetPaths.directory(of:)), reference)
        let key = PresetPaths.normalise(path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
        let keys = chain.map { PresetPaths.normalise($0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0) }
        if keys.contains(key) {
            throw PresetError("preset '\(reference)' refers back to itself (\((chain + [path]).joined(separator: " -> ")))", at: source)
        }
        guard chain.count < 16 else { throw PresetError("presets nested more than 16 deep", at: source) }
        do {
            return try load(path: path, chain: chain)
        } catch let error as PresetError where error.issues.count == 1 && error.issues[0].source == nil && source != nil {
            throw PresetError("preset \(error.issues[0].message)", at: source)
        }
    }
}

enum PresetFiles {
    /// The text of a preset or job file; a missing or unreadable file is one `PresetError`.
    static func read(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PresetError("'\(path)': no such file; check the path")
        }
        guard !isDirectory.boolValue else { throw PresetError("'\(path)' is a folder; give a .yaml file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PresetError("'\(path)': cannot read the file (permissions?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PresetError("'\(path)': not UTF-8 text; a preset is a YAML file")
        }
        return text
    }
}

// MARK: - Writing YAML

extension Preset {
    /// The preset as YAML that `load(path:)` reads back to the same values: `name` and
    /// `description` first, then the keys in the order of `PresetKey.allCases`. Paths are
    /// written relative to `directory` (the folder the file will be saved in) when given.
    public func yaml(relativeTo directory: String? = nil) -> String {
        var lines: [String] = []
        if let name { lines.append("name: \(Self.quoted(name))") }
        if let description { lines.append("description: \(Self.quoted(description))") }
        for key in PresetKey.allCases {
            guard let value = values[key] else { continue }
            lines.append("\(key.rawValue): \(Self.yamlText(value, relativeTo: directory))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `yaml(relativeTo:)` to `path` (relative paths made relative to its folder).
    public func save(to path: String) throws {
        let text = yaml(relativeTo: PresetPaths.directory(of: path))
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw PresetError("cannot write '\(path)': \(error.localizedDescription)")
        }
    }

    /// A value as typed on the command line: `25`, `3_1,4_1`, `16:240`, `512x384`, a path.
    public func flagText(_ key: PresetKey) -> String? { values[key]?.text }

    static func yamlText(_ value: PresetValue, relativeTo directory: String?) -> String {
        switch value {
        case .number(let v): return v.shortText
        case .integer(let n): return String(n)
        case .unsigned(let n): return String(n)
        case .flag(let b): return b ? "true" : "false"
        case .text(let t): return quoted(t)
        case .path(let p): return quoted(directory.map { PresetPaths.relative(p, to: $0) } ?? p)
        case .layers(let layers): return "[" + layers.map { "\($0.block)_\($0.indexInBlock)" }.joined(separator: ", ") + "]"
        case .size(let w, let h): return "\(w)x\(h)"
        case .range(let r): return "\"\(r.lowerBound.shortText):\(r.upperBound.shortText)\""
        case .counts(let counts): return "[" + counts.map(String.init).joined(separator: ", ") + "]"
        case .numbers(let values): return "[" + values.map(\.shortText).joined(separator: ", ") + "]"
        }
    }

    /// Plain when safe, else double-quoted with escapes.
    static func quoted(_ text: String) -> String {
        let plainSafe = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "._/-".contains($0) }
            && !["true", "false", "yes", "no", "on", "off", "null", "~"].contains(text.lowercased())
            && Double(text) == nil && !text.hasPrefix("-")
        if plainSafe { return text }
        var out = "\""
        for ch in text.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}
