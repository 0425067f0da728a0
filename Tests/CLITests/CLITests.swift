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
        XCTAssertTrue(run.stdout.contains("semantic style transfer: 48x48, 1 phases x 5 iterations, from the content"), run.stdout)
        let noise = try doodle(["render", "--style", style, "--content", "photo.png", "--no-maps", "--seed", "noise",
                                "--output", "noise.png", "--phases", "1", "--iterations", "5"])
        XCTAssertEqual(noise.status, 0, noise.stderr)
        XCTAssertTrue(noise.stdout.contains("style transfer: 48x48, 1 phases x 5 iterations, from noise"), noise.stdout)

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
        XCTAssertNotNil((json["style"] as? [String: Double])?["gramDistance"])
        XCTAssertNil(json["layers"], "no maps given: no class score")

        let texture = try doodle(["score", "out.png", "--style", style, "--texture"])
        XCTAssertEqual(texture.status, 0, texture.stderr)
        XCTAssertTrue(texture.stdout.contains("largest piece of the style copied verbatim"), texture.stdout)
    }

    func testScoreNeedsSomethingToCompareWith() throws {
        let (style, styleMap, _) = try writeMaps()
        assertMistake(try doodle(["score", style, "--style", style]), mentions: ["nothing to score", "--content", "--texture"])
        assertMistake(try doodle(["score", style, "--style", style, "--style-map", styleMap]),
                      mentions: [styleMap, "--map"])
    }

    /// Ctrl-C stops at the next evaluation, writes the image so far and exits 130.
    func testInterruptWritesTheCurrentImage() throws {
        let (style, _, doodleMap) = try writeMaps()
        let process = Process()
        process.executableURL = try DoodleBinary.url()
        process.arguments = ["render", "--style", style, "--map", doodleMap, "--output", "out.png",
                             "--phases", "1", "--iterations", "100000", "--print-every", "1"]
        process.currentDirectoryURL = scratch
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        // Wait for the first progress line, then interrupt.
        var seen = Data()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains("iter 2/") {
            seen.append(out.fileHandleForReading.availableData)
        }
        process.interrupt()
        seen.append(out.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, String(decoding: seen, as: UTF8.self))
        XCTAssertTrue(String(decoding: seen, as: UTF8.self).contains("interrupted: wrote the current image to out.png"))
        let image = try Image.read(from: scratch.appendingPathComponent("out.png").path)
        XCTAssertEqual(image.width, 48)
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
