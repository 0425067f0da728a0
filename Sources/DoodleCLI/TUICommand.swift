import ArgumentParser
import Doodle
import Foundation
import Net
import Patches
import TUI

struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "A full-screen studio: choose inputs, tune parameters, watch and steer a render.",
        discussion: """
        Every flag is optional and takes the same values as `doodle render`; the studio starts with \
        them filled in. A map left out is looked for beside its image as NAME_sem.png (the doodle's \
        beside --output). Keys: Tab moves between panes, r runs, space pauses, s stops, w writes the \
        current image, q quits, ? shows all keys. Needs a terminal of at least 80x24.
        """)

    @Option(help: "A preset name or file (presets are not available yet: the flag is accepted and ignored).")
    var preset: String?
    @Option(help: "The painting whose brushwork to use.") var style: String?
    @Option(help: "The painting's semantic map (default: STYLE_sem.png when it exists).") var styleMap: String?
    @Option(help: "The target semantic map, the doodle (default: CONTENT_sem.png or OUTPUT_sem.png when it exists).") var map: String?
    @Option(help: "A content image to keep the layout of.") var content: String?
    @Option(help: "Where to write the PNG.") var output = "doodle.png"
    @Option(help: "Size of the result, WxH (default: the map's, the content's or the style's).") var outputSize: String?
    @Option(help: "Suffix of map files looked for beside their images.") var semanticExt = "_sem.png"
    @Flag(help: "Do not look for maps beside the images.") var noMaps = false
    @Flag(help: "Run even when the doodle has classes the style map lacks.") var allowUnmatched = false

    @Option(help: "Weight of the content loss.") var contentWeight: Float = 10
    @Option(help: "Layers for the content loss, e.g. 4_2.") var contentLayers = "4_2"
    @Option(help: "Weight of the style loss.") var styleWeight: Float = 25
    @Option(help: "Layers for the style loss, e.g. 3_1,4_1.") var styleLayers = "3_1,4_1"
    @Option(help: "Weight of the semantic map beside the features.") var semanticWeight: Float = 10
    @Option(help: "Weight of the smoothness (total variation) term.") var smoothness: Float = 1
    @Option(help: "Bias towards style patches used less (0 = off).") var variety: Float = 0
    @Option(help: "Evaluations per phase.") var iterations = 100
    @Option(help: "Resolutions, each twice the previous.") var phases = 3
    @Option(help: "First image: noise, content, or an image file.") var seed = "noise"
    @Option(help: "Random seed: the same inputs and seed give the same PNG.") var randomSeed: UInt64 = 0
    @Option(help: "Pooling in VGG19: average or max.") var pooling = "average"
    @Option(help: "Patch search: \(MatcherKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var matcher: String = MatcherKind.default.rawValue
    @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?
    @Flag(help: "ASCII only: brightness-ramp thumbnails, ASCII frames (for terminals without UTF-8 or 256 colours).")
    var ascii = false

    func validate() throws {
        _ = try layers(contentLayers, flag: "--content-layers")
        _ = try layers(styleLayers, flag: "--style-layers")
        _ = try size()
        guard Pooling2x2.Kind(rawValue: pooling) != nil else { throw ValidationError("--pooling must be average or max") }
        guard MatcherKind(rawValue: matcher) != nil else {
            throw ValidationError("--matcher must be one of \(MatcherKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...10000).contains(iterations) else { throw ValidationError("--iterations must be 1 … 10000") }
        guard (1...6).contains(phases) else { throw ValidationError("--phases must be 1 … 6; each phase halves the size") }
        for (flag, value, limit) in [("--content-weight", contentWeight, Float(1000)), ("--style-weight", styleWeight, 1000),
                                     ("--semantic-weight", semanticWeight, 1000), ("--smoothness", smoothness, 100),
                                     ("--variety", variety, 10)] {
            guard value >= 0 && value <= limit else { throw ValidationError("\(flag) must be between 0 and \(Int(limit))") }
        }
        guard randomSeed <= UInt64(Int.max) else { throw ValidationError("--random-seed must be at most \(Int.max)") }
        if seed != "noise" && seed != "content" && !FileManager.default.isReadableFile(atPath: seed) {
            throw ValidationError("--seed '\(seed)': no such file; give noise, content or an image file")
        }
    }

    func run() throws {
        var c = StudioConfiguration(weightsPath: weights ?? WeightStore().defaultWeightsPath)
        c.style = style
        c.styleMap = styleMap
        c.targetMap = map
        c.content = content
        c.output = output
        c.semanticSuffix = semanticExt
        c.noMaps = noMaps
        c.allowUnmatched = allowUnmatched
        c.outputSize = try size()
        c.seed = seed
        c.asciiOnly = ascii
        var s = RenderSettings()
        s.contentWeight = contentWeight
        s.contentLayers = try layers(contentLayers, flag: "--content-layers")
        s.styleWeight = styleWeight
        s.styleLayers = try layers(styleLayers, flag: "--style-layers")
        s.semanticWeight = semanticWeight
        s.smoothness = smoothness
        s.variety = variety
        s.iterations = iterations
        s.phases = phases
        s.randomSeed = randomSeed
        s.pooling = Pooling2x2.Kind(rawValue: pooling)!
        s.matcher = MatcherKind(rawValue: matcher)!
        c.settings = s
        c.recentFoldersPath = WeightStore().home + "/tui-recent-folders"
        if let preset {
            c.notices.append("--preset \(preset): presets are not available yet; starting with the flags and defaults")
        }
        Studio.runAndExit(c)
    }

    /// The layers of a flag, refused with the studio's own reason.
    private func layers(_ text: String, flag: String) throws -> [VGGLayer] {
        do {
            let list = try ParameterEditor.parseLayers(text)
            guard !list.isEmpty else { throw ValidationError("\(flag) is empty; give e.g. 3_1,4_1") }
            return list
        } catch let refusal as ParameterRefusal {
            throw ValidationError("\(flag): \(refusal.reason)")
        }
    }

    private func size() throws -> (width: Int, height: Int)? {
        guard let outputSize else { return nil }
        var editor = ParameterEditor()
        do { try editor.set(.outputSize, typed: outputSize) } catch let refusal as ParameterRefusal {
            throw ValidationError("--output-size: \(refusal.reason)")
        }
        return editor.outputSize
    }
}
