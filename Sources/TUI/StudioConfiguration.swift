import Doodle
import Foundation

/// How the studio starts: the inputs and values given on the command line.
public struct StudioConfiguration: Sendable {
    public var style: String?
    public var styleMap: String?
    public var targetMap: String?
    public var content: String?
    public var output = "doodle.png"
    /// Suffix of maps looked for beside their images.
    public var semanticSuffix = "_sem.png"
    /// Do not look for maps beside the images.
    public var noMaps = false
    public var settings = RenderSettings()
    /// "noise", "content" or an image path.
    public var seed = "noise"
    public var outputSize: (width: Int, height: Int)?
    public var allowUnmatched = false
    /// ASCII everywhere: thumbnails from a brightness ramp, ASCII frames and charts.
    public var asciiOnly = false
    public var weightsPath: String
    /// Lines for the log at start ("presets are not available yet").
    public var notices: [String] = []
    /// Where recent folders are kept (`nil`: in memory only).
    public var recentFoldersPath: String?
    /// Where the file chooser opens when no input says otherwise.
    public var startDirectory = FileManager.default.currentDirectoryPath

    public init(weightsPath: String) {
        self.weightsPath = weightsPath
    }
}
