import Doodle
import Foundation
import Net
import Patches

/// The whole studio as plain state: inputs, parameters, the run, the log, what is on screen
/// and what the keys do. The terminal layer only draws it and feeds it keys and messages.
public final class StudioModel {
    public enum Pane: Int, CaseIterable, Sendable {
        case inputs, parameters, run
        public var title: String {
            switch self {
            case .inputs: return "Inputs"
            case .parameters: return "Parameters"
            case .run: return "Run"
            }
        }
    }

    public enum RunState: Equatable, Sendable {
        case idle, starting, running, pausing, paused, stopping, writing, finished, failed
        /// A run that is under way (its thread lives).
        public var isActive: Bool { [.starting, .running, .pausing, .paused, .stopping].contains(self) }
    }

    public enum Tone: Sendable { case info, success, warning, error, prompt }

    public struct Status: Sendable { public let text: String; public let tone: Tone }

    public struct LogLine: Sendable {
        public let time: Date
        public let text: String
        public let tone: Tone
    }

    public static let minimumWidth = 80
    public static let minimumHeight = 24

    // MARK: State

    public let configuration: StudioConfiguration
    public private(set) var pane: Pane = .inputs
    public private(set) var showingHelp = false
    public private(set) var confirmingQuit = false
    /// Set when the studio should end, with the exit status.
    public private(set) var exitStatus: Int32?
    public private(set) var status: Status?
    public private(set) var log: [LogLine] = []
    /// Lines scrolled up from the newest in the log view.
    public private(set) var logScroll = 0

    public private(set) var inputs: [InputSlot: InputFile] = [:]
    public private(set) var selectedSlot: InputSlot = .style
    public private(set) var legend = MapLegend(styleMap: nil, targetMap: nil)
    public private(set) var browser: FileBrowser?
    public private(set) var browserSlot: InputSlot?
    public private(set) var recent: RecentFolders
    /// The image under the browser's cursor, once loaded.
    public private(set) var preview: (path: String, image: Image?, error: String?)?

    public private(set) var parameters: ParameterEditor
    /// The text being typed for the selected parameter, if any.
    public private(set) var editBuffer: String?

    public private(set) var runState: RunState = .idle
    public private(set) var runNumber = 0
    public private(set) var runStart: Date?
    public private(set) var runMode: RenderInputs.Mode?
    public private(set) var runSize: (width: Int, height: Int)?
    public private(set) var plannedPhases = 0
    public private(set) var phase: PhaseProgress?
    public private(set) var lastReport: IterationProgress?
    /// Total loss of every evaluation of this run (all phases), for the sparkline.
    public private(set) var lossHistory: [Double] = []
    /// The image being optimised (the latest evaluation), or the finished one.
    public private(set) var currentImage: Image?
    /// Changes with `currentImage` (for caches).
    public private(set) var imageVersion = 0
    public private(set) var lastWritten: String?
    public private(set) var finishedSeconds: Double?
    /// The last run was stopped before its end (s).
    public private(set) var runWasStopped = false
    /// Bumped by every change: the view redraws when it moves.
    public private(set) var revision = 0

    /// The terminal's size, set by the view (keys are not acted on below the minimum).
    public var screenSize = (width: 100, height: 30) { didSet { revision += 1 } }
    public var isTooSmall: Bool { screenSize.width < Self.minimumWidth || screenSize.height < Self.minimumHeight }

    private let inbox: Inbox
    private let makeRun: RenderRunFactory
    private var run: RenderRun?
    private var inputPathsOfRun: [String] = []
    private let writeQueue = DispatchQueue(label: "doodle.tui.write")
    private let previewLoader: PreviewLoader
    private var previewCache: [String: (image: Image?, error: String?)] = [:]
    private var versionCounter = 0

