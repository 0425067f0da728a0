import ArgumentParser
import Doodle

/// The render flags `doodle render` and `doodle tui` share, one per parameter of the table
/// (`RenderParameters`): a flag's property name is its key in camelCase, its help comes from
/// the table, and its text goes through the preset parser, so a bad value gets the same
/// message as in a preset file. Every one is optional: only the flags given become preset
/// values, laid over the preset (built-in defaults < preset < flags).
struct RenderFlags: ParsableArguments {
    @Option(help: .parameter("style")) var style: String?
    @Option(help: .parameter("style-map")) var styleMap: String?
    @Option(name: [.customLong("map"), .customLong("content-map")], help: .parameter("map")) var map: String?
    @Option(help: .parameter("content")) var content: String?
    @Option(help: .parameter("palette")) var palette: String?
    @Option(help: .parameter("output")) var output: String?
    @Option(help: .parameter("output-size")) var outputSize: String?
    @Option(parsing: .unconditional, help: .parameter("scale")) var scale: String?
    @Option(help: .parameter("semantic-ext")) var semanticExt: String?
    @Flag(inversion: .prefixedNo, help: "--no-maps: Ignore semantic maps, even when they exist. (--maps: use them although the preset says no-maps.)")
    var maps: Bool?
    @Flag(help: .parameter("allow-unmatched")) var allowUnmatched = false

    @Option(parsing: .unconditional, help: .parameter("content-weight")) var contentWeight: String?
    @Option(parsing: .unconditional, help: .parameter("style-weight")) var styleWeight: String?
    @Option(help: .parameter("style-loss")) var styleLoss: String?
    @Option(parsing: .unconditional, help: .parameter("semantic-weight")) var semanticWeight: String?
    @Option(parsing: .unconditional, help: .parameter("smoothness")) var smoothness: String?
    @Option(parsing: .unconditional, help: .parameter("variety")) var variety: String?
    @Option(help: .parameter("style-layers")) var styleLayers: String?
    @Option(help: .parameter("style-layer-weights")) var styleLayerWeights: String?
    @Option(help: .parameter("content-layers")) var contentLayers: String?
    @Option(parsing: .unconditional, help: .parameter("phases")) var phases: String?
    @Option(parsing: .unconditional, help: .parameter("style-scale")) var styleScale: String?
    @Option(parsing: .unconditional, help: .parameter("iterations")) var iterations: String?
    @Option(help: .parameter("seed")) var seed: String?
    @Option(help: .parameter("seed-range")) var seedRange: String?
    @Option(parsing: .unconditional, help: .parameter("random-seed")) var randomSeed: String?
    @Option(help: .parameter("pooling")) var pooling: String?
    @Option(help: .parameter("matcher")) var matcher: String?
    @Option(help: .parameter("map-encoding")) var mapEncoding: String?
    @Option(help: .parameter("mask-propagation")) var maskPropagation: String?
    @Option(parsing: .unconditional, help: .parameter("mask-colors")) var maskColors: String?
    @Option(help: .parameter("preserve-colors")) var preserveColors: String?
    @Option(help: .parameter("optimizer")) var optimizer: String?
    @Option(parsing: .unconditional, help: .parameter("learning-rate")) var learningRate: String?
    @Option(help: .parameter("weights")) var weights: String?

    /// The values given on the command line (and only those), checked like a preset's.
    func preset() throws -> Preset {
        var p = try FlagValues.preset(of: self)
        if let maps { p.set(.noMaps, .flag(!maps), from: .commandLine) }
        if allowUnmatched { p.set(.allowUnmatched, .flag(true), from: .commandLine) }
        return p
    }
}

/// The text options of a set of flags, read by their property names.
enum FlagValues {
    /// Every `@Option var someKey: String?` of `flags` that was given and names a parameter,
    /// parsed as preset key `some-key` (the `@Flag`s are each command's own).
    static func preset(of flags: Any) throws -> Preset {
        var preset = Preset()
        for (key, option) in options(of: flags) {
            guard let text = option.wrappedValue else { continue }
            do {
                preset.set(key, try PresetValueParser.parse(key, .scalar(text), label: key.flag), from: .commandLine)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        return preset
    }

    /// The text options of `flags` that name a parameter (`--preset` does not).
    static func options(of flags: Any) -> [(PresetKey, Option<String?>)] {
        Mirror(reflecting: flags).children.compactMap { child in
            guard let label = child.label, let option = child.value as? Option<String?>,
                  let key = PresetKey(rawValue: PresetValueParser.fold(String(label.drop(while: { $0 == "_" })))) else { return nil }
            return (key, option)
        }
    }
}

extension ArgumentHelp {
    /// The table's help of `key`, with its default: "Weight of the style loss. (default: 25)".
    static func parameter(_ key: PresetKey) -> ArgumentHelp {
        let parameter = key.parameter
        let help = parameter.help.hasSuffix(".") ? String(parameter.help.dropLast()) : parameter.help
        let choices: String
        if case .choice(let names) = parameter.kind { choices = ": " + names.joined(separator: ", ") } else { choices = "" }
        return ArgumentHelp(help + choices + (parameter.defaultValue.map { ". (default: \($0.text))" } ?? "."))
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
