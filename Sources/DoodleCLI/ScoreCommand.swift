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
        weighted by area. Content (--content): the structure similarity (SSIM of luminance blurred at sigma \
        2) and the relative conv4_2 distance to the content image. Texture (--texture): the largest piece \
        of the style the result copies at one offset, as a share of the result. Works on any PNG or JPEG, \
        rendered by doodle or not.
        """)

    @Argument(help: "The result to score (PNG or JPEG).") var output: String
    @Option(help: "The painting the result borrows from.") var style: String
    @Option(help: "The painting's semantic map (with --map: score how the result follows the doodle).")
    var styleMap: String?
    @Option(help: "The doodle (target semantic map) the result should follow; resampled to the result's size.")
    var map: String?
    @Option(help: "The content image the result should keep: structure similarity and conv4_2 distance.")
    var content: String?
    @Flag(help: "Measure the largest piece of the style the result copies verbatim (for textures).")
    var texture = false
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?

    func run() throws {
        let result = try read(output, "the result to score")
        let styleImage = try read(style, "--style, the painting")
        var scorer: DoodleScorer? = nil
        switch (styleMap, map) {
        case let (styleMap?, map?):
            let styleMapImage = try read(styleMap, "--style-map, the painting's map")
            let targetMap = try read(map, "--map, the doodle")
            scorer = try DoodleScorer(output: result, style: styleImage, styleMap: styleMapImage, targetMap: targetMap,
                                      names: ScoreNames(output: output, style: style, styleMap: styleMap, targetMap: map))
        case (let given?, nil), (nil, let given?):
            throw UserError("'\(given)' needs its partner: give both --style-map and --map to score classes and colours")
        case (nil, nil):
            guard content != nil || texture else {
                throw UserError("nothing to score '\(output)' against: give --style-map and --map, --content IMG, or --texture")
            }
        }
        let contentImage = try content.map { try read($0, "--content, the content image") }
        let minimum = ContentScorer.layer.minimumSide
        for (image, name) in [(result, output), (styleImage, style)] where min(image.width, image.height) < minimum {
            throw UserError("'\(name)' is \(image.width)x\(image.height): too small to score, which needs at least \(minimum)x\(minimum) pixels; score a larger image")
        }
        let weightsPath = weights ?? WeightStore().defaultWeightsPath
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw UserError("'\(weightsPath)': no weights file; run scripts/setup")
        }
        let network = VGG19(weights: try VGG19Weights.load(path: weightsPath))
        let report = ScoreReport(doodle: scorer?.run(network: network),
                                 content: contentImage.map { ContentScorer.score(output: result, content: $0, network: network) },
                                 texture: texture ? ContentScorer.largestCopy(output: result, style: styleImage, network: network) : nil,
                                 style: content != nil || texture || scorer != nil
                                     ? ContentScorer.styleStatistics(output: result, style: styleImage, maps: scorer.map {
                                         ($0.targetMap.resampled(toWidth: result.width, height: result.height),
                                          $0.styleMap.resampled(toWidth: styleImage.width, height: styleImage.height))
                                     }, network: network) : nil)
        if json {
            try printJSON(report)
            return
        }
        print("'\(output)' (\(result.width)x\(result.height)) against '\(style)' (\(styleImage.width)x\(styleImage.height))"
            + (map.map { ", doodle '\($0)', style map '\(styleMap!)'" } ?? "")
            + (content.map { ", content '\($0)'" } ?? ""))
        if let score = report.doodle { printDoodle(score) }
        if let c = report.content {
            print("content kept (structure: 1 = the content's layout and shading, under 0.5 = lost):")
            print(String(format: "  structure %.3f  (SSIM of luminance blurred at sigma %.0f)", c.structure, ContentScorer.blurSigma))
            print(String(format: "  %@ distance %.3f  (|result - content| / |content|, 0 = the content's features)",
                         c.layer.name, c.featureDistance))
        }
        if let s = report.style {
            print(String(format: "style statistics: Gram distance %.3f  (mean over %@ of |G(result) - G(style)| / |G(style)|, 0 = the style's)",
                         s.gramDistance, s.layers.map(\.name).joined(separator: ", ")))
            print(String(format: "  %@ Gram distance %.3f%@", s.classLayer.name, s.classGramDistance,
                         scorer == nil ? "" : "  (class to class, weighted by the doodle's shares)"))
        }
        if let t = report.texture {
            print("largest piece of the style copied verbatim:")
            print(String(format: "  %@ of the result  (%d of %d %@ patches, style offset %+d,%+d px)",
                         shareText(t.largestShare), t.largestPatches, t.patches, t.layer.name, t.offset.x, t.offset.y))
        }
    }

    private func printDoodle(_ score: DoodleScore) {
        print("patches whose nearest style patch has the doodle's class (1 = all):")
        for l in score.layers {
            var line = String(format: "  %@  %.3f  (%d of %d patches", l.layer.name, l.fraction, l.matched, l.counted)
            if l.blank > 0 { line += ", \(l.blank) blank left out" }
            print(line + ")")
            print("    by class: " + classBreakdown(l, score).joined(separator: ", "))
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

    /// Per doodle class, its fraction and where most of its misses went: `blue 0.722 (0.245 to red)`.
    private func classBreakdown(_ l: DoodleScore.LayerScore, _ score: DoodleScore) -> [String] {
        let fractions = l.classFractions
        return score.classes.compactMap { c -> String? in
            let id = c.mapClass.id
            guard let fraction = fractions[id] else { return nil }
            var text = String(format: "%@ %.3f", c.mapClass.shortName, fraction)
            let row = l.confusion[id], total = row.reduce(0, +)
            if let miss = row.indices.filter({ $0 != id && row[$0] > 0 }).max(by: { row[$0] < row[$1] }) {
                text += String(format: " (%.3f to %@)", Double(row[miss]) / Double(total), score.palette[miss].shortName)
            }
            return text
        }
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
