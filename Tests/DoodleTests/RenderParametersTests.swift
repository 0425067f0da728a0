import Foundation
import XCTest
import Net
import Patches
import Doodle

/// The parameter table: everything derived from it agrees with it.
final class RenderParametersTests: XCTestCase {
    var scratch: String!

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "doodle-parameters-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func path(_ name: String) -> String { scratch + "/" + name }

    /// A value of `parameter` other than `value`, within its range.
    func otherValue(_ parameter: RenderParameter, than value: PresetValue?) -> PresetValue? {
        switch (parameter.kind, value) {
        case (.number(let lo, let hi), .number(let v)?):
            return .number(v + 1 <= (hi ?? .infinity) ? v + 1 : lo + ((hi ?? lo + 2) - lo) / 2)
        case (.integer(_, let hi), .integer(let n)?): return .integer(n + 1 <= (hi ?? .max) ? n + 1 : n - 1)
        case (.integer, .text("auto")?): return .integer(2)
        case (.number(let lo, _), .text("auto")?): return .number(max(lo, 0.5))
        case (.layerWeights, _): return .numbers([1, 0.5])
        case (.counts, _): return .integer(7)
        case (.layers, _): return .layers([.conv2_1])
        case (.choice(let names), .text(let t)?): return .text(names.first { $0 != t }!)
        case (.range, _): return .range(10...20)
        case (.unsigned, _): return .unsigned(99)
        case (.flag, .flag(let b)?): return .flag(!b)
        case (.seed, _): return .text("noise")
        case (.suffix, _): return .text("_alt.png")
        case (.size, _): return .size(width: 40, height: 30)
        case (.file, _):
            switch parameter.key {
            case .style: return .path(path("style2.png"))
            case .content: return .path(path("content2.png"))
            case .styleMap: return .path(path("style_alt.png"))
            case .map: return .path(path("content_alt.png"))
            case .palette:
                try? "warm: \"#ff331f\"\ncool: \"#0000ff\"\n".write(toFile: path("classes.yaml"), atomically: true, encoding: .utf8)
                return .path(path("classes.yaml"))
            default: return nil
            }
        default: return nil
        }
    }

    /// Every key that affects the result changes the fingerprint `doodle run` compares (so a
    /// key the fingerprint left out would make `run` keep a stale PNG), and the others do not.
    func testEveryResultAffectingKeyChangesTheFingerprint() throws {
        func image(_ seed: Int) -> Image {
            Image(width: 64, height: 48, channels: 3) { c, x, y in Float((x * (5 + seed) + y * 3 + c * 40) % 256) }
        }
        // Large enough for the Gram loss's conv5_1.
        func map(_ vertical: Bool) -> Image {
            Image(width: 64, height: 48, channels: 3) { c, x, y in (vertical ? x < 32 : y < 24) ? [255, 51, 31][c] : [0, 0, 255][c] }
        }
        try image(0).writePNG(to: path("style.png"))
        try image(1).writePNG(to: path("style2.png"))
        try image(2).writePNG(to: path("content.png"))
        try image(3).writePNG(to: path("content2.png"))
        try map(true).writePNG(to: path("style_sem.png"))
        try map(false).writePNG(to: path("style_alt.png"))
        try map(false).writePNG(to: path("content_sem.png"))
        try map(true).writePNG(to: path("content_alt.png"))
        var base = Preset()
        base.style = path("style.png")
        base.content = path("content.png")
        base.output = path("out.png")
        base.frames = path("frames")
        base[.contentLayers] = .layers([.conv3_1])
        let reference = try RenderJob(name: "base", preset: base).resolve()
        XCTAssertEqual(reference.inputs.mode, .semanticTransfer, "maps found beside the images")
        let fingerprint = try reference.fingerprint()

        var covered: [PresetKey] = []
        for parameter in RenderParameters.all {
            let key = parameter.key
            let current = base.merged(over: .defaults)[key]
            guard let other = otherValue(parameter, than: current) else {
                XCTAssertFalse(parameter.affectsResult, "\(key) affects the result: give the test another value for it")
                continue
            }
            var changed = base
            changed[key] = other
            let job = try RenderJob(name: "changed", preset: changed).resolve()
            let differs = try job.fingerprint() != fingerprint
            XCTAssertEqual(differs, parameter.affectsResult, "\(key) = \(other.text)")
            if parameter.affectsResult { covered.append(key) }
        }
        XCTAssertEqual(Set(covered), Set(RenderParameters.all.filter(\.affectsResult).map(\.key)))
        XCTAssertGreaterThanOrEqual(covered.count, 23)
    }

    /// The README's flag table lists the render parameters with the table's defaults.
    func testReadmeFlagTableMatchesTheTable() throws {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        var rows: [String: String] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `--") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 3, cells[1].hasPrefix("`--"), !cells[1].contains(" ") else { continue }
            let key = String(cells[1].dropFirst(3).dropLast())
            if rows[key] == nil { rows[key] = cells[2] }
        }
        let render = RenderParameters.all.filter { $0.group == .render }
        XCTAssertEqual(Set(rows.keys), Set(render.map(\.key.rawValue)), "README rows vs the table's render parameters")
        for parameter in render {
            XCTAssertEqual(rows[parameter.key.rawValue], parameter.defaultValue?.text, "README default of --\(parameter.key)")
        }
    }

    /// The `default` preset, `RenderSettings()` and the table agree; every key parses its own
    /// default; settings round-trip through a preset.
    func testDefaultsAndRoundTrip() throws {
        XCTAssertEqual(Preset.defaults.renderSettings, RenderSettings())
        for parameter in RenderParameters.all {
            guard let value = parameter.defaultValue else { continue }
            XCTAssertEqual(Preset.defaults[parameter.key], value, "\(parameter.key)")
            XCTAssertEqual(try PresetValueParser.parse(parameter.key, .scalar(value.text), label: "x"), value, "\(parameter.key)")
        }
        var s = RenderSettings()
        s.styleWeight = 3.5
        s.iterations = [9, 8]
        s.matcher = .exact
        s.seedRange = 1...2
        s.randomSeed = .max
        var p = Preset()
        p.setFields(of: s)
        XCTAssertEqual(p.renderSettings, s)
        XCTAssertEqual(RenderParameters.settingsParameters.count, Set(RenderParameters.settingsParameters.map(\.key)).count)
    }

    /// Live changes: only the live fields pass, and each change is named once.
    func testLiveValuesAndTheirNotes() {
        var live = RenderSettings()
        live.styleWeight = 30
        live.variety = 0.5
        live.phases = 6
        let taken = RenderParameters.takingLiveValues(of: live, into: RenderSettings())
        XCTAssertEqual(taken.styleWeight, 30)
        XCTAssertEqual(taken.variety, 0.5)
        XCTAssertEqual(taken.phases, RenderSettings().phases, "phases are not live")
        XCTAssertEqual(RenderParameters.liveChanges(from: RenderSettings(), to: taken),
                       ["style weight 25 -> 30", "variety 0 -> 0.5 (next phase)"])
        XCTAssertEqual(RenderParameters.liveDescription,
                       "content weight, style weight, semantic weight, smoothness, variety, style layer weights, learning rate, output")
    }

    var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}
