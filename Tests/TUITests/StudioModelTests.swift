import Doodle
import Foundation
import TUI
import XCTest

/// A run that does nothing by itself: the test plays the engine through `post`.
final class FakeRun: RenderRun {
    let request: RunRequest
    let post: @Sendable (RunnerEvent) -> Void
    var started = false, paused = false, stopped = false
    var adjusted: [RenderSettings] = []
    init(request: RunRequest, post: @escaping @Sendable (RunnerEvent) -> Void) { self.request = request; self.post = post }
    func start() { started = true }
    func pause() { paused = true }
    func resume() { paused = false }
    func stop() { stopped = true }
    func adjust(_ settings: RenderSettings) { adjusted.append(settings) }
}

final class StudioModelTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    var scratch: String!
    var runs: [FakeRun] = []

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-studio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func makeModel(_ change: (inout StudioConfiguration) -> Void = { _ in }) -> (StudioModel, Inbox) {
        var c = StudioConfiguration(weightsPath: "/nonexistent/weights.pth")
        c.style = Self.packageRoot + "/samples/monet.jpg"
        c.targetMap = Self.packageRoot + "/samples/coast_sem.png"
        c.output = scratch + "/out.png"
        c.startDirectory = scratch
        c.settings.iterations = 5
        c.settings.phases = 1
        c.outputSize = (64, 48)
        change(&c)
        let inbox = Inbox()
        let model = StudioModel(configuration: c, inbox: inbox) { [unowned self] request, post in
            let run = FakeRun(request: request, post: post)
            runs.append(run)
            return run
        }
        return (model, inbox)
    }

    func report(_ iteration: Int, total: Double = 100, image: Image? = nil) -> RunnerEvent {
        let phase = PhaseInfo(index: 0, count: 1, width: 64, height: 48, styleWidth: 512, styleHeight: 384)
        var losses = LossBreakdown()
        losses.style = ["conv3_1": total * 0.75, "conv4_1": total * 0.25]
        return .iteration(IterationReport(
            phase: phase, iteration: iteration, iterations: 5, losses: losses, secondsPerIteration: 0.5, eta: 2,
            timing: StageTiming(), image: image ?? Image(width: 64, height: 48, channels: 3, repeating: Float(iteration * 20))))
    }

    func logText(_ model: StudioModel) -> String { model.log.map(\.text).joined(separator: "\n") }

    func testConfiguredInputsFindTheirMapsAndLegend() {
        let (model, _) = makeModel()
        XCTAssertNotNil(model.inputs[.style]?.image)
        XCTAssertEqual(model.inputs[.styleMap]?.path, Self.packageRoot + "/samples/monet_sem.png")
        XCTAssertEqual(model.inputs[.styleMap]?.note, "found beside monet.jpg")
        XCTAssertEqual(model.mode, .doodle)
        XCTAssertEqual(model.legend.style.count, 5)
        XCTAssertEqual(model.legend.target.count, 5)
        XCTAssertTrue(model.legend.missing.isEmpty)
        XCTAssertEqual(model.legend.style.first { $0.hex == "#ffffff" }?.percent, "38.1%")
        XCTAssertTrue(model.inputProblems.isEmpty)
        XCTAssertTrue(logText(model).contains("no VGG19 weights"), "a missing weights file is said at start")
    }

    /// With a class palette the legend shows the maps as the render reads them: a label map of
    /// ids 1 and 2 is the style map's two classes, and nothing is missing.
    func testAPaletteReadsLabelMapsAsTheRenderDoes() throws {
        let styleMap = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [255, 0, 0][c] : [0, 0, 255][c] }
        let labels = Image(width: 48, height: 48, channels: 1) { _, _, y in y < 12 ? 1 : 2 }
        let style = Image(width: 48, height: 48, channels: 3) { c, x, y in Float((x * 5 + y * 3 + c * 40) % 256) }
        try style.writePNG(to: scratch + "/style.png")
        try styleMap.writePNG(to: scratch + "/style_sem.png")
        try labels.writePNG(to: scratch + "/labels.png")
        try "warm: {color: \"#ff0000\", id: 1}\ncool: {color: \"#0000ff\", id: 2}\n".write(toFile: scratch + "/classes.yaml", atomically: true, encoding: .utf8)
        let (model, _) = makeModel {
            $0.style = self.scratch + "/style.png"
            $0.targetMap = self.scratch + "/labels.png"
            $0.preset.palette = self.scratch + "/classes.yaml"
        }
        XCTAssertEqual(model.legend.target.map(\.hex).sorted(), ["#0000ff", "#ff0000"])
        XCTAssertEqual(model.legend.target.first { $0.hex == "#ff0000" }?.percent, "25.0%")
        XCTAssertTrue(model.legend.missing.isEmpty)
        XCTAssertTrue(model.inputProblems.isEmpty, "\(model.inputProblems)")
    }

    func testMissingClassesAreWarnedAndRefused() throws {
        let styleMap = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [255, 0, 0][c] : [0, 0, 255][c] }
        let doodle = Image(width: 48, height: 48, channels: 3) { c, _, y in y < 24 ? [255, 0, 0][c] : [255, 255, 0][c] }
        let style = Image(width: 48, height: 48, channels: 3) { c, x, y in Float((x * 5 + y * 3 + c * 40) % 256) }
        try style.writePNG(to: scratch + "/style.png")
        try styleMap.writePNG(to: scratch + "/style_sem.png")
        try doodle.writePNG(to: scratch + "/doodle.png")
        let (model, _) = makeModel {
            $0.style = self.scratch + "/style.png"
            $0.targetMap = self.scratch + "/doodle.png"
        }
        XCTAssertEqual(model.legend.missing.map(\.hex), ["#ffff00"])
        XCTAssertEqual(model.legend.missing.first?.percent, "50.0%")
        model.startRun()
        XCTAssertEqual(model.runState, .idle)
        let status = model.status?.text ?? ""
        XCTAssertTrue(status.hasPrefix("cannot start: ") && status.contains("class #ffff00 (yellow, 50.0% of the map")
                      && status.contains("--allow-unmatched"), "doodle render's message: \(status)")
        let screen = StudioView(unicode: true, thumbnailMode: .halfBlock).render(model, width: 100, height: 30).text
        XCTAssertTrue(screen.contains("! the target map has a class the style map lacks: #ffff00"), screen)
        XCTAssertTrue(screen.contains("50.0% ✗"), screen)
        XCTAssertTrue(screen.contains("paint it in the style"), screen)
    }

    func testPanesHelpAndQuit() {
        let (model, _) = makeModel()
        XCTAssertEqual(model.pane, .inputs)
        model.handle(.tab)
        XCTAssertEqual(model.pane, .parameters)
        model.handle(.tab)
        model.handle(.tab)
        XCTAssertEqual(model.pane, .inputs)
        model.handle(.backTab)
        XCTAssertEqual(model.pane, .run)
        model.handle(.char("?"))
        XCTAssertTrue(model.showingHelp)
        model.handle(.char("q"))
        XCTAssertFalse(model.showingHelp, "a key closes help and does nothing else")
        XCTAssertNil(model.exitStatus)
        model.handle(.char("q"))
        XCTAssertEqual(model.exitStatus, 0, "idle: q quits at once")
        let (other, _) = makeModel()
        other.handle(.interrupt)
        XCTAssertEqual(other.exitStatus, 130)
    }

    func testTooSmallIgnoresKeysButQuits() {
        let (model, _) = makeModel()
        model.screenSize = (70, 20)
        model.handle(.char("r"))
        XCTAssertEqual(model.runState, .idle)
        let canvas = StudioView(unicode: true, thumbnailMode: .halfBlock).render(model, width: 70, height: 20)
        XCTAssertTrue(canvas.text.contains("needs a terminal of at least 80x24"))
        XCTAssertTrue(canvas.text.contains("this one is 70x20"))
        model.handle(.char("q"))
        XCTAssertEqual(model.exitStatus, 0)
    }

    func testRunPauseAdjustWriteStop() throws {
        let (model, inbox) = makeModel()
        model.handle(.char("r"))
        XCTAssertEqual(model.runState, .starting)
        XCTAssertEqual(model.pane, .run)
        let run = try XCTUnwrap(runs.last)
        XCTAssertTrue(run.started)
        XCTAssertEqual(run.request.inputs.mode, .doodle)
        XCTAssertEqual(run.request.inputs.finalSize.width, 64)
        XCTAssertEqual(run.request.settings.iterations, 5)
        model.handle(.char("w"))
        XCTAssertTrue(model.status?.text.contains("nothing to write yet") == true)

        run.post(.started(phases: 1, width: 64, height: 48))
        run.post(report(1, total: 200))
        run.post(report(2, total: 50))
        model.drainInbox()
        XCTAssertEqual(model.runState, .running)
        XCTAssertEqual(model.lastReport?.iteration, 2)
        XCTAssertEqual(model.lossHistory, [200, 50])
        XCTAssertEqual(model.currentImage?.pixels.first, 40)
        XCTAssertTrue(model.runSummary.contains("it 2/5"))

        model.handle(.char(" "))
        XCTAssertTrue(run.paused)
        XCTAssertEqual(model.runState, .pausing)
        run.post(.paused)
        model.drainInbox()
        XCTAssertEqual(model.runState, .paused)

        // A live weight goes to the engine; a next-run parameter is refused with the reason.
        model.handle(.char("2"))
        model.handle(.down)
        model.handle(.char("+"))
        XCTAssertEqual(run.adjusted.last?.styleWeight, 26)
        XCTAssertTrue(logText(model).contains("style weight 25 -> 26: asked; takes effect at the next evaluation"))
        model.parametersSelect(.iterations)
        model.handle(.right)
        XCTAssertTrue(model.status?.text.hasPrefix("iterations cannot change during a run") == true)
        XCTAssertEqual(model.parameters.value(.iterations), .integer(5))
        model.handle(.enter)
        XCTAssertNil(model.editBuffer, "no typing into a locked parameter")
        // The inputs are fixed too.
        model.openBrowser(for: .content)
        XCTAssertNil(model.browser)

        model.handle(.char(" "))
        XCTAssertFalse(run.paused)
        run.post(.resumed)
        run.post(.settingsChanged("style weight 25 -> 26", fromIteration: 3))
        run.post(report(3, total: 40))
        model.drainInbox()
        XCTAssertEqual(model.runState, .running)
        XCTAssertTrue(logText(model).contains("from iteration 3: style weight 25 -> 26"))

        model.handle(.char("w"))
        model.waitForWrites()
        model.drainInbox()
        XCTAssertTrue(logText(model).contains("wrote the current image (phase 1/1, iteration 3) to \(scratch!)/out.png"))
        XCTAssertEqual(try Image.read(from: scratch + "/out.png").width, 64)

        // q asks first; another key keeps the run; y quits and stops it.
        model.handle(.char("q"))
        XCTAssertTrue(model.confirmingQuit)
        XCTAssertEqual(model.status?.tone, .prompt)
        model.handle(.char("n"))
        XCTAssertFalse(model.confirmingQuit)
        XCTAssertNil(model.exitStatus)

        model.handle(.char("s"))
        XCTAssertTrue(run.stopped)
        XCTAssertEqual(model.runState, .stopping)
        run.post(.finished(Image(width: 64, height: 48, channels: 3, repeating: 7), stopped: true, evaluations: 3, seconds: 2))
        model.drainInbox()
        XCTAssertEqual(model.runState, .writing)
        model.waitForWrites()
        model.drainInbox()
        XCTAssertEqual(model.runState, .finished)
        XCTAssertEqual(model.lastWritten, scratch + "/out.png")
        XCTAssertTrue(logText(model).contains("stopped at phase 1/1, iteration 3: wrote \(scratch!)/out.png"), logText(model))
        XCTAssertEqual(try Image.read(from: scratch + "/out.png").pixels.first, 7)
        _ = inbox
        model.handle(.char("q"))
        XCTAssertEqual(model.exitStatus, 0)
    }

    func testQuitWhileRunningNeedsYes() throws {
        let (model, _) = makeModel()
        model.startRun()
        let run = try XCTUnwrap(runs.last)
        model.handle(.char("q"))
        XCTAssertNil(model.exitStatus)
        model.handle(.char("y"))
        XCTAssertEqual(model.exitStatus, 0)
        XCTAssertTrue(run.stopped)
        // Ctrl-C twice while running.
        let (other, _) = makeModel()
        other.startRun()
        other.handle(.interrupt)
        XCTAssertNil(other.exitStatus)
        other.handle(.interrupt)
        XCTAssertEqual(other.exitStatus, 130)
    }

    func testStartRefusesBadOutputAndFailureIsShown() throws {
        let (model, _) = makeModel { $0.output = Self.packageRoot + "/samples/coast_sem.png" }
        model.startRun()
        XCTAssertEqual(model.runState, .idle)
        XCTAssertTrue(model.status?.text.contains("it is one of the inputs") == true, model.status?.text ?? "")
        let (tiny, _) = makeModel { $0.outputSize = (16, 16) }
        tiny.startRun()
        XCTAssertTrue(tiny.status?.text.contains("too small for conv4_1") == true, tiny.status?.text ?? "")
        let (good, _) = makeModel()
        good.startRun()
        let run = try XCTUnwrap(runs.last)
        run.post(.failed("'w.pth': no weights file; run scripts/setup"))
        good.drainInbox()
        XCTAssertEqual(good.runState, .failed)
        XCTAssertEqual(good.status?.tone, .error)
        good.handle(.char("q"))
        XCTAssertEqual(good.exitStatus, 0)
    }

    func testChooserPicksAnImageAndItsMap() throws {
        let (model, _) = makeModel { $0.style = nil; $0.targetMap = nil; $0.startDirectory = Self.packageRoot + "/samples" }
        XCTAssertEqual(model.inputProblems.first, "choose a style image (the painting whose brushwork to use)")
        model.handle(.enter)
        let browser = try XCTUnwrap(model.browser)
        XCTAssertEqual(browser.directory, Self.packageRoot + "/samples")
        for c in "renoir." { model.handle(.char(c)) }
        XCTAssertEqual(model.browser?.selectedEntry?.name, "renoir.jpg")
        model.handle(.enter)
        XCTAssertNil(model.browser)
        XCTAssertEqual(model.inputs[.style]?.image?.width, 512)
        XCTAssertEqual(model.inputs[.styleMap]?.note, "found beside renoir.jpg")
        model.select(.targetMap)
        model.handle(.enter)
        for c in "valley" { model.handle(.char(c)) }
        model.handle(.enter)
        XCTAssertTrue(model.inputs[.targetMap]?.path.hasSuffix("valley_sem.png") == true)
        XCTAssertEqual(model.mode, .doodle)
        XCTAssertTrue(model.legend.missing.isEmpty)
        model.handle(.char("x"))
        XCTAssertNil(model.inputs[.targetMap])
        XCTAssertTrue(model.inputProblems.contains { $0.contains("a style map needs a target map") })
        model.handle(.enter)
        model.handle(.escape)
        XCTAssertNil(model.browser)
    }

    func testEditingByTypingAndRefusal() {
        let (model, _) = makeModel()
        model.handle(.char("2"))
        model.handle(.down)
        model.handle(.enter)
        XCTAssertEqual(model.editBuffer, "25")
        model.handle(.control("u"))
        for c in "abc" { model.handle(.char(c)) }
        model.handle(.enter)
        XCTAssertEqual(model.editBuffer, "abc", "a refused value stays in the field to correct")
        XCTAssertEqual(model.status?.text, "style weight 'abc' is not a number; give e.g. 25", "the preset parser's message")
        XCTAssertEqual(model.status?.tone, .error)
        model.handle(.backspace); model.handle(.backspace); model.handle(.backspace)
        for c in "40" { model.handle(.char(c)) }
        model.handle(.enter)
        XCTAssertNil(model.editBuffer)
        XCTAssertEqual(model.parameters.value(.styleWeight), .number(40))
        XCTAssertEqual(model.status?.text, "style weight 25 -> 40")
        model.handle(.pageUp)
        XCTAssertEqual(model.parameters.value(.styleWeight), .number(50))
        model.handle(.shiftLeft)
        XCTAssertEqual(model.parameters.value(.styleWeight), .number(40))
        model.handle(.char("d"))
        XCTAssertEqual(model.parameters.value(.styleWeight), .number(25))
    }

    func testScreensDrawAtTheMinimumSize() {
        let (model, _) = makeModel()
        let view = StudioView(unicode: true, thumbnailMode: .halfBlock)
        for pane in StudioModel.Pane.allCases {
            model.switchPane(pane)
            let lines = view.render(model, width: 80, height: 24).lines
            XCTAssertEqual(lines.count, 24)
            XCTAssertTrue(lines[0].contains("doodle studio"))
            XCTAssertTrue(lines[23].contains(" q  quit "), "\(pane): \(lines[23])")
            XCTAssertTrue(lines[23].contains(" ?  help "), "\(pane): \(lines[23])")
            if pane != .parameters { XCTAssertTrue(lines[23].contains(" r  run "), "\(pane): \(lines[23])") }
            if pane == .run {
                for key in [" w  write now ", " s  stop ", " space  pause/resume "] { XCTAssertTrue(lines[23].contains(key), lines[23]) }
            }
        }
        model.switchPane(.inputs)
        let ascii = StudioView(unicode: false, thumbnailMode: .halfBlock).render(model, width: 80, height: 24).text
        XCTAssertTrue(ascii.unicodeScalars.allSatisfy { $0.isASCII }, "ASCII mode draws ASCII only")
        model.handle(.char("?"))
        let help = view.render(model, width: 80, height: 24).text
        XCTAssertTrue(help.contains("Help"))
        XCTAssertTrue(help.contains("pause / resume"))
        XCTAssertTrue(help.contains("big step"))
    }
}

