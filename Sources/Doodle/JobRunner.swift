import Dispatch
import Foundation
import Net
import Patches

/// `doodle score`'s figures for a finished job, kept short: for a job with maps the
/// patch-class fraction per layer and the area-weighted ΔE; for a job with a content image
/// the structure similarity to it.
public struct JobScore: Codable, Sendable, Equatable {
    /// `conv3_1` -> fraction of patches whose nearest style patch has the doodle's class
    /// (empty without maps).
    public var layers: [String: Double]
    /// Area-weighted mean CIE76 ΔE of the region colours (nil without maps).
    public var deltaE: Double?
    /// Structure similarity to the content image (nil without one).
    public var structure: Double?

    public init(layers: [String: Double], deltaE: Double?, structure: Double? = nil) {
        self.layers = layers
        self.deltaE = deltaE
        self.structure = structure
    }

    enum CodingKeys: String, CodingKey { case layers, deltaE, structure }

    /// Without maps there are no class scores: `layers` is left out, not written empty.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !layers.isEmpty { try c.encode(layers, forKey: .layers) }
        try c.encodeIfPresent(deltaE, forKey: .deltaE)
        try c.encodeIfPresent(structure, forKey: .structure)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(layers: try c.decodeIfPresent([String: Double].self, forKey: .layers) ?? [:],
                  deltaE: try c.decodeIfPresent(Double.self, forKey: .deltaE),
                  structure: try c.decodeIfPresent(Double.self, forKey: .structure))
    }

    public init(_ score: DoodleScore?, content: ContentScore? = nil) {
        var layers: [String: Double] = [:]
        for l in score?.layers ?? [] { layers[l.layer.name] = (l.fraction * 10_000).rounded() / 10_000 }
        self.init(layers: layers, deltaE: score.map { $0.deltaE.isFinite ? ($0.deltaE * 100).rounded() / 100 : 0 },
                  structure: content.map { ($0.structure * 10_000).rounded() / 10_000 })
    }
}

/// What `doodle run` keeps beside a finished output, as `OUT.png.json`: the fingerprint of the
/// inputs and settings it was rendered from and the SHA-256 of the PNG written. A job whose
/// record matches (and whose PNG is unchanged) is up to date.
public struct JobRecord: Codable, Sendable, Equatable {
    public var format = 1
    /// `ResolvedJob.fingerprint()`.
    public var fingerprint: String
    /// SHA-256 of the PNG as written.
    public var outputSHA256: String
    public var seconds: Double
    public var score: JobScore?
    /// The resolved preset as YAML, for people.
    public var settings: String

    public init(fingerprint: String, outputSHA256: String, seconds: Double, score: JobScore?, settings: String) {
        self.fingerprint = fingerprint
        self.outputSHA256 = outputSHA256
        self.seconds = seconds
        self.score = score
        self.settings = settings
    }

    /// `OUT.png.json`.
    public static func path(for output: String) -> String { output + ".json" }

    /// The record beside `output`, or nil when there is none or it cannot be read.
    public static func read(for output: String) -> JobRecord? {
        guard let data = FileManager.default.contents(atPath: path(for: output)) else { return nil }
        return try? JSONDecoder().decode(JobRecord.self, from: data)
    }

    public func write(for output: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(for: output)), options: .atomic)
    }
}

/// The outcome of one job of `doodle run`.
public struct JobResult: Sendable {
    /// `busy`: another process holds the output's lock (`OutputLock`) and renders it.
    public enum Status: String, Sendable { case done, skipped, failed, busy }
    public var name: String
    public var status: Status
    public var seconds: Double
    public var output: String?
    /// Why it failed (one line).
    public var error: String?
    public var score: JobScore?
    /// Stopped by `shouldStop` (the image so far was written, no record).
    public var interrupted = false

    public init(name: String, status: Status, seconds: Double, output: String? = nil, error: String? = nil,
                score: JobScore? = nil, interrupted: Bool = false) {
        self.name = name
        self.status = status
        self.seconds = seconds
        self.output = output
        self.error = error
        self.score = score
        self.interrupted = interrupted
    }
}

/// What a render reports while it runs.
public enum JobEvent {
    /// The synthesis is set up; `phases` will run.
    case started(ResolvedJob, phases: Int)
    /// It goes on from an interrupted render's state (`ResumeState`).
    case resumed(ResumePoint)
    case synthesis(SynthesisEvent)
    /// Writing a frame failed (the render goes on; reported once).
    case frameFailed(Error)
}

