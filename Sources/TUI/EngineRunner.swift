import Doodle
import Foundation
import Net
import Patches

/// What a run reports to the studio (on the runner's thread; the inbox carries it to the UI).
public enum RunnerEvent: Sendable {
    /// A setup step ("loading VGG19 weights").
    case preparing(String)
    /// The engine accepted the inputs: this many phases (too small ones are dropped).
    case started(phases: Int, width: Int, height: Int)
    case phaseStarted(PhaseInfo)
    case iteration(IterationReport)
    case phaseFinished(PhaseInfo, Image)
    /// Settings changed by `adjust` took effect (the engine's `.settingsChanged`).
    case settingsChanged(String, fromIteration: Int)
    /// The engine is waiting before its next evaluation.
    case paused
    case resumed
    case finished(Image, stopped: Bool, evaluations: Int, seconds: Double)
    case failed(String)
}

extension RunnerEvent {
    /// The studio's form of an engine event.
    public init(_ event: SynthesisEvent) {
        switch event {
        case .phaseStarted(let p): self = .phaseStarted(p)
        case .iteration(let r): self = .iteration(r)
        case .phaseFinished(let p, let image): self = .phaseFinished(p, image)
        case .settingsChanged(let text, let iteration): self = .settingsChanged(text, fromIteration: iteration)
        }
    }
}

/// Everything a run needs.
public struct RunRequest: Sendable {
    public var inputs: RenderInputs
    public var settings: RenderSettings
    public var allowUnmatched: Bool
    public var weightsPath: String
    public init(inputs: RenderInputs, settings: RenderSettings, allowUnmatched: Bool, weightsPath: String) {
        self.inputs = inputs
        self.settings = settings
        self.allowUnmatched = allowUnmatched
        self.weightsPath = weightsPath
    }
}

/// A run the studio can steer. All calls come from the UI thread and return at once.
public protocol RenderRun: AnyObject {
    func start()
    func pause()
    func resume()
    func stop()
    /// New settings; the live ones take effect (`Synthesis.adjust`).
    func adjust(_ settings: RenderSettings)
}

/// Makes a run that reports through `post`.
public typealias RenderRunFactory = (RunRequest, @escaping @Sendable (RunnerEvent) -> Void) -> RenderRun

/// Messages for the UI loop: engine events and the results of background work.
public enum StudioMessage: Sendable {
    case runner(run: Int, RunnerEvent)
    case written(path: String, final: Bool, detail: String, error: String?)
    case weightsLoaded(seconds: Double)
    case weightsFailed(String)
    /// The image under the file chooser's cursor.
    /// A file chooser's preview: a small copy of the image and the file's size, or why not.
    case preview(path: String, image: Image?, size: (width: Int, height: Int)?, error: String?)
    /// A map made of the content image for the paint screen (`i`), in the style map's colours,
    /// with the pairing of its classes; or why not.
    case paintMapMade(map: Image?, pairs: [String], error: String?)
}

/// Makes a map of a photo as `doodle map from-image` does (`classes`: how many; nil chooses),
/// with the weights at `weightsPath`. Called off the UI thread.
public typealias MapMaker = @Sendable (_ image: Image, _ classes: Int?, _ weightsPath: String) throws -> Image

/// A locked queue from any thread to the UI loop, which drains it between key presses.
public final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [StudioMessage] = []
    public init() {}

    public func post(_ message: StudioMessage) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    public func drain() -> [StudioMessage] {
        lock.lock()
        defer { lock.unlock() }
        let out = messages
        messages.removeAll(keepingCapacity: true)
        return out
    }
}

/// VGG19 loaded once and kept: one network per pooling kind (a network is used by one run at
/// a time; the studio runs one at a time).
public final class NetworkCache: @unchecked Sendable {
    private let lock = NSLock()
    private var weights: (path: String, value: VGG19Weights)?
    private var networks: [String: VGG19] = [:]
    public init() {}

    public var isLoaded: Bool { lock.lock(); defer { lock.unlock() }; return weights != nil }

