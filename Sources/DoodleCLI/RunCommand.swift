import ArgumentParser
import Doodle
import Foundation
import Net

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Render the jobs of a YAML job file in order, skipping those already up to date.",
        discussion: """
        A job file is one job (the keys of `doodle render` without dashes, e.g. style: monet.jpg, \
        output: out.png) or `jobs:`, a list of jobs that inherit the keys at the top of the file; \
        `preset: NAME|FILE` at the top or in a job lays a preset underneath (built-in defaults < top \
        preset < top keys < job preset < job keys). Relative paths are relative to the file's folder; \
        missing output folders are created. Beside each finished output doodle writes OUT.png.json with \
        a fingerprint of the inputs' contents and the settings: a job whose output still matches it is \
        skipped (--force renders it anyway). A failing job is reported and the others go on. Exit code: \
        0 when every job is done or skipped, 1 when any failed, 2 when the file is unreadable or invalid \
        (see `doodle check`).

        `map:` or `content:` may be a glob (maps/*.png): one job per matching file, in sorted order, \
        with {name} (the file's name without extension) and {index} in the other paths \
        (output: out/{name}.png). --shard K/N renders share K of N of the jobs, for N processes or \
        machines sharing a folder; without it the share comes from a Slurm job array \
        (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with --shards N). \
        While a job renders, OUT.png.lock claims its output: another process that reaches the same job \
        leaves it (status busy) instead of rendering it twice.
        """)

    @Argument(help: "The job file (YAML).") var file: String
    @Flag(help: "Render every job, also those whose output is up to date.") var force = false
    @Flag(help: "Print one JSON line per job and a summary line, instead of progress.") var json = false
    @Flag(inversion: .prefixedNo, help: "Score jobs with maps or a content image as `doodle score` does (default: with --json).")
    var score: Bool?
    @Option(help: "Run only the jobs with these names (comma-separated).") var only: String?
    @Option(help: "Weights file for every job (default: a job's weights:, else `doodle weights path`).") var weights: String?
    @Option(help: precisionHelp) var precision: PrecisionSetting = .auto
    @Option(help: "Render only share K of N of the jobs (K from 1: 1/2 and 2/2 are the two halves). Default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX when set.")
    var shard: String?
    @Option(help: "How many shards there are, with Kubernetes' JOB_COMPLETION_INDEX (default: DOODLE_SHARDS).")
    var shards: Int?
    @Flag(help: "List the jobs (name, inputs, output, whether up to date, estimated peak memory) without rendering.") var list = false
    @Option(help: maxMemoryHelp) var maxMemory: String?

    func validate() throws {
        _ = try parsedMaxMemory(maxMemory)
    }

    func run() throws {
        var jobFile: JobFile
        do {
            jobFile = try JobFile.load(path: file)
        } catch let error as PresetError {
            for issue in error.issues { FileHandle.standardError.write(Data("doodle: \(issue)\n".utf8)) }
            throw ExitCode(2)
        }
        if let only {
            let names = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let known = Set(jobFile.jobs.map(\.name))
            for name in names where !known.contains(name) {
                let hint = PresetValueParser.closest(to: name, among: Array(known)).map { "did you mean '\($0)'? " } ?? ""
                throw UserError("--only: '\(file)' has no job '\(name)'; \(hint)jobs: \(jobFile.jobs.map(\.name).joined(separator: ", "))")
            }
            jobFile.jobs = jobFile.jobs.filter { names.contains($0.name) }
        }

        let all = jobFile.jobs.count
        let share = try self.share()
        if let share {
            jobFile.jobs = jobFile.jobs.filter { share.contains($0.name) }
            if json {
                print(jsonLine(ShardLine(shard: share, jobs: jobFile.jobs.count, of: all)))
            } else {
                print("shard \(share) (\(share.origin)): \(jobFile.jobs.count) of \(all) job\(all == 1 ? "" : "s")")
            }
        }
        if list { return try listJobs(jobFile.jobs) }

        let runner = JobRunner()
        runner.force = force
        runner.score = score ?? json
        runner.weightsPath = weights
        runner.precision = precision
        runner.maxMemory = try parsedMaxMemory(maxMemory)
        var results: [JobResult] = []
        var interrupt: InterruptFlag? = nil
        let count = jobFile.jobs.count
        for (index, job) in jobFile.jobs.enumerated() {
            // Ctrl-C between two jobs: start no more.
            if interrupt?.raised == true { break }
            let tag = "[\(index + 1)/\(count)] \(job.name)"
            if !json { print(tag + (job.preset.output.map { ": \($0)" } ?? "")) }
            var printEvery = job.resolvedPreset().printEvery ?? 10
            let result = runner.run(job, events: { event in
                if interrupt == nil, case .started = event { interrupt = InterruptFlag() }
                guard !json else { return }
                switch event {
                case .started(let job, let phases):
                    printEvery = LiveProgress.printEvery(job)
                    for notice in job.notices { print("note: \(notice)") }
                    let (w, h) = job.inputs.finalSize
                    print("\(job.inputs.mode.rawValue): \(w)x\(h), \(job.settings.iterations.plan(phases: phases, of: job.settings.phases))")
                case .resumed(let point):
                    print("resuming from \(ResumeState.path(for: job.preset.output ?? "?")): phase \(point.phase + 1)/\(point.phases), after iteration \(point.iteration)")
                case .frameFailed(let error):
                    FileHandle.standardError.write(Data("doodle: \(job.name): frames: \(error)\n".utf8))
                case .synthesis(let event):
                    printSynthesisEvent(event, printEvery: printEvery)
                }
            }, shouldStop: { interrupt?.raised ?? false })
            LiveProgress.clear()
            results.append(result)
            if json {
                print(jsonLine(JobLine(result)))
            } else {
                switch result.status {
                case .done:
                    var line = String(format: "%@: done in %.1f s", tag, result.seconds)
                    if let s = result.score { line += "; " + scoreText(s) }
                    print(line)
                case .skipped:
                    print("\(tag): up to date, skipped (--force renders it again)")
                case .busy:
                    print("\(tag): \(result.error ?? "busy"); left to it")
                case .failed:
                    print("\(tag): failed")
                    FileHandle.standardError.write(Data("doodle: \(job.name): \(result.error ?? "failed")\n".utf8))
                }
            }
            if result.interrupted { break }
        }

        let done = results.filter { $0.status == .done }.count
        let skipped = results.filter { $0.status == .skipped }.count
        let failed = results.filter { $0.status == .failed }.count
        let busy = results.filter { $0.status == .busy }.count
        let seconds = results.reduce(0) { $0 + $1.seconds }
        if json {
            print(jsonLine(SummaryLine(jobs: count, done: done, skipped: skipped, failed: failed, busy: busy,
                                       notRun: count - results.count, seconds: seconds,
                                       scores: results.filter { $0.score != nil }.map { ScoreEntry(name: $0.name, score: $0.score!) })))
        } else {
            var line = String(format: "%d job%@: %d done, %d skipped, %d failed", count, count == 1 ? "" : "s", done, skipped, failed)
            if busy > 0 { line += ", \(busy) busy in another process" }
            if results.count < count { line += ", \(count - results.count) not run" }
            print(line + String(format: " (%.1f s)", seconds))
        }
        if results.last?.interrupted == true || interrupt?.raised == true { throw ExitCode(130) }
        if failed > 0 { throw ExitCode(1) }
    }
}

