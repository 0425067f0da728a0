import Foundation
import XCTest
import Net
import Patches
import Doodle

/// Renders with the Gram loss, masks, colour control and Adam on the real weights, at small
/// sizes, on the project's own samples and on synthetic inputs whose answer is known.
final class GramSynthesisTests: XCTestCase {
    private var samples: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples").path }

    private func sample(_ name: String, width: Int, height: Int) throws -> Image {
        try Image.read(from: samples + "/" + name).rgb().resized(toWidth: width, height: height)
    }

    private func settings(_ change: (inout RenderSettings) -> Void = { _ in }) -> RenderSettings {
        var s = RenderSettings()
        s.styleLoss = .gram
        s.phases = 1
        s.iterations = [40]
        change(&s)
        return s
    }

    /// Renoir's river in Monet's colours: the result's Gram matrices move most of the way to the
    /// style's while its layout stays recognisably the content's. The style at its full size
    /// (`--style-scale 1`): its Gram matrices are the ones compared. (By default a style over
    /// 4 times the result's area is scaled down, and the result then takes that style's.)
    func testGramTransferTakesTheStyleAndKeepsTheContent() throws {
        let network = try TestNetwork.shared()
        let content = try sample("renoir.jpg", width: 128, height: 80)
        let style = try sample("monet.jpg", width: 512, height: 384)
        let synthesis = try Synthesis(network: network, inputs: RenderInputs(style: style, content: content),
                                      settings: settings { $0.iterations = [60]; $0.styleScale = 1 })
        let result = synthesis.run().image
        let before = ContentScorer.styleStatistics(output: content, style: style, network: network).classGramDistance
        let after = ContentScorer.styleStatistics(output: result, style: style, network: network).classGramDistance
        let kept = ContentScorer.score(output: result, content: content, network: network).structure
        print(String(format: "gram transfer 128x80: conv3_1 Gram distance %.3f -> %.3f, structure %.3f", before, after, kept))
        // Measured 2.07 -> 0.31 and 0.61. (At this tiny size the style takes more of the layout
        // than at 512x320, where the same defaults keep 0.89; README, "Gram loss".)
        XCTAssertLessThan(after, 0.2 * before)
        XCTAssertGreaterThan(kept, 0.5)
    }

    /// A black-and-white mask of the content: its black part is the content to the grey level,
    /// its white part is painted.
    func testPartialMaskKeepsTheContentOutsideIt() throws {
        let network = try TestNetwork.shared()
        let (w, h) = (128, 80)
        let content = try sample("renoir.jpg", width: w, height: h)
        let style = try sample("monet.jpg", width: 128, height: 96)
        let mask = Image(width: w, height: h, channels: 3) { _, x, _ in x < w / 2 ? 255 : 0 }
        for loss in StyleLossKind.allCases {
            let synthesis = try Synthesis(network: network, inputs: RenderInputs(style: style, content: content, targetMap: mask),
                                          settings: settings { $0.styleLoss = loss; $0.iterations = [20] })
            let result = synthesis.run().image
            var kept: Float = 0, painted: Float = 0
            for c in 0..<3 {
                for y in 0..<h {
                    for x in 0..<w {
                        let d = abs(result[c, x, y] - content[c, x, y])
                        if x >= w / 2 { kept = max(kept, d) } else { painted += d / Float(3 * h * w / 2) }
                    }
                }
            }
            print(String(format: "%@ loss, mask: largest change outside %.2f, mean change inside %.1f", loss.rawValue, kept, painted))
            XCTAssertLessThanOrEqual(kept, 2, "\(loss)")
            XCTAssertGreaterThan(painted, 4, "\(loss)")
        }
    }

