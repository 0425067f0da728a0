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
    /// What the open chooser picks for.
    public enum BrowserTarget: Equatable, Sendable { case input(InputSlot), preset }
    public private(set) var browserTarget: BrowserTarget?
    /// The slot the open chooser fills (nil when it chooses a preset).
    public var browserSlot: InputSlot? {
        if case .input(let slot)? = browserTarget { return slot }
        return nil
    }
    public private(set) var recent: RecentFolders
    /// The image under the browser's cursor, once loaded.
    public private(set) var preview: Preview?
    /// A chooser's preview: a small copy of the image (at most 256 a side) and the file's size.
    public struct Preview: Sendable {
        public let path: String
        public let image: Image?
        public let size: (width: Int, height: Int)?
        public let error: String?
    }
    /// The preset under the preset chooser's cursor: its text, or why it cannot be loaded.
    public private(set) var presetPreview: (path: String, lines: [String], error: String?)?

    /// Do not look for maps beside the images (from the command line or a preset).
    public var noMaps: Bool { parameters.preset.noMaps ?? false }
    /// Suffix of maps looked for beside their images.
    public var semanticSuffix: String { parameters.preset.semanticExt ?? "_sem.png" }
    /// The weights runs use (a preset may name others).
    public var weightsPath: String { parameters.preset.weights ?? configuration.defaultWeightsPath }
    /// The preset last loaded (built-in name or file), if any.
    public private(set) var presetName: String?
    /// The file name being typed after S (save as a preset), if any.
    public private(set) var savePrompt: String?
    /// The name in `savePrompt` is the one offered, untouched: the first character typed
    /// replaces it (as in a selected field); Backspace or Right edits it instead.
    public private(set) var savePromptOffered = false
    /// The name typed for a preset file that exists: waiting for y to overwrite it.
    public private(set) var confirmingOverwrite: String?
    /// The preset file saved last (the next S offers it again).
    public private(set) var lastSavedPreset: String?
    /// The folder the preset chooser opens in (of the last preset loaded or saved).
    private var presetFolder: String?
    /// What S offers when nothing was saved yet.
    public static let defaultPresetFile = "doodle-preset.yaml"

    /// Every value but the inputs' images: the studio's state is this editor's preset.
    public private(set) var parameters: ParameterEditor
    /// The text being typed for the selected parameter, if any.
    public private(set) var editBuffer: String?

    public private(set) var runState: RunState = .idle
    public private(set) var runNumber = 0
    public private(set) var runStart: Date?
    public private(set) var runMode: RenderInputs.Mode?
    public private(set) var runSize: (width: Int, height: Int)?
    public private(set) var plannedPhases = 0
    public private(set) var phase: PhaseInfo?
    public private(set) var lastReport: IterationReport?
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
    public internal(set) var revision = 0

    /// The paint screen's session (kept when the screen closes), and whether it is open.
    public internal(set) var paint: PaintSession?
    public internal(set) var paintOpen = false
    /// The chooser was opened from the paint screen (o): its pick becomes the canvas.
    var paintFromFile = false
    /// Enter in the paint screen while a run went: a run starts once that one is written.
    var pendingPaintRender = false
    /// The paint screen's mouse wants reports from the terminal.
    public var wantsMouse: Bool { paintOpen && browser == nil }

    /// The terminal's size, set by the view (keys are not acted on below the minimum).
    public var screenSize = (width: 100, height: 30) { didSet { revision += 1 } }
    public var isTooSmall: Bool { screenSize.width < Self.minimumWidth || screenSize.height < Self.minimumHeight }

    let inbox: Inbox
    private let makeRun: RenderRunFactory
    let makeMap: MapMaker?
    /// A map is being made of the content image for the paint screen.
    public internal(set) var makingMap = false
    private var run: RenderRun?
    private var inputPathsOfRun: [String] = []
    private let writeQueue = DispatchQueue(label: "doodle.tui.write")
    private let previewLoader: PreviewLoader
    private var previewCache: [String: Preview] = [:]
    private var versionCounter = 0

    public init(configuration: StudioConfiguration, inbox: Inbox, makeMap: MapMaker? = nil,
                makeRun: @escaping RenderRunFactory) {
        self.configuration = configuration
        self.inbox = inbox
        self.makeRun = makeRun
        self.makeMap = makeMap
        previewLoader = PreviewLoader(inbox: inbox)
        // The chooser opens where the given inputs are (the first of these), else here.
        let inputFolders = [configuration.style, configuration.content, configuration.targetMap, configuration.styleMap]
            .compactMap { $0 }.map { (FileBrowser.absolute($0) as NSString).deletingLastPathComponent }
        recent = RecentFolders(folders: inputFolders + [configuration.startDirectory], storePath: configuration.recentFoldersPath)
        parameters = ParameterEditor(preset: configuration.preset)
        for notice in configuration.notices { note(notice, .warning); setStatus(notice, .warning) }
        if let preset = configuration.startPreset {
            presetName = preset
            note("settings from preset \(preset) (flags given override it); l loads another, S saves the settings as one", .info)
            if Preset.isFileReference(preset) { presetFolder = (FileBrowser.absolute(preset) as NSString).deletingLastPathComponent }
        }
        let c = configuration
        setInputs(style: c.style, styleMap: c.styleMap, targetMap: c.targetMap, content: c.content, output: c.output)
        if !FileManager.default.fileExists(atPath: weightsPath) {
            note("no VGG19 weights at '\(weightsPath)': runs need them (scripts/setup fetches them)", .warning)
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
                if final { runState = .finished; startPendingPaintRender() }
                return
            }
            lastWritten = path
            if final {
                runState = .finished
                note("\(detail): wrote \(path)", .success)
                setStatus("\(detail): wrote \(path)", .success)
                startPendingPaintRender()
            } else {
                note("wrote the current image (\(detail)) to \(path)", .success)
                setStatus("wrote \(path) (\(detail))", .success)
            }
        case .weightsLoaded(let seconds):
            note(String(format: "VGG19 weights loaded (%.1f s)", seconds), .info)
        case .weightsFailed(let error):
            note("VGG19 weights: \(error)", .warning)
        case .paintMapMade(let map, let pairs, let error):
            receivePaintMap(map, pairs: pairs, error: error)
        case .preview(let path, let image, let size, let error):
            let entry = Preview(path: path, image: image, size: size, error: error)
            previewCache[path] = entry
            if previewCache.count > 32 { previewCache.removeAll() ; previewCache[path] = entry }
            if browser?.selectedEntry?.path == path { preview = entry }
        }
    }

    private func receive(_ event: RunnerEvent) {
        switch event {
        case .preparing(let text):
            note(text, .info)
        case .started(let phases, let width, let height):
            let asked = plannedPhases
            plannedPhases = phases
            runSize = (width, height)
            if runState == .starting { runState = .running }
            if status?.text.hasPrefix("starting run") == true {
                setStatus(paintOpen ? "run \(runNumber) running beside the painting: Enter renders again, Esc shows the run (space pauses, s stops)"
                          : "run \(runNumber) running: space pauses, s stops (the image so far is written), w writes it now", .info)
            }
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
            lossHistory.append(report.losses.total)
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
                startPendingPaintRender()
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
            pendingPaintRender = false
        }
    }

    // MARK: - Keys

    public func handle(_ key: Key) {
        revision += 1
        if key == .interrupt { interrupt(); return }
        if confirmingQuit {
            confirmingQuit = false
            if key == .char("y") || key == .char("Y") { quit(status: 0) } else {
                setStatus(runState.isActive ? "still running" : "not quit", .info)
            }
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
        if let typed = confirmingOverwrite {
            confirmingOverwrite = nil
            if key == .char("y") || key == .char("Y") {
                savePreset(to: typed, overwrite: true)
            } else {
                savePrompt = typed
                setStatus("not overwritten: change the name, Enter saves, Esc cancels", .info)
            }
            return
        }
        if savePrompt != nil { handleSavePrompt(key); return }
        if editBuffer != nil { handleEditing(key); return }
        if browser != nil { handleBrowser(key); return }
        if paintOpen { handlePaint(key); return }

        switch key {
        case .tab: switchPane(Pane(rawValue: (pane.rawValue + 1) % Pane.allCases.count)!); return
        case .backTab: switchPane(Pane(rawValue: (pane.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!); return
        case .char("1"): switchPane(.inputs); return
        case .char("2"): switchPane(.parameters); return
        case .char("3"): switchPane(.run); return
        case .char("?"): showHelp(); return
        case .char("q"): requestQuit(); return
        case .char("r"): startRun(); return
        case .char(" "): togglePause(); return
        case .char("s"): stopRun(); return
        case .char("w"): writeNow(); return
        case .char("l"): openPresetChooser(); return
        case .char("S"): beginSavePreset(); return
        case .escape: status = nil; return
        default: break
        }
        switch pane {
        case .inputs: handleInputs(key)
        case .parameters: handleParameters(key)
        case .run: handleRun(key)
        }
    }

    func showHelp() { showingHelp = true }

    /// The target map slot takes a map made here (painted), without reading the file back.
    func setTargetMap(path: String, image: Image) {
        versionCounter += 1
        inputs[.targetMap] = InputFile(path: path, image: image, error: nil, note: "painted", version: versionCounter)
        inputsChanged()
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
        } else if paint?.painting.unsavedChanges == true {
            confirmingQuit = true
            setStatus("The painting is not saved (s in the paint screen saves it). Quit and lose it? y quits, any other key stays", .prompt)
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
        case .char("p"): openPaint()
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
        browserTarget = .input(slot)
        preview = nil
        presetPreview = nil
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
        if !noMaps {
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

    /// Fills the slots: the files given, and (unless `noMaps`) the maps not given that lie
    /// beside their images, STYLE_sem.png and CONTENT_sem.png or OUTPUT_sem.png, as `doodle
    /// render` finds them. A slot that keeps its file keeps its image (not read again).
    private func setInputs(style: String?, styleMap: String?, targetMap: String?, content: String?, output: String) {
        var chosen: [InputSlot: (path: String, note: String?)] = [:]
        if let style { chosen[.style] = (style, nil) }
        if let content { chosen[.content] = (content, nil) }
        if !noMaps {
            if let styleMap {
                chosen[.styleMap] = (styleMap, nil)
            } else if let style, FileManager.default.fileExists(atPath: besidePath(style)) {
                chosen[.styleMap] = (besidePath(style), "found beside \((style as NSString).lastPathComponent)")
            }
            if let targetMap {
                chosen[.targetMap] = (targetMap, nil)
            } else {
                let base = content ?? output
                if FileManager.default.fileExists(atPath: besidePath(base)) {
                    chosen[.targetMap] = (besidePath(base), "found beside \((base as NSString).lastPathComponent)")
                }
            }
        }
        var next: [InputSlot: InputFile] = [:]
        for (slot, file) in chosen {
            if let old = inputs[slot], old.path == file.path, old.note == file.note, old.error == nil {
                next[slot] = old
            } else {
                next[slot] = load(file.path, note: file.note)
            }
        }
        inputs = next
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
        // With a class palette the maps are shown (and checked) as the render reads them.
        var (styleMap, targetMap) = (inputs[.styleMap]?.image, inputs[.targetMap]?.image)
        if let path = parameters.preset.palette {
            do {
                let palette = try MapPalette.load(path: path)
                styleMap = try styleMap.map { try palette.recoloured($0, name: inputs[.styleMap]?.path ?? "style map") }
                targetMap = try targetMap.map { try palette.recoloured($0, name: inputs[.targetMap]?.path ?? "target map") }
            } catch let error as PresetError {
                setStatus(error.issues.map(\.description).joined(separator: "; "), .error)
            } catch {
                setStatus("\(error)", .error)
            }
        }
        legend = MapLegend(styleMap: styleMap, styleName: inputs[.styleMap]?.path ?? "style map",
                           targetMap: targetMap, targetName: inputs[.targetMap]?.path ?? "target map")
        parameters.automaticSize = automaticSize
        parameters.contentGiven = inputs[.content] != nil
    }

    /// The size "auto" stands for: the content's, the target map's, or the style's.
    public var automaticSize: (width: Int, height: Int)? {
        for slot in [InputSlot.content, .targetMap, .style] {
            if let image = inputs[slot]?.image { return (image.width, image.height) }
        }
        return nil
    }

    /// The size of the result before the scale: the output size, or the one `auto` stands for.
    /// With a scale: "auto (512x384) x 0.5 = 256x192".
    public var sizeDescription: String {
        let size = parameters.display(.outputSize)
        let scale = parameters.scale
        guard scale != 1 else { return size }
        guard parameters.preset.scaleApplies else { return "\(size) (the preset's scale \(parameters.display(.scale)) leaves an explicit size as it is)" }
        let base = parameters.outputSize ?? automaticSize
        guard let (w, h) = base else { return "\(size) x \(parameters.display(.scale))" }
        return "\(size) x \(parameters.display(.scale)) = \(Int((Float(w) * scale).rounded()))x\(Int((Float(h) * scale).rounded()))"
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
        if let map = inputs[.styleMap]?.image, let image = inputs[.style]?.image, !RenderInputs.sameShape(map, image) {
            problems.append("the style map is \(map.width)x\(map.height) but the style image is \(image.width)x\(image.height); a map must have its image's shape")
        }
        if let map = inputs[.targetMap]?.image, let image = inputs[.content]?.image, !RenderInputs.sameShape(map, image) {
            problems.append("the target map is \(map.width)x\(map.height) but the content image is \(image.width)x\(image.height); a map must have its image's shape")
        }
        return problems
    }

    private func besidePath(_ image: String) -> String {
        ResolvedJob.besidePath(image, ext: semanticSuffix)
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
                let forPreset = browserTarget == .preset
                closeBrowser()
                setStatus(forPreset ? "no preset loaded" : "no file chosen", .info)
                if paintFromFile { paintPicked(nil) }
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
        if case .picked(let path) = outcome, let target = browserTarget {
            recent = b.recent
            closeBrowser()
            switch target {
            case .input(let slot):
                choose(path, for: slot)
                if paintFromFile { paintPicked(inputs[.targetMap]?.image) }
            case .preset: loadPreset(path)
            }
            return
        }
        updatePreview()
    }

    private func closeBrowser() {
        browser = nil
        browserTarget = nil
        preview = nil
        presetPreview = nil
    }

    private func updatePreview() {
        if browser?.kind == .presets {
            preview = nil
            guard let entry = browser?.selectedEntry, !entry.isDirectory, browser?.showingRecent == false else {
                presetPreview = nil
                return
            }
            if presetPreview?.path != entry.path { presetPreview = Self.presetPreview(entry) }
            return
        }
        guard let entry = browser?.selectedEntry, !entry.isDirectory, browser?.showingRecent == false else {
            preview = nil
            return
        }
        if preview?.path == entry.path { return }
        if let cached = previewCache[entry.path] {
            preview = cached
        } else {
            preview = Preview(path: entry.path, image: nil, size: nil, error: nil)
            previewLoader.request(entry.path)
        }
    }

    // MARK: Presets

    /// l: the chooser for a preset: the built-in presets at the top, then folders and
    /// .yaml/.yml files. Refused while a run is going (its settings are fixed then).
    public func openPresetChooser() {
        revision += 1
        guard !runState.isActive else {
            setStatus("presets load between runs: a run is going; stop it first (s), or change the live values in Parameters", .error)
            return
        }
        browser = FileBrowser(directory: presetFolder ?? configuration.startDirectory, recent: recent, kind: .presets)
        browserTarget = .preset
        preview = nil
        presetPreview = nil
        updatePreview()
        setStatus("load a preset: a built-in one or a .yaml file; its keys replace the studio's, the others stay", .info)
    }

    /// Loads a built-in preset or a preset file (relative paths in it resolved against its
    /// folder) and lays it over the current inputs and settings: every key it sets replaces
    /// the studio's value, the others stay. A bad file changes nothing and is reported as
    /// `file:line: problem`. Refused while a run is going.
    @discardableResult
    public func loadPreset(_ nameOrPath: String) -> Bool {
        revision += 1
        guard !runState.isActive else {
            setStatus("presets load between runs: a run is going; stop it first (s)", .error)
            return false
        }
        let isFile = Preset.isFileReference(nameOrPath)
        let reference = isFile ? Self.displayPath(nameOrPath) : nameOrPath
        let loaded: Preset
        do {
            loaded = try Preset.named(reference)
        } catch {
            note("preset \(reference): \(error)", .error)
            setStatus("\(error)", .error)
            return false
        }
        let before = summaryValues()
        apply(loaded.merged(over: statePreset(forFile: false)))
        presetName = reference
        if isFile { presetFolder = (FileBrowser.absolute(reference) as NSString).deletingLastPathComponent }
        let after = summaryValues()
        let changes = zip(before, after).compactMap { old, new in old.1 == new.1 ? nil : "\(new.0) \(old.1) -> \(new.1)" }
        let what = isFile ? "preset \(reference)" : "built-in preset \(reference)"
        if changes.isEmpty {
            note("loaded \(what): nothing changed", .info)
            setStatus("loaded \(what): the studio already had its values", .success)
        } else {
            note("loaded \(what): \(changes.joined(separator: ", "))", .success)
            setStatus("loaded \(what): \(changes.joined(separator: ", "))", .success)
        }
        for slot in InputSlot.allCases {
            if let file = inputs[slot], let error = file.error { setStatus("\(slot.title): \(error)", .error) }
        }
        return true
    }

    /// Every parameter and input as shown, for saying what a preset changed.
    private func summaryValues() -> [(String, String)] {
        InputSlot.allCases.map { ($0.title, inputs[$0]?.path ?? "none") }
            + parameters.keys.map { ($0.parameter.label, parameters.display($0)) }
    }

    /// Takes every value of `p` (a complete preset: the studio's state with a preset over it).
    private func apply(_ p: Preset) {
        let selection = parameters.selection
        var next = p
        if next.output == nil { next.output = parameters.output }
        parameters = ParameterEditor(preset: next)
        parameters.selection = selection
        setInputs(style: p.style, styleMap: p.styleMap, targetMap: p.map, content: p.content, output: parameters.output)
    }

    /// The studio's inputs and settings as a preset: what S saves (`doodle render --preset`
    /// renders the same), with every render key.
    public func currentPreset() -> Preset { statePreset(forFile: true) }

    /// `forFile`: maps found beside their images are written out, and `no-maps` is set when
    /// the studio uses no maps although `doodle render` would find some beside the images.
    /// Otherwise (the base a loaded preset is laid over) found maps are left out, to be
    /// found again beside the preset's images.
    private func statePreset(forFile: Bool) -> Preset {
        var p = parameters.preset
        // In a file the scale sits beside the size and would multiply it: keep the size as it is.
        if forFile && !p.scaleApplies { p.scale = 1 }
        p.style = inputs[.style]?.path
        p.content = inputs[.content]?.path
        p.styleMap = inputs[.styleMap].flatMap { forFile || $0.note == nil ? $0.path : nil }
        p.map = inputs[.targetMap].flatMap { forFile || $0.note == nil ? $0.path : nil }
        if forFile {
            // The studio uses the maps in its slots, whatever no-maps says; render ignores
            // given maps under no-maps and looks for maps beside the images without it.
            let slotsEmpty = inputs[.styleMap] == nil && inputs[.targetMap] == nil
            var renderFindsMaps = false
            if let style = p.style {
                let target = p.content ?? parameters.output
                renderFindsMaps = FileManager.default.fileExists(atPath: besidePath(style))
                    && FileManager.default.fileExists(atPath: besidePath(target))
            }
            p.noMaps = slotsEmpty && renderFindsMaps
        }
        return p
    }

    /// S: asks for the file to save the settings in (the last one saved, or doodle-preset.yaml).
    public func beginSavePreset() {
        revision += 1
        savePrompt = lastSavedPreset ?? Self.defaultPresetFile
        savePromptOffered = true
        setStatus("save the settings as a preset: type a file name (.yaml) to replace the one offered, Backspace edits it; Enter saves, Esc cancels", .prompt)
    }

    private func handleSavePrompt(_ key: Key) {
        guard var text = savePrompt else { return }
        let offered = savePromptOffered
        savePromptOffered = false
        switch key {
        case .escape:
            savePrompt = nil
            setStatus("preset not saved", .info)
        case .enter:
            savePreset(to: text)
        case .backspace, .delete:
            if !text.isEmpty { text.removeLast() }
            savePrompt = text
        case .control("u"):
            savePrompt = ""
        case .char(let c):
            if offered { text = "" }
            text.append(c)
            savePrompt = text
        case .right, .end:
            break
        default:
            savePromptOffered = offered
        }
    }

    /// Saves the inputs and settings as a preset file (YAML written atomically, paths relative
    /// to its folder; `doodle render --preset FILE` renders the same). Refuses a name that is
    /// an input or the output, that does not end in .yaml/.yml, a folder, a missing folder;
    /// asks before replacing a file unless `overwrite`. True when written.
    @discardableResult
    public func savePreset(to typed: String, overwrite: Bool = false) -> Bool {
        revision += 1
        let name = typed.trimmingCharacters(in: .whitespaces)
        let path = (name as NSString).expandingTildeInPath
        func refuse(_ why: String) -> Bool {
            savePrompt = typed
            setStatus("not saved: \(why)", .error)
            return false
        }
        guard !path.isEmpty else { return refuse("type a file name like \(Self.defaultPresetFile)") }
        var taken = InputSlot.allCases.compactMap { slot in inputs[slot].map { ($0.path, "the \(slot.title)") } }
        taken.append((parameters.output, "the output"))
        let seed = parameters.seedChoice
        if !Preset.seedWords.contains(seed) { taken.append((seed, "the seed image")) }
        if let clash = taken.first(where: { isSameFile($0.0, path) }) {
            return refuse("'\(name)' is \(clash.1); choose another name (.yaml)")
        }
        guard FileBrowser.presetExtensions.contains((path as NSString).pathExtension.lowercased()) else {
            return refuse("a preset file ends in .yaml or .yml (got '\(name)')")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return refuse("'\(name)' is a folder; give a file name like \(Self.defaultPresetFile)") }
            if !overwrite {
                savePrompt = nil
                confirmingOverwrite = typed
                setStatus("'\(name)' exists: overwrite it? y overwrites, any other key goes back to the name", .prompt)
                return false
            }
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
                return refuse("folder '\(folder)' does not exist")
            }
        }
        var preset = currentPreset()
        preset.description = "saved from doodle tui"
        if let issue = preset.validationIssues().first { return refuse(issue.description) }
        do {
            try preset.save(to: path)
        } catch {
            return refuse("\(error)")
        }
        savePrompt = nil
        confirmingOverwrite = nil
        let shown = Self.displayPath(path)
        lastSavedPreset = shown
        presetFolder = (FileBrowser.absolute(path) as NSString).deletingLastPathComponent
        note("saved the settings as preset \(shown) (doodle render --preset \(shown) renders them)", .success)
        setStatus("saved preset \(shown): l loads it, doodle render --preset \(shown) renders it", .success)
        return true
    }

    /// What the preset chooser shows beside the list: a preset's YAML, or why it cannot load.
    static func presetPreview(_ entry: FileBrowser.Entry) -> (path: String, lines: [String], error: String?) {
        func lines(_ text: String) -> [String] {
            Array(text.split(separator: "\n", omittingEmptySubsequences: false).prefix(200).map(String.init))
        }
        if entry.isBuiltin, var preset = Preset.builtin(named: entry.name) {
            let description = preset.description ?? ""
            preset.name = nil
            preset.description = nil
            return (entry.path, ["built-in: \(description)", "over the defaults, it sets:"] + lines(preset.yaml()), nil)
        }
        let shown = displayPath(entry.path)
        let text = (try? String(contentsOfFile: entry.path, encoding: .utf8)).map(lines) ?? []
        do {
            _ = try Preset.named(shown)
            return (entry.path, text, nil)
        } catch {
            return (entry.path, text, "\(error)")
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
    private func lockedReason(_ id: PresetKey) -> String? {
        guard runState.isActive, parameters[id].liveness == .nextRun else { return nil }
        return "\(parameters[id].label) cannot change during a run; stop it first (s). Live now: \(RenderParameters.liveDescription)"
    }

    /// Applies one edit: refused while a run is going for next-run parameters; live ones are
    /// passed to the running engine.
    public func edit(_ id: PresetKey, _ change: (inout ParameterEditor) throws -> ParameterChange) {
        revision += 1
        if let refusal = lockedReason(id) { setStatus(refusal, .error); return }
        do {
            var editor = parameters
            let result = try change(&editor)
            parameters = editor
            guard result.old != result.new else { setStatus("\(result.label) unchanged (\(result.new))", .info); return }
            let p = parameters[id]
            if runState.isActive, let run, p.liveness.isLive {
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
        // The map maker (i in the paint screen) and a run would share one network.
        if makingMap { setStatus("a map of the content image is being made; start the run once it is done", .error); return }
        if let problem = inputProblems.first { setStatus("cannot start: \(problem)", .error); switchPane(.inputs); return }
        // The same resolution and checks as `doodle render` with this preset, on the images
        // the slots hold.
        let job: ResolvedJob
        do {
            job = try ResolvedJob(name: "studio", preset: statePreset(forFile: true), reading: { [inputs] path in
                if let image = inputs.values.first(where: { $0.path == path })?.image { return image }
                return try Image.read(from: path)
            })
            try job.checkReady(createOutputFolders: false)
            try job.checkMemory(maxMemory: nil)
        } catch {
            setStatus("cannot start: \(error)", .error)
            return
        }
        for notice in job.notices { note(notice, .warning) }
        let renderInputs = job.inputs, settings = job.settings, output = job.output
        let (w, h) = renderInputs.finalSize
        let paths = job.inputPaths

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
        note("run \(number): \(renderInputs.mode.rawValue), \(w)x\(h), \(settings.iterations.plan(phases: settings.phases, of: settings.phases)) -> \(output)", .info)
        setStatus("starting run \(number): space pauses, s stops, w writes the current image", .info)
        let inbox = self.inbox
        let request = RunRequest(inputs: renderInputs, settings: settings, allowUnmatched: job.allowUnmatched,
                                 weightsPath: job.weights ?? configuration.defaultWeightsPath)
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
        do { try Image.checkWritable(output) } catch {
            setStatus("cannot write: \(error)", .error)
            return
        }
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
                let small = try Image.readPreview(from: path, maxSide: 256)
                inbox.post(.preview(path: path, image: small.image, size: (small.width, small.height), error: nil))
            } catch {
                inbox.post(.preview(path: path, image: nil, size: nil, error: "\(error)"))
            }
        }
    }
}