    /// Loads the weights if needed (blocking; other callers wait).
    public func network(weightsPath: String, pooling: Pooling2x2.Kind) throws -> VGG19 {
        lock.lock()
        defer { lock.unlock() }
        if weights?.path != weightsPath {
            guard FileManager.default.fileExists(atPath: weightsPath) else {
                throw RenderError("'\(weightsPath)': no weights file; run scripts/setup")
            }
            weights = (weightsPath, try VGG19Weights.load(path: weightsPath))
            networks = [:]
        }
        if let n = networks[pooling.rawValue] { return n }
        let choice: PrecisionChoice
        do {
            choice = try PrecisionChoice.resolveChecked(.auto, weights: weights!.value, cacheDirectory: WeightStore().home)
        } catch {
            throw RenderError("\(error)")
        }
        let n = VGG19(weights: weights!.value, pooling: pooling, precision: choice.precision)
        networks[pooling.rawValue] = n
        return n
    }
}

/// The real engine on its own thread. Pause makes `shouldStop` wait on a condition (the UI
/// keeps answering); stop makes it return true, and the engine returns its image at once.
public final class EngineRunner: RenderRun, @unchecked Sendable {
    private let request: RunRequest
    private let networks: NetworkCache
    private let post: @Sendable (RunnerEvent) -> Void
    private let condition = NSCondition()
    private var paused = false
    private var stopRequested = false
    /// Time spent paused in this run (not counted in its seconds).
    private var pausedNanoseconds: UInt64 = 0
    private var synthesis: Synthesis?
    private var latestSettings: RenderSettings

    public init(request: RunRequest, networks: NetworkCache, post: @escaping @Sendable (RunnerEvent) -> Void) {
        self.request = request
        self.networks = networks
        self.post = post
        latestSettings = request.settings
    }

    public func start() {
        let thread = Thread { [self] in main() }
        thread.name = "doodle-engine"
        thread.stackSize = 16 << 20
        thread.start()
    }

    public func pause() {
        condition.lock(); paused = true; condition.unlock()
    }

    public func resume() {
        condition.lock(); paused = false; condition.broadcast(); condition.unlock()
    }

    public func stop() {
        condition.lock(); stopRequested = true; condition.broadcast(); condition.unlock()
    }

    public func adjust(_ settings: RenderSettings) {
        condition.lock()
        latestSettings = settings
        let running = synthesis
        condition.unlock()
        running?.adjust { $0 = settings }
    }

    private func main() {
        ComputeThread.shieldFromSignals()  // the UI thread takes Ctrl-C and resizes
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            if !networks.isLoaded { post(.preparing("loading the VGG19 weights")) }
            let network = try networks.network(weightsPath: request.weightsPath, pooling: request.settings.pooling)
            condition.lock()
            let settings = latestSettings
            condition.unlock()
            let synthesis = try Synthesis(network: network, inputs: request.inputs, settings: settings,
                                          allowUnmatched: request.allowUnmatched)
            let plan = synthesis.phasePlan()
            guard let last = plan.last else {
                let deepest = settings.deepestLayer(withContent: request.inputs.content != nil)
                let (w, h) = request.inputs.finalSize
                throw RenderError("\(w)x\(h) is too small for \(deepest.name): the output and the style need at least \(deepest.minimumSide) pixels each way")
            }
            condition.lock()
            self.synthesis = synthesis
            let changed = latestSettings != settings
            condition.unlock()
            if changed { adjust(latestSettings) }
            post(.started(phases: plan.count, width: last.width, height: last.height))
            let result = synthesis.run(events: { [post] event in post(RunnerEvent(event)) },
                                       shouldStop: { [self] in checkpoint() })
            condition.lock()
            let paused = pausedNanoseconds
            condition.unlock()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start - paused) / 1e9
            if let failure = synthesis.failure { throw RenderError(failure) }
            post(.finished(result.image, stopped: result.stopped, evaluations: synthesis.evaluations, seconds: seconds))
        } catch {
            post(.failed("\(error)"))
        }
    }

    /// Before each evaluation: waits while paused; true when asked to stop.
    private func checkpoint() -> Bool {
        condition.lock()
        guard paused && !stopRequested else {
            let stop = stopRequested
            condition.unlock()
            return stop
        }
        condition.unlock()
        post(.paused)
        let pauseStart = DispatchTime.now().uptimeNanoseconds
        condition.lock()
        while paused && !stopRequested { condition.wait() }
        let stop = stopRequested
        pausedNanoseconds += DispatchTime.now().uptimeNanoseconds - pauseStart
        condition.unlock()
        if !stop { post(.resumed) }
        return stop
    }
}
