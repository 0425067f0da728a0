import Foundation
import Net
import Patches

/// A job ready to render: the images read, the settings made, the output path.
public struct ResolvedJob: Sendable {
    public let name: String
    /// Every value (built-in defaults underneath).
    public let preset: Preset
    public var inputs: RenderInputs
    public var settings: RenderSettings
    public let output: String
    /// The files read, as named: style, content, maps (found beside their images or given),
    /// a seed image. The output may not be one of them.
    public let inputPaths: [String]
    public let allowUnmatched: Bool
    public let frames: String?
    public let saveEvery: Int
    public let printEvery: Int
    public let weights: String?
    /// Things the user should know before the render starts (one line each): inputs with
    /// transparent areas.
    public let notices: [String]
}

/// A job that cannot be resolved: the key at fault (for `file:line`) and one line.
public struct JobError: Error, Sendable, CustomStringConvertible {
    public let key: PresetKey?
    public let description: String
    public init(_ description: String, key: PresetKey? = nil) {
        self.key = key
        self.description = description
    }
}

extension RenderJob {
    /// Reads the inputs and makes the settings: built-in defaults < the job < `overrides`.
    /// Maps left out are looked for beside their images (STYLE + semantic-ext, and CONTENT's or
    /// OUTPUT's); `scale` multiplies the output size (or the default size). Throws `JobError`.
    public func resolve(overriding overrides: Preset? = nil) throws -> ResolvedJob {
        try ResolvedJob(name: name, preset: resolvedPreset(overriding: overrides))
    }
}