    /// The synthetic style of `SynthesisTests` (warm stripes on the left, blue dots on the right)
    /// and a doodle with the classes the other way round: each region takes its own class's colours.
    /// (From noise these saturated statistics take L-BFGS-B over 100 evaluations to leave grey.)
    func testGuidedGramPaintsEachRegionFromItsOwn() throws {
        let network = try TestNetwork.shared()
        let (style, styleMap) = SynthesisTests.style(size: 64)
        let doodle = SynthesisTests.doodle(width: 64, height: 64)
        for propagation in MaskPropagation.allCases {
            let synthesis = try Synthesis(network: network, inputs: RenderInputs(style: style, styleMap: styleMap, targetMap: doodle),
                                          settings: settings { $0.maskPropagation = propagation; $0.iterations = [200] })
            let result = synthesis.run().image
            func mean(_ rows: Range<Int>, _ c: Int) -> Float {
                var sum: Float = 0
                for y in rows { for x in 8..<56 { sum += result[c, x, y] } }
                return sum / Float(rows.count * 48)
            }
            // Top: blue class (blue with white dots); bottom: orange class (red and yellow stripes).
            let top = (0..<3).map { mean(4..<28, $0) }, bottom = (0..<3).map { mean(36..<60, $0) }
            print("guided gram, \(propagation): top \(top.map(Int.init)), bottom \(bottom.map(Int.init))")
            XCTAssertGreaterThan(top[2], top[0] + 40, "\(propagation): the top is not blue")
            XCTAssertGreaterThan(bottom[0], bottom[2] + 60, "\(propagation): the bottom is not warm")
        }
    }

    /// Luminance only: the result has the content's chrominance and the style's shading.
    func testLuminanceTransferKeepsTheContentsColours() throws {
        let network = try TestNetwork.shared()
        let content = try sample("renoir.jpg", width: 96, height: 64)
        let style = try sample("monet.jpg", width: 96, height: 72)
        let synthesis = try Synthesis(network: network, inputs: RenderInputs(style: style, content: content),
                                      settings: settings { $0.preserveColors = .luminance; $0.iterations = [20] })
        let result = synthesis.run().image
        func chroma(_ image: Image) -> [Float] {
            let n = image.planeSize
            return (0..<n).map { p in 0.596 * image.pixels[p] - 0.274 * image.pixels[n + p] - 0.322 * image.pixels[2 * n + p] }
        }
        let (a, b) = (chroma(result), chroma(content))
        let meanDifference = zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count)
        let luminanceChange = zip(result.pixels, content.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(content.pixels.count)
        print(String(format: "luminance only: chroma differs by %.2f, pixels by %.1f", meanDifference, luminanceChange))
        XCTAssertLessThan(meanDifference, 2.5)
        XCTAssertGreaterThan(luminanceChange, 3)
        // And without content there are no colours to keep: one line, before any work.
        XCTAssertThrowsError(try Synthesis(network: network, inputs: RenderInputs(style: style),
                                           settings: settings { $0.preserveColors = .luminance })) { error in
            XCTAssertTrue("\(error)".contains("--content"), "\(error)")
        }
    }

    /// Adam lowers the loss of a doodle render a long way, with either loss.
    func testAdamLowersTheLoss() throws {
        let network = try TestNetwork.shared()
        let (style, styleMap) = SynthesisTests.style(size: 48)
        for loss in StyleLossKind.allCases {
            let synthesis = try Synthesis(network: network,
                                          inputs: RenderInputs(style: style, styleMap: styleMap, targetMap: SynthesisTests.doodle()),
                                          settings: settings { $0.styleLoss = loss; $0.optimizer = .adam; $0.learningRate = 4; $0.iterations = [40] })
            var losses: [Double] = []
            _ = synthesis.run(events: { if case .iteration(let r) = $0 { losses.append(r.losses.total) } })
            print(String(format: "adam, %@ loss: %.1f -> %.1f", loss.rawValue, losses.first!, losses.last!))
            XCTAssertEqual(losses.count, 40)
            XCTAssertLessThan(losses.last!, 0.5 * losses.first!, "\(loss)")
        }
    }
}