/// Renders jobs one after another, sharing the network between them.
public final class JobRunner {
    /// Render even when the output is up to date.
    public var force = false
    /// Score doodle jobs (those with maps) after rendering (`doodle score`'s figures).
    public var score = false
    /// Weights file for every job (over the jobs' `weights`; default `WeightStore`'s).
    public var weightsPath: String?
    /// Create an output's missing folders (else a missing folder is an error).
    public var createOutputFolders = true
    /// Write `OUT.png.json` beside each finished output.
    public var writeRecords = true
    /// Claim each output with `OUT.png.lock` while rendering it, and leave an output another
    /// process has claimed to that process (`busy`).
    public var lockOutputs = true
    /// Refuse a render whose estimated peak memory exceeds this many bytes (the memory
    /// available is always a limit; see `ResolvedJob.checkMemory`).
    public var maxMemory: Int?
    /// The network's precision: `auto` measures once per CPU which is faster (see `PrecisionChoice`).
    public var precision: PrecisionSetting = .auto
    /// What `precision` resolved to, once a network was made.
    public private(set) var precisionChoice: PrecisionChoice?

    private var loadedWeights: [String: VGG19Weights] = [:]
    private var networks: [String: VGG19] = [:]

    public init() {}

    public struct Rendered {
        public let image: Image
        /// Stopped by `shouldStop`; the image so far was written (see `written`).
        public let stopped: Bool
        public let seconds: Double
        public let synthesis: Synthesis
        /// The PNG written: the output; for a stopped render whose output already existed,
        /// `Rendered.interruptedPath(for:)` beside it; nil when stopped before any evaluation.
        public let written: String?
        /// The job's output path.
        public let output: String
        /// Where a stopped render left its state for `--resume` (nil when it left none).
        public let state: String?

        /// What a stopped render wrote, for messages: "interrupted in phase 2/3 at iteration
        /// 14: wrote that image (upscaled from 128x96) to out.png".
        public var interruptionText: String {
            guard let written else { return "interrupted before the first iteration: nothing written" }
            var text = "interrupted"
            if let at = synthesis.stoppedAt {
                text += " in phase \(at.phase + 1)/\(at.phases) at iteration \(at.iteration)"
            }
            text += ": wrote that image"
            let (w, h) = synthesis.inputs.finalSize
            if image.width != w || image.height != h { text += " (upscaled from \(image.width)x\(image.height))" }
            text += " to \(written)"
            if written != output { text += " (\(output) is kept as it was)" }
            if let state { text += "; its state is in \(state): the same command with --resume (or doodle run) goes on from there" }
            return text
        }

        /// Where a stopped render goes when its output already holds an image: beside it,
        /// never over it (the finished image there may be better than a partial one).
        public static func interruptedPath(for output: String) -> String {
            let url = URL(fileURLWithPath: output)
            let stem = url.deletingPathExtension().lastPathComponent
            let folder = (output as NSString).deletingLastPathComponent
            let name = "\(stem).interrupted.png"
            return folder.isEmpty ? name : folder + "/" + name
        }
    }