extension ResolvedJob {
    /// Reads the inputs `p` names with `reading` (a front end may hand over images it has
    /// already loaded) and makes the settings. Throws `JobError`.
    public init(name: String, preset p: Preset, reading: (String) throws -> Image = { try Image.read(from: $0) }) throws {
        guard let style = p.style else {
            throw JobError("no style painting: give --style FILE (style: in a preset)", key: .style)
        }
        guard let output = p.output else {
            throw JobError("no output: give --output OUT.png (output: in a preset)", key: .output)
        }
        var notices: [String] = []
        func read(_ path: String, _ key: PresetKey) throws -> Image {
            do {
                let image = try reading(path)
                if image.transparentShare > 0 {
                    notices.append(String(format: "'%@' is transparent in %.1f%% of its pixels: doodle paints them over white (flatten it on another colour to choose)",
                                          path, 100 * image.transparentShare))
                }
                return image
            } catch let error as ImageError {
                throw JobError(error.description, key: key)
            }
        }
        let palette: MapPalette?
        if let path = p.palette, !FileManager.default.fileExists(atPath: path) {
            throw JobError("palette '\(path)': no such file; give a class palette (YAML: class name to colour or label id)", key: .palette)
        }
        do {
            palette = try p.palette.map { try MapPalette.load(path: $0) }
        } catch let error as PresetError {
            throw JobError(error.issues.map(\.description).joined(separator: "; "), key: .palette)
        }
        /// A map as read, in the palette's colours when there is one.
        func readMap(_ path: String, _ key: PresetKey) throws -> Image {
            let map = try read(path, key)
            return try palette?.recoloured(map, name: path) ?? map
        }
        let semanticExt = p.semanticExt ?? "_sem.png"
        var paths = [style]
        let styleImage = try read(style, .style).rgb()
        var contentImage: Image? = nil
        if let content = p.content {
            paths.append(content)
            contentImage = try read(content, .content).rgb()
        }
        var inputs = RenderInputs(style: styleImage, content: contentImage)
        inputs.names.style = style
        if let content = p.content { inputs.names.content = content }
        if p.noMaps != true {
            let styleMapPath = p.styleMap ?? Self.existingBeside(style, ext: semanticExt)
            let targetImage = p.content ?? output
            let targetMapPath = p.map ?? Self.existingBeside(targetImage, ext: semanticExt)
            if let styleMapPath, let targetMapPath {
                inputs.styleMap = try readMap(styleMapPath, p.styleMap != nil ? .styleMap : .style)
                inputs.targetMap = try readMap(targetMapPath, p.map != nil ? .map : (p.content != nil ? .content : .output))
                inputs.names.styleMap = styleMapPath
                inputs.names.targetMap = targetMapPath
                paths += [styleMapPath, targetMapPath]
                // A black-and-white map given for a content image, beside a style map that was
                // only found, not given: a mask of the content, not a doodle for that map.
                if p.styleMap == nil, p.map != nil, p.content != nil, inputs.targetMap!.isBlackAndWhiteMask,
                   !inputs.styleMap!.isBlackAndWhiteMask {
                    notices.append("'\(targetMapPath)' is black and white: it is read as a mask of the content (white is painted, black kept), and the style's map '\(styleMapPath)' is not used; give --style-map to pair them instead")
                    inputs.styleMap = nil
                    paths.removeAll { $0 == styleMapPath }
                }
            } else if let given = p.styleMap ?? p.map {
                // A black-and-white map on one side only is a mask (see `Synthesis.validate`).
                let mask = try readMap(given, p.styleMap != nil ? .styleMap : .map)
                if mask.isBlackAndWhiteMask && (p.styleMap != nil || p.content != nil) {
                    if p.styleMap != nil {
                        (inputs.styleMap, inputs.names.styleMap) = (mask, given)
                    } else {
                        (inputs.targetMap, inputs.names.targetMap) = (mask, given)
                    }
                    paths.append(given)
                } else {
                    throw styleMapPath == nil
                        ? JobError("'\(given)' needs a style map too: give --style-map (style-map: in a preset; looked for '\(Self.besidePath(style, ext: semanticExt))')", key: .map)
                        : JobError("'\(given)' needs a target map too: give --map (map: in a preset; looked for '\(Self.besidePath(targetImage, ext: semanticExt))')", key: .styleMap)
                }
            }
        }

        // Size: the output size or the default one, times the scale.
        let scale = p.scaleApplies ? p.scale ?? 1 : 1
        if let size = p.outputSize {
            inputs.outputSize = (size.width, size.height)
        } else if inputs.mode == .texture {
            inputs.outputSize = (styleImage.width, styleImage.height)
        }
        if scale != 1 {
            let (w, h) = inputs.finalSize
            let scaled = (Int((Float(w) * scale).rounded()), Int((Float(h) * scale).rounded()))
            guard min(scaled.0, scaled.1) >= 16 else {
                throw JobError("scale \(scale.shortText) makes the result \(scaled.0)x\(scaled.1); it needs at least 16x16", key: .scale)
            }
            inputs.outputSize = scaled
        }

        var settings = p.renderSettings
        settings.withContent = inputs.content != nil
        switch p.seed ?? "auto" {
        case "auto": settings.seed = inputs.content != nil ? .content : .noise
        case "noise": settings.seed = .noise
        case "content":
            guard inputs.content != nil else {
                throw JobError("--seed content needs --content IMG; use --seed noise (seed: noise in a preset)", key: .seed)
            }
            settings.seed = .content
        case let file:
            guard FileManager.default.fileExists(atPath: file) else {
                throw JobError("--seed '\(file)': no such file; give auto, noise, content or an image file (seed: in a preset)", key: .seed)
            }
            paths.append(file)
            settings.seed = .image(try read(file, .seed))
        }

        // Each layer's patches need a 3x3 neighbourhood at the finest phase.
        let deepest = settings.deepestLayer(withContent: inputs.content != nil)
        let minimum = deepest.minimumSide
        let (w, h) = inputs.finalSize
        if min(w, h) < minimum {
            throw JobError("the result would be \(w)x\(h), too small for \(deepest) (at least \(minimum)x\(minimum)); give a larger output-size or scale",
                           key: p.outputSize != nil ? .outputSize : .scale)
        }
        if min(styleImage.width, styleImage.height) < minimum {
            throw JobError("'\(style)' is \(styleImage.width)x\(styleImage.height), too small for \(deepest) (at least \(minimum)x\(minimum))", key: .style)
        }

        self.name = name
        self.preset = p
        self.inputs = inputs
        self.settings = settings
        self.output = output
        self.inputPaths = paths
        self.allowUnmatched = p.allowUnmatched ?? false
        self.frames = p.frames
        self.saveEvery = p.saveEvery ?? 10
        self.printEvery = p.printEvery ?? 10
        self.weights = p.weights
        self.notices = notices
    }