extension RunCommand {
    /// `--shard`, else the scheduler's variables, else all jobs (nil).
    func share() throws -> JobShard? {
        do {
            if let shards, shards < 1 { throw JobError("--shards \(shards): give at least 1") }
            if let shard { return try JobShard.parse(shard) }
            return try JobShard.fromEnvironment(ProcessInfo.processInfo.environment, shards: shards)
        } catch let error as JobError {
            throw UserError(error.description)
        }
    }

    /// `--list`: each job's name, inputs, output and state, without rendering.
    func listJobs(_ jobs: [RenderJob]) throws {
        let runner = JobRunner()
        for job in jobs {
            let entry = JobListing(job, runner: runner, force: force)
            if json {
                print(jsonLine(entry))
            } else {
                let inputs = entry.inputs.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("\(job.name): \(entry.output ?? "no output") \u{2190} \(inputs)")
                print("  \(entry.stateText)")
            }
        }
    }
}

/// One job of `doodle run --list`: `{"type":"job","name":...,"inputs":{"style":...},"output":...,"state":"to-render|up-to-date|busy|invalid","error":...}`.
private struct JobListing: Encodable {
    let name: String
    let inputs: [(key: String, value: String)]
    let output: String?
    let state: String
    let detail: String?
    /// Estimated peak memory in bytes (nil when the job cannot be resolved).
    let peakBytes: Int?

