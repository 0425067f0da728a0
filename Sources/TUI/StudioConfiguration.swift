import Doodle
import Foundation

/// How the studio starts: a preset (the built-in defaults < `--preset` < the command line's
/// flags) and how to show it.
public struct StudioConfiguration: Sendable {
    /// Every value, inputs included: the studio's state starts as this preset.
    public var preset = Preset.defaults
    /// ASCII everywhere: thumbnails from a brightness ramp, ASCII frames and charts.
    public var asciiOnly = false
    /// The weights runs use when the preset names none.
    public var defaultWeightsPath: String
    /// The preset the studio started from (`--preset`), for the log.
    public var startPreset: String?
    /// Lines for the log at start (warnings).
    public var notices: [String] = []
    /// Where recent folders are kept (`nil`: in memory only).
    public var recentFoldersPath: String?
    /// Where the file chooser opens when no input says otherwise.
    public var startDirectory = FileManager.default.currentDirectoryPath

    public init(weightsPath: String) {
        defaultWeightsPath = weightsPath
    }

    /// The studio's start from a preset, laid over the built-in defaults. Relative paths are
    /// as the preset has them (resolved against its file's folder when it was read).
    public init(preset: Preset, weightsPath: String) {
        self.init(weightsPath: weightsPath)
        self.preset = preset.merged(over: .defaults)
        self.preset.name = nil
        self.preset.description = nil
    }

    // The values a caller most often sets, as the preset's.
    public var style: String? { get { preset.style } set { preset.style = newValue } }
    public var styleMap: String? { get { preset.styleMap } set { preset.styleMap = newValue } }
    public var targetMap: String? { get { preset.map } set { preset.map = newValue } }
    public var content: String? { get { preset.content } set { preset.content = newValue } }
    public var output: String { get { preset.output ?? "doodle.png" } set { preset.output = newValue } }
    public var outputSize: (width: Int, height: Int)? { get { preset.outputSize } set { preset.outputSize = newValue } }
    public var scale: Float { get { preset.scale ?? 1 } set { preset.scale = newValue } }
    public var allowUnmatched: Bool { get { preset.allowUnmatched ?? false } set { preset.allowUnmatched = newValue } }
    /// The settings fields (the seed is the preset's `seed`).
    public var settings: RenderSettings { get { preset.renderSettings } set { preset.setFields(of: newValue) } }
    public var weightsPath: String { preset.weights ?? defaultWeightsPath }
}
