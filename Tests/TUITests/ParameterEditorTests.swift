import Doodle
import Foundation
import TUI
import XCTest

final class ParameterEditorTests: XCTestCase {
    func refusal(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try body()
            XCTFail("expected a refusal", file: file, line: line)
            return ""
        } catch let r as ParameterRefusal {
            return r.reason
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return ""
        }
    }

    /// The list is the table's render parameters, then the output's keys, with the table's
    /// labels, help, defaults and liveness.
    func testListComesFromTheTable() {
        var e = ParameterEditor()
        let render = RenderParameters.all.filter { $0.group == .render }.map(\.key)
        // Only what plays a part: no mask propagation for the patch loss, no learning rate for L-BFGS-B.
        XCTAssertEqual(e.keys, render.filter { $0 != "mask-propagation" && $0 != "learning-rate" }
                       + [.outputSize, .scale, .output, .allowUnmatched])
        // Switching to the Gram loss and Adam lists theirs and drops the patch loss's; the
        // highlight stays on the key it was on.
        e.select("optimizer")
        try? e.set("style-loss", typed: "gram")
        try? e.set("optimizer", typed: "adam")
        XCTAssertEqual(e.selected.id, "optimizer")
        XCTAssertEqual(e.display(.styleLayers), "auto (1_1,2_1,3_1,4_1,5_1)")
        XCTAssertEqual(e.display(.phases), "auto (1)")
        // Without a content image there is no layout to keep: auto grows the painting in 3 phases.
        e.contentGiven = false
        XCTAssertEqual(e.display(.phases), "auto (3)")
        e.contentGiven = true
        XCTAssertTrue(e.keys.contains("mask-propagation") && e.keys.contains("learning-rate"))
        XCTAssertFalse(e.keys.contains(.semanticWeight) || e.keys.contains(.matcher) || e.keys.contains(.variety) || e.keys.contains(.mapEncoding))
        e = ParameterEditor()
        XCTAssertEqual(e.parameters.first?.label, "content weight")
        XCTAssertTrue(e.keys.contains(.seedRange) && e.keys.contains(.mapEncoding), "every render parameter is listed")
        for p in e.parameters {
            XCTAssertEqual(p.help, p.id.parameter.help)
            XCTAssertEqual(p.flag, "--" + p.id.rawValue)
            if let d = p.defaultValue { XCTAssertEqual(p.value, d, "\(p.id) starts at its default") }
        }
    }

    func testStepAndBigStep() throws {
        var e = ParameterEditor()
        XCTAssertEqual(e.display(.styleWeight), "25")
        let change = try e.step(.styleWeight, by: 1)
        XCTAssertEqual(change.description, "style weight 25 -> 26")
        try e.step(.styleWeight, by: 1, big: true)
        XCTAssertEqual(e.value(.styleWeight), .number(36))
        try e.step(.styleWeight, by: -1)
        XCTAssertEqual(e.value(.styleWeight), .number(35))
        // From auto (3 for the patch loss) a big step down of 2 gives 1.
        XCTAssertEqual(e.display(.phases), "auto (3)")
        try e.step(.phases, by: -1, big: true)
        XCTAssertEqual(e.value(.phases), .integer(1))
        try e.step(.iterations, by: 1, big: true)
        XCTAssertEqual(e.value(.iterations), .counts([200, 200, 150]), "a step moves every phase's count")
        // Decimal steps stay decimal.
        try e.set(.smoothness, typed: "0")
        for _ in 0..<3 { try e.step(.smoothness, by: 1) }
        XCTAssertEqual(e.display(.smoothness), "0.3")
        try e.step(.smoothness, by: 1, big: true)
        XCTAssertEqual(e.display(.smoothness), "1.3")
        // Choices and flags cycle.
        try e.step(.mapEncoding, by: 1)
        XCTAssertEqual(e.settings.mapEncoding, .colours)
        try e.step(.allowUnmatched, by: 1)
        XCTAssertTrue(e.allowUnmatched)
        try e.step(.seed, by: 1)
        XCTAssertEqual(e.seedChoice, "noise")
        XCTAssertTrue(refusal { try e.step(.seedRange, by: 1) }.contains("type it"))
    }

    /// The studio takes what `doodle render` takes: no bound of its own (the README shows
    /// --smoothness 1000), and the table's bounds where it has them.
    func testBoundsAreTheTables() throws {
        var e = ParameterEditor()
        try e.set(.smoothness, typed: "1000")
        try e.set(.styleWeight, typed: "5000")
        try e.step(.styleWeight, by: 1, big: true)
        XCTAssertEqual(e.value(.styleWeight), .number(5010))
        try e.set(.variety, typed: "0.95")
        try e.step(.variety, by: 1, big: true)
        XCTAssertEqual(e.value(.variety), .number(1), "a big step stops at the bound")
        XCTAssertTrue(refusal { try e.step(.variety, by: 1) }.contains("already at its maximum, 1"))
        try e.set(.variety, typed: "0")
        XCTAssertTrue(refusal { try e.step(.variety, by: -1) }.contains("already at its minimum, 0"))
        try e.set(.phases, typed: "6")
        XCTAssertTrue(refusal { try e.step(.phases, by: 1) }.contains("maximum, 6"))
        try e.set(.iterations, typed: "5,20")
        try e.step(.iterations, by: -1)
        XCTAssertEqual(e.value(.iterations), .counts([1, 10]))
        try e.step(.iterations, by: -1)
        XCTAssertTrue(refusal { try e.step(.iterations, by: -1) }.contains("already at its minimum, 1,1"))
        try e.set(.randomSeed, typed: "18446744073709551615")
        XCTAssertEqual(e.settings.randomSeed, .max, "the whole range doodle render takes")
        XCTAssertTrue(refusal { try e.step(.randomSeed, by: 1) }.contains("maximum"))
    }

    /// A typed value goes through the preset parser: the same rule and message as a flag.
    func testTypedValuesAreParsedAsFlagsAre() throws {
        var e = ParameterEditor()
        try e.set(.styleWeight, typed: " 30 ")
        XCTAssertEqual(e.value(.styleWeight), .number(30))
        try e.set(.contentWeight, typed: "1e1")
        XCTAssertEqual(e.value(.contentWeight), .number(10))
        for (key, text) in [(PresetKey.styleWeight, "abc"), (.styleWeight, "-1"), (.smoothness, "nan"), (.iterations, "2.5"),
                            (.iterations, "100,0"), (.randomSeed, "-3"), (.pooling, "median"), (.variety, "2"),
                            (.styleLayers, "3_1,9_9"), (.styleLayers, " "), (.outputSize, "10x10"), (.outputSize, "big"),
                            (.output, "out.jpg"), (.seedRange, "300:1")] {
            let flagMessage: String
            do {
                _ = try PresetValueParser.parse(key, .scalar(text.trimmingCharacters(in: .whitespaces)), label: key.parameter.label)
                XCTFail("\(key) \(text) should be refused"); continue
            } catch { flagMessage = "\(error)" }
            XCTAssertEqual(refusal { try e.set(key, typed: text) }, flagMessage)
        }
        XCTAssertEqual(e.value(.styleWeight), .number(30), "a refused value leaves the old one")
        try e.set(.iterations, typed: "250")
        XCTAssertEqual(e.value(.iterations), .integer(250))
        try e.set(.iterations, typed: "200, 100,50")
        XCTAssertEqual(e.value(.iterations), .counts([200, 100, 50]))
        try e.set(.styleLayers, typed: "2_1,3_1")
        XCTAssertEqual(e.display(.styleLayers), "2_1,3_1")
        XCTAssertEqual(e.settings.activeStyleLayers.map(\.name), ["conv2_1", "conv3_1"])
        try e.set(.contentLayers, typed: "")
        XCTAssertEqual(e.settings.contentLayers, [], "content layers may be empty, as in a preset")
        try e.set(.allowUnmatched, typed: "yes")
        XCTAssertTrue(e.allowUnmatched)
        XCTAssertTrue(refusal { try e.set(.seed, typed: "nowhere.png") }.contains("no such file"))
        try e.set(.seed, typed: "content")
        XCTAssertEqual(e.seedChoice, "content")
        XCTAssertTrue(refusal { try e.set(.output, typed: "/no/such/dir/out.png") }.contains("does not exist"))
        XCTAssertTrue(refusal { try e.set(.output, typed: "") }.contains("empty"))
        XCTAssertTrue(refusal { try e.step(.output, by: 1) }.contains("Enter"))
        let scratch = NSTemporaryDirectory() + "parameter-editor-\(getpid()).png"
        try e.set(.output, typed: scratch)
        XCTAssertEqual(e.output, scratch)
    }

    func testLayerPresetsWalkAndComeBackRound() throws {
        var f = ParameterEditor()
        // The presets and `auto` (the style loss's own layers, the default).
        let stops = try XCTUnwrap(ParameterEditor.layerPresets[.styleLayers]).count + 1
        let start = f.display(.styleLayers)
        XCTAssertEqual(start, "auto (3_1,4_1)")
        var seen = [start]
        for _ in 0..<(stops - 1) {
            try f.step(.styleLayers, by: 1)
            seen.append(f.display(.styleLayers))
        }
        XCTAssertEqual(Set(seen).count, stops)
        try f.step(.styleLayers, by: 1)
        XCTAssertEqual(f.display(.styleLayers), start)
        try f.step(.styleLayers, by: -1)
        XCTAssertEqual(f.display(.styleLayers), seen.last)
    }

    func testOutputSize() throws {
        var e = ParameterEditor()
        XCTAssertEqual(e.display(.outputSize), "auto")
        XCTAssertTrue(refusal { try e.step(.outputSize, by: 1) }.contains("type a size"))
        e.automaticSize = (512, 384)
        XCTAssertEqual(e.display(.outputSize), "auto (512x384)")
        try e.step(.outputSize, by: 1)
        XCTAssertEqual(e.value(.outputSize), .size(width: 528, height: 396), "width +16, aspect kept")
        try e.set(.outputSize, typed: "64x48")
        XCTAssertEqual(e.outputSize?.width, 64)
        try e.step(.outputSize, by: 1, big: true)
        XCTAssertEqual(e.value(.outputSize), .size(width: 128, height: 96))
        try e.set(.outputSize, typed: "32X24")
        try e.step(.outputSize, by: -1, big: true)
        XCTAssertEqual(e.value(.outputSize), .size(width: 21, height: 16), "halving stops at 16 on the short side")
        XCTAssertTrue(refusal { try e.step(.outputSize, by: -1, big: true) }.contains("smallest"))
        try e.set(.outputSize, typed: "auto")
        XCTAssertNil(e.outputSize)
    }

    func testSettingsResetAndSelection() throws {
        var p = Preset()
        p[.iterations] = .integer(7)
        p.outputSize = (64, 48)
        p.output = "x.png"
        var e = ParameterEditor(preset: p)
        XCTAssertEqual(e.settings.iterations, 7)
        XCTAssertEqual(e.outputSize?.height, 48)
        try e.set(.styleWeight, typed: "40")
        try e.set(.smoothness, typed: "0.5")
        try e.step(.matcher, by: 1)
        let settings = e.settings
        XCTAssertEqual(settings.styleWeight, 40)
        XCTAssertEqual(settings.smoothness, 0.5)
        XCTAssertNotEqual(settings.matcher, RenderSettings().matcher)
        XCTAssertEqual(e.reset(.styleWeight).description, "style weight 40 -> 25")
        e.moveSelection(by: -5)
        XCTAssertEqual(e.selection, 0)
        e.moveSelection(by: 1000)
        XCTAssertEqual(e.selected.id, e.keys.last)
        e.select(.iterations)
        XCTAssertEqual(e.selected.label, "iterations")
        XCTAssertEqual(e[.styleWeight].liveness, .nextEvaluation)
        XCTAssertEqual(e[.variety].liveness, .nextPhase)
        XCTAssertEqual(e[.phases].liveness, .nextRun)
    }
}