    /// Checks the output, loads the network, renders and writes the PNG (also when stopped,
    /// at the requested size; see `Rendered.written`).
    /// Throws one-line errors (`JobError`, `ImageError`, `RenderError`, `UnmatchedClassError`...).
    public func render(_ job: ResolvedJob, resumingFrom resume: ResumePoint? = nil, events: (JobEvent) -> Void = { _ in },
                       shouldStop: () -> Bool = { false }) throws -> Rendered {
        try job.checkReady(createOutputFolders: createOutputFolders)
        try job.checkMemory(maxMemory: maxMemory)
        let network = try self.network(for: job.weights, pooling: job.settings.pooling)
        if let frames = job.frames {
            do {
                try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true)
            } catch {
                throw JobError("cannot create the frames folder '\(frames)': \(error.localizedDescription)", key: .frames)
            }
        }
        let synthesis = try Synthesis(network: network, inputs: job.inputs, settings: job.settings,
                                      allowUnmatched: job.allowUnmatched)
        let plan = synthesis.phasePlan()
        // A state of another plan (it cannot be, with the same fingerprint) is not used.
        let resume = resume.flatMap { $0.phases == plan.count ? $0 : nil }
        events(.started(job, phases: plan.count))
        if let resume { events(.resumed(resume)) }
        let start = DispatchTime.now().uptimeNanoseconds
        var frameFailed = false
        let (image, stopped) = synthesis.run(resumingFrom: resume, events: { event in
            if let frames = job.frames, case .iteration(let r) = event, r.iteration % job.saveEvery == 0, !frameFailed {
                let name = String(format: "%@/frame-p%d-i%03d.png", frames, r.phase.index + 1, r.iteration)
                do { try r.image.writePNG(to: name, protecting: job.inputPaths) } catch {
                    frameFailed = true
                    events(.frameFailed(error))
                }
            }
            events(.synthesis(event))
        }, shouldStop: shouldStop)
        if let failure = synthesis.failure { throw RenderError(failure) }
        var written: String? = nil
        var state: String? = nil
        if !stopped {
            try write(image, to: job.output, protecting: job.inputPaths)
            written = job.output
            try? FileManager.default.removeItem(atPath: ResumeState.path(for: job.output))
        } else if synthesis.evaluations > 0 || resume != nil {
            if let point = synthesis.resumePoint, let fingerprint = try? job.fingerprint(),
               (try? ResumeState(fingerprint: fingerprint, point: point).write(for: job.output)) != nil {
                state = ResumeState.path(for: job.output)
            }
            let (w, h) = job.inputs.finalSize
            let full = image.width == w && image.height == h ? image : image.resized(toWidth: w, height: h).clamped()
            let path = FileManager.default.fileExists(atPath: job.output) ? Rendered.interruptedPath(for: job.output) : job.output
            try write(full, to: path, protecting: job.inputPaths)
            written = path
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Rendered(image: image, stopped: stopped, seconds: seconds, synthesis: synthesis, written: written,
                        output: job.output, state: state)
    }

    /// The record beside the output when the output is up to date: the record's fingerprint is
    /// `fingerprint` and the PNG is the one it describes.
    public func upToDateRecord(_ job: ResolvedJob, fingerprint: String) -> JobRecord? {
        guard let record = JobRecord.read(for: job.output), record.format == 1, record.fingerprint == fingerprint,
              let sha = try? SHA256.hexDigest(ofFile: job.output), sha == record.outputSHA256 else { return nil }
        return record
    }

    /// Resolves, skips when up to date (unless `force`), renders, scores, records. Never
    /// throws: a failure is a `.failed` result with its message.
    public func run(_ job: RenderJob, overriding overrides: Preset? = nil, events: (JobEvent) -> Void = { _ in },
                    shouldStop: () -> Bool = { false }) -> JobResult {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let preset = job.resolvedPreset(overriding: overrides)
        let output = preset.output
        func failed(_ error: Error) -> JobResult {
            var message = Self.oneLine(error)
            // Where in the job file the value at fault was written.
            if let key = (error as? JobError)?.key,
               let source = [preset.sources[key], job.source].compactMap({ $0 }).first(where: { $0.line != nil }) {
                message = "\(source): \(message)"
            }
            return JobResult(name: job.name, status: .failed, seconds: elapsed(), output: output, error: message)
        }
        do {
            let resolved = try job.resolve(overriding: overrides)
            let fingerprint = try resolved.fingerprint()
            if !force, let record = upToDateRecord(resolved, fingerprint: fingerprint) {
                return JobResult(name: job.name, status: .skipped, seconds: elapsed(), output: resolved.output,
                                 score: record.score)
            }
            var lock: OutputLock? = nil
            if lockOutputs {
                try resolved.checkOutput(createFolders: createOutputFolders)
                switch try OutputLock.acquire(for: resolved.output) {
                case .held(let holder):
                    return JobResult(name: job.name, status: .busy, seconds: elapsed(), output: resolved.output,
                                     error: "being rendered by \(holder) (it holds '\(OutputLock.path(for: resolved.output))')")
                case .acquired(let claim):
                    lock = claim
                }
                // Finished by another process while this one looked.
                if !force, let record = upToDateRecord(resolved, fingerprint: fingerprint) {
                    lock?.release()
                    return JobResult(name: job.name, status: .skipped, seconds: elapsed(), output: resolved.output,
                                     score: record.score)
                }
            }
            defer { lock?.release() }
            // An interrupted render of this very job goes on; a state of other inputs or settings
            // is left to be replaced.
            let saved = (try? ResumeState.read(for: resolved.output)) ?? nil
            let resume = saved?.fingerprint == fingerprint ? saved?.point : nil
            let rendered = try render(resolved, resumingFrom: resume, events: events, shouldStop: shouldStop)
            if rendered.stopped {
                if rendered.written == resolved.output {
                    try? FileManager.default.removeItem(atPath: JobRecord.path(for: resolved.output))
                }
                return JobResult(name: job.name, status: .failed, seconds: elapsed(), output: resolved.output,
                                 error: rendered.interruptionText, interrupted: true)
            }
            var score: JobScore? = nil
            if self.score {
                // The PNG as written (8-bit), as `doodle score` would read it.
                let written = (try? Image.read(from: resolved.output)) ?? rendered.image.clamped()
                score = try scoreJob(written, resolved)
            }
            if writeRecords {
                let record = JobRecord(fingerprint: fingerprint, outputSHA256: try SHA256.hexDigest(ofFile: resolved.output),
                                       seconds: rendered.seconds, score: score,
                                       settings: resolved.preset.yaml(relativeTo: PresetPaths.directory(of: resolved.output)))
                do { try record.write(for: resolved.output) } catch {
                    throw JobError("cannot write '\(JobRecord.path(for: resolved.output))': \(error.localizedDescription)")
                }
            }
            return JobResult(name: job.name, status: .done, seconds: elapsed(), output: resolved.output, score: score)
        } catch {
            return failed(error)
        }
    }

