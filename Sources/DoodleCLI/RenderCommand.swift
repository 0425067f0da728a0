import ArgumentParser
import Doodle
import Dispatch
import Foundation
import Net
import Patches

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Paint a doodle (or a content image, or a texture) in the style of a painting.",
        discussion: """
        The inputs decide the mode: style + style map + target map (doodle to artwork); add --content \
        for semantic style transfer; style + content without maps for plain style transfer; style alone \
        with --output-size for texture synthesis. A map left out is looked for beside its image as \
        NAME_sem.png (the doodle's beside --output). --preset takes its values from a built-in preset \
        or a YAML file (keys named like these flags, paths relative to the file); the flags given \
        override it: built-in defaults < preset < flags.
        """)

    @Option(help: "A built-in preset (\(Preset.builtinNames.joined(separator: ", "))) or a preset file (YAML); flags override it. See `doodle presets`.")
    var preset: String?
    @OptionGroup var flags: RenderFlags
    @Option(parsing: .unconditional, help: .parameter("print-every")) var printEvery: String?
    @Option(help: .parameter("frames")) var frames: String?
    @Option(parsing: .unconditional, help: .parameter("save-every")) var saveEvery: String?
    @Option(help: precisionHelp) var precision: PrecisionSetting = .auto
    @Option(help: maxMemoryHelp) var maxMemory: String?
    @Flag(help: "Go on from the state an interrupted render of the same inputs and settings left beside its output (OUT.png.doodle-state).")
    var resume = false
    @Flag(help: "Check everything and print the plan (each phase's size and the style's, the estimated peak memory) without rendering.")
    var dryRun = false

    func validate() throws {
        _ = try flagPreset()
        _ = try parsedMaxMemory(maxMemory)
    }

    /// The values given on the command line (and only those), checked like a preset's.
    func flagPreset() throws -> Preset {
        try FlagValues.preset(of: self).merged(over: flags.preset())
    }

    func run() throws {
        // Ctrl-C before the render starts (reading inputs, loading the network) ends at once:
        // nothing has been written.
        let interrupt = InterruptFlag(beforeStart: {
            FileHandle.standardError.write(Data("doodle: interrupted before rendering: nothing written\n".utf8))
            Foundation.exit(130)
        })
        let flags = try flagPreset()
        let base = try basePreset(preset)
        let job = try RenderJob(name: "render", preset: base).resolve(overriding: flags)
        for notice in job.notices { print("note: \(notice)") }
        if dryRun { return try printPlan(job) }
        let resumePoint = try resumePoint(job)
        let runner = JobRunner()
        runner.createOutputFolders = false
        runner.precision = precision
        runner.maxMemory = try parsedMaxMemory(maxMemory)

        let printEvery = LiveProgress.printEvery(job)
        var frameError: Error?
        let rendered = try runner.render(job, resumingFrom: resumePoint, events: { event in
            switch event {
            case .started(let job, let phases):
                // Ctrl-C stops the render (and writes what it has) once it runs.
                interrupt.started()
                let (w, h) = job.inputs.finalSize
                let seed: String
                switch job.settings.seed {
                case .noise: seed = "noise"
                case .content: seed = "the content"
                case .image: seed = "an image"
                }
                print("\(job.inputs.mode.rawValue): \(w)x\(h), \(job.settings.iterations.plan(phases: phases, of: job.settings.phases)), from \(seed)")
                if phases < job.settings.phases { print(droppedPhasesNote(job, kept: phases)) }
            case .resumed(let point):
                print("resuming from \(ResumeState.path(for: job.output)): phase \(point.phase + 1)/\(point.phases), after iteration \(point.iteration)")
            case .frameFailed(let error):
                frameError = error
            case .synthesis(let event):
                printSynthesisEvent(event, printEvery: printEvery)
            }
        }, shouldStop: { interrupt.raised })
        LiveProgress.clear()
        if let frameError { FileHandle.standardError.write(Data("doodle: frames: \(frameError)\n".utf8)) }
        if rendered.stopped {
            print(rendered.interruptionText)
            throw ExitCode(130)
        }
        print(String(format: "wrote %@ in %.1f s", job.output, rendered.seconds))
        let peak = SystemMemory.peakResidentBytes().map {
            "; peak memory \(SystemMemory.text($0)) (estimated \(SystemMemory.text(job.memoryEstimate.peak)))"
        } ?? ""
        print(stageLine(rendered.synthesis.timing, seconds: rendered.seconds)
              + "; precision \(runner.precisionChoice.map(\.networkText) ?? "?")" + peak)
    }
}

