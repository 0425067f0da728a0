import Foundation
import XCTest
import Doodle

/// The `doodle` command as a user meets it: every mistake is one line on stderr naming the
/// file and the fix, exit code 2, and nothing is written or overwritten.
final class CLITests: XCTestCase {
    static let packageRoot = DoodleBinary.packageRoot
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    typealias Run = DoodleBinary.Run

    func doodle(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try DoodleBinary.run(arguments, in: scratch, environment: environment)
    }

    /// Exit 2 and exactly one line on stderr that contains every fragment.
    func assertMistake(_ run: Run, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, 2, "stderr: \(run.stderr)", file: file, line: line)
        let lines = run.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line expected: \(run.stderr)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(run.stderr.contains(fragment), "'\(fragment)' missing from: \(run.stderr)", file: file, line: line)
        }
    }

    func writeMaps() throws -> (style: String, styleMap: String, doodle: String) {
        let style = Image(width: 48, height: 48, channels: 3) { c, x, y in Float((x * 5 + y * 3 + c * 40) % 256) }
        let map = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [255, 51, 31][c] : [0, 0, 255][c] }
        let doodle = Image(width: 48, height: 48, channels: 3) { c, _, y in y < 24 ? [255, 51, 31][c] : [0, 0, 255][c] }
        let paths = ["style.png", "style_sem.png", "doodle_sem.png"].map { scratch.appendingPathComponent($0).path }
        try style.writePNG(to: paths[0])
        try map.writePNG(to: paths[1])
        try doodle.writePNG(to: paths[2])
        return (paths[0], paths[1], paths[2])
    }

    func testMissingStyleFile() throws {
        let run = try doodle(["render", "--style", "nope.jpg", "--output", "out.png"])
        assertMistake(run, mentions: ["nope.jpg", "no such file"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out.png").path))
    }

    func testNotAnImage() throws {
        try "hello".write(to: scratch.appendingPathComponent("notes.png"), atomically: true, encoding: .utf8)
        let run = try doodle(["render", "--style", "notes.png", "--output", "out.png"])
        assertMistake(run, mentions: ["notes.png", "PNG or JPEG"])
    }

    /// Found by the JPEG fuzz target: 400 bytes claiming 65292x246 pixels with the scan data
    /// cut short were read as a 16-megapixel gray image. Refused as truncated now, at once.
    func testAJPEGWhoseScanStopsEarlyIsRefused() throws {
        let jpeg = Self.packageRoot.appendingPathComponent("Fuzz/Regressions/fuzz-jpeg/missing-scan-data-16-megapixels.jpg").path
        let start = Date()
        let run = try doodle(["render", "--style", jpeg, "--output", "out.png"])
        assertMistake(run, mentions: ["missing-scan-data-16-megapixels.jpg': truncated JPEG data", "the file is incomplete"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out.png").path))
    }

    func testUnknownLayerAndBadSeedRange() throws {
        assertMistake(try doodle(["render", "--style", "a.png", "--output", "o.png", "--style-layers", "3_1,9_9"]),
                      mentions: ["9_9", "--style-layers"])
        assertMistake(try doodle(["render", "--style", "a.png", "--output", "o.png", "--seed-range", "200:20"]),
                      mentions: ["--seed-range", "16:240"])
        assertMistake(try doodle(["render", "--style", "a.png"]), mentions: ["--output"])
    }

    func testRefusesToOverwriteAnInput() throws {
        let (style, _, doodleMap) = try writeMaps()
        let before = try Data(contentsOf: URL(fileURLWithPath: doodleMap))
        let run = try doodle(["render", "--style", style, "--map", doodleMap, "--output", doodleMap, "--iterations", "1"])
        assertMistake(run, mentions: ["doodle_sem.png", "one of the inputs"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: doodleMap)), before)
    }

    func testOutputFolderMustExist() throws {
        let (style, _, doodleMap) = try writeMaps()
        let run = try doodle(["render", "--style", style, "--map", doodleMap, "--output", "no/such/dir/out.png"])
        assertMistake(run, mentions: ["no/such/dir", "does not exist"])
    }

    func testDoodleClassMissingFromStyleMap() throws {
        let (style, _, _) = try writeMaps()
        let green = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [0, 255, 0][c] : [0, 0, 255][c] }
        try green.writePNG(to: scratch.appendingPathComponent("green_sem.png").path)
        let run = try doodle(["render", "--style", style, "--map", "green_sem.png", "--output", "out.png"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("#00ff00") && run.stderr.contains("--allow-unmatched"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out.png").path))
    }

    /// A whole (tiny) doodle render: the style map is found beside the style, the PNG is
    /// written, progress is printed.
    func testTinyRenderWritesThePNG() throws {
        let (style, _, doodleMap) = try writeMaps()
        let run = try doodle(["render", "--style", style, "--map", doodleMap, "--output", "out.png",
                              "--phases", "1", "--iterations", "4", "--print-every", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("doodle to artwork: 48x48"), run.stdout)
        XCTAssertTrue(run.stdout.contains("iter 4/4"), run.stdout)
        // The last line splits the time by stage; the stages add up to at most the whole.
        let stages = try XCTUnwrap(run.stdout.split(separator: "\n").last.map(String.init))
        XCTAssertEqual(stages.split(separator: ",").map { $0.split(separator: " ").first.map(String.init) },
                       ["network", "matching", "losses", "optimiser", "setup"], stages)
        let percents = stages.split(separator: "(").dropFirst().compactMap { Double($0.prefix { $0 != "%" }) }
        XCTAssertEqual(percents.count, 5, stages)
        XCTAssertGreaterThan(percents[0], 0, "the network is timed")
        XCTAssertLessThanOrEqual(percents.reduce(0, +), 101, stages)
        let image = try Image.read(from: scratch.appendingPathComponent("out.png").path)
        XCTAssertEqual([image.width, image.height, image.channels], [48, 48, 3])
    }

    /// With a content image the render starts from it (`--seed auto`); `--content-map` is
    /// `--map`; `score --content` measures what survived.
    func testContentRenderStartsFromTheContentAndIsScored() throws {
        let (style, styleMap, _) = try writeMaps()
        let content = Image(width: 48, height: 48, channels: 3) { c, x, y in
            let disc = (x - 20) * (x - 20) + (y - 24) * (y - 24) < 150
            return disc ? [230, 200, 60][c] : Float(40 + x * 2)
        }
        let contentMap = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 30 ? [255, 51, 31][c] : [0, 0, 255][c] }
        try content.writePNG(to: scratch.appendingPathComponent("photo.png").path)
        try contentMap.writePNG(to: scratch.appendingPathComponent("photo_map.png").path)
        let run = try doodle(["render", "--style", style, "--style-map", styleMap, "--content", "photo.png",
                              "--content-map", "photo_map.png", "--output", "out.png", "--phases", "1", "--iterations", "5"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("semantic style transfer: 48x48, 1 phase x 5 iterations, from the content"), run.stdout)
        let noise = try doodle(["render", "--style", style, "--content", "photo.png", "--no-maps", "--seed", "noise",
                                "--output", "noise.png", "--phases", "1", "--iterations", "5"])
        XCTAssertEqual(noise.status, 0, noise.stderr)
        XCTAssertTrue(noise.stdout.contains("style transfer: 48x48, 1 phase x 5 iterations, from noise"), noise.stdout)

        let scored = try doodle(["score", "out.png", "--style", style, "--content", "photo.png", "--json"])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
        let contentScore = try XCTUnwrap(json["content"] as? [String: Double])
        let fromNoise = try doodle(["score", "noise.png", "--style", style, "--content", "photo.png", "--json"])
        let noiseJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(fromNoise.stdout.utf8)) as? [String: Any])
        let noiseScore = try XCTUnwrap(noiseJSON["content"] as? [String: Double])
        // Five evaluations from the content keep far more of it than five from noise.
        XCTAssertGreaterThan(contentScore["structure"]!, noiseScore["structure"]! + 0.2, "\(contentScore) \(noiseScore)")
        XCTAssertLessThan(contentScore["featureDistance"]!, noiseScore["featureDistance"]!)
        let statistics = try XCTUnwrap(json["style"] as? [String: Any])
        XCTAssertNotNil(statistics["gramDistance"] as? Double)
        XCTAssertNotNil(statistics["classGramDistance"] as? Double)
        XCTAssertEqual(statistics["classLayer"] as? String, "conv3_1")
        XCTAssertNil(json["layers"], "no maps given: no class score")

        let texture = try doodle(["score", "out.png", "--style", style, "--texture"])
        XCTAssertEqual(texture.status, 0, texture.stderr)
        XCTAssertTrue(texture.stdout.contains("largest piece of the style copied verbatim"), texture.stdout)
    }

    /// `map clean` writes the flat map and says what it changed; writing over its input, a
    /// non-PNG output and a missing map are one-line mistakes.
    func testMapClean() throws {
        let (_, styleMap, _) = try writeMaps()
        var speckled = try Image.read(from: styleMap)
        for y in 10..<13 { for x in 5..<8 { for c in 0..<3 { speckled[c, x, y] = [0, 0, 255][c] } } }
        let input = scratch.appendingPathComponent("speckled.png").path
        try speckled.writePNG(to: input)
        let run = try doodle(["map", "clean", input, "--output", "clean.png"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("2 classes; 9 pixels (0.39%) took their class's colour; 1 region under 32 pixels merged (9 pixels); wrote clean.png"), run.stdout)
        XCTAssertTrue(try Image.read(from: scratch.appendingPathComponent("clean.png").path) == Image.read(from: styleMap))
        assertMistake(try doodle(["map", "clean", input, "--output", input]), mentions: ["refusing to write", "one of the inputs"])
        assertMistake(try doodle(["map", "clean", input, "--output", "clean.jpg"]), mentions: ["--output 'clean.jpg' must end in .png"])
        assertMistake(try doodle(["map", "clean", "nope.png", "--output", "x.png"]), mentions: ["'nope.png'", "no such file"])
    }

    /// `map from-image` writes a map in the documented palette and says how many classes it
    /// chose; its mistakes are one line each.
    func testMapFromImage() throws {
        let samples = DoodleBinary.packageRoot.appendingPathComponent("samples").path
        let run = try doodle(["map", "from-image", "\(samples)/renoir.jpg", "--output", "renoir_map.png", "--classes", "4"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("\(samples)/renoir.jpg: 4 classes (as asked); wrote renoir_map.png\n"), run.stdout)
        let map = try Image.read(from: scratch.appendingPathComponent("renoir_map.png").path)
        XCTAssertEqual([map.width, map.height], [512, 320])
        let report = try doodle(["map", "inspect", "renoir_map.png"])
        XCTAssertTrue(report.stdout.contains("4 classes"), report.stdout)
        XCTAssertTrue(report.stdout.contains("#f3c300"), "the palette's first colour: \(report.stdout)")

        assertMistake(try doodle(["map", "from-image", "\(samples)/renoir.jpg", "--output", "m.png", "--classes", "0"]),
                      mentions: ["--classes 0 must be within 2...12"])
        assertMistake(try doodle(["map", "from-image", "\(samples)/renoir.jpg", "--output", "m.png", "--classes", "1000"]),
                      mentions: ["--classes 1000 must be within 2...12"])
        assertMistake(try doodle(["map", "from-image", "nope.jpg", "--output", "m.png"]), mentions: ["'nope.jpg'", "no such file"])
        try Image(width: 20, height: 20, channels: 3, repeating: 128).writePNG(to: scratch.appendingPathComponent("tiny.png").path)
        assertMistake(try doodle(["map", "from-image", "tiny.png", "--output", "m.png"]),
                      mentions: ["'tiny.png' is 20x20: give an image at least 32 pixels each way"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("m.png").path))
    }

    /// `map match` recolours the doodle drawn in other colours by the pairs given; its mistakes
    /// are one line each.
    func testMapMatch() throws {
        let (style, styleMap, doodle) = try writeMaps()
        var other = try Image.read(from: doodle)
        for i in 0..<other.planeSize {
            let red = other.pixels[i] > 128
            for c in 0..<3 { other.pixels[c * other.planeSize + i] = red ? [0, 200, 0][c] : [250, 250, 0][c] }
        }
        let input = scratch.appendingPathComponent("other.png").path
        try other.writePNG(to: input)
        // (By layout the two are a tie here: the doodle's halves are the map's turned round.)
        let run = try self.doodle(["map", "match", styleMap, input, "--output", "matched.png", "--pairs", "#00c800=#ff331f,#fafa00=#0000ff"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("#00c800") && run.stdout.contains("-> #ff331f"), run.stdout)
        XCTAssertTrue(try Image.read(from: scratch.appendingPathComponent("matched.png").path) == Image.read(from: doodle))
        assertMistake(try self.doodle(["map", "match", styleMap, input, "--output", "m.png", "--style-image", style]),
                      mentions: ["give both --style-image and --target-image"])
        let wide = scratch.appendingPathComponent("wide.png").path
        try Image(width: 96, height: 48, channels: 3, repeating: 100).writePNG(to: wide)
        assertMistake(try self.doodle(["map", "match", styleMap, input, "--output", "m.png", "--style-image", wide, "--target-image", wide]),
                      mentions: ["is 48x48 but", "is 96x48", "a map must have its image's shape"])
        assertMistake(try self.doodle(["map", "match", styleMap, input, "--output", "m.png", "--pairs", "#00c800"]),
                      mentions: ["--pairs '#00c800' must be TARGET=STYLE"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("m.png").path))
    }

    /// `map inspect` says, for each doodle class the style map lacks, which class `map match`
    /// would give it (here by layout: the left half to the left half).
    func testMapInspectShowsTheMatchPairingOfMissingClasses() throws {
        let (_, styleMap, _) = try writeMaps()
        let target = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [0, 200, 0][c] : [250, 250, 0][c] }
        let path = scratch.appendingPathComponent("separate.png").path
        try target.writePNG(to: path)
        let run = try doodle(["map", "inspect", styleMap, path])
        XCTAssertEqual(run.status, 2)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  #00c800") && $0.hasSuffix("MISSING from first map (`map match` would pair it with #ff331f orange-red)") },
                      run.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  #fafa00") && $0.hasSuffix("(`map match` would pair it with #0000ff blue)") }, run.stdout)
        XCTAssertTrue(run.stderr.hasSuffix("recolour the doodle with `doodle map match`, or pass --allow-unmatched when rendering\n"), run.stderr)
    }

    func testScoreNeedsSomethingToCompareWith() throws {
        let (style, styleMap, _) = try writeMaps()
        assertMistake(try doodle(["score", style, "--style", style]), mentions: ["nothing to score", "--content", "--texture"])
        assertMistake(try doodle(["score", style, "--style", style, "--style-map", styleMap]),
                      mentions: [styleMap, "--map"])
    }

    /// Starts a render, waits until its output contains `marker` (nil: interrupt at once),
    /// sends Ctrl-C and returns the exit status and everything printed.
    func interruptedRender(_ arguments: [String], after marker: String?) throws -> (status: Int32, output: String) {
        try DoodleBinary.interrupted(arguments, in: scratch, after: marker)
    }

    /// Ctrl-C stops at the next evaluation and writes the image so far, at the size asked
    /// for (upscaled from the running phase's), saying where it stopped; exit 130.
    func testInterruptWritesTheCurrentImageAtTheRequestedSize() throws {
        let (style, _, doodleMap) = try writeMaps()
        let (status, output) = try interruptedRender(
            ["render", "--style", style, "--map", doodleMap, "--output", "out.png", "--output-size", "96x96",
             "--phases", "2", "--iterations", "100000", "--print-every", "1"], after: "iter 2/")
        XCTAssertEqual(status, 130, output)
        XCTAssertTrue(output.contains("interrupted in phase 1/2 at iteration "), output)
        XCTAssertTrue(output.contains(": wrote that image (upscaled from 48x48) to out.png"), output)
        let image = try Image.read(from: scratch.appendingPathComponent("out.png").path)
        XCTAssertEqual([image.width, image.height], [96, 96])
    }

    /// An output that already exists is never replaced by an interrupted render: the partial
    /// image goes beside it. Ctrl-C during setup writes nothing at all.
    func testInterruptKeepsAnExistingOutput() throws {
        let (style, _, doodleMap) = try writeMaps()
        let existing = scratch.appendingPathComponent("out.png").path
        try Image(width: 48, height: 48, channels: 3) { _, _, _ in 200 }.writePNG(to: existing)
        let before = try Data(contentsOf: URL(fileURLWithPath: existing))
        let arguments = ["render", "--style", style, "--map", doodleMap, "--output", "out.png",
                         "--phases", "1", "--iterations", "100000", "--print-every", "1"]

        let (status, output) = try interruptedRender(arguments, after: "iter 2/")
        XCTAssertEqual(status, 130, output)
        XCTAssertTrue(output.contains("wrote that image to out.interrupted.png (out.png is kept as it was)"), output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: existing)), before)
        XCTAssertEqual(try Image.read(from: scratch.appendingPathComponent("out.interrupted.png").path).width, 48)

        try FileManager.default.removeItem(at: scratch.appendingPathComponent("out.interrupted.png"))
        // A 2000x2000 style map keeps the setup (reading it, finding its classes) busy for a
        // while: Ctrl-C then comes before the render starts.
        let bigMap = Image(width: 2000, height: 2000, channels: 3) { c, x, _ in x < 1000 ? [255, 51, 31][c] : [0, 0, 255][c] }
        try bigMap.writePNG(to: scratch.appendingPathComponent("big_sem.png").path)
        let (early, earlyOutput) = try interruptedRender(arguments + ["--style-map", "big_sem.png"], after: nil)
        XCTAssertEqual(early, 130, earlyOutput)
        XCTAssertTrue(earlyOutput.contains("nothing written"), earlyOutput)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: existing)), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out.interrupted.png").path))
    }

    /// An output that cannot be written is found before any work, by render and by check:
    /// a file system that takes no new files, a name too long, a folder in the way.
    func testUnwritableOutputsAreFoundBeforeTheRender() throws {
        let (style, _, doodleMap) = try writeMaps()
        let long = String(repeating: "a", count: 300) + ".png"
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("folder.png"), withIntermediateDirectories: true)
        let cases: [(String, String)] = [("/proc/doodle-test.png", "cannot write '/proc/doodle-test.png': directory '/proc' does not accept new files"),
                                         (long, "the file name is too long"),
                                         ("folder.png", "it is a directory")]
        for (output, fragment) in cases {
            let run = try doodle(["render", "--style", style, "--map", doodleMap, "--output", output,
                                  "--phases", "1", "--iterations", "2"])
            assertMistake(run, mentions: [fragment])
            XCTAssertFalse(run.stdout.contains("doodle to artwork"), "stopped before the render: \(run.stdout)")
            let job = "style: \(style)\nmap: \(doodleMap)\noutput: \(output.hasPrefix("/") ? output : scratch.appendingPathComponent(output).path)\n"
            try job.write(to: scratch.appendingPathComponent("job.yaml"), atomically: true, encoding: .utf8)
            let check = try doodle(["check", "job.yaml"])
            XCTAssertEqual(check.status, 2, check.stdout + check.stderr)
            XCTAssertTrue((check.stdout + check.stderr).contains(fragment), check.stdout + check.stderr)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no probe or temporary file is left behind")
    }

    /// When the final write fails after all (here: the output's folder was removed during the
    /// render), the image is saved in $TMPDIR and the error names it.
    func testAFailedFinalWriteSavesTheImageElsewhere() throws {
        let (style, _, doodleMap) = try writeMaps()
        let folder = scratch.appendingPathComponent("gone")
        let rescue = scratch.appendingPathComponent("rescue")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: rescue, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = try DoodleBinary.url()
        process.arguments = ["render", "--style", style, "--map", doodleMap, "--output", "gone/out.png",
                             "--phases", "1", "--iterations", "100000", "--print-every", "1"]
        process.currentDirectoryURL = scratch
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": rescue.path]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains("iter 2/") {
            seen.append(out.fileHandleForReading.availableData)
        }
        try FileManager.default.removeItem(at: folder)
        process.interrupt()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2, message)
        let saved = try FileManager.default.contentsOfDirectory(atPath: rescue.path).filter { $0.hasSuffix(".png") }
        XCTAssertEqual(saved.count, 1, message)
        XCTAssertTrue(message.contains("does not exist; the image was saved to '\(rescue.path)/\(saved.first ?? "?")' instead"), message)
        XCTAssertEqual(try Image.read(from: rescue.appendingPathComponent(saved[0]).path).width, 48)
    }

    /// An input with transparent areas is painted over white, and the render says so once.
    func testTransparentInputIsNoted() throws {
        let rgba = DoodleBinary.packageRoot.appendingPathComponent("Tests/Fixtures/images/rgba_style48.png").path
        let run = try doodle(["render", "--style", rgba, "--output", "t.png", "--output-size", "32x32", "--phases", "1",
                              "--iterations", "1", "--print-every", "0"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let notes = run.stdout.split(separator: "\n").filter { $0.hasPrefix("note: ") }
        XCTAssertEqual(notes, ["note: '\(rgba)' is transparent in 25.0% of its pixels: doodle paints them over white (flatten it on another colour to choose)"])
    }

    /// Weights that are not finite, negative or too large for float arithmetic, and a seed
    /// that is neither a word nor a file: one line each, exit 2, nothing written.
    func testBadWeightsAndSeedsSayWhatToGive() throws {
        let (style, _, doodleMap) = try writeMaps()
        let base = ["render", "--style", style, "--map", doodleMap, "--output", "out.png", "--phases", "1", "--iterations", "3"]
        assertMistake(try doodle(base + ["--style-weight", "inf"]), mentions: ["--style-weight inf must be a finite number"])
        assertMistake(try doodle(base + ["--style-weight", "-1"]), mentions: ["--style-weight -1 must be at least 0"])
        assertMistake(try doodle(base + ["--variety", "1.5"]), mentions: ["--variety 1.5 must be within 0...1"])
        assertMistake(try doodle(base + ["--seed", "bogus"]), mentions: ["'bogus': no such file; give auto, noise, content or an image file"])
        // A phase too small for the network is dropped, and the log says so.
        let dropped = try doodle(["render", "--style", style, "--map", doodleMap, "--output", "two.png", "--phases", "3", "--iterations", "2"])
        XCTAssertEqual(dropped.status, 0, dropped.stderr)
        XCTAssertTrue(dropped.stdout.contains("doodle to artwork: 48x48, 2 phases x 2 iterations, from noise\n1 coarse phase dropped: at 1/4 the result (12x12) or the style would be smaller than the 24 pixels each way conv4_1 needs"), dropped.stdout)
        let huge = try doodle(base + ["--style-weight", "3e38"])
        assertMistake(huge, mentions: ["the loss is inf at phase 1 iteration 1", "style 3e+38"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out.png").path))
    }

    func testWeightsVerifyAndPath() throws {
        let path = try doodle(["weights", "path"])
        XCTAssertEqual(path.status, 0)
        XCTAssertTrue(path.stdout.hasSuffix("vgg_normalised.pth\n"), path.stdout)
        let verify = try doodle(["weights", "verify"])
        XCTAssertEqual(verify.status, 0, verify.stderr + " (run scripts/setup)")
        XCTAssertTrue(verify.stdout.contains("804ca2835ecf7539f0cd2a7ac3c18ce81e6f8468969ae7117ac0c148d286bb4a (pinned)"), verify.stdout)

        // A broken weights file: one line naming it, exit 2.
        let broken = scratch.appendingPathComponent("broken.pth")
        try Data(repeating: 7, count: 1000).write(to: broken)
        assertMistake(try doodle(["weights", "verify", "--weights", broken.path]), mentions: ["broken.pth"])
        // No weights at all under an empty DOODLE_HOME.
        let run = try doodle(["weights", "verify"], environment: ["DOODLE_HOME": scratch.path])
        assertMistake(run, mentions: ["vgg_normalised.pth", "scripts/setup"])
    }

    func testHelpExitsZero() throws {
        let run = try doodle(["render", "--help"])
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.contains("--style-weight"), run.stdout)
    }
}
