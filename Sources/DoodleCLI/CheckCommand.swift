import ArgumentParser
import Doodle
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check job and preset files without rendering.",
        discussion: """
        Reports, each on its own line as FILE:LINE: problem, on stderr: YAML syntax, unknown keys (with \
        the nearest known key), wrong types and out-of-range values, unknown presets, missing or \
        unreadable input files, maps whose shape is not their image's, doodle classes the style map \
        lacks, sizes too small for the layers, outputs written twice or over an input, globs that match \
        nothing (a globbed job is checked for every file it matches). A file with \
        neither style nor output is checked as a preset (for `doodle render --preset`). Exit code 0 when \
        every file is valid, 2 otherwise.
        """)

    @Argument(help: "Job or preset files (YAML).") var files: [String] = []

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give a file to check, e.g. doodle check samples/gallery.yaml") }
    }

    func run() throws {
        var problems = 0
        for file in files {
            let issues: [PresetIssue]
            var summary = ""
            do {
                let jobFile = try JobFile.load(path: file)
                if jobFile.jobs.count == 1, jobFile.jobs[0].preset.style == nil, jobFile.jobs[0].preset.output == nil {
                    issues = checkPresetFiles(jobFile.jobs[0].preset)
                    summary = "a preset (no style, no output)"
                } else {
                    issues = jobFile.check()
                    summary = jobFile.jobs.count == 1 ? "1 job" : "\(jobFile.jobs.count) jobs"
                    if !jobFile.globs.isEmpty {
                        summary += " (" + jobFile.globs.map { "\($0.pattern): \($0.files) file\($0.files == 1 ? "" : "s")" }
                            .joined(separator: ", ") + ")"
                    }
                }
            } catch let error as PresetError {
                issues = error.issues
            }
            for issue in issues { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
            problems += issues.count
            if issues.isEmpty { print("\(file): \(summary), valid") }
        }
        if problems > 0 { throw ExitCode(2) }
    }

    /// A preset's own paths must exist (a preset may leave the inputs out).
    private func checkPresetFiles(_ preset: Preset) -> [PresetIssue] {
        var issues: [PresetIssue] = []
        for key in [PresetKey.styleMap, .map, .content, .seed, .weights] {
            guard case .path(let path)? = preset[key], !FileManager.default.fileExists(atPath: path) else { continue }
            issues.append(PresetIssue("\(key.rawValue) '\(path)': no such file", at: preset.sources[key]))
        }
        return issues
    }
}