extension StudioModel {
    /// Test helper: selects a parameter by moving the selection.
    func parametersSelect(_ id: PresetKey) {
        while parameters.selected.id != id {
            handle(parameters.parameters.firstIndex { $0.id == id }! > parameters.selection ? .down : .up)
        }
    }
}

extension StudioModelTests {
    /// The paint screen opens on the target map (snapped to the style map's classes); Enter
    /// during a run saves the painting as the target map, stops the run and, once its image is
    /// written, starts the next one with the painting. An existing map file is replaced only
    /// after y.
    func testEnterInThePaintScreenRestartsTheRunWithThePainting() throws {
        let (model, _) = makeModel()
        try Image(width: 8, height: 8, channels: 3, repeating: 0).writePNG(to: scratch + "/out_sem.png")
        model.startRun()
        XCTAssertEqual(runs.count, 1)
        model.switchPane(.inputs)
        model.handle(.char("p"))
        XCTAssertTrue(model.paintOpen)
        let painting = try XCTUnwrap(model.paint?.painting)
        XCTAssertEqual([painting.width, painting.height], [512, 384], "the coast map's size")
        XCTAssertEqual(painting.palette.map(\.hex), model.legend.style.map(\.hex), "the style map's classes")
        model.handle(.char("3"))
        model.handle(.char("f"))
        model.handle(.char(" "))
        XCTAssertEqual(model.paint?.painting.unsavedChanges, true)

        model.handle(.enter)
        XCTAssertEqual(model.status?.tone, .prompt, "out_sem.png exists: asked first")
        model.handle(.char("y"))
        XCTAssertEqual(model.inputs[.targetMap]?.path, scratch + "/out_sem.png")
        XCTAssertEqual(model.inputs[.targetMap]?.note, "painted")
        XCTAssertEqual(try Image.read(from: scratch + "/out_sem.png").width, 512)
        XCTAssertTrue(runs[0].stopped, "the run going is stopped")
        XCTAssertEqual(runs.count, 1, "the next waits for its image")
        runs[0].post(.finished(Image(width: 64, height: 48, channels: 3, repeating: 9), stopped: true, evaluations: 1, seconds: 1))
        model.drainInbox()
        model.waitForWrites()
        model.drainInbox()
        XCTAssertEqual(runs.count, 2, "the painting renders once the stopped run is written")
        XCTAssertTrue(runs[1].started)
        XCTAssertTrue(model.paintOpen, "the painting stays on screen beside the run")
        XCTAssertEqual(model.paint?.painting.unsavedChanges, false)
    }

