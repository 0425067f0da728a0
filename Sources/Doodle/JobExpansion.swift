import Foundation

// Globs in job files. A job whose `map:` or `content:` is a pattern (`maps/*.png`) stands for
// one job per matching file, in sorted order. `{name}` (the file's name without extension)
// and `{index}` (its 1-based position) name what differs between them in the other paths:
// `output: out/{name}.png`, `map: maps/{name}_sem.png` beside `content: frames/*.jpg`.

/// One glob of a job file and how many files it matched (for `doodle check`).
public struct JobGlob: Sendable, Equatable {
    public let pattern: String
    public let files: Int
    public init(pattern: String, files: Int) {
        self.pattern = pattern
        self.files = files
    }
}

enum JobExpansion {
    /// Keys whose value may be a glob (one per job).
    static let globKeys: [PresetKey] = [.map, .content]
    /// Keys whose value may name `{name}` and `{index}`.
    static let patternKeys: [PresetKey] = [.output, .map, .content, .styleMap, .seed, .frames]
    static let placeholders = ["{name}", "{index}"]

    /// The jobs `preset` stands for: itself without a glob, one per matching file with one.
    /// `name` is the job's own `name:` (nil: named after its output). Problems go to `issues`.
    static func expand(_ preset: Preset, name: String?, number: Int, source: PresetSource?,
                       globs: inout [JobGlob], issues: inout [PresetIssue]) -> [RenderJob] {
        func at(_ key: PresetKey) -> PresetSource? { preset.sources[key] ?? source }
        var found = false
        for key in patternKeys {
            guard case .path(let path)? = preset[key] else { continue }
            if let unknown = unknownPlaceholder(in: path) {
                issues.append(PresetIssue("\(key.rawValue) '\(path)': unknown placeholder \(unknown); use {name} (the matched file's name without extension) or {index}", at: at(key)))
                found = true
            }
        }
        if found { return [] }

        let globbed = globKeys.filter { key in
            if case .path(let path)? = preset[key] { return isGlob(path) }
            return false
        }
        guard let key = globbed.first else {
            for key in patternKeys {
                guard case .path(let path)? = preset[key], placeholders.contains(where: path.contains) else { continue }
                issues.append(PresetIssue("\(key.rawValue) '\(path)' uses {name} or {index}, but neither map: nor content: is a glob (like maps/*.png)", at: at(key)))
                found = true
            }
            return found ? [] : [job(preset, name: name ?? defaultName(preset, number: number), source: source)]
        }
        guard globbed.count == 1 else {
            issues.append(PresetIssue("map and content are both globs; give one and name the other with {name}, e.g. map: maps/{name}_sem.png", at: at(.content)))
            return []
        }
        guard case .path(let pattern)? = preset[key] else { return [] }
        let files = matches(of: pattern)
        globs.append(JobGlob(pattern: pattern, files: files.count))
        guard !files.isEmpty else {
            issues.append(PresetIssue("\(key.rawValue) '\(pattern)' matches no file", at: at(key)))
            return []
        }
        if files.count > 1, let output = preset.output, !placeholders.contains(where: output.contains) {
            issues.append(PresetIssue("output '\(output)' would be written by each of the \(files.count) files '\(pattern)' matches; put {name} in it, e.g. output: \(PresetPaths.directory(of: output).isEmpty ? "" : PresetPaths.directory(of: output) + "/"){name}.png", at: at(.output)))
            return []
        }
        return files.enumerated().map { offset, file in
            var expanded = preset
            let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            func fill(_ text: String) -> String {
                text.replacingOccurrences(of: "{name}", with: stem).replacingOccurrences(of: "{index}", with: "\(offset + 1)")
            }
            for other in patternKeys {
                guard case .path(let path)? = preset[other] else { continue }
                expanded.set(other, .path(other == key ? file : fill(path)), from: preset.sources[other])
            }
            let jobName: String
            if let name {
                jobName = placeholders.contains(where: name.contains) ? fill(name) : "\(name)/\(stem)"
            } else {
                jobName = defaultName(expanded, number: number)
            }
            return job(expanded, name: jobName, source: source)
        }
    }

    private static func job(_ preset: Preset, name: String, source: PresetSource?) -> RenderJob {
        var preset = preset
        preset.name = name
        return RenderJob(name: name, preset: preset, source: source)
    }

    /// A job without `name:` is named after its output file (`job N` without one).
    private static func defaultName(_ preset: Preset, number: Int) -> String {
        preset.output.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "job \(number)"
    }

    /// A path with `*`, `?` or `[` that is not itself a file.
    static func isGlob(_ path: String) -> Bool {
        path.contains(where: { "*?[".contains($0) }) && !FileManager.default.fileExists(atPath: path)
    }

    /// `{word}` in `path` other than `{name}` and `{index}`.
    static func unknownPlaceholder(in path: String) -> String? {
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { return nil }
            let word = String(rest[open...close])
            if !placeholders.contains(word), word.dropFirst().dropLast().allSatisfy({ $0.isLetter || $0 == "_" }) { return word }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }

    /// The regular files matching `pattern`, in byte order of their paths.
    static func matches(of pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var files: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            guard let cString = result.gl_pathv[i] else { continue }
            let path = String(cString: cString)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue { files.append(path) }
        }
        return files.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
