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
    @OptionGroup var flags: RenderFlags
    @Flag(help: "ASCII only: brightness-ramp thumbnails, ASCII frames (for terminals without UTF-8 or 256 colours).")
    var ascii = false

    func validate() throws {
        _ = try flagPreset()
        if let seed = flags.seed, !Preset.seedWords.contains(seed), !FileManager.default.isReadableFile(atPath: seed) {
            throw ValidationError("--seed '\(seed)': no such file; give auto, noise, content or an image file")
        }
    }

    /// The values given on the command line (and only those), checked as `doodle render`
    /// checks them.
    func flagPreset() throws -> Preset { try flags.preset() }

    func run() throws {
        let flags = try flagPreset()
        // Built-in defaults < preset < flags, as `doodle render --preset` takes them. A bad
        // preset is one line naming file:line, before the screen opens.
        let base = try basePreset(preset)
        let resolved = flags.merged(over: base)
        var c = StudioConfiguration(preset: resolved, weightsPath: WeightStore().defaultWeightsPath)
        c.asciiOnly = ascii
        c.startPreset = preset
        c.recentFoldersPath = WeightStore().home + "/tui-recent-folders"
        Studio.runAndExit(c)
    }
}