    /// o in the paint screen opens the chooser for the target map; the file picked becomes the
    /// canvas (Esc in the chooser comes back to the painting as it was).
    func testOpenAMapFileFromThePaintScreen() throws {
        let (model, _) = makeModel { $0.targetMap = nil; $0.outputSize = (40, 30) }
        model.handle(.char("p"))
        XCTAssertEqual([model.paint?.painting.width, model.paint?.painting.height], [40, 30], "empty at the output size")
        XCTAssertEqual(Set(model.paint!.painting.shares.filter { $0 > 0 }), [1.0], "one class")
        model.handle(.char("o"))
        XCTAssertNotNil(model.browser)
        model.handle(.escape)
        XCTAssertNil(model.browser)
        XCTAssertTrue(model.paintOpen)
        XCTAssertEqual(model.paint?.painting.width, 40)

        model.handle(.char("o"))
        for c in Self.packageRoot + "/samples/coast_sem.png" { model.handle(.char(c)) }
        model.handle(.enter)
        XCTAssertNil(model.browser)
        XCTAssertTrue(model.paintOpen)
        let painting = try XCTUnwrap(model.paint?.painting)
        XCTAssertEqual([painting.width, painting.height], [512, 384])
        XCTAssertEqual(painting.shares.filter { $0 > 0.01 }.count, 5, "the coast map's five classes")
    }