extension RenderCommand {
    /// With `--resume`, the state beside the output when it is this render's; without, a note
    /// that one is there.
    func resumePoint(_ job: ResolvedJob) throws -> ResumePoint? {
        let path = ResumeState.path(for: job.output)
        let state: ResumeState?
        do { state = try ResumeState.read(for: job.output) } catch let error as ResumeState.ReadError {
            guard resume else { return nil }
            throw UserError(error.description)
        }
        guard let state else {
            if resume { print("note: no \(path) to resume from: rendering from the start") }
            return nil
        }
        guard resume else {
            print("note: \(path) holds an interrupted render (phase \(state.point.phase + 1)/\(state.point.phases), iteration \(state.point.iteration)): add --resume to go on from it; this render starts afresh and replaces it")
            return nil
        }
        guard state.fingerprint == (try job.fingerprint()) else {
            throw UserError("\(path) was left by a render of other inputs or settings: give the flags it was started with, or render without --resume (which replaces it)")
        }
        return state.point
    }

    /// `--dry-run`: the checks a render makes before it starts, then its plan and estimate.
    func printPlan(_ job: ResolvedJob) throws {
        try job.checkReady(createOutputFolders: false)
        let estimate = job.memoryEstimate
        let (w, h) = job.inputs.finalSize
        let phases = estimate.phases.count
        print("\(job.inputs.mode.rawValue): \(w)x\(h), \(job.settings.iterations.plan(phases: phases, of: job.settings.phases))")
        if phases < job.settings.phases { print(droppedPhasesNote(job, kept: phases)) }
        for (index, phase) in estimate.phases.enumerated() {
            let size = phase.size
            print("phase \(index + 1)/\(phases): \(size.width)x\(size.height), style \(size.styleWidth)x\(size.styleHeight), "
                  + "about \(SystemMemory.text(phase.bytes))")
        }
        let available = SystemMemory.availableBytes().map { " (\(SystemMemory.text($0)) available)" } ?? ""
        print("peak memory about \(SystemMemory.text(estimate.peak))\(available); nothing rendered (--dry-run)")
        try job.checkMemory(maxMemory: try parsedMaxMemory(maxMemory))
    }
}

let maxMemoryHelp: ArgumentHelp = """
    Refuse to start a render whose estimated peak memory is over this, e.g. 2GB or 512MB (the memory \
    available is always a limit).
    """

/// `--max-memory`'s bytes; a ValidationError for text that is not a size.
func parsedMaxMemory(_ text: String?) throws -> Int? {
    guard let text else { return nil }
    guard let bytes = SystemMemory.parseSize(text) else {
        throw ValidationError("--max-memory '\(text)': give a size like 2GB or 512MB")
    }
    return bytes
}

/// Why a render runs fewer phases than asked: "2 coarse phases dropped: ...".
func droppedPhasesNote(_ job: ResolvedJob, kept: Int) -> String {
    let dropped = job.settings.phases - kept
    let settings = job.settings
    let deepest = settings.deepestLayer(withContent: job.inputs.content != nil)
    let (w, h) = job.inputs.finalSize
    let factor = 1 << (settings.phases - 1)
    let noun = dropped == 1 ? "coarse phase" : "coarse phases"
    return "\(dropped) \(noun) dropped: at 1/\(factor) the result (\(Int((Double(w) / Double(factor)).rounded()))x"
        + "\(Int((Double(h) / Double(factor)).rounded()))) or the style would be smaller than the \(deepest.minimumSide) pixels "
        + "each way \(deepest.name) needs; give a larger --output-size or fewer --phases"
}

