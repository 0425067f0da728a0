import Foundation
import XCTest
import Net
import Patches
import Doodle

/// Presets and job files without rendering: parsing, merge order, paths, messages, checks.
final class PresetTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doodle-presets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// The issues `JobFile.load` reports for `text`, as `line: message`.
    func issues(_ text: String, file: String = "p.yaml") throws -> [PresetIssue] {
        let path = try write(text, to: file)
        do {
            _ = try JobFile.load(path: path)
            return []
        } catch let error as PresetError {
            return error.issues
        }
    }

    // MARK: - Built-in presets

    func testEveryBuiltinPresetParsesAndValidates() throws {
        XCTAssertEqual(Preset.builtinNames, ["quick", "default", "fine", "texture", "gatys", "portrait"])
        let renderKeys = RenderParameters.all.filter { $0.defaultValue != nil }.map(\.key)
        for name in Preset.builtinNames {
            let preset = try XCTUnwrap(Preset.builtin(named: name), name)
            XCTAssertEqual(preset.name, name)
            XCTAssertFalse(preset.description ?? "" == "", "\(name) needs a one-line description")
            XCTAssertEqual(preset.validationIssues(), [], name)
            // Over the defaults, every render key has a value; the settings can be made.
            let full = preset.merged(over: .defaults)
            for key in renderKeys { XCTAssertNotNil(full[key], "\(name) lacks \(key.rawValue)") }
            _ = full.renderSettings
            // Its YAML reads back to the same values, and `doodle check` finds nothing (a
            // preset has no inputs of its own).
            let path = try write(preset.yaml(), to: "\(name).yaml")
            let reread = try Preset.load(path: path)
            XCTAssertEqual(reread.values, preset.values, name)
            XCTAssertEqual(try Preset.named(name).values, preset.values)
        }
        XCTAssertNil(Preset.builtin(named: "nope"))
    }

    /// `default` holds the values `doodle render` always had.
    func testDefaultPresetIsTheRenderDefaults() throws {
        let d = Preset.defaults
        XCTAssertEqual(d.renderSettings, RenderSettings())
        XCTAssertEqual(d.contentWeight, 10)
        XCTAssertEqual(d.contentLayers, [.conv4_2])
        XCTAssertEqual(d.styleWeight, 25)
        XCTAssertEqual(d.styleLayers, [.conv3_1, .conv4_1])
        XCTAssertEqual(d.semanticWeight, 10)
        XCTAssertEqual(d.smoothness, 1)
        XCTAssertEqual(d.variety, 0)
        XCTAssertEqual(d.iterations, [100, 100, 50])
        XCTAssertEqual(d.phases, 3)
        XCTAssertEqual(d.seed, "auto")
        XCTAssertEqual(d.seedRange, 16...240)
        XCTAssertEqual(d.randomSeed, 0)
        XCTAssertEqual(d.pooling, .average)
        XCTAssertEqual(d.matcher, MatcherKind.default)
        XCTAssertEqual(d.scale, 1)
        XCTAssertEqual(d.noMaps, false)
        // quick is smaller and shorter, fine larger and longer.
        let quick = Preset.builtin(named: "quick")!.merged(over: d), fine = Preset.builtin(named: "fine")!.merged(over: d)
        XCTAssertLessThan(quick.scale!, 1)
        XCTAssertLessThan(quick.iterations!.evaluations(inPhase: 0), d.iterations!.evaluations(inPhase: 0))
        XCTAssertGreaterThan(fine.scale!, 1)
        XCTAssertGreaterThan(fine.iterations!.evaluations(inPhase: 0), d.iterations!.evaluations(inPhase: 0))
        XCTAssertEqual(Preset.builtin(named: "texture")!.noMaps, true)
    }

    // MARK: - Parsing

    func testParsesEveryKindOfValue() throws {
        let path = try write("""
            name: mine
            description: "a test: preset"
            style: monet.jpg
            style-map: /abs/monet_sem.png
            output: out/result.png
            output-size: 512x384
            scale: 0.75
            semantic-ext: _map.png
            no-maps: yes
            allow-unmatched: false
            content-weight: 2.5
            content-layers: "4_2,conv5_1"
            style-weight: 30
            style-layers: [3_1, relu4_1, 3_1]
            semantic-weight: 0
            smoothness: 0.5
            variety: 0.25
            iterations: 40
            phases: 2
            seed: content
            seed-range: 32:224
            random-seed: 18446744073709551615
            pooling: max
            matcher: exact
            print-every: 0
            save-every: 5
            """, to: "sub/mine.yaml")
        let p = try Preset.load(path: path)
        let dir = scratch.appendingPathComponent("sub").path
        XCTAssertEqual(p.name, "mine")
        XCTAssertEqual(p.description, "a test: preset")
        XCTAssertEqual(p.style, dir + "/monet.jpg")
        XCTAssertEqual(p.styleMap, "/abs/monet_sem.png")
        XCTAssertEqual(p.output, dir + "/out/result.png")
        XCTAssertEqual(p.outputSize?.width, 512)
        XCTAssertEqual(p.outputSize?.height, 384)
        XCTAssertEqual(p.scale, 0.75)
        XCTAssertEqual(p.semanticExt, "_map.png")
        XCTAssertEqual(p.noMaps, true)
        XCTAssertEqual(p.allowUnmatched, false)
        XCTAssertEqual(p.contentWeight, 2.5)
        XCTAssertEqual(p.contentLayers, [.conv4_2, .conv5_1])
        XCTAssertEqual(p.styleLayers, [.conv3_1, .conv4_1])
        XCTAssertEqual(p.semanticWeight, 0)
        XCTAssertEqual(p.variety, 0.25)
        XCTAssertEqual(p.iterations, 40)
        XCTAssertEqual(p.phases, 2)
        XCTAssertEqual(p.seed, "content")
        XCTAssertEqual(p.seedRange, 32...224)
        XCTAssertEqual(p.randomSeed, UInt64.max)
        XCTAssertEqual(p.pooling, .max)
        XCTAssertEqual(p.matcher, .exact)
        XCTAssertEqual(p.printEvery, 0)
        XCTAssertEqual(p.saveEvery, 5)
        XCTAssertEqual(p.sources[.iterations]?.line, 18)
        XCTAssertEqual(p.sources[.iterations]?.file, path)

        // Written and read back (paths relative to the new file's folder): the same values.
        let copy = scratch.appendingPathComponent("elsewhere/copy.yaml").path
        try FileManager.default.createDirectory(atPath: PresetPaths.directory(of: copy), withIntermediateDirectories: true)
        try p.save(to: copy)
        let text = try String(contentsOfFile: copy, encoding: .utf8)
        XCTAssertTrue(text.contains("style: ../sub/monet.jpg"), text)
        XCTAssertTrue(text.contains("style-layers: [3_1, 4_1]"), text)
        XCTAssertEqual(try Preset.load(path: copy).values, p.values)
    }

    func testRelativePathsResolveAgainstTheFileFolder() throws {
        let path = try write("""
            style: ../paintings/monet.jpg
            map: ./doodle.png
            seed: start.png
            output: /tmp/abs.png
            frames: frames
            """, to: "a/b/preset.yaml")
        let p = try Preset.load(path: path)
        let a = scratch.appendingPathComponent("a").path
        XCTAssertEqual(p.style, a + "/paintings/monet.jpg")
        XCTAssertEqual(p.map, a + "/b/doodle.png")
        XCTAssertEqual(p.seed, a + "/b/start.png")
        XCTAssertEqual(p.output, "/tmp/abs.png")
        XCTAssertEqual(p.frames, a + "/b/frames")
        // `noise` and `content` are not files.
        XCTAssertEqual(try Preset.load(path: write("seed: noise\n", to: "a/s.yaml")).seed, "noise")
        // A file named relative to the working directory keeps its relative form.
        XCTAssertEqual(PresetPaths.join("samples", "monet.jpg"), "samples/monet.jpg")
        XCTAssertEqual(PresetPaths.join("samples", "../x/./y.png"), "x/y.png")
        XCTAssertEqual(PresetPaths.join("", "monet.jpg"), "monet.jpg")
        XCTAssertEqual(PresetPaths.relative("samples/monet.jpg", to: "samples/gallery"), "../monet.jpg")
    }

    /// built-in defaults < preset file (over its own `preset:`) < flags.
    func testMergeOrderBuiltinFileFlags() throws {
        let path = try write("""
            preset: quick
            iterations: 50
            style-weight: 30
            style: s.png
            output: o.png
            """, to: "merge.yaml")
        let file = try Preset.load(path: path)
        var flags = Preset()
        flags.set(.iterations, .integer(7), from: .commandLine)
        flags.set(.output, .path("flag.png"), from: .commandLine)
        let p = RenderJob(name: "t", preset: file).resolvedPreset(overriding: flags)
        XCTAssertEqual(p.iterations, 7, "a flag beats the file")
        XCTAssertEqual(p.output, "flag.png")
        XCTAssertEqual(p.sources[.iterations], .commandLine)
        XCTAssertEqual(p.styleWeight, 30, "the file beats the built-in defaults")
        XCTAssertEqual(p.sources[.styleWeight]?.line, 3)
        XCTAssertEqual(p.phases, 2, "the file's preset: quick beats the defaults")
        XCTAssertEqual(p.scale, 0.5)
        XCTAssertEqual(p.smoothness, 1, "the defaults fill the rest")
        XCTAssertEqual(p.style, scratch.appendingPathComponent("s.png").path)
        // Without flags, the file's value.
        XCTAssertEqual(RenderJob(name: "t", preset: file).resolvedPreset().iterations, 50)
    }

    /// Job files: defaults < top preset < top keys < job preset < job keys.
    func testJobsInheritTheTopOfTheFile() throws {
        let path = try write("""
            preset: quick
            iterations: 11
            smoothness: 3
            style: shared.png
            jobs:
              - output: one.png
              - name: second
                preset: fine
                output: two.png
                style-weight: 5
              - output: three.png
                iterations: 4
                style: own.png
            """, to: "jobs/file.yaml")
        let file = try JobFile.load(path: path)
        XCTAssertEqual(file.jobs.map(\.name), ["one", "second", "three"])
        let p = file.jobs.map { $0.resolvedPreset() }
        let dir = scratch.appendingPathComponent("jobs").path
        XCTAssertEqual(p[0].iterations, 11)
        XCTAssertEqual(p[0].phases, 2, "quick")
        XCTAssertEqual(p[0].style, dir + "/shared.png")
        XCTAssertEqual(p[0].output, dir + "/one.png")
        XCTAssertEqual(p[1].iterations, 200, "the job's preset beats the top keys")
        XCTAssertEqual(p[1].scale, 1.5)
        XCTAssertEqual(p[1].smoothness, 3, "top keys the job's preset does not set stay")
        XCTAssertEqual(p[1].styleWeight, 5)
        XCTAssertEqual(p[2].iterations, 4)
        XCTAssertEqual(p[2].style, dir + "/own.png")
        XCTAssertEqual(file.jobs[1].source?.line, 7)

        // A file without jobs: is one job.
        let single = try JobFile.load(path: write("style: a.png\noutput: b.png\n", to: "single.yaml"))
        XCTAssertEqual(single.jobs.map(\.name), ["b"])
        // Preset.load refuses a job file.
        XCTAssertThrowsError(try Preset.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("doodle run"), "\(error)")
        }
    }

    // MARK: - Messages

    func testUnknownKeysSuggestTheClosest() throws {
        let found = try issues("""
            style: a.png
            styel-weight: 3
            iteration: 5
            style_layers: 3_1
            contentWeight: 1
            zzz: 1
            """)
        XCTAssertEqual(found.map { $0.source?.line }, [2, 3, 4, 5, 6])
        XCTAssertTrue(found[0].description.hasSuffix("p.yaml:2: unknown key 'styel-weight'; did you mean 'style-weight'?"), found[0].description)
        XCTAssertTrue(found[1].message.contains("did you mean 'iterations'?"), found[1].message)
        XCTAssertTrue(found[2].message.contains("did you mean 'style-layers'?"), found[2].message)
        XCTAssertTrue(found[3].message.contains("did you mean 'content-weight'?"), found[3].message)
        XCTAssertFalse(found[4].message.contains("did you mean"), found[4].message)
        XCTAssertEqual(PresetValueParser.editDistance("styel-weight", "style-weight"), 1)
        XCTAssertEqual(PresetValueParser.editDistance("kitten", "sitting"), 3)
    }

    /// `content-map` is another name for `map`; giving both is a mistake with its line.
    func testContentMapIsTheTargetMap() throws {
        let path = try write("style: a.png\ncontent: c.png\ncontent-map: c_map.png\nseed: auto\n", to: "alias.yaml")
        let file = try JobFile.load(path: path)
        XCTAssertEqual(file.jobs.first?.preset.map, scratch.appendingPathComponent("c_map.png").path)
        XCTAssertEqual(file.jobs.first?.preset.seed, "auto")
        let both = try issues("style: a.png\nmap: m.png\ncontent-map: c_map.png\n")
        XCTAssertEqual(both.count, 1, both.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(both.first?.source?.line, 3)
        XCTAssertTrue(both.first?.message.contains("'content-map' and 'map' (line 2) name the same input") == true,
                      both.first?.message ?? "")
        XCTAssertEqual(Preset.defaults.seed, "auto")
    }

    /// A file nested thousands deep is refused with its line before the recursive parser
    /// sees it (it used to overflow the stack); ordinary files, quotes and apostrophes pass.
    func testDeepNestingIsRefusedBeforeParsing() throws {
        let flow = try issues("style: a.png\na: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n")
        XCTAssertEqual(flow.count, 1)
        XCTAssertEqual(flow.first?.source?.line, 2)
        XCTAssertTrue(flow.first?.message.hasPrefix("nested more than 64 levels deep") == true, flow.first?.message ?? "")
        let block = (0..<200).map { String(repeating: " ", count: $0 * 2) + "k\($0):" }.joined(separator: "\n") + " 1\n"
        XCTAssertEqual(try issues(block).first?.source?.line, 65)
        let dashes = try issues("jobs:\n" + String(repeating: "- ", count: 100) + "x\n")
        XCTAssertEqual(dashes.first?.source?.line, 2)
        XCTAssertTrue(dashes.first?.message.contains("nested more than") == true)
        // Within the limit, and brackets inside quotes, comments and words do not count.
        XCTAssertNil(YAMLNesting.firstLineTooDeep("a: " + String(repeating: "[", count: 60) + String(repeating: "]", count: 60)))
        XCTAssertNil(YAMLNesting.firstLineTooDeep("a: \"" + String(repeating: "[", count: 100) + "\"\nb: 'x[[[[['\n# " + String(repeating: "{", count: 100)))
        XCTAssertNil(YAMLNesting.firstLineTooDeep("description: Monet's cliffs, 5\" wide\nc: [1, 2]\n"))
        // A stray apostrophe or quote in a word does not hide a bomb after it.
        XCTAssertEqual(YAMLNesting.firstLineTooDeep("d: Monet's 5\" cliffs\ne: " + String(repeating: "[", count: 100)), 2)
        let file = try issues("""
            description: Monet's "cliffs" [1]
            style-layers: [3_1, 4_1]
            jobs:
              - style: a.png
                output: o.png
            """)
        XCTAssertFalse(file.contains { $0.message.contains("nested") }, file.map(\.description).joined(separator: "\n"))
    }

    func testWrongTypesAndRangesGiveTheLine() throws {
        let found = try issues("""
            iterations: ten
            phases: 9
            seed-range: "200:20"
            style-layers: [3_1, 9_9]
            pooling: avg
            matcher: exakt
            output-size: 10x10
            no-maps: maybe
            smoothness: -1
            style-weight: [1, 2]
            output: out.jpg
            random-seed: -3
            scale: 9
            content: {a: 1}
            preset: quik
            iterations: 3
            """)
        let byLine = Dictionary(found.map { ($0.source?.line ?? 0, $0.message) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(found.count, 16, found.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(byLine[1]!.contains("'ten' is not a whole number"))
        XCTAssertTrue(byLine[2]!.contains("more than 6"))
        XCTAssertTrue(byLine[3]!.contains("LO:HI"))
        XCTAssertTrue(byLine[4]!.contains("'9_9' is not a VGG19 layer"))
        XCTAssertTrue(byLine[5]!.contains("one of average, max"))
        XCTAssertTrue(byLine[6]!.contains("did you mean 'exact'?"))
        XCTAssertTrue(byLine[7]!.contains("16...8192"))
        XCTAssertTrue(byLine[8]!.contains("true or false"))
        XCTAssertTrue(byLine[9]!.contains("at least 0"))
        XCTAssertTrue(byLine[10]!.contains("not a list"))
        XCTAssertTrue(byLine[11]!.contains("must end in .png"))
        XCTAssertTrue(byLine[12]!.contains("whole number from 0"))
        XCTAssertTrue(byLine[13]!.contains("0.05...4"))
        XCTAssertTrue(byLine[14]!.contains("not a mapping"))
        XCTAssertTrue(byLine[15]!.contains("did you mean 'quick'?"))
        XCTAssertTrue(byLine[16]!.contains("given twice (first on line 1)"))

        // Syntax errors and the wrong shape of file.
        let syntax = try issues("style: a.png\n  map: [oops\n")
        XCTAssertEqual(syntax.count, 1)
        XCTAssertTrue(syntax[0].message.hasPrefix("YAML syntax"), syntax[0].message)
        XCTAssertEqual(syntax[0].source?.line, 2)
        XCTAssertTrue(try issues("- a\n- b\n")[0].message.contains("mapping"))
        XCTAssertTrue(try issues("")[0].message.contains("empty"))
        XCTAssertTrue(try issues("jobs: []\n")[0].message.contains("jobs is empty"))
    }

    // MARK: - Checks and resolution (reads images, no network)

    func writeImages() throws {
        let style = Image(width: 48, height: 48, channels: 3) { c, x, y in Float((x * 5 + y * 3 + c * 40) % 256) }
        let map = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [255, 51, 31][c] : [0, 0, 255][c] }
        let doodle = Image(width: 48, height: 48, channels: 3) { c, _, y in y < 24 ? [255, 51, 31][c] : [0, 0, 255][c] }
        let green = Image(width: 48, height: 48, channels: 3) { c, x, _ in x < 24 ? [0, 255, 0][c] : [0, 0, 255][c] }
        try style.writePNG(to: scratch.appendingPathComponent("style.png").path)
        try map.writePNG(to: scratch.appendingPathComponent("style_sem.png").path)
        try doodle.writePNG(to: scratch.appendingPathComponent("doodle_sem.png").path)
        try green.writePNG(to: scratch.appendingPathComponent("green_sem.png").path)
    }

    func testCheckReportsMissingFilesClassesAndClashes() throws {
        try writeImages()
        let path = try write("""
            phases: 1
            jobs:
              - name: ok
                style: style.png
                map: doodle_sem.png
                output: out/ok.png
              - name: unmatched
                style: style.png
                map: green_sem.png
                output: out/green.png
              - name: missing
                style: nothere.png
                output: out/ok.png
              - name: tiny
                style: style.png
                output: tiny.png
                output-size: 16x16
            """, to: "check.yaml")
        let issues = try JobFile.load(path: path).check()
        let text = issues.map(\.description)
        XCTAssertEqual(issues.count, 4, text.joined(separator: "\n"))
        XCTAssertTrue(text[0].hasSuffix("check.yaml:9: job 'unmatched': 'green_sem.png': class #00ff00 (green, 50.0% of the map, around x 0-23, y 0-47) has no region in 'style_sem.png'; paint it in the style map or pass --allow-unmatched")
                      || text[0].contains("check.yaml:9: job 'unmatched'") && text[0].contains("#00ff00"), text[0])
        XCTAssertTrue(text[1].contains("check.yaml:12: job 'missing': style"), text[1])
        XCTAssertTrue(text[1].contains("no such file"), text[1])
        XCTAssertTrue(text[2].contains("check.yaml:13: job 'missing': output") && text[2].contains("also written by job 'ok' (line 6)"), text[2])
        XCTAssertTrue(text[3].contains("check.yaml:17: job 'tiny'") && text[3].contains("too small for conv4_1"), text[3])

        // The first job alone is valid; resolving it finds the style map beside the style.
        let ok = try JobFile.load(path: path).jobs[0]
        let resolved = try ok.resolve()
        XCTAssertEqual(resolved.inputs.mode, .doodle)
        XCTAssertEqual(resolved.inputs.names.styleMap, scratch.appendingPathComponent("style_sem.png").path)
        XCTAssertEqual(resolved.settings.phases, 1)
        XCTAssertNoThrow(try resolved.validate())
    }

    /// `--phases auto` follows the loss and the inputs: 3 for the patch loss, 1 for the Gram
    /// loss keeping a content image, 3 for a Gram doodle or texture; a number given wins.
    func testAutomaticPhasesFollowTheContent() throws {
        // Images of 192 pixels leave room for three phases at conv5_1 (48 pixels at the coarsest).
        let big = Image(width: 192, height: 192, channels: 3) { c, x, y in Float((x * 5 + y * 3 + c * 40) % 256) }
        let map = Image(width: 192, height: 192, channels: 3) { c, x, _ in x < 96 ? [255, 51, 31][c] : [0, 0, 255][c] }
        for name in ["big.png", "big_content.png"] { try big.writePNG(to: scratch.appendingPathComponent(name).path) }
        for name in ["big_sem.png", "big_doodle.png"] { try map.writePNG(to: scratch.appendingPathComponent(name).path) }
        func phases(_ loss: String?, content: Bool, map: Bool = true, given: Int? = nil) throws -> (resolved: Int, planned: Int) {
            var preset = Preset()
            preset.style = scratch.appendingPathComponent("big.png").path
            preset.map = map ? scratch.appendingPathComponent("big_doodle.png").path : nil
            preset.noMaps = map ? nil : true
            preset.content = content ? scratch.appendingPathComponent("big_content.png").path : nil
            preset.output = scratch.appendingPathComponent("phases.png").path
            if let loss { preset["style-loss"] = .text(loss) }
            if let given { preset["phases"] = .integer(given) }
            let job = try RenderJob(name: "p", preset: preset).resolve()
            return (job.settings.phases, Synthesis.phasePlan(job.inputs, job.settings).count)
        }
        XCTAssertEqual(try phases(nil, content: false).resolved, 3)
        XCTAssertEqual(try phases(nil, content: true).resolved, 3)
        XCTAssertEqual(try phases("gram", content: true).resolved, 1)
        XCTAssertEqual(try phases("gram", content: true, map: false).planned, 1)
        XCTAssertEqual(try phases("gram", content: false).resolved, 3)
        XCTAssertEqual(try phases("gram", content: false, map: false).planned, 3)
        XCTAssertEqual(try phases("gram", content: false, given: 2).resolved, 2)
        XCTAssertEqual(try phases("gram", content: true, given: 2).planned, 2)
    }

    /// `scale` multiplies the output size or the default one; the fingerprint follows the
    /// settings and the inputs' contents, not the paths' spelling.
    func testScaleAndFingerprint() throws {
        try writeImages()
        var preset = Preset()
        preset.style = scratch.appendingPathComponent("style.png").path
        preset.map = scratch.appendingPathComponent("doodle_sem.png").path
        preset.output = scratch.appendingPathComponent("o.png").path
        preset.scale = 1.5
        let big = try RenderJob(name: "b", preset: preset).resolve()
        XCTAssertEqual(big.inputs.finalSize.width, 72)
        preset.outputSize = (64, 48)
        preset.scale = 0.5
        XCTAssertEqual(try RenderJob(name: "s", preset: preset).resolve().inputs.finalSize.height, 24)

        preset.scale = 1
        preset.outputSize = nil
        let a = try RenderJob(name: "a", preset: preset).resolve().fingerprint()
        preset.output = scratch.appendingPathComponent("./other.png").path
        preset.printEvery = 1
        XCTAssertEqual(try RenderJob(name: "a", preset: preset).resolve().fingerprint(), a, "output path and printing do not count")
        preset.randomSeed = 1
        XCTAssertNotEqual(try RenderJob(name: "a", preset: preset).resolve().fingerprint(), a, "the random seed counts")
    }
}