    public init(configuration: StudioConfiguration, inbox: Inbox, makeRun: @escaping RenderRunFactory) {
        self.configuration = configuration
        self.inbox = inbox
        self.makeRun = makeRun
        previewLoader = PreviewLoader(inbox: inbox)
        // The chooser opens where the given inputs are (the first of these), else here.
        let inputFolders = [configuration.style, configuration.content, configuration.targetMap, configuration.styleMap]
            .compactMap { $0 }.map { (FileBrowser.absolute($0) as NSString).deletingLastPathComponent }
        recent = RecentFolders(folders: inputFolders + [configuration.startDirectory], storePath: configuration.recentFoldersPath)
        parameters = ParameterEditor(settings: configuration.settings, outputSize: configuration.outputSize,
                                     output: configuration.output, seed: configuration.seed,
                                     allowUnmatched: configuration.allowUnmatched)
        for notice in configuration.notices { note(notice, .warning); setStatus(notice, .warning) }
        loadConfiguredInputs()
        if !FileManager.default.fileExists(atPath: configuration.weightsPath) {
            note("no VGG19 weights at '\(configuration.weightsPath)': runs need them (scripts/setup fetches them)", .warning)
        }
    }

    // MARK: - Messages from other threads

    /// Applies everything waiting in the inbox; true if there was anything.
    @discardableResult
    public func drainInbox() -> Bool {
        let messages = inbox.drain()
        for m in messages { receive(m) }
        return !messages.isEmpty
    }

    public func receive(_ message: StudioMessage) {
        revision += 1
        switch message {
        case .runner(let number, let event):
            guard number == runNumber else { return }
            receive(event)
        case .written(let path, let final, let detail, let error):
            if let error {
                note("could not write: \(error)", .error)
                setStatus("could not write '\(path)': \(error)", .error)
                if final { runState = .finished }
                return
            }
            lastWritten = path
            if final {
                runState = .finished
                note("\(detail): wrote \(path)", .success)
                setStatus("\(detail): wrote \(path)", .success)
            } else {
                note("wrote the current image (\(detail)) to \(path)", .success)
                setStatus("wrote \(path) (\(detail))", .success)
            }
        case .weightsLoaded(let seconds):
            note(String(format: "VGG19 weights loaded (%.1f s)", seconds), .info)
        case .weightsFailed(let error):
            note("VGG19 weights: \(error)", .warning)
        case .preview(let path, let image, let error):
            previewCache[path] = (image, error)
            if previewCache.count > 32 { previewCache.removeAll() ; previewCache[path] = (image, error) }
            if browser?.selectedEntry?.path == path { preview = (path, image, error) }
        }
    }

    private func receive(_ event: RunnerEvent) {
        switch event {
        case .preparing(let text):
            note(text, .info)
        case .started(let phases, let width, let height):
            plannedPhases = phases
            runSize = (width, height)
            if runState == .starting { runState = .running }
            if status?.text.hasPrefix("starting run") == true {
                setStatus("run \(runNumber) running: space pauses, s stops (the image so far is written), w writes it now", .info)
            }
            let asked = parameters.settings.phases
            if phases < asked {
                note("\(asked - phases) of \(asked) phases dropped: too small for the deepest layer", .warning)
            }
        case .phaseStarted(let p):
            phase = p
            if runState == .starting { runState = .running }
            note("phase \(p.index + 1)/\(p.count): \(p.width)x\(p.height), style \(p.styleWidth)x\(p.styleHeight)", .info)
        case .iteration(let report):
            lastReport = report
            phase = report.phase
            lossHistory.append(report.total)
            currentImage = report.image
            imageVersion += 1
        case .phaseFinished(let p, let image):
            currentImage = image
            imageVersion += 1
            note("phase \(p.index + 1)/\(p.count) done", .info)
        case .settingsChanged(let text, let iteration):
            note("from iteration \(iteration): \(text)", .success)
        case .paused:
            if runState == .pausing { runState = .paused }
            note("paused\(lastReport.map { " after iteration \($0.iteration)" } ?? ""); space resumes", .info)
            setStatus("paused: space resumes, s stops and writes, w writes the current image", .info)
        case .resumed:
            if runState == .paused || runState == .pausing { runState = .running }
            note("resumed", .info)
        case .finished(let image, let stopped, let evaluations, let seconds):
            run = nil
            finishedSeconds = seconds
            runWasStopped = stopped
            if stopped && lastReport == nil {
                runState = .finished
                note("stopped before the first iteration: nothing written", .warning)
                setStatus("stopped before the first iteration: nothing written", .warning)
                return
            }
            currentImage = image
            imageVersion += 1
            runState = .writing
            let where_ = lastReport.map { "phase \($0.phase.index + 1)/\($0.phase.count), iteration \($0.iteration)" } ?? ""
            let detail = stopped
                ? "stopped at \(where_)"
                : String(format: "finished: %d iterations in %.1f s", evaluations, seconds)
            write(image, final: true, detail: detail)
        case .failed(let message):
            run = nil
            runState = .failed
            note("run failed: \(message)", .error)
            setStatus(message, .error)
        }
    }

