import Foundation
import XCTest
import Net
import Patches
import Doodle

/// End-to-end synthesis on the real weights, on small synthetic inputs whose right answer is known.
final class SynthesisTests: XCTestCase {
    static let orange: [Float] = [255, 51, 31], blue: [Float] = [0, 0, 255]

    func network() throws -> VGG19 {
        let path = WeightStore().defaultWeightsPath
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("weights missing at \(path): run scripts/setup")
            throw XCTSkip("no weights")
        }
        return VGG19(weights: try VGG19Weights.load(path: path))
    }

    /// Style: warm diagonal stripes on the left (orange class), blue and white dots on the right (blue class).
    static func style(size: Int = 64) -> (image: Image, map: Image) {
        let image = Image(width: size, height: size, channels: 3) { c, x, y in
            if x < size / 2 {
                let stripe = ((x + y) / 3) % 2 == 0
                return stripe ? [230, 200, 40][c] : [200, 60, 20][c]
            }
            let dot = (x % 6 - 3) * (x % 6 - 3) + (y % 6 - 3) * (y % 6 - 3) < 4
            return dot ? 245 : [30, 60, 200][c]
        }
        let map = Image(width: size, height: size, channels: 3) { c, x, _ in x < size / 2 ? orange[c] : blue[c] }
        return (image, map)
    }

    /// Target: blue class on top, orange class below (a layout the style does not have).
    static func doodle(width: Int = 48, height: Int = 48) -> Image {
        Image(width: width, height: height, channels: 3) { c, _, y in y < height / 2 ? blue[c] : orange[c] }
    }

    /// A doodle of `width`x`height` painted from the 48x48 style.
    func doodleSynthesis(width: Int, height: Int, iterations: Int, phases: Int = 1) throws -> Synthesis {
        let (style, styleMap) = Self.style(size: 48)
        return try Synthesis(network: try network(),
                             inputs: RenderInputs(style: style, styleMap: styleMap, targetMap: Self.doodle(width: width, height: height)),
                             settings: Self.settings(iterations: iterations, phases: phases))
    }

    static func settings(iterations: Int = 30, phases: Int = 1) -> RenderSettings {
        var s = RenderSettings()
        s.iterations = IterationSchedule([iterations])
        s.phases = phases
        return s
    }

    /// Each phase runs its own budget; the last number repeats for finer phases; a coarse phase
    /// left out for being too small for the network takes its number with it.
    func testIterationsPerPhase() throws {
        let (style, styleMap) = Self.style()
        let inputs = RenderInputs(style: style, styleMap: styleMap, targetMap: Self.doodle())
        let net = try network()
        func evaluations(_ schedule: IterationSchedule, phases: Int) throws -> [Int] {
            var s = Self.settings(phases: phases)
            s.iterations = schedule
            var perPhase: [Int: Int] = [:]
            _ = try Synthesis(network: net, inputs: inputs, settings: s).run(events: { event in
                if case .iteration(let r) = event { perPhase[r.phase.index, default: 0] += 1 }
            })
            return perPhase.keys.sorted().map { perPhase[$0]! }
        }
        XCTAssertEqual(try evaluations([4, 2], phases: 2), [4, 2])
        XCTAssertEqual(try evaluations([3], phases: 2), [3, 3])
        XCTAssertEqual(try evaluations([2, 3], phases: 1), [2], "one phase takes the first number")
        // 48x48 in 3 phases: 12x12 is too small for conv4_1, so the plan is 24x24 and 48x48.
        XCTAssertEqual(try evaluations([5, 3, 2], phases: 3), [3, 2])
        XCTAssertEqual(try evaluations([4, 2], phases: 4), [2, 2], "the last number repeats")
    }

    func testDoodleTakesEachRegionsBrushwork() throws {
        let (style, styleMap) = Self.style()
        let target = Self.doodle()
        let synthesis = try Synthesis(network: try network(),
                                      inputs: RenderInputs(style: style, styleMap: styleMap, targetMap: target),
                                      settings: Self.settings())
        var totals: [Double] = []
        let (image, stopped) = synthesis.run(events: { event in
            if case .iteration(let report) = event { totals.append(report.losses.total) }
        })
        XCTAssertFalse(stopped)
        XCTAssertEqual(totals.count, 30)
        XCTAssertLessThan(totals.last!, 0.5 * totals.first!, "the loss should at least halve: \(totals.first!) -> \(totals.last!)")
        XCTAssertEqual(image.width, 48)
        XCTAssertEqual(image.height, 48)
        if let dir = ProcessInfo.processInfo.environment["DOODLE_TEST_OUTPUT"] {
            try image.writePNG(to: dir + "/synthetic-doodle.png")
            try style.writePNG(to: dir + "/synthetic-style.png")
        }

        // Mean colours per region: top must look like the dots, bottom like the stripes.
        func mean(_ img: Image, _ rows: Range<Int>, _ cols: Range<Int>) -> [Float] {
            (0..<3).map { c in
                var s: Float = 0
                for y in rows { for x in cols { s += img[c, x, y] } }
                return s / Float(rows.count * cols.count)
            }
        }
        let dots = mean(style, 0..<64, 32..<64), stripes = mean(style, 0..<64, 0..<32)
        let top = mean(image, 4..<20, 4..<44), bottom = mean(image, 28..<44, 4..<44)
        func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() }
        // Each region is far nearer its own style region's colour than the other's.
        XCTAssertLessThan(distance(top, dots), 0.5 * distance(top, stripes), "top \(top): dots \(dots), stripes \(stripes)")
        XCTAssertLessThan(distance(bottom, stripes), 0.6 * distance(bottom, dots), "bottom \(bottom)")
        XCTAssertGreaterThan(bottom[0] - top[0], 40, "the bottom is warm, the top is blue")
        XCTAssertGreaterThan(top[2] - bottom[2], 60)
    }

    func testSameSeedGivesTheSameImageAndAnotherSeedDoesNot() throws {
        let net = try network()
        let (style, styleMap) = Self.style(size: 48)
        let inputs = RenderInputs(style: style, styleMap: styleMap, targetMap: Self.doodle(width: 32, height: 32))
        var settings = Self.settings(iterations: 5)
        let a = try Synthesis(network: net, inputs: inputs, settings: settings).run().image
        let b = try Synthesis(network: net, inputs: inputs, settings: settings).run().image
        settings.randomSeed = 7
        let c = try Synthesis(network: net, inputs: inputs, settings: settings).run().image
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    func testStopReturnsTheImageSoFar() throws {
        let synthesis = try doodleSynthesis(width: 64, height: 64, iterations: 50, phases: 2)
        var evaluations = 0
        let (image, stopped) = synthesis.run(events: { event in
            if case .iteration = event { evaluations += 1 }
        }, shouldStop: { evaluations >= 3 })
        XCTAssertTrue(stopped)
        XCTAssertEqual(evaluations, 3)
        XCTAssertEqual(image.width, 32, "stopped in the first of two phases")
    }

    /// Time spent waiting in `shouldStop` (a paused studio) does not count as render time.
    func testWaitingInShouldStopIsNotCountedAsSpeed() throws {
        let synthesis = try doodleSynthesis(width: 48, height: 48, iterations: 4, phases: 1)
        var reports: [IterationReport] = []
        let start = Date()
        _ = synthesis.run(events: { event in
            if case .iteration(let r) = event { reports.append(r) }
        }, shouldStop: {
            Thread.sleep(forTimeInterval: 0.3)
            return false
        })
        let wall = Date().timeIntervalSince(start)
        let last = try XCTUnwrap(reports.last)
        print(String(format: "waited 0.3 s per evaluation: wall %.2f s, reported %.3f s/it", wall, last.secondsPerIteration))
        XCTAssertGreaterThan(wall, 1.2, "four waits of 0.3 s")
        XCTAssertLessThan(last.secondsPerIteration * Double(reports.count), wall - 1.0,
                          "the waits are left out of the speed")
        XCTAssertLessThan(synthesis.timing.total, wall - 1.0, "and out of the stage times")
    }

    /// A weight changed while the render runs applies from the next evaluation, and says so.
    func testWeightChangedDuringARunTakesEffectNextEvaluation() throws {
        let synthesis = try doodleSynthesis(width: 32, height: 32, iterations: 6)
        var styleLoss: [Int: Double] = [:], changes: [(String, Int)] = []
        _ = synthesis.run(events: { event in
            switch event {
            case .iteration(let r):
                styleLoss[r.iteration] = r.losses.style.values.reduce(0, +)
                if r.iteration == 3 { synthesis.adjust { $0.styleWeight = 2500; $0.smoothness = 0 } }
            case .settingsChanged(let text, let from):
                changes.append((text, from))
            default: break
            }
        })
        XCTAssertEqual(changes.count, 1)
        XCTAssertEqual(changes.first?.0, "style weight 25 -> 2500, smoothness 1 -> 0")
        XCTAssertEqual(changes.first?.1, 4)
        XCTAssertGreaterThan(styleLoss[4]! / styleLoss[3]!, 30, "a 100x weight shows in the loss at once")
        XCTAssertEqual(synthesis.settings.styleWeight, 2500)
    }

    func testPhasesRunCoarseToFine() throws {
        let (style, styleMap) = Self.style()
        let synthesis = try Synthesis(network: try network(),
                                      inputs: RenderInputs(style: style, styleMap: styleMap,
                                                           targetMap: Self.doodle(width: 96, height: 72)),
                                      settings: Self.settings(iterations: 2, phases: 3))
        let plan = synthesis.phasePlan()
        // 96x72 at 1/4 is 24x18, too small for conv4_1's 3x3 patches: dropped.
        XCTAssertEqual(plan.map(\.width), [48, 96])
        XCTAssertEqual(plan.map(\.height), [36, 72])
        XCTAssertEqual(plan.map(\.styleWidth), [32, 64])
        var started: [Int] = []
        _ = synthesis.run(events: { if case .phaseStarted(let p) = $0 { started.append(p.width) } })
        XCTAssertEqual(started, [48, 96])
    }

    func testModesFollowTheInputs() {
        let (style, map) = Self.style(size: 32)
        XCTAssertEqual(RenderInputs(style: style, styleMap: map, targetMap: map).mode, .doodle)
        XCTAssertEqual(RenderInputs(style: style, styleMap: map, content: style, targetMap: map).mode, .semanticTransfer)
        XCTAssertEqual(RenderInputs(style: style, content: style).mode, .transfer)
        XCTAssertEqual(RenderInputs(style: style).mode, .texture)
    }

    func testInputMistakesAreOneLineErrors() throws {
        let net = try network()
        let (style, styleMap) = Self.style(size: 48)
        var inputs = RenderInputs(style: style, styleMap: styleMap)
        inputs.names.styleMap = "monet_sem.png"
        XCTAssertThrowsError(try Synthesis(network: net, inputs: inputs, settings: Self.settings())) { error in
            XCTAssertEqual("\(error)", "'monet_sem.png' has no target map to match; give --map for the doodle (or --no-maps); a style map alone must be a black-and-white mask")
        }
        // A map of another shape than its image.
        inputs.styleMap = Image(width: 48, height: 20, channels: 3, repeating: 255)
        inputs.targetMap = Self.doodle()
        XCTAssertThrowsError(try Synthesis(network: net, inputs: inputs, settings: Self.settings())) { error in
            XCTAssertTrue("\(error)".contains("is 48x20 but 'style' is 48x48"), "\(error)")
        }
        // A doodle class the style map lacks: green.
        inputs.styleMap = styleMap
        inputs.targetMap = Image(width: 32, height: 32, channels: 3) { c, x, _ in x < 16 ? Self.blue[c] : [0, 255, 0][c] }
        inputs.names.targetMap = "doodle.png"
        XCTAssertThrowsError(try Synthesis(network: net, inputs: inputs, settings: Self.settings())) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("#00ff00") && text.contains("doodle.png") && text.contains("--allow-unmatched"), text)
        }
        XCTAssertNoThrow(try Synthesis(network: net, inputs: inputs, settings: Self.settings(), allowUnmatched: true))
    }
}
