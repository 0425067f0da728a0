import Doodle
import Foundation

/// On a terminal, one line that redraws itself at every evaluation: the phase, a bar, the
/// iteration, the speed and the time left. Lines printed meanwhile go above it (`clear`
/// first). Piped output gets no bar, only the log lines.
enum LiveProgress {
    static let enabled = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    nonisolated(unsafe) private static var showing = false

    /// Redraws the bar for `r`.
    static func show(_ r: IterationReport) {
        guard enabled else { return }
        let width = 24
        let filled = width * min(r.iteration, r.iterations) / max(1, r.iterations)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = "phase \(r.phase.index + 1)/\(r.phase.count) [\(bar)] \(r.iteration)/\(r.iterations)  "
            + String(format: "%.2f s/it", r.secondsPerIteration) + "  eta \(formatDuration(r.eta))"
        print("\r\u{1B}[K" + text, terminator: "")
        fflush(stdout)
        showing = true
    }

    /// Removes the bar, so that the next line prints in its place.
    static func clear() {
        guard showing else { return }
        print("\r\u{1B}[K", terminator: "")
        fflush(stdout)
        showing = false
    }

    /// The log's interval: on a terminal the bar replaces the periodic lines unless the user
    /// asked for them (`--print-every`, `print-every:`); pipes keep them.
    static func printEvery(_ job: ResolvedJob) -> Int {
        let explicit = job.preset.sources[.printEvery] != Preset.defaults.sources[.printEvery]
        return enabled && !explicit ? 0 : job.printEvery
    }
}
