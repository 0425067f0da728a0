import Doodle
import Foundation
import XCTest

/// `doodle tui` driven as a user would, in a detached tmux session: keys in with send-keys,
/// the screen out with capture-pane, polled with a timeout. The binary is
/// `.build/release/doodle` (or `$DOODLE_BIN`). After the studio ends, the pane's shell prints
/// the exit status and the tty modes, which show whether the terminal was restored.
final class StudioEndToEndTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    let session = "studio"
    var socket = ""
    var scratch = ""

    var binary: String {
        if let custom = ProcessInfo.processInfo.environment["DOODLE_BIN"], !custom.isEmpty { return custom }
        return Self.packageRoot + "/.build/release/doodle"
    }

    var weightsPath: String {
        let env = ProcessInfo.processInfo.environment
        if let home = env["DOODLE_HOME"], !home.isEmpty { return (home as NSString).expandingTildeInPath + "/vgg_normalised.pth" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/doodle/vgg_normalised.pth"
    }

    override func setUpWithError() throws {
        guard Self.which("tmux") != nil else { throw XCTSkip("tmux is not installed") }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail("\(binary) is missing: build with `swift build -c release` (or set DOODLE_BIN)")
            throw XCTSkip("no binary")
        }
        socket = "doodle-test-\(UUID().uuidString.prefix(8))"
        // Short: paths must fit on the studio's log lines.
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dt-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        tmux(["kill-server"])
        // The server's socket file stays behind; remove it.
        let socketDirectory = (ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp") + "/tmux-\(getuid())"
        try? FileManager.default.removeItem(atPath: socketDirectory + "/" + socket)
        try? FileManager.default.removeItem(atPath: scratch)
    }

    // MARK: - tmux

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs tmux on the test's own socket. `new-session` starts the tmux server, a daemon that
    /// would inherit this process's descriptors: Foundation's `Process` learns that a child
    /// ended when a socket it passes down closes, and an output pipe would never reach EOF, so
    /// the server would hold both for ever. It is started through bash with every descriptor
    /// above 2 closed first; only commands whose output is read get a pipe.
    @discardableResult
    func tmux(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        let tmuxPath = Self.which("tmux") ?? "/usr/bin/tmux"
        if arguments.contains("new-session") {
            process.executableURL = URL(fileURLWithPath: Self.which("bash") ?? "/bin/bash")
            process.arguments = ["-c", "for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ \"$n\" -gt 2 ]; then eval \"exec $n>&-\"; fi; done; exec \"$0\" \"$@\"",
                                 tmuxPath, "-L", socket] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tmuxPath)
            process.arguments = ["-L", socket] + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TMUX")
        process.environment = environment
        let reads = ["capture-pane", "display"].contains(arguments.first ?? "")
        let out = Pipe()
        process.standardOutput = reads ? out : FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = reads ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Starts `doodle tui ARGUMENTS` in the package root; afterwards the shell reports
    /// `EXIT=<status>` and `TTY <icanon> <echo>` (restored: `TTY icanon echo`).
    func start(_ arguments: String, width: Int = 100, height: Int = 30) {
        // DOODLE_HOME in the scratch folder keeps the studio's recent folders out of the user's.
        let command = "cd '\(Self.packageRoot)' && TERM=tmux-256color DOODLE_HOME='\(scratch)' '\(binary)' tui "
            + "--weights '\(weightsPath)' \(arguments); echo EXIT=$?; "
            + "echo TTY $(stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'); sleep 120"
        let result = tmux(["-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)", command])
        XCTAssertEqual(result.status, 0, "tmux new-session: \(result.output)")
    }

    func screen(escapes: Bool = false) -> String {
        tmux(["capture-pane", "-p"] + (escapes ? ["-e"] : []) + ["-t", session]).output
    }

    func keys(_ names: String...) { tmux(["send-keys", "-t", session] + names) }
    func type(_ text: String) { tmux(["send-keys", "-t", session, "-l", text]) }

    struct Timeout: Error {}

    /// Polls the screen until `predicate` holds; fails with the last screen after `timeout` s.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 15, escapes: Bool = false, file: StaticString = #filePath,
                 line: UInt = #line, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = screen(escapes: escapes)
            if predicate(last) { return last }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("timed out after \(timeout) s waiting for \(what); the screen:\n\(screen())", file: file, line: line)
        throw Timeout()
    }

    @discardableResult
    func waitFor(text: String, timeout: Double = 15, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try waitFor("'\(text)'", timeout: timeout, file: file, line: line) { $0.contains(text) }
    }

    /// On a terminal `doodle render` redraws one progress line per phase in place (a bar, the
    /// iteration, the speed, the time left) instead of the periodic log lines, and clears it
    /// before the next line: the finished screen has the phase lines and no bar.
    func testRenderShowsALiveProgressBarOnATerminal() throws {
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw XCTSkip("no VGG19 weights at \(weightsPath)") }
        let raw = scratch + "/raw.log", out = scratch + "/live.png"
        let command = "sleep 0.5; cd '\(Self.packageRoot)/samples' && TERM=tmux-256color '\(binary)' render --weights '\(weightsPath)' "
            + "--style monet.jpg --map coast_sem.png --output '\(out)' --output-size 64x48 --phases 1 --iterations 12; "
            + "echo EXIT=$?; sleep 60"
        XCTAssertEqual(tmux(["-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command]).status, 0)
        tmux(["pipe-pane", "-o", "-t", session, "cat >> '\(raw)'"])
        let final = try waitFor(text: "EXIT=0", timeout: 60)
        let bytes = try String(contentsOfFile: raw, encoding: .utf8)
        XCTAssertTrue(bytes.contains("\r\u{1B}[Kphase 1/1 [#"), "the bar is drawn in place")
        XCTAssertTrue(bytes.contains("] 12/12  "), "up to the last iteration")
        XCTAssertFalse(bytes.contains("iter 10/12"), "no periodic lines on a terminal without --print-every")
        XCTAssertTrue(final.contains("phase 1/1 done: 12 evaluations"), final)
        XCTAssertFalse(final.contains("[####"), "the bar is cleared when the phase ends:\n\(final)")
    }

    /// The iteration counter of the Run pane.
    func iteration(_ screen: String) -> Int? {
        let regex = try! NSRegularExpression(pattern: "iteration +([0-9]+)/[0-9]+")
        let range = NSRange(screen.startIndex..., in: screen)
        guard let match = regex.firstMatch(in: screen, range: range), let r = Range(match.range(at: 1), in: screen) else { return nil }
        return Int(screen[r])
    }

    /// The live thumbnail with its colours: each row from its first 256-colour cell on.
    func imageCells(_ escaped: String) -> [String] {
        escaped.split(separator: "\n").compactMap { line in
            line.range(of: "\u{1b}[38;5;").map { String(line[$0.lowerBound...]) }
        }
    }

    /// The studio has ended with `status` and the terminal is back to normal: cooked mode and
    /// echo, and the studio's screen is gone (curses left the alternate screen).
    func assertEndedRestored(status: Int, timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line) throws {
        let end = try waitFor("the exit status", timeout: timeout, file: file, line: line) { $0.contains("TTY ") }
        XCTAssertTrue(end.contains("EXIT=\(status)"), "exit status \(status) expected:\n\(end)", file: file, line: line)
        XCTAssertTrue(end.contains("TTY icanon echo"), "terminal modes not restored:\n\(end)", file: file, line: line)
        XCTAssertFalse(end.contains("doodle studio"), "the studio's screen is still showing:\n\(end)", file: file, line: line)
    }

    // MARK: - Tests

    /// Start a small run, watch the image and the counter move, pause (the counter holds),
    /// change the style weight while paused, resume (the log says from which iteration the
    /// weight applies), write the image, quit (asked, as the run is still going).
    func testRunPauseChangeWeightWriteQuit() throws {
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw XCTSkip("no VGG19 weights at \(weightsPath)") }
        let output = scratch + "/studio.png"
        start("--style samples/monet.jpg --map samples/coast_sem.png --output '\(output)' --iterations 300 --phases 1 --output-size 128x96")
        let inputs = try waitFor(text: "samples/coast_sem.png")
        XCTAssertTrue(inputs.contains("samples/monet.jpg"))
        XCTAssertTrue(inputs.contains("found beside monet.jpg"), "the style map is found beside the style")
        XCTAssertTrue(inputs.contains("38.1%"), "legend with pixel shares:\n\(inputs)")
        XCTAssertTrue(inputs.contains("mode: doodle to artwork"))

        keys("r")
        let first = try waitFor("the first iteration", timeout: 20) { self.iteration($0) != nil }
        XCTAssertTrue(first.contains("phase      1/1 at 128x96"), first)
        let n1 = iteration(first)!
        let image1 = imageCells(screen(escapes: true))
        XCTAssertGreaterThan(image1.count, 5, "a colour thumbnail of the image is shown")
        let later = try waitFor("three more iterations", timeout: 20) { (self.iteration($0) ?? 0) >= n1 + 3 }
        XCTAssertTrue(later.contains("ETA"))
        XCTAssertTrue(later.contains("s/it"))
        XCTAssertTrue(later.contains("style 3_1"))
        XCTAssertTrue(later.contains("total"))
        XCTAssertTrue(later.contains("total loss"), "the sparkline box")
        XCTAssertNotEqual(imageCells(screen(escapes: true)), image1, "the thumbnail is redrawn as the image changes")

        keys("Space")
        _ = try waitFor(text: "paused: space resumes")
        // Read the counter from a settled frame: a capture can catch the terminal mid-redraw.
        Thread.sleep(forTimeInterval: 0.3)
        let held = iteration(screen())!
        Thread.sleep(forTimeInterval: 1.2)
        XCTAssertEqual(iteration(screen()), held, "no iteration while paused")

        keys("2", "Down", "+")
        try waitFor(text: "style weight 25 -> 26: takes effect at the next evaluation")
        keys("3", "Space")
        let applied = try waitFor("the engine to apply the weight") { $0.contains("style weight 25 -> 26") && $0.contains("from iteration") }
        XCTAssertTrue(applied.contains("from iteration \(held + 1): style weight 25 -> 26"), applied)

        keys("w")
        try waitFor(text: "wrote the current image")
        let written = try Image.read(from: output)
        XCTAssertEqual(written.width, 128)
        XCTAssertEqual(written.height, 96)

        keys("q")
        try waitFor(text: "Quit and lose it?")
        keys("y")
        try assertEndedRestored(status: 0)
    }

    /// ASCII mode: choose the style and the doodle with the file chooser (type-ahead), run
    /// three iterations to the end, see where the PNG went.
    func testChooseInputsAndRunToTheEndInASCII() throws {
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw XCTSkip("no VGG19 weights at \(weightsPath)") }
        let output = scratch + "/ascii.png"
        start("--ascii --output '\(output)' --iterations 3 --phases 1 --output-size 64x48")
        try waitFor(text: "choose a style image")
        keys("Enter")
        try waitFor(text: "Choose the style image")
        type("samples")
        keys("Enter")
        try waitFor(text: Self.packageRoot + "/samples")
        type("monet.j")
        let chooser = try waitFor("the preview", timeout: 10) { $0.contains("> monet.jpg") && $0.contains("512x384") }
        XCTAssertFalse(chooser.contains("README.md"), "only images and folders are listed")
        keys("Enter")
        try waitFor(text: "found beside monet.jpg")
        keys("Down", "Right", "Enter")
        try waitFor(text: "Choose the target map")
        XCTAssertTrue(screen().contains(Self.packageRoot + "/samples"), "the chooser opens in the recent folder")
        type("coast")
        keys("Enter")
        let inputs = try waitFor(text: "samples/coast_sem.png")
        XCTAssertTrue(inputs.contains("mode: doodle to artwork"))

        keys("r")
        let done = try waitFor("the end of the run", timeout: 30) { $0.contains("state      finished: wrote") }
        XCTAssertTrue(done.contains("finished: 3 iterations in"), done)
        XCTAssertTrue(done.contains(": wrote \(output)"), "the log says where the PNG went:\n\(done)")
        XCTAssertTrue(done.unicodeScalars.allSatisfy { $0.isASCII }, "ASCII only:\n\(done)")
        XCTAssertTrue(done.contains("iteration 3"), "the image box title counts iterations")
        XCTAssertTrue(try Image.read(from: output).width == 64)
        keys("q")
        try assertEndedRestored(status: 0)
        XCTAssertTrue(screen().contains("doodle tui: last wrote \(output)"))
    }

    /// Below 80x24 it says so; resized, it draws; help opens and closes and lists the preset
    /// keys; --preset quick is applied under the flags; S saves the settings as a preset
    /// (asking for the file) that `doodle check` accepts; l loads a built-in one; Ctrl-C quits
    /// at once when idle (status 130) with the terminal restored.
    func testTooSmallResizeHelpPresetsAndCtrlC() throws {
        start("--preset quick --style samples/monet.jpg --map samples/coast_sem.png --output '\(scratch)/x.png' --iterations 7",
              width: 70, height: 20)
        let small = try waitFor(text: "needs a terminal of at least 80x24")
        XCTAssertTrue(small.contains("this one is 70x20"))
        tmux(["resize-window", "-t", session, "-x", "100", "-y", "30"])
        let full = try waitFor(text: "doodle studio")
        XCTAssertTrue(full.contains("size auto (512x384) x 0.5 = 256x192"), "quick's scale:\n\(full)")
        XCTAssertTrue(full.contains(" l S  load/save preset "), full)
        keys("?")
        let help = try waitFor(text: "Help · any key closes")
        XCTAssertTrue(help.contains("pause / resume"))
        XCTAssertTrue(help.contains("save as a preset"), help)
        keys("Escape")
        try waitFor("help to close") { !$0.contains("Help · any key closes") }

        // S: the file name asked for, with a default to edit.
        keys("S")
        let prompt = try waitFor(text: "Save the settings as a preset")
        XCTAssertTrue(prompt.contains("file: doodle-preset.yaml"), prompt)
        let saved = scratch + "/saved.yaml"
        keys("C-u")
        type(saved)
        keys("Enter")
        try waitFor(text: "saved preset \(saved)")
        let preset = try Preset.load(path: saved)
        XCTAssertEqual(preset.renderSettings.iterations, 7, "the flag")
        XCTAssertEqual(preset.renderSettings.phases, 2, "quick's")
        XCTAssertEqual(preset.scale, 0.5, "quick's")
        XCTAssertEqual(preset.style, Self.packageRoot + "/samples/monet.jpg")
        let check = Process()
        check.executableURL = URL(fileURLWithPath: binary)
        check.arguments = ["check", saved]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0, "doodle check \(saved)")

        // l: a built-in preset, by type-ahead.
        keys("l")
        try waitFor(text: "Load a preset")
        type("portr")
        keys("Enter")
        try waitFor(text: "loaded built-in preset portrait")

        keys("C-c")
        try assertEndedRestored(status: 130)
    }

    /// A bad preset: one line naming file:line, exit 2, before the screen opens.
    func testBadPresetStopsBeforeTheScreen() throws {
        let bad = scratch + "/bad.yaml"
        try "phases: 2\nstyle-weight: heavy\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["tui", "--preset", bad]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2)
        XCTAssertEqual(message, "doodle: \(bad):2: style-weight 'heavy' is not a number; give e.g. 25\n")
    }

    /// SIGTERM (like a crash signal) still gives the terminal back.
    func testSIGTERMRestoresTheTerminal() throws {
        start("--output '\(scratch)/x.png'")
        try waitFor(text: "doodle studio")
        let shell = tmux(["display", "-p", "-t", session, "#{pane_pid}"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: Self.which("ps") ?? "/bin/ps")
        ps.arguments = ["-o", "pid=", "--ppid", shell]
        let out = Pipe()
        ps.standardOutput = out
        try ps.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ps.waitUntilExit()
        let pid = try XCTUnwrap(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), "the studio's pid under shell \(shell): '\(text)'")
        XCTAssertEqual(kill(pid, SIGTERM), 0)
        try assertEndedRestored(status: 143)
    }

    // MARK: - Paint

    /// The distinct colours of a PNG and, per colour, its rows.
    func colourRows(_ path: String) throws -> [[Float]: Set<Int>] {
        let image = try Image.read(from: path)
        let plane = image.width * image.height
        var rows: [[Float]: Set<Int>] = [:]
        for i in 0..<plane { rows[(0..<image.channels).map { image.pixels[$0 * plane + i] }, default: []].insert(i / image.width) }
        return rows
    }

    /// The colours of a map file.
    func colours(_ path: String) throws -> Set<[Float]> { Set(try colourRows(path).keys) }

    /// At 80x24, keys only: open the canvas, paint the lower half in the style map's second
    /// class with the rectangle, undo and redo it, save, render the painting, quit.
    func testPaintADoodleWithKeysSaveAndRenderIt() throws {
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw XCTSkip("no VGG19 weights at \(weightsPath)") }
        let output = scratch + "/doodle.png", map = scratch + "/doodle_sem.png"
        start("--style samples/monet.jpg --output '\(output)' --output-size 64x48 --phases 1 --iterations 20", width: 80, height: 24)
        try waitFor(text: "monet_sem.png")
        keys("p")
        try waitFor(text: "Paint 64x48")
        keys("2", "r")
        for _ in 0..<7 { keys("S-Left") }      // to the left edge, on the middle row
        keys("Space")                            // first corner
        for _ in 0..<12 { keys("S-Right") }
        for _ in 0..<5 { keys("S-Down") }        // the bottom-right corner
        keys("Space")
        try waitFor(text: "(not saved)")
        keys("u")
        keys("U")
        keys("s")
        let saved = try waitFor(text: "Enter renders it")
        XCTAssertFalse(saved.contains("(not saved)"), saved)
        let rows = try colourRows(map)
        XCTAssertEqual(rows.count, 2, "two classes: \(rows.keys)")
        XCTAssertEqual(Set(rows.values), [Set(0..<24), Set(24..<48)], "the upper half one class, the lower the other")
        XCTAssertTrue(try colours(map).isSubset(of: try colours(Self.packageRoot + "/samples/monet_sem.png")),
                      "painted in the style map's colours")

        keys("Enter")
        try waitFor(text: "20 iterations in", timeout: 60)
        let result = try Image.read(from: output)
        XCTAssertEqual([result.width, result.height], [64, 48])
        keys("q")
        try assertEndedRestored(status: 0)
    }

    /// At 100x30 with the mouse (SGR reports as xterm sends them): a stroke, a class picked
    /// by clicking the palette, a fill; quitting with the painting unsaved asks first.
    func testPaintWithTheMouseAndQuitAsksWhenUnsaved() throws {
        let map = scratch + "/mouse_sem.png"
        start("--style samples/monet.jpg --output '\(scratch)/mouse.png' --output-size 96x72")
        try waitFor(text: "found beside monet.jpg")
        keys("p")
        let screen = try waitFor(text: "Paint 96x72")
        // The palette's third row: the line holding "3 " after the swatch.
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Reports count rows and columns from 1; the sidebar is the last 30 columns.
        let paletteRow = try XCTUnwrap(lines.firstIndex { $0.contains("Classes") }) + 3 + 1
        type("\u{1b}[<0;77;\(paletteRow)M")
        type("\u{1b}[<0;77;\(paletteRow)m")
        // A stroke across the canvas's upper part, then release.
        type("\u{1b}[<0;5;5M")
        for x in stride(from: 10, through: 60, by: 10) { type("\u{1b}[<32;\(x);5M") }
        type("\u{1b}[<0;60;5m")
        try waitFor(text: "(not saved)")
        keys("q")
        try waitFor(text: "The painting is not saved")
        keys("n")                                 // any other key: stay
        try waitFor(text: "not quit")
        keys("s")
        try waitFor(text: "Enter renders it")
        let rows = try colourRows(map)
        XCTAssertEqual(rows.count, 2, "the canvas's class and the stroke's")
        let stroke = try XCTUnwrap(rows.min { $0.value.count < $1.value.count })
        XCTAssertLessThanOrEqual(stroke.value.count, 6, "a thin stroke: \(stroke.value.sorted())")
        XCTAssertTrue(stroke.value.allSatisfy { $0 < 12 }, "near the top")
        keys("q")
        try assertEndedRestored(status: 0)
    }
}
