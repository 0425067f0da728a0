import ArgumentParser
import Doodle
import Patches

/// The render flags `doodle render` and `doodle tui` share. Every one is optional: only the
/// flags given become preset values, laid over the preset (built-in defaults < preset < flags).
struct RenderFlags: ParsableArguments {
    @Option(help: "The painting whose brushwork to use.") var style: String?
    @Option(help: "The painting's semantic map (default: STYLE_sem.png when it exists).") var styleMap: String?
    @Option(name: [.customLong("map"), .customLong("content-map")],
            help: "The target semantic map: the doodle, or the content image's own map (default: CONTENT_sem.png or OUTPUT_sem.png when it exists).")
    var map: String?
    @Option(help: "A content image to keep the layout of.") var content: String?
    @Option(help: "Where to write the PNG.") var output: String?
    @Option(help: "Size of the result, WxH (default: the map's, the content's or the style's).") var outputSize: String?
    @Option(parsing: .unconditional, help: "Multiplies the size of the result (the output size or the default size)\(byDefault(.scale))") var scale: Float?
    @Option(help: "Suffix of map files looked for beside their images\(byDefault(.semanticExt))") var semanticExt: String?
    @Flag(inversion: .prefixedNo, help: "--no-maps: Ignore semantic maps, even when they exist. (--maps: use them although the preset says no-maps.)")
    var maps: Bool?
    @Flag(help: "Continue when the doodle has classes the style map lacks.") var allowUnmatched = false

    @Option(parsing: .unconditional, help: "Weight of the content loss\(byDefault(.contentWeight))") var contentWeight: Float?
    @Option(help: "Layers for the content loss, e.g. 4_2\(byDefault(.contentLayers))") var contentLayers: String?
    @Option(parsing: .unconditional, help: "Weight of the style loss\(byDefault(.styleWeight))") var styleWeight: Float?
    @Option(help: "Layers for the style loss, e.g. 3_1,4_1\(byDefault(.styleLayers))") var styleLayers: String?
    @Option(parsing: .unconditional, help: "Weight of the semantic map beside the features\(byDefault(.semanticWeight))") var semanticWeight: Float?
    @Option(parsing: .unconditional, help: "Weight of the smoothness (total variation) term\(byDefault(.smoothness))") var smoothness: Float?
    @Option(parsing: .unconditional, help: "Bias towards style patches used less, and against copying large pieces of the style, 0 to 1 (0 = off)\(byDefault(.variety))") var variety: Float?
    @Option(parsing: .unconditional, help: "Evaluations per phase, coarse to fine: one number for every phase, or one per phase (the last repeats)\(byDefault(.iterations))") var iterations: String?
    @Option(parsing: .unconditional, help: "Resolutions, each twice the previous\(byDefault(.phases))") var phases: Int?
    @Option(help: "First image: auto (the content when there is one, else noise), noise, content, or an image file\(byDefault(.seed))") var seed: String?
    @Option(help: "Pixel range of the noise seed, LO:HI\(byDefault(.seedRange))") var seedRange: String?
    @Option(parsing: .unconditional, help: "Random seed: the same inputs and seed give the same PNG\(byDefault(.randomSeed))") var randomSeed: UInt64?
    @Option(help: "Pooling in VGG19: average or max\(byDefault(.pooling))") var pooling: String?
    @Option(help: "Patch search: \(MatcherKind.allCases.map(\.rawValue).joined(separator: ", ")) (default \(MatcherKind.default.rawValue)).")
    var matcher: String?
    @Option(help: "How the map enters the network: classes (one channel each) or colours\(byDefault(.mapEncoding))") var mapEncoding: String?
    @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?

    /// The values given on the command line (and only those), checked like a preset's.
    func preset() throws -> Preset {
        var p = PresetBuilder()
        try p.put(.style, style)
        try p.put(.styleMap, styleMap)
        try p.put(.map, map)
        try p.put(.content, content)
        try p.put(.output, output)
        try p.put(.outputSize, outputSize)
        try p.put(.scale, scale.map(PresetValue.number))
        try p.put(.semanticExt, semanticExt)
        try p.put(.noMaps, maps.map { PresetValue.flag(!$0) })
        try p.put(.allowUnmatched, allowUnmatched ? PresetValue.flag(true) : nil)
        try p.put(.contentWeight, contentWeight.map(PresetValue.number))
        try p.put(.contentLayers, contentLayers)
        try p.put(.styleWeight, styleWeight.map(PresetValue.number))
        try p.put(.styleLayers, styleLayers)
        try p.put(.semanticWeight, semanticWeight.map(PresetValue.number))
        try p.put(.smoothness, smoothness.map(PresetValue.number))
        try p.put(.variety, variety.map(PresetValue.number))
        try p.put(.iterations, iterations)
        try p.put(.phases, phases.map(PresetValue.integer))
        try p.put(.seed, seed)
        try p.put(.seedRange, seedRange)
        try p.put(.randomSeed, randomSeed.map(PresetValue.unsigned))
        try p.put(.pooling, pooling)
        try p.put(.matcher, matcher)
        try p.put(.mapEncoding, mapEncoding)
        try p.put(.weights, weights)
        return p.preset
    }
}

/// Command-line values into a preset, each checked as a preset file's value is.
struct PresetBuilder {
    var preset = Preset()

    mutating func put(_ key: PresetKey, _ text: String?) throws {
        guard let text else { return }
        do {
            preset.set(key, try PresetValueParser.parse(key, .scalar(text), label: key.flag), from: .commandLine)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    mutating func put(_ key: PresetKey, _ value: PresetValue?) throws {
        guard let value else { return }
        if let problem = PresetValueParser.rangeProblem(key, value, label: key.flag) { throw ValidationError(problem) }
        preset.set(key, value, from: .commandLine)
    }
}

/// The preset a `--preset NAME|FILE` flag names (an empty one without the flag); a bad file is
/// one line naming file:line.
func basePreset(_ name: String?) throws -> Preset {
    guard let name else { return Preset() }
    do {
        return try Preset.named(name)
    } catch let error as PresetError {
        throw UserError(error.description)
    }
}
