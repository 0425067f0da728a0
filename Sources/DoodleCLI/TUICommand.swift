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
        them filled in. --preset takes the inputs and values from a built-in preset or a YAML file \
        (paths relative to the file); the flags given override it: built-in defaults < preset < flags. \
        A map left out is looked for beside its image as NAME_sem.png (the doodle's beside --output). \
        Keys: Tab moves between panes, r runs, space pauses, s stops, w writes the current image, \
        l loads a preset, S saves the settings as one, q quits, ? shows all keys. Needs a terminal of \
        at least 80x24.
        """)

    @Option(help: "A built-in preset (\(Preset.builtinNames.joined(separator: ", "))) or a preset file (YAML); flags override it. In the studio l loads another and S saves the settings as one.")
    var preset: String?
    @Option(help: "The painting whose brushwork to use.") var style: String?
    @Option(help: "The painting's semantic map (default: STYLE_sem.png when it exists).") var styleMap: String?
    @Option(help: "The target semantic map, the doodle (default: CONTENT_sem.png or OUTPUT_sem.png when it exists).") var map: String?
    @Option(help: "A content image to keep the layout of.") var content: String?
    @Option(help: "Where to write the PNG. (default: doodle.png)") var output: String?
    @Option(help: "Size of the result, WxH (default: the map's, the content's or the style's).") var outputSize: String?
    @Option(help: "Multiplies the size of the result (the output size or the default size)\(byDefault(.scale))") var scale: Float?
    @Option(help: "Suffix of map files looked for beside their images\(byDefault(.semanticExt))") var semanticExt: String?
    @Flag(inversion: .prefixedNo, help: "--no-maps: Ignore semantic maps, given or beside the images. (--maps: use them although the preset says no-maps.)")
    var maps: Bool?
    @Flag(help: "Run even when the doodle has classes the style map lacks.") var allowUnmatched = false

    @Option(help: "Weight of the content loss\(byDefault(.contentWeight))") var contentWeight: Float?
    @Option(help: "Layers for the content loss, e.g. 4_2\(byDefault(.contentLayers))") var contentLayers: String?
    @Option(help: "Weight of the style loss\(byDefault(.styleWeight))") var styleWeight: Float?
    @Option(help: "Layers for the style loss, e.g. 3_1,4_1\(byDefault(.styleLayers))") var styleLayers: String?
    @Option(help: "Weight of the semantic map beside the features\(byDefault(.semanticWeight))") var semanticWeight: Float?
    @Option(help: "Weight of the smoothness (total variation) term\(byDefault(.smoothness))") var smoothness: Float?
    @Option(help: "Bias towards style patches used less (0 = off)\(byDefault(.variety))") var variety: Float?
    @Option(help: "Evaluations per phase\(byDefault(.iterations))") var iterations: Int?
    @Option(help: "Resolutions, each twice the previous\(byDefault(.phases))") var phases: Int?
    @Option(help: "First image: noise, content, or an image file\(byDefault(.seed))") var seed: String?
    @Option(help: "Pixel range of the noise seed, LO:HI\(byDefault(.seedRange))") var seedRange: String?
    @Option(help: "Random seed: the same inputs and seed give the same PNG\(byDefault(.randomSeed))") var randomSeed: UInt64?
    @Option(help: "Pooling in VGG19: average or max\(byDefault(.pooling))") var pooling: String?
    @Option(help: "Patch search: \(MatcherKind.allCases.map(\.rawValue).joined(separator: ", ")) (default \(MatcherKind.default.rawValue)).")
    var matcher: String?
    @Option(help: "How the map enters the network: classes (one channel each) or colours\(byDefault(.mapEncoding))") var mapEncoding: String?
    @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?
    @Flag(help: "ASCII only: brightness-ramp thumbnails, ASCII frames (for terminals without UTF-8 or 256 colours).")
    var ascii = false

    func validate() throws {
        _ = try flagPreset()
        if let seed, seed != "noise", seed != "content", !FileManager.default.isReadableFile(atPath: seed) {
            throw ValidationError("--seed '\(seed)': no such file; give noise, content or an image file")
        }
    }

    /// The values given on the command line (and only those), checked as `doodle render`
    /// checks them.
    func flagPreset() throws -> Preset {
        var p = Preset()
        func put(_ key: PresetKey, _ text: String?) throws {
            guard let text else { return }
            do {
                p.set(key, try PresetValueParser.parse(key, .scalar(text), label: key.flag), from: .commandLine)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        func put(_ key: PresetKey, _ value: PresetValue?) throws {
            guard let value else { return }
            if let problem = PresetValueParser.rangeProblem(key, value, label: key.flag) { throw ValidationError(problem) }
            p.set(key, value, from: .commandLine)
        }
        try put(.style, style)
        try put(.styleMap, styleMap)
        try put(.map, map)
        try put(.content, content)
        try put(.output, output)
        try put(.outputSize, outputSize)
        try put(.scale, scale.map(PresetValue.number))
        try put(.semanticExt, semanticExt)
        try put(.noMaps, maps.map { PresetValue.flag(!$0) })
        try put(.allowUnmatched, allowUnmatched ? PresetValue.flag(true) : nil)
        try put(.contentWeight, contentWeight.map(PresetValue.number))
        try put(.contentLayers, contentLayers)
        try put(.styleWeight, styleWeight.map(PresetValue.number))
        try put(.styleLayers, styleLayers)
        try put(.semanticWeight, semanticWeight.map(PresetValue.number))
        try put(.smoothness, smoothness.map(PresetValue.number))
        try put(.variety, variety.map(PresetValue.number))
        try put(.iterations, iterations.map(PresetValue.integer))
        try put(.phases, phases.map(PresetValue.integer))
        try put(.seed, seed)
        try put(.seedRange, seedRange)
        try put(.randomSeed, randomSeed.map(PresetValue.unsigned))
        try put(.pooling, pooling)
        try put(.matcher, matcher)
        try put(.mapEncoding, mapEncoding)
        try put(.weights, weights)
        return p
    }

    func run() throws {
        let flags = try flagPreset()
        // Built-in defaults < preset < flags, as `doodle render --preset` takes them. A bad
        // preset is one line naming file:line, before the screen opens.
        var base = Preset()
        if let preset {
            do {
                base = try Preset.named(preset)
            } catch let error as PresetError {
                throw UserError(error.description)
            }
        }
        let resolved = flags.merged(over: base)
        if let seed = resolved.randomSeed, seed > UInt64(Int.max) {
            let source = resolved.sources[.randomSeed]
            let label = source == .commandLine ? "--random-seed" : "random-seed"
            throw UserError("\(source.map { "\($0): " } ?? "")\(label) \(seed): the studio takes at most \(Int.max)")
        }
        var c = StudioConfiguration(preset: resolved, weightsPath: WeightStore().defaultWeightsPath)
        c.asciiOnly = ascii
        c.startPreset = preset
        c.recentFoldersPath = WeightStore().home + "/tui-recent-folders"
        Studio.runAndExit(c)
    }
}