    // MARK: - Keys

    public func handle(_ key: Key) {
        revision += 1
        if key == .interrupt { interrupt(); return }
        if confirmingQuit {
            confirmingQuit = false
            if key == .char("y") || key == .char("Y") { quit(status: 0) } else { setStatus("still running", .info) }
            return
        }
        if isTooSmall {
            if key == .char("q") { requestQuit() }
            return
        }
        if showingHelp {
            showingHelp = false
            return
        }
        if editBuffer != nil { handleEditing(key); return }
        if browser != nil { handleBrowser(key); return }

        switch key {
        case .tab: switchPane(Pane(rawValue: (pane.rawValue + 1) % Pane.allCases.count)!); return
        case .backTab: switchPane(Pane(rawValue: (pane.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!); return
        case .char("1"): switchPane(.inputs); return
        case .char("2"): switchPane(.parameters); return
        case .char("3"): switchPane(.run); return
        case .char("?"): showingHelp = true; return
        case .char("q"): requestQuit(); return
        case .char("r"): startRun(); return
        case .char(" "): togglePause(); return
        case .char("s"): stopRun(); return
        case .char("w"): writeNow(); return
        case .escape: status = nil; return
        default: break
        }
        switch pane {
        case .inputs: handleInputs(key)
        case .parameters: handleParameters(key)
        case .run: handleRun(key)
        }
    }

    public func switchPane(_ p: Pane) {
        revision += 1
        pane = p
    }

    private func interrupt() {
        if confirmingQuit || !runState.isActive { quit(status: 130); return }
        confirmingQuit = true
        setStatus("A run is going. Quit and lose it? y or Ctrl-C quits, any other key keeps it running", .prompt)
    }

    /// q: quits, asking first while a run is going.
    public func requestQuit() {
        revision += 1
        if runState.isActive {
            confirmingQuit = true
            setStatus("A run is going. Quit and lose it? y quits, any other key keeps it running", .prompt)
        } else {
            quit(status: 0)
        }
    }

    private func quit(status code: Int32) {
        run?.stop()
        exitStatus = code
    }

    /// Waits for PNG writes in flight (before the process ends).
    public func waitForWrites() {
        writeQueue.sync {}
    }

    // MARK: Inputs pane

    /// Grid of the Inputs pane: images on the left, maps on the right.
    public static let slotGrid: [[InputSlot]] = [[.style, .styleMap], [.content, .targetMap]]

    private func handleInputs(_ key: Key) {
        let row = Self.slotGrid.firstIndex { $0.contains(selectedSlot) }!
        let column = Self.slotGrid[row].firstIndex(of: selectedSlot)!
        switch key {
        case .up: selectedSlot = Self.slotGrid[0][column]
        case .down: selectedSlot = Self.slotGrid[1][column]
        case .left: selectedSlot = Self.slotGrid[row][0]
        case .right: selectedSlot = Self.slotGrid[row][1]
        case .enter, .char("o"): openBrowser(for: selectedSlot)
        case .char("x"), .delete, .backspace: clear(selectedSlot)
        default: break
        }
    }

    public func select(_ slot: InputSlot) {
        revision += 1
        selectedSlot = slot
    }

    public func openBrowser(for slot: InputSlot) {
        revision += 1
        guard !runState.isActive else {
            setStatus("the inputs are fixed while a run is going; stop it first (s)", .error)
            return
        }
        let start: String
        if let path = inputs[slot]?.path {
            start = (FileBrowser.absolute(path) as NSString).deletingLastPathComponent
        } else {
            start = recent.folders.first ?? configuration.startDirectory
        }
        var b = FileBrowser(directory: start, recent: recent)
        if let path = inputs[slot]?.path {
            let name = (path as NSString).lastPathComponent
            if let i = b.visible.firstIndex(where: { $0.name == name }) { b.moveSelection(by: i) }
        }
        browser = b
        browserSlot = slot
        preview = nil
        updatePreview()
    }

    public func clear(_ slot: InputSlot) {
        revision += 1
        guard !runState.isActive else {
            setStatus("the inputs are fixed while a run is going; stop it first (s)", .error)
            return
        }
        guard inputs[slot] != nil else { return }
        inputs[slot] = nil
        inputsChanged()
        setStatus("\(slot.title) cleared", .info)
    }

    /// Puts a file in a slot (as the chooser does); images get their map from beside them
    /// (NAME_sem.png) when that slot is empty.
    public func choose(_ path: String, for slot: InputSlot) {
        revision += 1
        let shown = Self.displayPath(path)
        let file = load(shown, note: nil)
        inputs[slot] = file
        if let error = file.error { setStatus(error, .error) } else { setStatus("\(slot.title): \(shown)", .success) }
        if !configuration.noMaps {
            let mapSlot: InputSlot? = slot == .style ? .styleMap : slot == .content ? .targetMap : nil
            if let mapSlot {
                let beside = besidePath(shown)
                let current = inputs[mapSlot]
                if current == nil || current?.note != nil {
                    if FileManager.default.fileExists(atPath: beside) {
                        inputs[mapSlot] = load(beside, note: "found beside \((shown as NSString).lastPathComponent)")
                        note("\(mapSlot.title): \(beside) (found beside \(shown))", .info)
                    } else if current != nil {
                        inputs[mapSlot] = nil
                    }
                }
            }
        }
        inputsChanged()
    }

    private func loadConfiguredInputs() {
        let c = configuration
        if let s = c.style { inputs[.style] = load(s, note: nil) }
        if let s = c.content { inputs[.content] = load(s, note: nil) }
        if !c.noMaps {
            if let s = c.styleMap {
                inputs[.styleMap] = load(s, note: nil)
            } else if let style = c.style, FileManager.default.fileExists(atPath: besidePath(style)) {
                inputs[.styleMap] = load(besidePath(style), note: "found beside \((style as NSString).lastPathComponent)")
            }
            if let s = c.targetMap {
                inputs[.targetMap] = load(s, note: nil)
            } else {
                let base = c.content ?? c.output
                if FileManager.default.fileExists(atPath: besidePath(base)) {
                    inputs[.targetMap] = load(besidePath(base), note: "found beside \((base as NSString).lastPathComponent)")
                }
            }
        }
        for slot in InputSlot.allCases {
            if let file = inputs[slot], let error = file.error { note(error, .error); setStatus(error, .error) }
        }
        inputsChanged()
    }

    private func load(_ path: String, note: String?) -> InputFile {
        versionCounter += 1
        return InputFile.load(path, note: note, version: versionCounter)
    }

    private func inputsChanged() {
        legend = MapLegend(styleMap: inputs[.styleMap]?.image, styleName: inputs[.styleMap]?.path ?? "style map",
                           targetMap: inputs[.targetMap]?.image, targetName: inputs[.targetMap]?.path ?? "target map")
        parameters.automaticSize = automaticSize
    }

    /// The size "auto" stands for: the content's, the target map's, or the style's.
    public var automaticSize: (width: Int, height: Int)? {
        for slot in [InputSlot.content, .targetMap, .style] {
            if let image = inputs[slot]?.image { return (image.width, image.height) }
        }
        return nil
    }

    /// The mode the chosen inputs give.
    public var mode: RenderInputs.Mode? {
        guard let style = inputs[.style]?.image else { return nil }
        var r = RenderInputs(style: style, content: inputs[.content]?.image)
        if let a = inputs[.styleMap]?.image, let b = inputs[.targetMap]?.image { r.styleMap = a; r.targetMap = b }
        return r.mode
    }

    /// Problems with the inputs that stop a run from starting (the Inputs pane lists them).
    public var inputProblems: [String] {
        var problems: [String] = []
        if inputs[.style] == nil { problems.append("choose a style image (the painting whose brushwork to use)") }
        for slot in InputSlot.allCases {
            if let error = inputs[slot]?.error { problems.append("\(slot.title): \(error)") }
        }
        let hasStyleMap = inputs[.styleMap]?.image != nil, hasTarget = inputs[.targetMap]?.image != nil
        if hasStyleMap && !hasTarget && inputs[.targetMap]?.error == nil {
            problems.append("a style map needs a target map (the doodle); choose one or clear the style map")
        }
        if hasTarget && !hasStyleMap && inputs[.styleMap]?.error == nil {
            problems.append("a target map needs a style map; choose one or clear the target map")
        }
        if let map = inputs[.styleMap]?.image, let image = inputs[.style]?.image, !Self.sameShape(map, image) {
            problems.append("the style map is \(map.width)x\(map.height) but the style image is \(image.width)x\(image.height); a map must have its image's shape")
        }
        if let map = inputs[.targetMap]?.image, let image = inputs[.content]?.image, !Self.sameShape(map, image) {
            problems.append("the target map is \(map.width)x\(map.height) but the content image is \(image.width)x\(image.height); a map must have its image's shape")
        }
        return problems
    }

    static func sameShape(_ a: Image, _ b: Image) -> Bool {
        abs((Double(a.width) / Double(a.height)) / (Double(b.width) / Double(b.height)) - 1) < 0.03
    }

    private func besidePath(_ image: String) -> String {
        ((image as NSString).deletingPathExtension) + configuration.semanticSuffix
    }

    /// Relative to the working directory when inside it.
    public static func displayPath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let absolute = FileBrowser.absolute(path)
        if absolute.hasPrefix(cwd + "/") { return String(absolute.dropFirst(cwd.count + 1)) }
        return path
    }

    // MARK: File chooser

    private func handleBrowser(_ key: Key) {
        guard var b = browser else { return }
        var outcome = FileBrowser.Outcome.none
        switch key {
        case .escape:
            if !b.query.isEmpty { b.clearQuery() } else if b.showingRecent { b.toggleRecent() } else {
                browser = nil
                browserSlot = nil
                preview = nil
                setStatus("no file chosen", .info)
                return
            }
        case .up: b.moveSelection(by: -1)
        case .down: b.moveSelection(by: 1)
        case .pageUp: b.moveSelection(by: -10)
        case .pageDown: b.moveSelection(by: 10)
        case .home: b.selectFirst()
        case .end: b.selectLast()
        case .left: if !b.showingRecent { b.goUp() }
        case .right: outcome = b.enterSelected()
        case .backspace, .delete: b.backspace()
        case .enter: outcome = b.activate()
        case .tab, .control("r"): b.toggleRecent()
        case .char(let c): b.type(c)
        default: break
        }
        browser = b
        if let message = b.message { setStatus(message, .error) }
        if case .picked(let path) = outcome, let slot = browserSlot {
            recent = b.recent
            browser = nil
            browserSlot = nil
            preview = nil
            choose(path, for: slot)
            return
        }
        updatePreview()
    }

    private func updatePreview() {
        guard let entry = browser?.selectedEntry, !entry.isDirectory, browser?.showingRecent == false else {
            preview = nil
            return
        }
        if preview?.path == entry.path { return }
        if let cached = previewCache[entry.path] {
            preview = (entry.path, cached.image, cached.error)
        } else {
            preview = (entry.path, nil, nil)
            previewLoader.request(entry.path)
        }
    }

    // MARK: Parameters pane

    private func handleParameters(_ key: Key) {
        let id = parameters.selected.id
        switch key {
        case .up: parameters.moveSelection(by: -1)
        case .down: parameters.moveSelection(by: 1)
        case .home: parameters.moveSelection(by: -parameters.parameters.count)
        case .end: parameters.moveSelection(by: parameters.parameters.count)
        case .left, .char("-"): edit(id) { try $0.step(id, by: -1) }
        case .right, .char("+"), .char("="): edit(id) { try $0.step(id, by: 1) }
        case .shiftLeft, .pageDown, .char("_"): edit(id) { try $0.step(id, by: -1, big: true) }
        case .shiftRight, .pageUp: edit(id) { try $0.step(id, by: 1, big: true) }
        case .enter:
            if let refusal = lockedReason(id) { setStatus(refusal, .error); return }
            editBuffer = parameters.editText(id)
            setStatus("type \(parameters[id].label) (\(parameters.rangeDescription(id))); Enter sets it, Esc cancels", .prompt)
        case .char("d"): edit(id) { $0.reset(id) }
        default: break
        }
    }

    private func handleEditing(_ key: Key) {
        guard var buffer = editBuffer else { return }
        let id = parameters.selected.id
        switch key {
        case .escape:
            editBuffer = nil
            setStatus("\(parameters[id].label) unchanged", .info)
        case .enter:
            var refused: String?
            edit(id) { editor in
                do { return try editor.set(id, typed: buffer) } catch let r as ParameterRefusal { refused = r.reason; throw r }
            }
            if refused == nil { editBuffer = nil }
        case .backspace, .delete:
            if !buffer.isEmpty { buffer.removeLast() }
            editBuffer = buffer
        case .control("u"):
            editBuffer = ""
        case .char(let c):
            buffer.append(c)
            editBuffer = buffer
        default: break
        }
    }

    /// Why `id` cannot change now, if it cannot.
    private func lockedReason(_ id: ParameterID) -> String? {
        guard runState.isActive, parameters[id].liveness == .nextRun else { return nil }
        return "\(parameters[id].label) cannot change during a run; stop it first (s). Live now: content, style and semantic weight, smoothness, variety, output"
    }

    /// Applies one edit: refused while a run is going for next-run parameters; live ones are
    /// passed to the running engine.
    public func edit(_ id: ParameterID, _ change: (inout ParameterEditor) throws -> ParameterChange) {
        revision += 1
        if let refusal = lockedReason(id) { setStatus(refusal, .error); return }
        do {
            var editor = parameters
            let result = try change(&editor)
            parameters = editor
            guard result.old != result.new else { setStatus("\(result.label) unchanged (\(result.new))", .info); return }
            let p = parameters[id]
            if runState.isActive, let run, p.liveness == .nextEvaluation || p.liveness == .nextPhase {
                run.adjust(parameters.settings)
                let when = p.liveness == .nextPhase ? "the next phase" : "the next evaluation"
                note("\(result): asked; takes effect at \(when)", .info)
                setStatus("\(result): takes effect at \(when)", .success)
            } else if runState.isActive && id == .output {
                setStatus("\(result): this run will write there", .success)
            } else {
                setStatus(result.description, .success)
            }
        } catch let refusal as ParameterRefusal {
            setStatus(refusal.reason, .error)
        } catch {
            setStatus("\(error)", .error)
        }
    }

    // MARK: Run pane

    private func handleRun(_ key: Key) {
        switch key {
        case .up: logScroll = min(max(0, log.count - 1), logScroll + 1)
        case .down: logScroll = max(0, logScroll - 1)
        case .pageUp: logScroll = min(max(0, log.count - 1), logScroll + 10)
        case .pageDown: logScroll = max(0, logScroll - 10)
        case .end: logScroll = 0
        case .home: logScroll = max(0, log.count - 1)
        default: break
        }
    }

    // MARK: - Run control

    /// r: checks everything, then starts the engine on its own thread.
    public func startRun() {
        revision += 1
        if runState.isActive { setStatus("a run is already going (s stops it, space pauses)", .error); return }
        if let problem = inputProblems.first { setStatus("cannot start: \(problem)", .error); switchPane(.inputs); return }
        guard let style = inputs[.style]?.image else { return }
        let settingsBase = parameters.settings
        var settings = settingsBase
        let seedChoice = parameters.seedChoice
        if seedChoice == "content" && inputs[.content]?.image == nil {
            setStatus("cannot start: seed 'content' needs a content image; choose one or set seed to noise", .error)
            return
        }
        if seedChoice != "noise" && seedChoice != "content" {
            do { settings.seed = .image(try Image.read(from: seedChoice)) } catch {
                setStatus("cannot start: seed: \(error)", .error)
                return
            }
        }
        let output = parameters.output
        do { try ParameterEditor.checkOutputPath(output) } catch let r as ParameterRefusal {
            setStatus("cannot start: \(r.reason)", .error)
            return
        } catch {}
        let paths = InputSlot.allCases.compactMap { inputs[$0]?.path }
        if let clash = paths.first(where: { Self.sameFile($0, output) }) {
            setStatus("cannot start: the output '\(output)' is the input '\(clash)'; choose another output", .error)
            return
        }
        if !legend.missing.isEmpty && !parameters.allowUnmatched {
            let list = legend.missing.map { "\($0.hex) (\($0.name), \($0.percent))" }.joined(separator: ", ")
            let one = legend.missing.count == 1
            setStatus("cannot start: the target map has \(one ? "a class" : "classes") the style map lacks: \(list); paint \(one ? "it" : "them") in the style map, or set 'unmatched classes' to allow", .error)
            return
        }
        var renderInputs = RenderInputs(style: style.rgb(), content: inputs[.content]?.image?.rgb())
        renderInputs.names.style = inputs[.style]!.path
        if let c = inputs[.content] { renderInputs.names.content = c.path }
        if let a = inputs[.styleMap], let b = inputs[.targetMap], let ai = a.image, let bi = b.image {
            renderInputs.styleMap = ai
            renderInputs.targetMap = bi
            renderInputs.names.styleMap = a.path
            renderInputs.names.targetMap = b.path
        }
        if let size = parameters.outputSize {
            renderInputs.outputSize = size
        } else if renderInputs.mode == .texture {
            renderInputs.outputSize = (style.width, style.height)
        }
        let (w, h) = renderInputs.finalSize
        if let problem = Self.sizeProblem(inputs: renderInputs, settings: settings) {
            setStatus("cannot start: \(problem)", .error)
            return
        }

        runNumber += 1
        let number = runNumber
        runState = .starting
        runStart = Date()
        runMode = renderInputs.mode
        runSize = (w, h)
        plannedPhases = settings.phases
        phase = nil
        lastReport = nil
        lossHistory = []
        finishedSeconds = nil
        runWasStopped = false
        logScroll = 0
        inputPathsOfRun = paths
        note("run \(number): \(renderInputs.mode.rawValue), \(w)x\(h), \(settings.phases) phase\(settings.phases == 1 ? "" : "s") x \(settings.iterations) iterations -> \(output)", .info)
        setStatus("starting run \(number): space pauses, s stops, w writes the current image", .info)
        let inbox = self.inbox
        let request = RunRequest(inputs: renderInputs, settings: settings, allowUnmatched: parameters.allowUnmatched,
                                 weightsPath: configuration.weightsPath)
        let run = makeRun(request) { event in inbox.post(.runner(run: number, event)) }
        self.run = run
        switchPane(.run)
        run.start()
    }

    /// space: pause or resume (the engine pauses before its next evaluation).
    public func togglePause() {
        revision += 1
        switch runState {
        case .starting, .running:
            run?.pause()
            runState = .pausing
            setStatus("pausing after this iteration…", .info)
        case .pausing, .paused:
            run?.resume()
            if runState == .pausing { runState = .running; setStatus("resumed", .info) }
        default:
            setStatus("no run to pause; r starts one", .info)
        }
    }

    /// s: stop; the image so far is written.
    public func stopRun() {
        revision += 1
        guard runState.isActive, runState != .stopping else {
            setStatus(runState == .stopping ? "stopping…" : "no run to stop; r starts one", .info)
            return
        }
        run?.stop()
        runState = .stopping
        note("stop asked", .info)
        setStatus("stopping after this iteration; the image so far will be written", .info)
    }

    /// w: writes the current image to the output now.
    public func writeNow() {
        revision += 1
        guard let image = currentImage else {
            setStatus(runState.isActive ? "nothing to write yet: no iteration has finished" : "nothing to write: r starts a run", .info)
            return
        }
        let output = parameters.output
        do { try ParameterEditor.checkOutputPath(output) } catch let r as ParameterRefusal {
            setStatus("cannot write: \(r.reason)", .error)
            return
        } catch {}
        let detail = lastReport.map { "phase \($0.phase.index + 1)/\($0.phase.count), iteration \($0.iteration)" } ?? "the last image"
        write(image, final: false, detail: detail)
    }

    private func write(_ image: Image, final: Bool, detail: String) {
        let path = parameters.output
        let protected = inputPathsOfRun.isEmpty ? InputSlot.allCases.compactMap { inputs[$0]?.path } : inputPathsOfRun
        let inbox = self.inbox
        writeQueue.async {
            do {
                try image.clamped().writePNG(to: path, protecting: protected)
                inbox.post(.written(path: path, final: final, detail: detail, error: nil))
            } catch {
                inbox.post(.written(path: path, final: final, detail: detail, error: "\(error)"))
            }
        }
    }

    /// Why the output is too small for the deepest layer, if it is.
    static func sizeProblem(inputs: RenderInputs, settings: RenderSettings) -> String? {
        let deepest = (settings.styleLayers + (inputs.content != nil ? settings.contentLayers : [])).max() ?? .conv1_1
        let minimum = deepest.stride * 3
        let (w, h) = inputs.finalSize
        if min(w, h) < minimum {
            return "\(w)x\(h) is too small for \(deepest.name): the output needs at least \(minimum) pixels each way"
        }
        if min(inputs.style.width, inputs.style.height) < minimum {
            return "the style image is too small for \(deepest.name): it needs at least \(minimum) pixels each way"
        }
        return nil
    }

    static func sameFile(_ a: String, _ b: String) -> Bool {
        let ra = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
        let rb = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
        return ra == rb
    }

    // MARK: - Log and status

    public func note(_ text: String, _ tone: Tone = .info) {
        revision += 1
        log.append(LogLine(time: Date(), text: text, tone: tone))
        if log.count > 2000 { log.removeFirst(log.count - 2000) }
        if logScroll > 0 { logScroll = min(logScroll + 1, log.count - 1) }
    }

    public func setStatus(_ text: String, _ tone: Tone) {
        revision += 1
        status = Status(text: text, tone: tone)
    }

    /// One line for the title bar: "running · phase 1/3 · iteration 12/100 · ETA 2m05s".
    public var runSummary: String {
        var parts: [String] = []
        switch runState {
        case .idle: return "idle"
        case .starting: parts.append("starting")
        case .running: parts.append("running")
        case .pausing: parts.append("pausing")
        case .paused: parts.append("paused")
        case .stopping: parts.append("stopping")
        case .writing: parts.append("writing")
        case .finished:
            let word = runWasStopped ? "stopped" : "done"
            parts.append(lastWritten.map { "\(word): \(($0 as NSString).lastPathComponent)" } ?? word)
        case .failed: parts.append("failed")
        }
        if let p = phase, runState != .finished, runState != .failed {
            parts.append("phase \(p.index + 1)/\(p.count)")
            if let r = lastReport, r.phase.index == p.index {
                parts.append("it \(r.iteration)/\(r.iterations)")
                if runState.isActive { parts.append("ETA \(Self.duration(r.eta))") }
            }
        }
        return parts.joined(separator: " · ")
    }

    /// The run summary for a narrow title bar: "running 7/20 ETA 6s".
    public var runSummaryShort: String {
        var text: String
        switch runState {
        case .idle: return "idle"
        case .finished: return runWasStopped ? "stopped" : "done"
        case .failed: return "failed"
        case .starting: text = "starting"
        case .running: text = "running"
        case .pausing: text = "pausing"
        case .paused: text = "paused"
        case .stopping: text = "stopping"
        case .writing: text = "writing"
        }
        if let r = lastReport {
            text += " \(r.iteration)/\(r.iterations)"
            if runState.isActive { text += " ETA \(Self.duration(r.eta))" }
        }
        return text
    }

    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite && seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}

/// Loads the image under the chooser's cursor in the background (the latest request wins).
final class PreviewLoader: @unchecked Sendable {
    private let inbox: Inbox
    private let queue = DispatchQueue(label: "doodle.tui.preview")
    private let lock = NSLock()
    private var wanted: String?

    init(inbox: Inbox) { self.inbox = inbox }

    func request(_ path: String) {
        lock.lock(); wanted = path; lock.unlock()
        queue.async { [self] in
            lock.lock(); let current = wanted; lock.unlock()
            guard current == path else { return }
            do {
                inbox.post(.preview(path: path, image: try Image.read(from: path), error: nil))
            } catch {
                inbox.post(.preview(path: path, image: nil, error: "\(error)"))
            }
        }
    }
}
