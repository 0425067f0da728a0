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
        let result = try read(output, "the result to score")
        let styleImage = try read(style, "--style, the painting")
        let styleMapImage = try read(styleMap, "--style-map, the painting's map")
        let targetMap = try read(map, "--map, the doodle")
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
        print("'\(output)' (\(result.width)x\(result.height)) against '\(style)' (\(styleImage.width)x\(styleImage.height)), "
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
            let share = shareText(c.share)
            let padded = String(repeating: " ", count: max(0, 6 - share.count)) + share
            print(String(format: "  %@  %@  %@ of the doodle  ΔE %5.1f  (result %@, style %@)",
                         c.mapClass.hex, name, padded, c.deltaE,
                         DoodleScore.hex(c.outputMean), DoodleScore.hex(c.styleMean)))
        }
        print(String(format: "  weighted mean ΔE %.1f", score.deltaE))
    }

    /// The image at `path`; a missing file says which input it was meant to be.
    private func read(_ path: String, _ role: String) throws -> Image {
        do {
            return try Image.read(from: path)
        } catch let error as ImageError where error.kind == .notFound {
            throw UserError("'\(path)': no such file (\(role)); check the path")
        }
    }
}

/// `40.0%`, `0.25%`, `<0.01%`.
private func shareText(_ share: Double) -> String {
    let p = share * 100
    if p >= 1 || p == 0 { return String(format: "%.1f%%", p) }
    return p < 0.01 ? "<0.01%" : String(format: "%.2f%%", p)
}