let precisionHelp: ArgumentHelp = """
    Network precision: auto, fp32 or bf16. auto takes bf16 only where oneDNN has native bf16 kernels \
    and they measured faster (once per CPU, kept in DOODLE_HOME).
    """

/// Where a render's time went, e.g. `network 120.1 s (62%), matching 21.0 s (11%), ...`.
func stageLine(_ t: StageTiming, seconds: Double) -> String {
    let stages = [("network", t.network), ("matching", t.matching), ("losses", t.losses),
                  ("optimiser", t.optimiser), ("setup", t.setup)]
    return stages.map { name, value in
        String(format: "%@ %.1f s (%.0f%%)", name, value, 100 * value / max(seconds, 1e-9))
    }.joined(separator: ", ")
}

/// Progress of a render as `doodle render` prints it: at the end of each phase, where its
/// evaluations' time went.
/// On a terminal a live bar follows the evaluations (`LiveProgress`).
func printSynthesisEvent(_ event: SynthesisEvent, printEvery: Int) {
    LiveProgress.clear()
    switch event {
    case .phaseStarted(let p):
        PhaseTally.current = (0, StageTiming())
        print("phase \(p.index + 1)/\(p.count): \(p.width)x\(p.height), style \(p.styleWidth)x\(p.styleHeight)")
    case .iteration(let r):
        PhaseTally.current.evaluations += 1
        PhaseTally.current.timing = PhaseTally.current.timing + r.timing
        if printEvery > 0 && (r.iteration % printEvery == 0 || r.iteration == 1) { print(progressLine(r)) }
        LiveProgress.show(r)
    case .phaseFinished(let p, _):
        let (n, t) = PhaseTally.current
        print(String(format: "phase %d/%d done: %d evaluations: network %.1f s, matching %.1f s, losses %.1f s",
                     p.index + 1, p.count, n, t.network, t.matching, t.losses))
    case .settingsChanged(let text, let iteration):
        print("from iteration \(iteration): \(text)")
    }
}

/// The running phase's evaluations and their stages (the CLI prints one render at a time).
enum PhaseTally {
    nonisolated(unsafe) static var current = (evaluations: 0, timing: StageTiming())
}

func progressLine(_ r: IterationReport) -> String {
    let styles = r.losses.style.sorted { $0.key < $1.key }.map { String(format: "%@ %.4g", $0.key, $0.value) }
    var parts = ["phase \(r.phase.index + 1)/\(r.phase.count)", "iter \(r.iteration)/\(r.iterations)"]
    parts += styles
    if r.losses.content != 0 { parts.append(String(format: "content %.4g", r.losses.content)) }
    parts.append(String(format: "smooth %.4g", r.losses.smoothness))
    parts.append(String(format: "total %.4g", r.losses.total))
    parts.append(String(format: "%.2f s/it", r.secondsPerIteration))
    parts.append("eta \(formatDuration(r.eta))")
    return parts.joined(separator: "  ")
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}

/// Set by Ctrl-C (SIGINT) or SIGTERM: the render stops at the next evaluation and writes what
/// it has, and its state for `--resume`.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var beforeStart: (() -> Void)?
    private var sources: [DispatchSourceSignal] = []

    /// `beforeStart`, when given, runs (on a background queue) instead of setting the flag
    /// for a Ctrl-C that comes before `started()`.
    init(beforeStart: (() -> Void)? = nil) {
        self.beforeStart = beforeStart
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.raise() }
            source.resume()
            return source
        }
        // Dispatch's threads take the signals now; this thread renders.
        ComputeThread.shieldFromSignals()
    }

    /// From now on Ctrl-C sets the flag.
    func started() { lock.lock(); beforeStart = nil; lock.unlock() }

    var raised: Bool { lock.lock(); defer { lock.unlock() }; return value }
    private func raise() {
        lock.lock()
        let early = beforeStart
        value = true
        lock.unlock()
        early?()
    }
}

extension PrecisionChoice {
    /// "fp32 (Winograd from conv2_1)" or "bf16": what the network ran in.
    var networkText: String { precision == .fp32 ? "fp32 (Winograd from conv2_1)" : precision.rawValue }
}