    public static func besidePath(_ image: String, ext: String) -> String {
        URL(fileURLWithPath: image).deletingPathExtension().path + ext
    }

    /// NAME + ext beside `image` when it exists (named as short as the image was).
    public static func existingBeside(_ image: String, ext: String) -> String? {
        let candidate = besidePath(image, ext: ext)
        guard FileManager.default.fileExists(atPath: candidate) else { return nil }
        if image.hasPrefix("/") { return candidate }
        let dir = PresetPaths.directory(of: image)
        let file = (candidate as NSString).lastPathComponent
        return dir.isEmpty ? file : dir + "/" + file
    }

    /// Everything checked before a render starts: the output (`checkOutput`), and unless
    /// unmatched classes are allowed, `validate()`.
    public func checkReady(createOutputFolders: Bool) throws {
        try checkOutput(createFolders: createOutputFolders)
        if !allowUnmatched { try validate() }
    }

    /// The output's folder exists (or is created when `createFolders`), accepts a new file, and
    /// the output is not a folder nor one of the inputs.
    public func checkOutput(createFolders: Bool) throws {
        let dir = PresetPaths.directory(of: output)
        var isDir: ObjCBool = false
        if !dir.isEmpty && !(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) {
            guard createFolders, !FileManager.default.fileExists(atPath: dir) else {
                throw JobError("cannot write '\(output)': directory '\(dir)' does not exist", key: .output)
            }
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw JobError("cannot create the folder '\(dir)' for '\(output)': \(error.localizedDescription)", key: .output)
            }
        }
        if inputPaths.contains(where: { isSameFile($0, output) }) {
            throw JobError("refusing to write '\(output)': it is one of the inputs; choose another --output", key: .output)
        }
        // Found now, not after the render: a read-only folder, a name too long, a folder in the way.
        do { try Image.checkWritable(output) } catch {
            throw JobError("\(error)", key: .output)
        }
    }

    /// The checks `Synthesis` makes before it starts, without a network: map shapes, layers,
    /// and (unless `allowUnmatched`) that the style map has every class of the doodle.
    public func validate() throws {
        try Synthesis.validate(inputs, settings)
        _ = try Synthesis.guide(inputs, settings, allowUnmatched: allowUnmatched)
    }

    /// A digest of everything that decides the result's pixels: the contents of the input
    /// files, the size, every render setting. Equal fingerprints give equal PNGs (on the same
    /// machine and doodle build).
    public func fingerprint() throws -> String {
        var lines = ["doodle job fingerprint 2", "mode \(inputs.mode.rawValue)"]
        let (w, h) = inputs.finalSize
        lines.append("size \(w)x\(h)")
        func file(_ role: String, _ path: String?) throws {
            guard let path else { lines.append("\(role) none"); return }
            lines.append("\(role) \(try SHA256.hexDigest(ofFile: path))")
        }
        try file("style", inputs.names.style)
        try file("content", inputs.content != nil ? inputs.names.content : nil)
        try file("style-map", inputs.styleMap != nil ? inputs.names.styleMap : nil)
        try file("map", inputs.targetMap != nil ? inputs.names.targetMap : nil)
        // Only when given: fingerprints of jobs without a palette stay what they were.
        if let palette = preset.palette { try file("palette", palette) }
        lines += RenderParameters.fingerprintLines(settings)
        switch settings.seed {
        case .noise: lines.append("seed noise")
        case .content: lines.append("seed content")
        case .image: try file("seed", preset.seed)
        }
        // The engine's internal calibration: a result rendered under another is stale.
        lines.append("calibration content \(ContentLoss.scale.bitPattern) gram \(GramLoss.scale.bitPattern) smoothness \(Smoothness.scale.bitPattern) copy-limit \(VarietyPenalty.pieceLimit)")
        return SHA256.hexDigest(of: Array(lines.joined(separator: "\n").utf8))
    }
}

