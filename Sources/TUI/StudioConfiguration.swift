import Doodle
import Foundation

/// How the studio starts: the inputs and values given on the command line (and the preset).
public struct StudioConfiguration: Sendable {
    public var style: String?
    public var styleMap: String?
    public var targetMap: String?
    public var content: String?
    public var output = "doodle.png"
    /// Suffix of maps looked for beside their images.
    public var semanticSuffix = "_sem.png"
    /// Do not look for maps beside the images (and ignore the maps given).
    public var noMaps = false
    /// The render settings; also the source of those the studio does not edit (seed range,
    /// map encoding). The seed is `seed`.
    public var settings = RenderSettings()
    /// "auto", "noise", "content" or an image path.
    public var seed = "auto"
    public var outputSize: (width: Int, height: Int)?
    /// Multiplies the output size (or the auto size).
    public var scale: Float = 1
    public var allowUnmatched = false
    /// ASCII everywhere: thumbnails from a brightness ramp, ASCII frames and charts.
    public var asciiOnly = false
    public var weightsPath: String
    /// Preset keys the studio neither shows nor uses but keeps, so that a preset saved from
    /// the studio still has them: print-every, frames, save-every, weights (when given).
    public var keptValues = Preset()
    /// The preset the studio started from (`--preset`), for the log.
    public var startPreset: String?
    /// Lines for the log at start (warnings).
    public var notices: [String] = []
    /// Where recent folders are kept (`nil`: in memory only).
    public var recentFoldersPath: String?
    /// Where the file chooser opens when no input says otherwise.
    public var startDirectory = FileManager.default.currentDirectoryPath

    public init(weightsPath: String) {
        self.weightsPath = weightsPath
    }

    /// Keys a preset may hold that the studio keeps without showing (see `keptValues`).
    public static func isKeptKey(_ key: PresetKey) -> Bool {
        [.printEvery, .frames, .saveEvery, .weights].contains(key)
    }

    /// The studio's start from a preset: the built-in defaults < `preset` (which may already
    /// hold the command line's flags on top). Relative paths are as the preset has them
    /// (resolved against its file's folder when it was read). `weightsPath` is used when the
    /// preset names no weights.
    public init(preset: Preset, weightsPath: String) {
        self.init(weightsPath: weightsPath)
        let p = preset.merged(over: .defaults)
        style = p.style
        styleMap = p.styleMap
        targetMap = p.map
        content = p.content
        if let output = p.output { self.output = output }
        semanticSuffix = p.semanticExt ?? "_sem.png"
        noMaps = p.noMaps ?? false
        allowUnmatched = p.allowUnmatched ?? false
        outputSize = p.outputSize
        scale = p.scale ?? 1
        settings = p.renderSettings
        seed = p.seed ?? "auto"
        if let weights = p.weights { self.weightsPath = weights }
        keptValues = preset.restricted(to: Self.isKeptKey)
        keptValues.name = nil
        keptValues.description = nil
    }
}
