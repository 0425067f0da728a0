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
        """)

    @Argument(help: "The job file (YAML).") var file: String
    @Flag(help: "Render every job, also those whose output is up to date.") var force = false
    @Flag(help: "Print one JSON line per job and a summary line, instead of progress.") var json = false
    @Flag(inversion: .prefixedNo, help: "Score jobs with maps or a content image as `doodle score` does (default: with --json).")
    var score: Bool?
    @Option(help: "Run only the jobs with these names (comma-separated).") var only: String?
    @Option(help: "Weights file for every job (default: a job's weights:, else `doodle weights path`).") var weights: String?
    @Option(help: precisionHelp) var precision: PrecisionSetting = .auto

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

        let runner = JobRunner()
        runner.force = force
        runner.score = score ?? json
        runner.weightsPath = weights
        runner.precision = precision
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
        let seconds = results.reduce(0) { $0 + $1.seconds }
        if json {
            print(jsonLine(SummaryLine(jobs: count, done: done, skipped: skipped, failed: failed,
                                       notRun: count - results.count, seconds: seconds,
                                       scores: results.filter { $0.score != nil }.map { ScoreEntry(name: $0.name, score: $0.score!) })))
        } else {
            var line = String(format: "%d job%@: %d done, %d skipped, %d failed", count, count == 1 ? "" : "s", done, skipped, failed)
            if results.count < count { line += ", \(count - results.count) not run" }
            print(line + String(format: " (%.1f s)", seconds))
        }
        if results.last?.interrupted == true || interrupt?.raised == true { throw ExitCode(130) }
        if failed > 0 { throw ExitCode(1) }
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
    let jobs, done, skipped, failed, notRun: Int
    let seconds: Double
    let scores: [ScoreEntry]
    enum Key: String, CodingKey { case type, jobs, done, skipped, failed, notRun, seconds, scores }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode("summary", forKey: .type)
        try c.encode(jobs, forKey: .jobs)
        try c.encode(done, forKey: .done)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(failed, forKey: .failed)
        try c.encode(notRun, forKey: .notRun)
        try c.encode(round3(seconds), forKey: .seconds)
        try c.encode(scores, forKey: .scores)
    }
}