    /// i in the paint screen: a map of the content image (here a stand-in maker that splits it
    /// in halves) in the style map's colours, paired by looks, becomes the canvas, undoably.
    func testAMapOfTheContentImageBecomesTheCanvas() throws {
        let maker: MapMaker = { image, classes, _ in
            XCTAssertEqual(classes, 5, "as many classes as the style map")
            return Image(width: image.width, height: image.height, channels: 3) { c, x, _ in
                Float(x < image.width / 2 ? MapFromImage.palette[0][c] : MapFromImage.palette[1][c])
            }
        }
        var c = StudioConfiguration(weightsPath: "/nonexistent/weights.pth")
        c.style = Self.packageRoot + "/samples/monet.jpg"
        c.content = Self.packageRoot + "/samples/monet.jpg"
        c.output = scratch + "/out.png"
        c.startDirectory = scratch
        let model = StudioModel(configuration: c, inbox: Inbox(), makeMap: maker) { request, post in FakeRun(request: request, post: post) }
        model.handle(.char("p"))
        XCTAssertEqual(model.paint?.painting.width, 512)
        let before = try XCTUnwrap(model.paint?.painting.shares)  // monet_sem.png, found beside the content
        model.handle(.char("i"))
        XCTAssertTrue(model.makingMap)
        let deadline = Date().addingTimeInterval(10)
        while model.makingMap && Date() < deadline { model.drainInbox(); Thread.sleep(forTimeInterval: 0.01) }
        let painting = try XCTUnwrap(model.paint?.painting)
        XCTAssertEqual(painting.shares.filter { $0 > 0 }.count, 2, "two classes of the style map: \(painting.shares)")
        XCTAssertEqual(painting.shares.max()!, 0.5, accuracy: 1e-9)
        XCTAssertTrue(painting.palette.allSatisfy(\.inStyle))
        XCTAssertNotEqual(painting[0, 0], painting[511, 0], "the halves differ")
        XCTAssertTrue(model.log.contains { $0.text.hasPrefix("map of the content image, classes paired by their looks: #") },
                      logText(model))
        model.handle(.char("u"))
        XCTAssertEqual(model.paint?.painting.shares, before, "undone")
    }
}
