import ArgumentParser
import Doodle
import Foundation
import Net

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Measure how faithfully a result follows its doodle.",
        discussion: """
        Patches: at conv3_1 and conv4_1, the share of the result's 3x3 feature patches whose nearest \
        style patch (normalised cross-correlation of the features alone) lies in the class the doodle \
        paints at that patch; 1 means every patch was borrowed from the right region. Colours: per class, \
        the CIE76 ΔE between the region's mean colour in the result and in the style, and their mean \
        weighted by area. Works on any PNG or JPEG, rendered by doodle or not.
        """)

    @Argument(help: "The result to score (PNG or JPEG).") var output: String
    @Option(help: "The painting the result borrows from.") var style: String
    @Option(help: "The painting's semantic map.") var styleMap: String
    @Option(help: "The doodle (target semantic map) the result should follow; resampled to the result's size.")
    var map: String
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?

    func run() throws {
        let result = try Image.read(from: output)
        let styleImage = try Image.read(from: style)
        let styleMapImage = try Image.read(from: styleMap)
        let targetMap = try Image.read(from: map)
        let scorer = try DoodleScorer(output: result, style: styleImage, styleMap: styleMapImage, targetMap: targetMap,
                                      names: ScoreNames(output: output, style: style, styleMap: styleMap, targetMap: map))
        let weightsPath = weights ?? WeightStore().defaultWeightsPath
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw UserError("'\(weightsPath)': no weights file; run scripts/setup")
        }
        let network = VGG19(weights: try VGG19Weights.load(path: weightsPath))
        let score = scorer.run(network: network)

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(score), as: UTF8.self))
            return
        }
        print("\(output) (\(result.width)x\(result.height)) against '\(style)' (\(styleImage.width)x\(styleImage.height)), "
            + "doodle '\(map)', style map '\(styleMap)'")
        print("patches whose nearest style patch has the doodle's class (1 = all):")
        for l in score.layers {
            var line = String(format: "  %@  %.3f  (%d of %d patches", l.layer.name, l.fraction, l.matched, l.counted)
            if l.blank > 0 { line += ", \(l.blank) blank left out" }
            print(line + ")")
        }
        print("region colours, CIE76 ΔE between the mean colour in the result and in the style:")
        let nameWidth = score.classes.map(\.mapClass.shortName.count).max() ?? 0
        for c in score.classes {
            let name = c.mapClass.shortName.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            print(String(format: "  %@  %@  %6@ of the doodle  ΔE %5.1f  (result %@, style %@)",
                         c.mapClass.hex, name, shareText(c.share), c.deltaE,
                         DoodleScore.hex(c.outputMean), DoodleScore.hex(c.styleMean)))
        }
        print(String(format: "  weighted mean ΔE %.1f", score.deltaE))
    }
}

/// `40.0%`, `0.25%`, `<0.01%`.
private func shareText(_ share: Double) -> String {
    let p = share * 100
    if p >= 1 || p == 0 { return String(format: "%.1f%%", p) }
    return p < 0.01 ? "<0.01%" : String(format: "%.2f%%", p)
}
