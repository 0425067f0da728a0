import Doodle
import Foundation
import TUI
import XCTest

/// Presets in the studio: `doodle tui --preset` (built-in defaults < preset < flags), l to
/// load one, S to save the settings as one that `doodle render --preset` renders the same.
final class StudioPresetTests: XCTestCase {
    static let packageRoot = StudioModelTests.packageRoot
    var scratch: String!
    var runs: [FakeRun] = []

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-presets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch + "/art", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch + "/presets", withIntermediateDirectories: true)
        // A tiny doodle set: style + its map, a doodle, all 96x64.
        let style = Image(width: 96, height: 64, channels: 3) { c, x, y in Float((x * 5 + y * 3 + c * 40) % 256) }
        let map = Image(width: 96, height: 64, channels: 3) { c, x, _ in x < 48 ? [255, 0, 0][c] : [0, 0, 255][c] }
        let doodle = Image(width: 96, height: 64, channels: 3) { c, _, y in y < 32 ? [255, 0, 0][c] : [0, 0, 255][c] }
        try style.writePNG(to: scratch + "/art/style.png")
        try map.writePNG(to: scratch + "/art/style_sem.png")
        try doodle.writePNG(to: scratch + "/art/doodle_sem.png")
        try style.writePNG(to: scratch + "/art/other.png")
        try map.writePNG(to: scratch + "/art/other_sem.png")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func write(_ text: String, to name: String) throws -> String {
        let path = scratch + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func makeModel(_ configuration: StudioConfiguration) -> StudioModel {
        var c = configuration
        c.startDirectory = scratch
        return StudioModel(configuration: c, inbox: Inbox()) { [unowned self] request, post in
            let run = FakeRun(request: request, post: post)
            runs.append(run)
            return run
        }
    }

    /// A studio with the sample doodle set, small and quick.
    func makeSampleModel() -> StudioModel {
        var c = StudioConfiguration(weightsPath: "/nonexistent/weights.pth")
        c.style = scratch + "/art/style.png"
        c.targetMap = scratch + "/art/doodle_sem.png"
        c.output = scratch + "/out.png"
        c.settings.iterations = 5
        c.settings.phases = 1
        return makeModel(c)
    }

    /// What `doodle tui --preset FILE --style-weight 50 --iterations 7` does: built-in defaults <
    /// preset < flags, paths relative to the preset's folder, the values the studio does not
    /// show kept for the run (seed range, map encoding) and for saving (frames).
    func testStartFromAPresetFileWithFlagsOverIt() throws {
        let file = try write("""
            style: style.png
            map: doodle_sem.png
            output: out.png
            style-weight: 40
            phases: 2
            scale: 0.5
            variety: 0.3
            seed-range: "32:224"
            map-encoding: colours
            frames: frames
            """, to: "art/tiny.yaml")
        var flags = Preset()
        flags.set(.styleWeight, .number(50), from: .commandLine)
        flags.set(.iterations, .integer(7), from: .commandLine)
        let resolved = flags.merged(over: try Preset.load(path: file))
        var c = StudioConfiguration(preset: resolved, weightsPath: "/nonexistent/weights.pth")
        c.startPreset = file
        let model = makeModel(c)

        XCTAssertEqual(model.inputs[.style]?.path, scratch + "/art/style.png", "relative to the preset's folder")
        XCTAssertNotNil(model.inputs[.style]?.image)
        XCTAssertEqual(model.inputs[.styleMap]?.note, "found beside style.png")
        XCTAssertEqual(model.inputs[.targetMap]?.path, scratch + "/art/doodle_sem.png")
        XCTAssertEqual(model.parameters.output, scratch + "/art/out.png")
        XCTAssertEqual(model.parameters.value(.styleWeight), .number(50), "a flag beats the preset")
        XCTAssertEqual(model.parameters.value(.iterations), .integer(7), "a flag beats the default")
        XCTAssertEqual(model.parameters.value(.phases), .integer(2), "the preset beats the default")
        XCTAssertEqual(model.parameters.value(.contentWeight), .number(10), "the default where neither says")
        XCTAssertEqual(model.parameters.scale, 0.5)
        XCTAssertEqual(model.parameters.settings.variety, 0.3)
        XCTAssertEqual(model.parameters.preset.frames, scratch + "/art/frames", "a key the studio does not list is kept")
        XCTAssertEqual(model.sizeDescription, "auto (96x64) x 0.5 = 48x32")
        XCTAssertTrue(model.log.contains { $0.text.hasPrefix("settings from preset \(file)") })

        model.startRun()
        let run = try XCTUnwrap(runs.last, model.status?.text ?? "")
        XCTAssertEqual(run.request.settings.seedRange, 32...224, "a setting the studio does not show reaches the run")
        XCTAssertEqual(run.request.settings.mapEncoding, .colours)
        XCTAssertEqual(run.request.settings.styleWeight, 50)
        XCTAssertEqual(run.request.inputs.finalSize.width, 48, "the scale halves the size, as doodle render does")
        XCTAssertEqual(run.request.inputs.finalSize.height, 32)
        // The same preset and flags through doodle render's own resolution give the same run.
        let job = try RenderJob(name: "render", preset: try Preset.load(path: file)).resolve(overriding: flags)
        XCTAssertEqual(job.settings, run.request.settings)
        XCTAssertEqual(job.inputs.finalSize.width, 48)
        XCTAssertEqual(job.inputs.names.styleMap, run.request.inputs.names.styleMap)
    }

    func testStartFromABuiltinPreset() {
        let model = makeModel(StudioConfiguration(preset: Preset.builtin(named: "quick")!, weightsPath: "/nonexistent/w.pth"))
        XCTAssertEqual(model.parameters.scale, 0.5)
        XCTAssertEqual(model.parameters.value(.phases), .integer(2))
        XCTAssertEqual(model.parameters.value(.iterations), .integer(30))
        XCTAssertEqual(model.parameters.value(.styleWeight), .number(25))
        XCTAssertEqual(model.parameters.output, "doodle.png", "the studio's default output when the preset has none")
        XCTAssertNil(model.inputs[.style])
        XCTAssertNil(model.parameters.preset.frames)
    }

    /// l: the chooser lists the built-in presets first, then folders and .yaml files only;
    /// picking one lays it over the studio: its keys replace, the others stay.
    func testLoadABuiltinPresetWithTheChooser() throws {
        let model = makeSampleModel()
        _ = try write("scale: 2\n", to: "big.yaml")
        _ = try write("not a preset", to: "notes.txt")
        model.edit(.styleWeight) { try $0.set(.styleWeight, typed: "40") }
        model.handle(.char("l"))
        let browser = try XCTUnwrap(model.browser)
        XCTAssertEqual(browser.kind, .presets)
        XCTAssertNil(model.browserSlot)
        XCTAssertEqual(browser.directory, scratch)
        XCTAssertEqual(browser.visible.map(\.name), Preset.builtinNames + ["..", "art", "presets", "big.yaml"])
        XCTAssertEqual(model.presetPreview?.lines.first, "built-in: a fast preview - half size, 2 phases x 30 iterations")
        let screen = StudioView(unicode: true, thumbnailMode: .halfBlock).render(model, width: 100, height: 30).text
        XCTAssertTrue(screen.contains("Load a preset"), screen)
        XCTAssertTrue(screen.contains("built-in"), screen)
        for c in "port" { model.handle(.char(c)) }
        model.handle(.enter)
        XCTAssertNil(model.browser)
        XCTAssertEqual(model.parameters.value(.semanticWeight), .number(50))
        XCTAssertEqual(model.parameters.value(.phases), .integer(4))
        XCTAssertEqual(model.parameters.value(.styleWeight), .number(40), "a key the preset leaves out stays")
        XCTAssertEqual(model.inputs[.style]?.path, scratch + "/art/style.png", "the inputs stay")
        XCTAssertEqual(model.presetName, "portrait")
        let status = try XCTUnwrap(model.status)
        XCTAssertEqual(status.tone, .success)
        XCTAssertTrue(status.text.hasPrefix("loaded built-in preset portrait: semantic weight 10 -> 50, phases 1 -> 4"), status.text)
    }

    /// A preset file: new inputs (relative to its folder, the style's map found beside it
    /// again), refused while a run goes, and a bad file changes nothing and names file:line.
    func testLoadAPresetFileBadFilesAndDuringARun() throws {
        let model = makeSampleModel()
        let file = try write("""
            preset: quick
            style: ../art/other.png
            iterations: 12
            """, to: "presets/other.yaml")
        XCTAssertTrue(model.loadPreset(file))
        XCTAssertEqual(model.inputs[.style]?.path, scratch + "/art/other.png")
        XCTAssertEqual(model.inputs[.styleMap]?.path, scratch + "/art/other_sem.png", "the new style's map, not the old one's")
        XCTAssertEqual(model.inputs[.styleMap]?.note, "found beside other.png")
        XCTAssertEqual(model.inputs[.targetMap]?.path, scratch + "/art/doodle_sem.png")
        XCTAssertEqual(model.parameters.value(.iterations), .integer(12))
        XCTAssertEqual(model.parameters.scale, 0.5, "from the preset it names")

        let bad = try write("phases: 2\nstyle-weight: heavy\n", to: "presets/bad.yaml")
        XCTAssertFalse(model.loadPreset(bad))
        XCTAssertEqual(model.status?.tone, .error)
        XCTAssertEqual(model.status?.text, "\(bad):2: style-weight 'heavy' is not a number; give e.g. 25")
        XCTAssertEqual(model.parameters.value(.phases), .integer(2), "nothing changed (quick's 2 phases)")
        XCTAssertEqual(model.parameters.value(.iterations), .integer(12))
        XCTAssertFalse(model.loadPreset(Self.packageRoot + "/samples/gallery.yaml"))
        XCTAssertTrue(model.status?.text.contains("this is a job file with 11 jobs, not a preset") == true, model.status?.text ?? "")

        model.startRun()
        XCTAssertTrue(model.runState.isActive)
        model.handle(.char("l"))
        XCTAssertNil(model.browser)
        XCTAssertTrue(model.status?.text.hasPrefix("presets load between runs: a run is going; stop it first (s)") == true)
        XCTAssertFalse(model.loadPreset("fine"))
        XCTAssertEqual(model.parameters.value(.iterations), .integer(12))
    }

    /// S saves a preset that loads back to the same settings and inputs, and that
    /// `doodle render --preset` (RenderJob) resolves to the run the studio would start.
    func testSaveLoadsBackToTheSameRender() throws {
        var c = StudioConfiguration(weightsPath: "/nonexistent/weights.pth")
        c.style = scratch + "/art/style.png"
        c.targetMap = scratch + "/art/doodle_sem.png"
        c.output = scratch + "/out.png"
        c.settings.iterations = 9
        c.settings.phases = 2
        c.settings.styleLayers = [.conv3_1, .conv4_1, .conv5_1]
        c.settings.randomSeed = 7
        c.settings.seedRange = 20...200
        c.settings.mapEncoding = .colours
        c.settings.matcher = .exact
        c.outputSize = (80, 56)
        c.scale = 1.5
        c.allowUnmatched = true
        c.preset.frames = scratch + "/frames"
        let model = makeModel(c)
        model.edit(.styleWeight) { try $0.set(.styleWeight, typed: "33.5") }
        model.edit(.smoothness) { try $0.set(.smoothness, typed: "0.3") }

        // The name offered is replaced by typing, and edited after Backspace.
        model.handle(.char("S"))
        XCTAssertEqual(model.savePrompt, StudioModel.defaultPresetFile)
        model.handle(.char("a"))
        XCTAssertEqual(model.savePrompt, "a", "typing replaces the offered name")
        model.handle(.escape)
        model.handle(.char("S"))
        model.handle(.backspace)
        model.handle(.char("X"))
        XCTAssertEqual(model.savePrompt, String(StudioModel.defaultPresetFile.dropLast()) + "X", "Backspace edits the offered name")
        model.handle(.escape)
        model.handle(.char("S"))
        model.handle(.control("u"))
        let file = scratch + "/presets/mine.yaml"
        for ch in file { model.handle(.char(ch)) }
        model.handle(.enter)
        XCTAssertNil(model.savePrompt)
        XCTAssertEqual(model.status?.tone, .success, model.status?.text ?? "")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertTrue(text.contains("style: ../art/style.png\n"), "paths relative to the file's folder:\n\(text)")
        XCTAssertTrue(text.contains("style-map: ../art/style_sem.png\n"), "the map found beside is written out:\n\(text)")
        XCTAssertTrue(text.contains("output: ../out.png\n"), text)
        XCTAssertTrue(text.contains("frames: ../frames\n"), "kept values are written back:\n\(text)")

        let loaded = try Preset.load(path: file)
        let settings = model.parameters.settings
        XCTAssertEqual(loaded.renderSettings, settings)
        XCTAssertEqual(loaded.renderSettings.styleWeight, 33.5)
        XCTAssertEqual(loaded.renderSettings.seedRange, 20...200)
        XCTAssertEqual(loaded.style, scratch + "/art/style.png")
        XCTAssertEqual(loaded.styleMap, scratch + "/art/style_sem.png")
        XCTAssertEqual(loaded.map, scratch + "/art/doodle_sem.png")
        XCTAssertNil(loaded.content)
        XCTAssertEqual(loaded.output, scratch + "/out.png")
        XCTAssertEqual(loaded.outputSize?.width, 80)
        XCTAssertEqual(loaded.outputSize?.height, 56)
        XCTAssertEqual(loaded.scale, 1.5)
        XCTAssertEqual(loaded.seed, "auto")
        XCTAssertEqual(loaded.allowUnmatched, true)
        XCTAssertEqual(loaded.noMaps, false)

        // doodle render --preset FILE: the same settings, size and inputs as the studio's run.
        model.startRun()
        let run = try XCTUnwrap(runs.last, model.status?.text ?? "")
        let job = try RenderJob(name: "mine", preset: loaded).resolve()
        XCTAssertEqual(job.settings, run.request.settings)
        XCTAssertEqual(job.inputs.finalSize.width, run.request.inputs.finalSize.width)
        XCTAssertEqual(job.inputs.finalSize.height, run.request.inputs.finalSize.height)
        XCTAssertEqual(job.inputs.finalSize.width, 120)
        XCTAssertEqual(job.inputs.names.style, run.request.inputs.names.style)
        XCTAssertEqual(job.inputs.names.styleMap, run.request.inputs.names.styleMap)
        XCTAssertEqual(job.inputs.names.targetMap, run.request.inputs.names.targetMap)
        XCTAssertEqual(job.output, model.parameters.output)
        XCTAssertEqual(job.allowUnmatched, run.request.allowUnmatched)
        XCTAssertEqual(try JobFile.load(path: file).check(), [], "doodle check finds nothing")

        // And back into another studio with other values: the same preset again.
        let other = makeSampleModel()
        XCTAssertTrue(other.loadPreset(file))
        XCTAssertEqual(other.currentPreset().values, model.currentPreset().values)
    }

    /// The save refuses an input, other extensions and missing folders (the name stays to
    /// correct), and asks before replacing a file.
    func testSaveRefusesInputsAndAsksBeforeOverwriting() throws {
        let model = makeSampleModel()
        func save(_ name: String) {
            model.handle(.char("S"))
            model.handle(.control("u"))
            for ch in name { model.handle(.char(ch)) }
            model.handle(.enter)
        }
        save(scratch + "/art/doodle_sem.png")
        XCTAssertEqual(model.status?.text, "not saved: '\(scratch!)/art/doodle_sem.png' is the target map; choose another name (.yaml)")
        XCTAssertEqual(model.savePrompt, scratch + "/art/doodle_sem.png", "the name stays to correct")
        model.handle(.escape)
        XCTAssertNil(model.savePrompt)
        save(scratch + "/settings.json")
        XCTAssertEqual(model.status?.text, "not saved: a preset file ends in .yaml or .yml (got '\(scratch!)/settings.json')")
        model.handle(.escape)
        save(scratch + "/nowhere/p.yaml")
        XCTAssertEqual(model.status?.text, "not saved: folder '\(scratch!)/nowhere' does not exist")
        model.handle(.escape)

        let existing = try write("phases: 6\n", to: "presets/old.yaml")
        save(existing)
        XCTAssertEqual(model.confirmingOverwrite, existing)
        XCTAssertEqual(model.status?.tone, .prompt)
        let screen = StudioView(unicode: true, thumbnailMode: .halfBlock).render(model, width: 100, height: 30).text
        XCTAssertTrue(screen.contains("exists: y overwrites it"), screen)
        model.handle(.char("n"))
        XCTAssertNil(model.confirmingOverwrite)
        XCTAssertEqual(model.savePrompt, existing, "back to the name")
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "phases: 6\n")
        model.handle(.enter)
        XCTAssertEqual(model.confirmingOverwrite, existing)
        model.handle(.char("y"))
        XCTAssertNil(model.confirmingOverwrite)
        XCTAssertEqual(try Preset.load(path: existing).renderSettings.phases, 1)
        XCTAssertEqual(model.lastSavedPreset, existing)
        model.handle(.char("S"))
        XCTAssertEqual(model.savePrompt, existing, "S offers the last file saved")
        model.handle(.escape)
        XCTAssertEqual(model.status?.text, "preset not saved")

        // Saving is allowed during a run (the settings as they are now).
        model.startRun()
        XCTAssertTrue(model.runState.isActive)
        XCTAssertTrue(model.savePreset(to: scratch + "/presets/during.yaml"))
    }

    /// The key bar shows l and S where they apply, and ? lists them.
    func testKeyBarAndHelpShowThePresetKeys() {
        let model = makeSampleModel()
        let view = StudioView(unicode: true, thumbnailMode: .halfBlock)
        for pane in StudioModel.Pane.allCases {
            model.switchPane(pane)
            let bar = view.render(model, width: 100, height: 30).lines[29]
            XCTAssertTrue(bar.contains(" l S  load/save preset "), "\(pane): \(bar)")
        }
        model.switchPane(.inputs)
        XCTAssertTrue(view.render(model, width: 80, height: 24).lines[23].contains(" l S  load/save preset "))
        model.startRun()
        let running = view.render(model, width: 100, height: 30).lines[29]
        XCTAssertTrue(running.contains(" S  save preset "), running)
        XCTAssertFalse(running.contains("l S"), "no l during a run: \(running)")
        model.handle(.char("?"))
        let help = view.render(model, width: 80, height: 24).text
        XCTAssertTrue(help.contains("load a preset"), help)
        XCTAssertTrue(help.contains("save as a preset"), help)
    }
}