    /// Writes the PNG; when that fails (the disk filled up during the render, the folder went
    /// away), saves it in the temporary folder instead and names it in the error, so that the
    /// render is not lost.
    private func write(_ image: Image, to path: String, protecting inputs: [String]) throws {
        do {
            try image.writePNG(to: path, protecting: inputs)
        } catch let error as ImageError where error.kind == .unwritable {
            let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent.prefix(100)
            let rescue = folder + "/\(stem)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36)).png"
            guard (try? image.writePNG(to: rescue)) != nil else { throw error }
            throw JobError("\(error.description); the image was saved to '\(rescue)' instead", key: .output)
        }
    }

    /// `doodle score`'s figures for a finished job: classes and colours when it has maps,
    /// structure when it has a content image; nil when it has neither (a texture).
    private func scoreJob(_ written: Image, _ resolved: ResolvedJob) throws -> JobScore? {
        let inputs = resolved.inputs
        var doodle: DoodleScore? = nil
        if let styleMap = inputs.styleMap, let targetMap = inputs.targetMap {
            let names = ScoreNames(output: resolved.output, style: inputs.names.style,
                                   styleMap: inputs.names.styleMap, targetMap: inputs.names.targetMap)
            if let scorer = try? DoodleScorer(output: written, style: inputs.style, styleMap: styleMap,
                                              targetMap: targetMap, names: names) {
                doodle = scorer.run(network: try network(for: resolved.weights, pooling: .average))
            }
        }
        let content = try inputs.content.map {
            ContentScorer.score(output: written, content: $0, network: try network(for: resolved.weights, pooling: .average))
        }
        guard doodle != nil || content != nil else { return nil }
        return JobScore(doodle, content: content)
    }

    /// The network for a weights file and pooling, loaded once, in the precision `precision`
    /// resolves to on this machine.
    public func network(for jobWeights: String?, pooling: Pooling2x2.Kind) throws -> VGG19 {
        let path = weightsPath ?? jobWeights ?? WeightStore().defaultWeightsPath
        let key = "\(pooling.rawValue) \(path)"
        if let network = networks[key] { return network }
        guard FileManager.default.fileExists(atPath: path) else {
            throw JobError("'\(path)': no weights file; run scripts/setup", key: .weights)
        }
        let weights = try loadedWeights[path] ?? VGG19Weights.load(path: path)
        loadedWeights[path] = weights
        let choice = try precisionChoice ?? PrecisionChoice.resolveChecked(precision, weights: weights,
                                                                          cacheDirectory: WeightStore().home)
        precisionChoice = choice
        let network = VGG19(weights: weights, pooling: pooling, precision: choice.precision)
        networks[key] = network
        return network
    }

    /// An error as one line (several lines joined with `; `).
    public static func oneLine(_ error: Error) -> String {
        "\(error)".split(separator: "\n").joined(separator: "; ")
    }
}
