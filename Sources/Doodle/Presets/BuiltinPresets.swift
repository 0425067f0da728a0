// The built-in presets, as YAML. Each holds only what it changes: `default` holds every
// built-in default (`RenderParameters`), the others are layered over it.

extension Preset {
    static let builtinSources: [(name: String, yaml: String)] = [
        ("quick", """
            description: a fast preview - half size, 2 phases x 30 iterations
            scale: 0.5
            phases: 2
            iterations: 30
            """),
        ("default", "description: the defaults of doodle render - full size, 3 phases x 100, 100 and 50 iterations\n"
            + RenderParameters.defaults.yaml()),
        ("fine", """
            description: a finer result - 1.5x size, 4 phases x 200 iterations (slow)
            scale: 1.5
            phases: 4
            iterations: 200
            """),
        ("texture", """
            description: a texture from the style alone - no maps, noise seed 32:224, full variety (no copied pieces)
            no-maps: true
            content-weight: 0
            seed: noise
            seed-range: "32:224"
            variety: 1
            smoothness: 0.5
            """),
        ("gatys", """
            description: Gatys' Gram-matrix transfer - style as Gram matrices at 1_1 ... 5_1 (one per class with maps), content at 4_2
            style-loss: gram
            """),
        ("portrait", """
            description: a portrait - strong semantic weight to keep eyes, skin and hair in place, 4 phases
            semantic-weight: 50
            phases: 4
            iterations: 80
            """),
    ]

    /// The names of the built-in presets, in the order `doodle presets` lists them.
    public static var builtinNames: [String] { builtinSources.map(\.name) }

    /// Every built-in preset (its own keys only; see `defaults`).
    public static let builtins: [Preset] = builtinSources.map { parseBuiltin($0.name, $0.yaml) }

    /// A built-in preset by name: only the keys it sets (lay it over `defaults`, or use
    /// `RenderJob`, which does).
    public static func builtin(named name: String) -> Preset? {
        builtinNames.firstIndex(of: name).map { builtins[$0] }
    }

    /// The built-in defaults: every render key (no paths).
    public static let defaults: Preset = builtin(named: "default")!

    /// Parses a built-in preset, or stops: they are tested, so a problem is a bug here.
    static func parseBuiltin(_ name: String, _ yaml: String) -> Preset {
        let file = "built-in preset \(name)"
        var reader = PresetFileReader(file: file)
        guard let root = reader.root(yaml) else { fatalError("\(file): \(reader.issues)") }
        var layer = reader.layer(root, top: false)
        precondition(reader.issues.isEmpty && layer.presetReference == nil, "\(file): \(reader.issues)")
        layer.preset.name = name
        for key in layer.preset.sources.keys { layer.preset.sources[key] = PresetSource(file: file) }
        return layer.preset
    }
}