    init(_ job: RenderJob, runner: JobRunner, force: Bool) {
        name = job.name
        let p = job.resolvedPreset()
        let roles: [(String, String?)] = [("style", p.style), ("style-map", p.styleMap), ("content", p.content), ("map", p.map)]
        inputs = roles.compactMap { role, path in path.map { (role, $0) } }
        output = p.output
        let resolved = Result { try job.resolve() }
        peakBytes = try? resolved.get().memoryEstimate.peak
        do {
            let resolved = try resolved.get()
            if let holder = OutputLock.holder(for: resolved.output) {
                (state, detail) = ("busy", "being rendered by \(holder)")
            } else if !force, runner.upToDateRecord(resolved, fingerprint: try resolved.fingerprint()) != nil {
                (state, detail) = ("up-to-date", nil)
            } else {
                (state, detail) = ("to-render", nil)
            }
        } catch {
            (state, detail) = ("invalid", JobRunner.oneLine(error))
        }
    }

    var stateText: String {
        switch state {
        case "up-to-date": return "up to date (run skips it)"
        case "to-render": return "to render" + (peakBytes.map { ", peak memory about \(SystemMemory.text($0))" } ?? "")
        case "busy": return detail ?? "busy"
        default: return "cannot run: " + (detail ?? "?")
        }
    }

    enum Key: String, CodingKey { case type, name, inputs, output, state, error, peakBytes }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode("job", forKey: .type)
        try c.encode(name, forKey: .name)
        try c.encode(Dictionary(uniqueKeysWithValues: inputs.map { ($0.key, $0.value) }), forKey: .inputs)
        try c.encode(output, forKey: .output)
        try c.encode(state, forKey: .state)
        try c.encode(detail, forKey: .error)
        try c.encodeIfPresent(peakBytes, forKey: .peakBytes)
    }
}

/// `{"type":"shard","shard":1,"shards":2,"origin":"--shard","jobs":3,"of":6}`.
private struct ShardLine: Encodable {
    let shard: JobShard
    let jobs, of: Int
    enum Key: String, CodingKey { case type, shard, shards, origin, jobs, of }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode("shard", forKey: .type)
        try c.encode(shard.index, forKey: .shard)
        try c.encode(shard.count, forKey: .shards)
        try c.encode(shard.origin, forKey: .origin)
        try c.encode(jobs, forKey: .jobs)
        try c.encode(of, forKey: .of)
    }
}

private func scoreText(_ s: JobScore) -> String {
    let layers = s.layers.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }
    let deltaE = s.deltaE.map { [String(format: "ΔE %.1f", $0)] } ?? []
    let structure = s.structure.map { [String(format: "structure %.3f", $0)] } ?? []
    return "score " + (layers + deltaE + structure).joined(separator: ", ")
}

private func jsonLine<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
}

private func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

/// `{"type":"job","name":...,"status":"done|skipped|failed","seconds":1.234,"output":...,"error":null,"score":{...}}`.
private struct JobLine: Encodable {
    let result: JobResult
    init(_ result: JobResult) { self.result = result }
    enum Key: String, CodingKey { case type, name, status, seconds, output, error, score }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode("job", forKey: .type)
        try c.encode(result.name, forKey: .name)
        try c.encode(result.status.rawValue, forKey: .status)
        try c.encode(round3(result.seconds), forKey: .seconds)
        try c.encode(result.output, forKey: .output)
        try c.encode(result.error, forKey: .error)
        try c.encodeIfPresent(result.score, forKey: .score)
    }
}

private struct ScoreEntry: Encodable {
    let name: String
    let score: JobScore
    enum Key: String, CodingKey { case name, layers, deltaE, structure }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(name, forKey: .name)
        if !score.layers.isEmpty { try c.encode(score.layers, forKey: .layers) }
        try c.encodeIfPresent(score.deltaE, forKey: .deltaE)
        try c.encodeIfPresent(score.structure, forKey: .structure)
    }
}

/// `{"type":"summary","jobs":3,"done":1,"skipped":1,"failed":1,"notRun":0,"seconds":...,"scores":[...]}`.
private struct SummaryLine: Encodable {
    let jobs, done, skipped, failed, busy, notRun: Int
    let seconds: Double
    let scores: [ScoreEntry]
    enum Key: String, CodingKey { case type, jobs, done, skipped, failed, busy, notRun, seconds, scores }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode("summary", forKey: .type)
        try c.encode(jobs, forKey: .jobs)
        try c.encode(done, forKey: .done)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(failed, forKey: .failed)
        try c.encode(busy, forKey: .busy)
        try c.encode(notRun, forKey: .notRun)
        try c.encode(round3(seconds), forKey: .seconds)
        try c.encode(scores, forKey: .scores)
    }
}
