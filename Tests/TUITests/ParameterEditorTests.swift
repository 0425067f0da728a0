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

    func testListHasEveryParameterOfTheIssue() {
        let labels = ParameterEditor().parameters.map(\.label)
        for label in ["content weight", "style weight", "semantic weight", "smoothness", "variety", "style layers",
                      "content layers", "phases", "iterations", "output size", "seed", "matcher", "output"] {
            XCTAssertTrue(labels.contains(label), label)
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
    }

    func testBoundsClampAndRefuseAtTheEnd() throws {
        var e = ParameterEditor()
        try e.set(.styleWeight, typed: "995")
        try e.step(.styleWeight, by: 1, big: true)
        XCTAssertEqual(e.value(.styleWeight), .number(1000), "a big step stops at the bound")
        XCTAssertTrue(refusal { try e.step(.styleWeight, by: 1) }.contains("already at its maximum, 1000"))
        XCTAssertEqual(e.value(.styleWeight), .number(1000))
        try e.set(.variety, typed: "0")
        XCTAssertTrue(refusal { try e.step(.variety, by: -1) }.contains("already at its minimum, 0"))
        try e.set(.phases, typed: "6")
        XCTAssertTrue(refusal { try e.step(.phases, by: 1) }.contains("maximum, 6"))
        try e.set(.iterations, typed: "5,20")
        try e.step(.iterations, by: -1)
        XCTAssertEqual(e.value(.iterations), .counts([1, 10]))
        try e.step(.iterations, by: -1)
        XCTAssertTrue(refusal { try e.step(.iterations, by: -1) }.contains("already at its minimum, 1,1"))
    }

    func testTypedValuesAcceptedOrRefusedWithAReason() throws {
        var e = ParameterEditor()
        try e.set(.styleWeight, typed: " 30 ")
        XCTAssertEqual(e.value(.styleWeight), .number(30))
        try e.set(.contentWeight, typed: "1e1")
        XCTAssertEqual(e.value(.contentWeight), .number(10))
        XCTAssertEqual(refusal { try e.set(.styleWeight, typed: "abc") }, "style weight must be a number, e.g. 25 (got 'abc')")
        XCTAssertEqual(refusal { try e.set(.styleWeight, typed: "-1") }, "style weight must be between 0 and 1000 (got -1)")
        XCTAssertTrue(refusal { try e.set(.smoothness, typed: "nan") }.contains("must be a number"))
        XCTAssertEqual(e.value(.styleWeight), .number(30), "a refused value leaves the old one")
        XCTAssertEqual(refusal { try e.set(.iterations, typed: "2.5") },
                       "iterations must be whole numbers 1 … 100000, one or one per phase like 100,100,50 (got '2.5')")
        XCTAssertTrue(refusal { try e.set(.iterations, typed: "100,0") }.contains("(got '100,0')"))
        try e.set(.iterations, typed: "250")
        XCTAssertEqual(e.value(.iterations), .counts([250]))
        try e.set(.iterations, typed: "200, 100,50")
        XCTAssertEqual(e.value(.iterations), .counts([200, 100, 50]))
        XCTAssertTrue(refusal { try e.set(.randomSeed, typed: "-3") }.contains("at least 0"))
        // Choices.
        try e.set(.unmatched, typed: "ALLOW")
        XCTAssertTrue(e.allowUnmatched)
        XCTAssertTrue(refusal { try e.set(.pooling, typed: "median") }.contains("one of: average, max"))
        XCTAssertTrue(refusal { try e.set(.seed, typed: "nowhere.png") }.contains("no such file"))
        try e.set(.seed, typed: "content")
        XCTAssertEqual(e.seedChoice, "content")
        // Output path.
        XCTAssertTrue(refusal { try e.set(.output, typed: "out.jpg") }.contains("must end in .png"))
        XCTAssertTrue(refusal { try e.set(.output, typed: "/no/such/dir/out.png") }.contains("does not exist"))
        XCTAssertTrue(refusal { try e.set(.output, typed: "") }.contains("file name"))
        XCTAssertTrue(refusal { try e.step(.output, by: 1) }.contains("Enter"))
        try e.set(.output, typed: "out.png")
        XCTAssertEqual(e.output, "out.png")
    }

    func testLayerListParsing() throws {
        XCTAssertEqual(try ParameterEditor.parseLayers("3_1, conv4_1 relu5_1;3_1").map(\.name), ["conv3_1", "conv4_1", "conv5_1"])
        XCTAssertEqual(try ParameterEditor.parseLayers("").count, 0)
        XCTAssertEqual(refusal { try ParameterEditor.parseLayers("3_1,9_9") },
                       "'9_9' is not a VGG19 layer; use names like 3_1,4_1 (conv1_1 … conv5_4)")
        XCTAssertTrue(refusal { try ParameterEditor.parseLayers("conv3_5") }.contains("'conv3_5'"))
        var e = ParameterEditor()
        try e.set(.styleLayers, typed: "2_1,3_1")
        XCTAssertEqual(e.display(.styleLayers), "2_1,3_1")
        XCTAssertEqual(e.settings.styleLayers.map(\.name), ["conv2_1", "conv3_1"])
        XCTAssertEqual(refusal { try e.set(.styleLayers, typed: " ") }, "style layers needs at least one layer, e.g. 3_1,4_1")
        // Stepping walks the presets and comes back round.
        var f = ParameterEditor()
        let start = f.display(.styleLayers)
        var seen = [start]
        for _ in 0..<(ParameterEditor.styleLayerPresets.count - 1) {
            try f.step(.styleLayers, by: 1)
            seen.append(f.display(.styleLayers))
        }
        XCTAssertEqual(Set(seen).count, ParameterEditor.styleLayerPresets.count)
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
        XCTAssertTrue(refusal { try e.set(.outputSize, typed: "10x10") }.contains("16 … 8192"))
        XCTAssertTrue(refusal { try e.set(.outputSize, typed: "big") }.contains("WxH like 512x384"))
        try e.set(.outputSize, typed: "auto")
        XCTAssertNil(e.outputSize)
    }

    func testSettingsResetAndSelection() throws {
        var s = RenderSettings()
        s.iterations = 7
        var e = ParameterEditor(settings: s, outputSize: (64, 48), output: "x.png")
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
        XCTAssertEqual(e.selected.id, ParameterID.allCases.last)
        e.select(.iterations)
        XCTAssertEqual(e.selected.label, "iterations")
        XCTAssertEqual(e[.styleWeight].liveness, .nextEvaluation)
        XCTAssertEqual(e[.variety].liveness, .nextPhase)
        XCTAssertEqual(e[.phases].liveness, .nextRun)
    }
}