// MARK: - Checking job files

extension JobFile {
    /// Every problem of every job, without rendering: missing fields and files, unreadable
    /// images, sizes, map shapes, doodle classes the style map lacks, outputs written twice or
    /// over an input. Each issue carries the `file:line` of the key at fault (or of the job).
    public func check(overriding overrides: Preset? = nil) -> [PresetIssue] {
        var issues: [PresetIssue] = []
        var outputs: [String: (job: String, source: PresetSource?)] = [:]
        for job in jobs {
            let p = job.resolvedPreset(overriding: overrides)
            func at(_ key: PresetKey?) -> PresetSource? {
                guard let key, let source = p.sources[key], source.line != nil else { return job.source }
                return source
            }
            let prefix = jobs.count > 1 ? "job '\(job.name)': " : ""
            var missing = false
            for key in [PresetKey.style, .styleMap, .map, .content, .palette, .seed, .weights] {
                guard case .path(let path)? = p[key] else { continue }
                if !FileManager.default.fileExists(atPath: path) {
                    issues.append(PresetIssue("\(prefix)\(key.rawValue) '\(path)': no such file", at: at(key)))
                    missing = true
                }
            }
            if p.style == nil {
                issues.append(PresetIssue("\(prefix)no style: give style: PAINTING (the painting to borrow from)", at: job.source))
            }
            if let output = p.output {
                let id = PresetPaths.normalise(output.hasPrefix("/") ? output : FileManager.default.currentDirectoryPath + "/" + output)
                if let other = outputs[id] {
                    issues.append(PresetIssue("\(prefix)output '\(output)' is also written by job '\(other.job)'\(other.source?.line.map { " (line \($0))" } ?? ""); give each job its own output",
                                              at: at(.output)))
                } else {
                    outputs[id] = (job.name, at(.output))
                }
                // A folder `doodle run` would create is checked when it does; one that exists
                // must accept the file now.
                var isFolder: ObjCBool = false
                let folder = PresetPaths.directory(of: output)
                if FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isFolder), isFolder.boolValue {
                    do { try Image.checkWritable(output) } catch {
                        issues.append(PresetIssue(prefix + "\(error)", at: at(.output)))
                    }
                }
            } else {
                issues.append(PresetIssue("\(prefix)no output: give output: OUT.png", at: job.source))
            }
            guard !missing, p.style != nil, p.output != nil else { continue }
            let resolved: ResolvedJob
            do {
                resolved = try ResolvedJob(name: job.name, preset: p)
            } catch let error as JobError {
                issues.append(PresetIssue(prefix + error.description, at: at(error.key)))
                continue
            } catch {
                issues.append(PresetIssue(prefix + "\(error)", at: job.source))
                continue
            }
            if resolved.inputPaths.contains(where: { isSameFile($0, resolved.output) }) {
                issues.append(PresetIssue("\(prefix)output '\(resolved.output)' is one of the inputs; choose another output", at: at(.output)))
            }
            do {
                try resolved.validate()
            } catch let error as UnmatchedClassError {
                issues.append(PresetIssue(prefix + error.description, at: at(p.map != nil ? .map : .style)))
            } catch {
                issues.append(PresetIssue(prefix + "\(error)", at: at(p.styleMap != nil ? .styleMap : nil)))
            }
        }
        return issues
    }
}

/// Whether two paths name the same file (same absolute path, or the same inode).
public func isSameFile(_ a: String, _ b: String) -> Bool {
    let cwd = FileManager.default.currentDirectoryPath
    func absolute(_ p: String) -> String { PresetPaths.normalise(p.hasPrefix("/") ? p : cwd + "/" + p) }
    if absolute(a) == absolute(b) { return true }
    var sa = stat(), sb = stat()
    guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
}
