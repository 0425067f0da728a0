import Foundation
import XCTest
import Doodle

/// `doodle presets`, `render --preset`, `run` and `check` through the real binary. The binary is
/// `.build/release/doodle`, or the one named by the environment variable DOODLE_BIN. Renders
/// are tiny (48x48, one phase, a few iterations).
final class PresetCLITests: XCTestCase {
    static let packageRoot = DoodleBinary.packageRoot
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-preset-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    typealias Run = DoodleBinary.Run

    func doodle(_ arguments: [String], in directory: URL? = nil) throws -> Run {
        try DoodleBinary.run(arguments, in: directory ?? scratch)
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws {
        let url = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// A 48x48 style with its map (left orange, right blue) and a doodle (top orange,
    /// bottom blue), in `folder`.
    func writeImages(in folder: String = "art") throws {
        try FileManager.default.createDirectory(atPath: path(folder), withIntermediateDirectories: true)
        let style = Image(width: 48, height: 48, channels: 3) { c, x, y in Float((x * 5 + y * 3 + c * 40) % 256) }
        let map = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [255, 51, 31][c] : [0, 0, 255][c] }
        let doodle = Image(width: 48, height: 48, channels: 3) { c, _, y in y < 24 ? [255, 51, 31][c] : [0, 0, 255][c] }
        try style.writePNG(to: path("\(folder)/style.png"))
        try map.writePNG(to: path("\(folder)/style_sem.png"))
        try doodle.writePNG(to: path("\(folder)/doodle_sem.png"))
    }

    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        }
    }

    // MARK: -

    /// A file nested 5000 deep used to crash the YAML parser (SIGSEGV); now every command that
    /// reads it stops with its line and exit 2.
    func testDeeplyNestedYAMLIsOneLineNotACrash() throws {
        try writeImages()
        try write("a: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n", to: "n.yaml")
        let expected = "n.yaml:1: nested more than 64 levels deep"
        for arguments in [["check", "n.yaml"], ["run", "n.yaml"],
                          ["render", "--preset", "n.yaml", "--style", "art/style.png", "--output", "o.png"]] {
            let run = try doodle(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue((run.stdout + run.stderr).contains(expected), "\(arguments): \(run.stdout) \(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.png")))
    }

    /// Every parameter of the table is a flag of `doodle render` (and `doodle tui`), with the
    /// table's help; a bad value gets the same message on the command line as in a preset file.
    func testEveryParameterIsAFlagAndBadValuesReadTheSame() throws {
        for command in ["render", "tui"] {
            let help = try doodle([command, "--help"]).stdout
            let keys = RenderParameters.all.map(\.key).filter {
                command == "render" || ![.printEvery, .frames, .saveEvery].contains($0)
            }
            for key in keys {
                XCTAssertTrue(key == .noMaps ? help.contains("--maps/--no-maps") : help.contains(key.flag + " ") || help.contains(key.flag + ","),
                              "\(command) lacks \(key.flag)")
            }
            XCTAssertTrue(help.contains("Nearest-neighbour patch search"), "help from the table")
        }
        try writeImages()
        for (key, bad) in [("variety", "2"), ("style-weight", "heavy"), ("iterations", "0"), ("style-layers", "9_9"),
                           ("seed-range", "1:300"), ("matcher", "exat"), ("random-seed", "-1"), ("phases", "7")] {
            try write("style: art/style.png\nmap: art/doodle_sem.png\noutput: out.png\n\(key): \"\(bad)\"\n", to: "bad.yaml")
            let file = try doodle(["render", "--preset", "bad.yaml"])
            let flag = try doodle(["render", "--style", "art/style.png", "--map", "art/doodle_sem.png", "--output", "out.png", "--\(key)", bad])
            XCTAssertEqual(file.status, 2)
            XCTAssertEqual(flag.status, 2)
            let fromFile = file.stderr.components(separatedBy: "bad.yaml:4: \(key)").last ?? ""
            let fromFlag = flag.stderr.components(separatedBy: "--\(key)").last ?? ""
            XCTAssertFalse(fromFile.isEmpty || fromFile == file.stderr, file.stderr)
            XCTAssertEqual(fromFile, fromFlag, "\(key) \(bad): \(file.stderr) vs \(flag.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.png")))
    }

    func testPresetsListsEveryBuiltinOnOneLine() throws {
        let run = try doodle(["presets"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.map { String($0.split(separator: " ")[0]) }, ["quick", "default", "fine", "texture", "gatys", "portrait"])
        let quick = try doodle(["presets", "quick"])
        XCTAssertTrue(quick.stdout.contains("scale: 0.5"), quick.stdout)
        XCTAssertTrue(try doodle(["presets", "--keys"]).stdout.contains("style-weight"))
        let unknown = try doodle(["presets", "quik"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'quick'?"), unknown.stderr)
    }

    /// A preset file gives the inputs (relative to its folder) and settings; flags override it.
    func testRenderWithAPresetFileAndAFlagOverride() throws {
        try writeImages()
        try write("""
            style: style.png
            map: doodle_sem.png
            output: out.png
            phases: 1
            iterations: 2
            print-every: 1
            """, to: "art/tiny.yaml")
        let run = try doodle(["render", "--preset", "art/tiny.yaml", "--iterations", "3"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("doodle to artwork: 48x48, 1 phase x 3 iterations"), run.stdout)
        XCTAssertTrue(run.stdout.contains("iter 3/3"), run.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("art/out.png")), "the output is relative to the preset's folder")

        // A built-in preset under flags: quick halves the size.
        let quick = try doodle(["render", "--preset", "quick", "--style", "art/style.png", "--map", "art/doodle_sem.png",
                                "--output", "quick.png", "--phases", "1", "--iterations", "2", "--print-every", "0"])
        XCTAssertEqual(quick.status, 0, quick.stderr)
        XCTAssertTrue(quick.stdout.contains("doodle to artwork: 24x24"), quick.stdout)
        // An explicit size is the size: quick's scale does not shrink it; --scale given with it does.
        let sized = try doodle(["render", "--preset", "quick", "--style", "art/style.png", "--map", "art/doodle_sem.png",
                                "--output", "sized.png", "--output-size", "40x32", "--phases", "1", "--iterations", "1", "--print-every", "0"])
        XCTAssertEqual(sized.status, 0, sized.stderr)
        XCTAssertTrue(sized.stdout.contains("doodle to artwork: 40x32"), sized.stdout)
        XCTAssertEqual(try Image.read(from: path("sized.png")).width, 40)
        let scaled = try doodle(["render", "--preset", "quick", "--style", "art/style.png", "--map", "art/doodle_sem.png",
                                 "--output", "scaled.png", "--output-size", "40x32", "--scale", "1.5", "--phases", "1",
                                 "--iterations", "1", "--print-every", "0"])
        XCTAssertTrue(scaled.stdout.contains("doodle to artwork: 60x48"), scaled.stdout)

        // A bad preset file: one line with file:line, exit 2.
        try write("styel-weight: 3\n", to: "bad.yaml")
        let bad = try doodle(["render", "--preset", "bad.yaml", "--style", "art/style.png", "--output", "x.png"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderr, "doodle: bad.yaml:1: unknown key 'styel-weight'; did you mean 'style-weight'?\n")
    }

    /// The same preset and random seed give the same bytes; another seed does not.
    func testSamePresetAndSeedGiveIdenticalPNGs() throws {
        try writeImages()
        try write("""
            style: art/style.png
            map: art/doodle_sem.png
            phases: 1
            iterations: 3
            random-seed: 7
            print-every: 0
            """, to: "same.yaml")
        for name in ["a.png", "b.png"] {
            let run = try doodle(["render", "--preset", "same.yaml", "--output", name])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let other = try doodle(["render", "--preset", "same.yaml", "--output", "c.png", "--random-seed", "8"])
        XCTAssertEqual(other.status, 0, other.stderr)
        let a = try Data(contentsOf: URL(fileURLWithPath: path("a.png")))
        XCTAssertEqual(a, try Data(contentsOf: URL(fileURLWithPath: path("b.png"))))
        XCTAssertNotEqual(a, try Data(contentsOf: URL(fileURLWithPath: path("c.png"))))
    }

    static let twoJobs = """
        phases: 1
        iterations: 2
        print-every: 0
        style: art/style.png
        jobs:
          - name: good
            map: art/doodle_sem.png
            output: out/good.png
          - name: bad
            style: art/missing.png
            output: out/bad.png
        """

    /// A transfer job (content, no maps) is scored by its structure; it has no class scores.
    func testRunScoresAContentJob() throws {
        try writeImages()
        try write("""
            phases: 1
            iterations: 2
            style: art/style.png
            content: art/doodle_sem.png
            no-maps: true
            output: out/transfer.png
            """, to: "transfer.yaml")
        let run = try doodle(["run", "transfer.yaml", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try jsonLines(run.stdout)
        let score = try XCTUnwrap(lines.first?["score"] as? [String: Any], run.stdout)
        let structure = try XCTUnwrap(score["structure"] as? Double, "\(score)")
        XCTAssertTrue((0.0...1.0).contains(structure), "\(structure)")
        XCTAssertNil(score["layers"], "\(score)")
        XCTAssertNil(score["deltaE"], "\(score)")
        // The record beside the output reads back (and the job is up to date).
        let again = try doodle(["run", "transfer.yaml", "--json"])
        XCTAssertEqual(try jsonLines(again.stdout).first?["status"] as? String, "skipped", again.stdout)
    }

    /// One job fails: it is reported, the other is done, exit 1; --json gives one line per job.
    func testRunReportsAFailingJobAndGoesOn() throws {
        try writeImages()
        try write(Self.twoJobs, to: "jobs.yaml")
        let run = try doodle(["run", "jobs.yaml"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stdout.contains("[1/2] good: done"), run.stdout)
        XCTAssertTrue(run.stdout.contains("[2/2] bad: failed"), run.stdout)
        XCTAssertTrue(run.stdout.contains("2 jobs: 1 done, 0 skipped, 1 failed"), run.stdout)
        XCTAssertTrue(run.stderr.contains("jobs.yaml:10") && run.stderr.contains("missing.png"), run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out/good.png")), "the output folder is created")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out/good.png.json")))

        let json = try doodle(["run", "jobs.yaml", "--json", "--force"])
        XCTAssertEqual(json.status, 1, json.stderr)
        let lines = try jsonLines(json.stdout)
        XCTAssertEqual(lines.count, 3, json.stdout)
        XCTAssertEqual(lines[0]["type"] as? String, "job")
        XCTAssertEqual(lines[0]["name"] as? String, "good")
        XCTAssertEqual(lines[0]["status"] as? String, "done")
        XCTAssertEqual(lines[0]["output"] as? String, "out/good.png")
        XCTAssertTrue(lines[0]["error"] is NSNull)
        XCTAssertNotNil(lines[0]["seconds"] as? Double)
        let score = try XCTUnwrap(lines[0]["score"] as? [String: Any], "a doodle job is scored with --json")
        XCTAssertNotNil((score["layers"] as? [String: Double])?["conv3_1"])
        XCTAssertNotNil(score["deltaE"] as? Double)
        XCTAssertEqual(lines[1]["status"] as? String, "failed")
        XCTAssertTrue((lines[1]["error"] as? String ?? "").contains("missing.png"), "\(lines[1])")
        XCTAssertEqual(lines[2]["type"] as? String, "summary")
        XCTAssertEqual(lines[2]["done"] as? Int, 1)
        XCTAssertEqual(lines[2]["failed"] as? Int, 1)
        XCTAssertEqual((lines[2]["scores"] as? [[String: Any]])?.first?["name"] as? String, "good")
    }

    /// An output whose inputs and settings have not changed is skipped; --force, a changed
    /// setting or a changed input renders it again; touching the file alone does not.
    func testRunSkipsUpToDateOutputs() throws {
        try writeImages()
        try write(Self.twoJobs.replacingOccurrences(of: "art/missing.png", with: "art/style.png")
            .replacingOccurrences(of: "output: out/bad.png", with: "map: art/doodle_sem.png\n    output: out/second.png"),
                  to: "jobs.yaml")
        func statuses(_ extra: [String] = []) throws -> [String] {
            let run = try doodle(["run", "jobs.yaml", "--json", "--no-score"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try jsonLines(run.stdout).dropLast().map { $0["status"] as? String ?? "?" }
        }
        XCTAssertEqual(try statuses(), ["done", "done"])
        let first = try Data(contentsOf: URL(fileURLWithPath: path("out/good.png")))
        XCTAssertEqual(try statuses(), ["skipped", "skipped"])
        XCTAssertEqual(try statuses(["--force"]), ["done", "done"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("out/good.png"))), first, "the same settings render the same bytes")

        // Rewriting the file with the same content: still up to date.
        try write(try String(contentsOfFile: path("jobs.yaml"), encoding: .utf8), to: "jobs.yaml")
        XCTAssertEqual(try statuses(), ["skipped", "skipped"])
        // Another setting for the second job only.
        try write(try String(contentsOfFile: path("jobs.yaml"), encoding: .utf8) + "\n    random-seed: 3\n", to: "jobs.yaml")
        XCTAssertEqual(try statuses(), ["skipped", "done"])
        // A changed input: both use the doodle.
        let changed = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 30 ? [255, 51, 31][c] : [0, 0, 255][c] }
        try changed.writePNG(to: path("art/doodle_sem.png"))
        XCTAssertEqual(try statuses(), ["done", "done"])
        // An output changed by hand.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path("out/good.png")))
        XCTAssertEqual(try statuses(), ["done", "skipped"])
    }

    func testRunRefusesAnInvalidFile() throws {
        try write("jobs:\n  - styel: a.png\n    output: a.png\n  - output: b.jpg\n", to: "broken.yaml")
        let run = try doodle(["run", "broken.yaml"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stdout, "")
        XCTAssertEqual(run.stderr.split(separator: "\n"), [
            "doodle: broken.yaml:2: unknown key 'styel'; did you mean 'style'?",
            "doodle: broken.yaml:4: output 'b.jpg' must end in .png (doodle writes PNG)",
        ])
        XCTAssertEqual(try doodle(["run", "nothere.yaml"]).status, 2)
    }

    /// Found by the preset fuzz target: a file that is one long scalar of several lines gave a
    /// message of several lines. Now one line, the text cut at 40 characters, breaks escaped.
    func testAFileOfOneMultiLineTextIsRefusedInOneLine() throws {
        try write("-1\n\n\n  a long paragraph that goes on and on, and on and on, past forty characters\n", to: "prose.yaml")
        let run = try doodle(["check", "prose.yaml"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr, "prose.yaml:1: the file must be a mapping of keys to values, like `style: monet.jpg`; "
                       + "found the text '-1\\n\\na long paragraph that goes on and on…'\n")
    }

    func testCheckGivesEveryProblemWithFileAndLine() throws {
        try writeImages()
        try write("""
            phases: 1
            styel-weight: 30
            jobs:
              - style: art/style.png
                map: art/doodle_sem.png
                output: ok.png
                iterations: -1
            """, to: "static.yaml")
        let run = try doodle(["check", "static.yaml"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr.split(separator: "\n"), [
            "static.yaml:2: unknown key 'styel-weight'; did you mean 'style-weight'?",
            "static.yaml:7: iterations -1 must be within 1...100000",
        ])

        let green = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [0, 255, 0][c] : [0, 0, 255][c] }
        try green.writePNG(to: path("art/green_sem.png"))
        try write("""
            phases: 1
            jobs:
              - style: art/style.png
                map: art/green_sem.png
                output: green.png
              - style: art/nothere.jpg
                output: other.png
            """, to: "files.yaml")
        let files = try doodle(["check", "files.yaml"])
        XCTAssertEqual(files.status, 2)
        let lines = files.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, files.stderr)
        XCTAssertTrue(lines[0].hasPrefix("files.yaml:4: job 'green': 'art/green_sem.png': class #00ff00"), lines[0])
        XCTAssertEqual(lines[1], "files.yaml:6: job 'other': style 'art/nothere.jpg': no such file")

        // Valid: exit 0, nothing on stderr, nothing rendered.
        try write("style: art/style.png\nmap: art/doodle_sem.png\noutput: fine.png\n", to: "ok.yaml")
        let ok = try doodle(["check", "ok.yaml"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, "ok.yaml: 1 job, valid\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("fine.png")))
    }

    /// The gallery of README figures is a valid job file (it is not rendered here).
    func testGalleryIsValid() throws {
        let run = try doodle(["check", "samples/gallery.yaml"], in: Self.packageRoot)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "samples/gallery.yaml: 11 jobs, valid\n")
        let file = try JobFile.load(path: Self.packageRoot.appendingPathComponent("samples/gallery.yaml").path)
        let names = ["coast", "valley", "texture", "transfer", "semantic-transfer", "semantic-transfer-from-image",
                     "transfer-gram", "semantic-transfer-gram", "river-gram", "transfer-luminance", "texture-gram"]
        XCTAssertEqual(file.jobs.map(\.name), names)
        let outputs = file.jobs.compactMap { $0.preset.output.map { URL(fileURLWithPath: $0).lastPathComponent } }
        XCTAssertEqual(outputs, names.map { $0 + ".png" })
        let texture = try file.jobs[2].resolve()
        XCTAssertEqual(texture.inputs.mode, .texture)
        XCTAssertEqual(texture.inputs.finalSize.width, 256)
        XCTAssertEqual(try file.jobs[3].resolve().inputs.mode, .transfer)
        XCTAssertEqual(try file.jobs[0].resolve().inputs.mode, .doodle)
        // The river's black-and-white map is a mask of the content: Monet's map, found beside
        // his painting, is set aside, and a notice says so.
        let river = try file.jobs[8].resolve()
        XCTAssertNil(river.inputs.styleMap)
        XCTAssertNotNil(river.inputs.targetMap)
        XCTAssertEqual(river.settings.styleLoss, .gram)
        XCTAssertTrue(river.notices.contains { $0.contains("read as a mask of the content") }, "\(river.notices)")
    }
}
