import Foundation

/// One render to do: a name and its preset (without the built-in defaults underneath; see
/// `resolvedPreset`).
public struct RenderJob: Sendable {
    public var name: String
    /// The job's values: its own keys over its `preset:`, over the file's shared keys, over the
    /// file's `preset:`.
    public var preset: Preset
    /// Where the job starts in its file (for messages about the job as a whole).
    public var source: PresetSource?

    public init(name: String, preset: Preset, source: PresetSource? = nil) {
        self.name = name
        self.preset = preset
        self.source = source
    }

    /// Every value: built-in defaults < the job's preset < `overrides` (e.g. flags).
    public func resolvedPreset(overriding overrides: Preset? = nil) -> Preset {
        var p = preset.merged(over: .defaults)
        if let overrides { p = overrides.merged(over: p) }
        p.name = name
        return p
    }
}

/// A job file for `doodle run`: one job (the file is a preset with `style` and `output`), or
/// `jobs:`, a list of jobs that inherit the keys at the top of the file. A job whose `map:` or
/// `content:` is a glob is one job per matching file (see `JobExpansion`).
///
/// Layers, lowest first: built-in defaults, the top `preset:`, the top keys, the job's
/// `preset:`, the job's keys.
public struct JobFile: Sendable {
    public let path: String
    public var name: String?
    public var description: String?
    public var jobs: [RenderJob]
    /// The globs its jobs were expanded from (`map: maps/*.png`), in the file's order.
    public var globs: [JobGlob] = []

    /// Reads and checks the file (YAML, keys, types, ranges, named presets); throws
    /// `PresetError` with every problem found. Does not look at the input files: see `check`.
    public static func load(path: String) throws -> JobFile {
        try parse(yaml: PresetFiles.read(path), path: path)
    }

    /// `load` on text already read; `path` names the file in messages and is the folder
    /// relative paths are resolved against.
    public static func parse(yaml text: String, path: String) throws -> JobFile {
        var reader = PresetFileReader(file: path)
        guard let root = reader.root(text) else { throw PresetError(reader.issues) }
        let top = reader.layer(root, top: true)
        var issues = reader.issues

        func base(_ layer: PresetLayer) -> Preset? {
            guard let reference = layer.presetReference else { return Preset() }
            do {
                return try Preset.resolve(reference: reference.name, from: path, at: reference.source, chain: [path])
            } catch let error as PresetError {
                issues += error.issues
                return nil
            } catch {
                issues.append(PresetIssue("\(error)", at: reference.source))
                return nil
            }
        }

        var shared = top.preset
        shared.name = nil
        shared.description = nil
        shared = shared.merged(over: base(top) ?? Preset())
        let layers = top.jobs ?? [top]
        var jobs: [RenderJob] = []
        var globs: [JobGlob] = []
        for (index, layer) in layers.enumerated() {
            var own = top.jobs == nil ? shared : layer.preset.merged(over: base(layer) ?? Preset()).merged(over: shared)
            own.description = layer.preset.description
            jobs += JobExpansion.expand(own, name: layer.preset.name, number: index + 1, source: layer.source,
                                        globs: &globs, issues: &issues)
        }
        // Each palette once, with its problems at its own lines.
        var palettes = Set<String>()
        for job in jobs {
            guard let palette = job.preset.palette, palettes.insert(palette).inserted else { continue }
            guard FileManager.default.fileExists(atPath: palette) else {
                issues.append(PresetIssue("palette '\(palette)': no such file", at: job.preset.sources[.palette] ?? job.source))
                continue
            }
            do { _ = try MapPalette.load(path: palette) } catch let error as PresetError {
                issues += error.issues
            } catch {
                issues.append(PresetIssue("palette '\(palette)': \(error)", at: job.preset.sources[.palette]))
            }
        }
        guard issues.isEmpty else {
            // In the file's order (a named preset's own file after).
            let ordered = issues.enumerated().sorted { a, b in
                let (fa, fb) = (a.element.source?.file != path, b.element.source?.file != path)
                if fa != fb { return !fa }
                let (la, lb) = (a.element.source?.line ?? 0, b.element.source?.line ?? 0)
                return la != lb ? la < lb : a.offset < b.offset
            }
            throw PresetError(ordered.map(\.element))
        }
        return JobFile(path: path, name: top.preset.name, description: top.preset.description, jobs: jobs, globs: globs)
    }
}
