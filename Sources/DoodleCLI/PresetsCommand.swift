import ArgumentParser
import Doodle
import Foundation

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the built-in presets, show one as YAML, or list the keys of preset files.",
        discussion: """
        Use a preset with `doodle render --preset NAME` (or a YAML file of your own), or with \
        `preset: NAME` in a job file for `doodle run`. Each preset holds only what it changes; `default` \
        holds every built-in default.
        """)

    @Argument(help: "A built-in preset to print as YAML.") var name: String?
    @Flag(help: "With NAME: print every value, the built-in defaults included.") var full = false
    @Flag(help: "List the keys of preset and job files: type, range, meaning.") var keys = false

    func run() throws {
        if keys {
            let width = PresetKey.allCases.map(\.rawValue.count).max()! + 2
            for key in PresetKey.allCases {
                let parameter = key.parameter
                print(key.rawValue.padding(toLength: width, withPad: " ", startingAt: 0) + "\(parameter.typeDescription). \(parameter.help)")
            }
            let extras = [("name", "text. A job's name (default: the output's file name)."),
                          ("description", "text. One line shown by `doodle presets`."),
                          ("preset", "a built-in preset or a .yaml file, laid underneath the keys beside it."),
                          ("jobs", "list of jobs (top of a job file only); each inherits the keys at the top.")]
            for (key, text) in extras { print(key.padding(toLength: width, withPad: " ", startingAt: 0) + text) }
            return
        }
        guard let name else {
            let width = Preset.builtinNames.map(\.count).max()! + 2
            for preset in Preset.builtins {
                print(preset.name!.padding(toLength: width, withPad: " ", startingAt: 0) + (preset.description ?? ""))
            }
            return
        }
        guard let preset = Preset.builtin(named: name) else {
            let hint = PresetValueParser.closest(to: name, among: Preset.builtinNames).map { "did you mean '\($0)'? " } ?? ""
            throw UserError("no built-in preset '\(name)'; \(hint)built-in presets: \(Preset.builtinNames.joined(separator: ", "))")
        }
        print(full ? preset.merged(over: .defaults).yaml() : preset.yaml(), terminator: "")
    }
}
