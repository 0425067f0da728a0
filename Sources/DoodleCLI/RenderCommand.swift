import ArgumentParser
import Doodle
import Dispatch
import Foundation
import Net
import Patches

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Paint a doodle (or a content image, or a texture) in the style of a painting.",
        discussion: """
        The inputs decide the mode: style + style map + target map (doodle to artwork); add --content \
        for semantic style transfer; style + content without maps for plain style transfer; style alone \
        with --output-size for texture synthesis. A map left out is looked for beside its image as \
        NAME_sem.png (the doodle's beside --output).
        """)

    @Option(help: "The painting whose brushwork to use.") var style: String
    @Option(help: "The painting's semantic map (default: STYLE_sem.png when it exists).") var styleMap: String?
    @Option(help: "The target semantic map, the doodle (default: CONTENT_sem.png or OUTPUT_sem.png when it exists).") var map: String?
    @Option(help: "A content image to keep the layout of.") var content: String?
    @Option(help: "Where to write the PNG.") var output: String
    @Option(help: "Size of the result, WxH (default: the map's, the content's or the style's).") var outputSize: ImageSize?
    @Option(help: "Suffix of map files looked for beside their images.") var semanticExt = "_sem.png"
    @Flag(help: "Ignore semantic maps, even when they exist.") var noMaps = false
    @Flag(help: "Continue when the doodle has classes the style map lacks.") var allowUnmatched = false

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
    @Option(help: "Pixel range of the noise seed, LO:HI.") var seedRange = "16:240"
    @Option(help: "Random seed: the same inputs and seed give the same PNG.") var randomSeed: UInt64 = 0
    @Option(help: "Pooling in VGG19: average or max.") var pooling = "average"
    @Option(help: "Patch search: \(MatcherKind.allCases.map(\.rawValue).joined(separator: ", ")) (default \(MatcherKind.default.rawValue)).")
    var matcher: String = MatcherKind.default.rawValue
    @Option(help: "Print progress every N iterations (0 = only phases).") var printEvery = 10
    @Option(help: "Folder for intermediate PNGs.") var frames: String?
    @Option(help: "Write a frame every N iterations (with --frames).") var saveEvery = 10
    @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?

    func validate() throws {
        for (flag, value) in [("--content-layers", contentLayers), ("--style-layers", styleLayers)] {
            _ = try parseLayers(value, flag: flag)
        }
        guard Pooling2x2.Kind(rawValue: pooling) != nil else { throw ValidationError("--pooling must be average or max") }
        guard MatcherKind(rawValue: matcher) != nil else {
            throw ValidationError("--matcher must be one of \(MatcherKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard iterations >= 1, phases >= 1 else { throw ValidationError("--iterations and --phases must be at least 1") }
        guard phases <= 6 else { throw ValidationError("--phases \(phases) is more than 6; each phase halves the size") }
        _ = try parseSeedRange()
        guard saveEvery >= 1 else { throw ValidationError("--save-every must be at least 1") }
        guard outputSize == nil || !output.isEmpty else { return }
    }

    func run() throws {
        let (inputs, paths) = try loadInputs()
        let settings = try makeSettings(inputs: inputs)
        let weightsPath = weights ?? WeightStore().defaultWeightsPath
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw UserError("'\(weightsPath)': no weights file; run scripts/setup")
        }
        try checkOutputWritable(protecting: paths)
        if let frames { try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true) }

        let network = VGG19(weights: try VGG19Weights.load(path: weightsPath), pooling: settings.pooling)
        let synthesis = try Synthesis(network: network, inputs: inputs, settings: settings, allowUnmatched: allowUnmatched)
        let (w, h) = inputs.finalSize
        print("\(inputs.mode.rawValue): \(w)x\(h), \(synthesis.phasePlan().count) phases x \(iterations) iterations")

        let interrupt = InterruptFlag()
        let start = DispatchTime.now().uptimeNanoseconds
        var frameError: Error?
        let (image, stopped) = synthesis.run(events: { event in
            switch event {
            case .phaseStarted(let p):
                print("phase \(p.index + 1)/\(p.count): \(p.width)x\(p.height), style \(p.styleWidth)x\(p.styleHeight)")
            case .iteration(let r):
                if printEvery > 0 && (r.iteration % printEvery == 0 || r.iteration == 1) { print(progressLine(r)) }
                if let frames, r.iteration % saveEvery == 0, frameError == nil {
                    let name = String(format: "%@/frame-p%d-i%03d.png", frames, r.phase.index + 1, r.iteration)
                    do { try r.image.writePNG(to: name, protecting: paths) } catch { frameError = error }
                }
            case .phaseFinished:
                break
            case .settingsChanged(let text, let iteration):
                print("from iteration \(iteration): \(text)")
            }
        }, shouldStop: { interrupt.raised })
        try image.writePNG(to: output, protecting: paths)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let frameError { FileHandle.standardError.write(Data("doodle: frames: \(frameError)\n".utf8)) }
        if stopped {
            print("interrupted: wrote the current image to \(output)")
            throw ExitCode(130)
        }
        print(String(format: "wrote %@ in %.1f s", output, seconds))
    }

    private func progressLine(_ r: IterationReport) -> String {
        let styles = r.losses.style.sorted { $0.key < $1.key }.map { String(format: "%@ %.4g", $0.key, $0.value) }
        var parts = ["phase \(r.phase.index + 1)/\(r.phase.count)", "iter \(r.iteration)/\(r.iterations)"]
        parts += styles
        if r.losses.content != 0 { parts.append(String(format: "content %.4g", r.losses.content)) }
        parts.append(String(format: "smooth %.4g", r.losses.smoothness))
        parts.append(String(format: "total %.4g", r.losses.total))
        parts.append(String(format: "%.2f s/it", r.secondsPerIteration))
        parts.append("eta \(formatDuration(r.eta))")
        return parts.joined(separator: "  ")
    }

    // MARK: - Inputs

    private func loadInputs() throws -> (RenderInputs, [String]) {
        var paths = [style]
        let styleImage = try Image.read(from: style).rgb()
        let contentImage = try content.map { path -> Image in paths.append(path); return try Image.read(from: path).rgb() }
        var inputs = RenderInputs(style: styleImage, content: contentImage)
        inputs.names.style = style
        if let content { inputs.names.content = content }
        if !noMaps {
            let styleMapPath = try styleMap ?? existingBeside(style)
            let targetMapPath = try map ?? existingBeside(content ?? output)
            if let styleMapPath, let targetMapPath {
                inputs.styleMap = try Image.read(from: styleMapPath)
                inputs.targetMap = try Image.read(from: targetMapPath)
                inputs.names.styleMap = styleMapPath
                inputs.names.targetMap = targetMapPath
                paths += [styleMapPath, targetMapPath]
            } else if let given = styleMap ?? map {
                throw UserError(styleMapPath == nil
                    ? "'\(given)' needs a style map too: give --style-map (looked for '\(besidePath(style))')"
                    : "'\(given)' needs a target map too: give --map (looked for '\(besidePath(content ?? output))')")
            }
        }
        if let outputSize {
            inputs.outputSize = (outputSize.width, outputSize.height)
        } else if inputs.mode == .texture {
            inputs.outputSize = (styleImage.width, styleImage.height)
        }
        return (inputs, paths)
    }

    private func besidePath(_ image: String) -> String {
        let url = URL(fileURLWithPath: image)
        return url.deletingPathExtension().path + semanticExt
    }

    /// NAME_sem.png beside `image` when it exists. The map must not be the image itself.
    private func existingBeside(_ image: String) throws -> String? {
        let candidate = besidePath(image)
        guard FileManager.default.fileExists(atPath: candidate) else { return nil }
        return (image as NSString).deletingLastPathComponent.isEmpty && !image.hasPrefix("/")
            ? (candidate as NSString).lastPathComponent : candidate
    }

    private func makeSettings(inputs: RenderInputs) throws -> RenderSettings {
        var s = RenderSettings()
        s.contentWeight = contentWeight
        s.contentLayers = try parseLayers(contentLayers, flag: "--content-layers")
        s.styleWeight = styleWeight
        s.styleLayers = try parseLayers(styleLayers, flag: "--style-layers")
        s.semanticWeight = semanticWeight
        s.smoothness = smoothness
        s.variety = variety
        s.iterations = iterations
        s.phases = phases
        s.seedRange = try parseSeedRange()
        s.randomSeed = randomSeed
        s.pooling = Pooling2x2.Kind(rawValue: pooling)!
        s.matcher = MatcherKind(rawValue: matcher)!
        switch seed {
        case "noise": s.seed = .noise
        case "content":
            guard inputs.content != nil else { throw UserError("--seed content needs --content IMG; use --seed noise") }
            s.seed = .content
        default: s.seed = .image(try Image.read(from: seed))
        }
        return s
    }

    private func parseSeedRange() throws -> ClosedRange<Float> {
        let parts = seedRange.split(separator: ":").compactMap { Float($0) }
        guard parts.count == 2, parts[0] >= 0, parts[1] <= 255, parts[0] <= parts[1] else {
            throw ValidationError("--seed-range '\(seedRange)' must be LO:HI within 0:255, e.g. 16:240")
        }
        return parts[0]...parts[1]
    }

    private func checkOutputWritable(protecting inputs: [String]) throws {
        guard output.lowercased().hasSuffix(".png") else {
            throw UserError("--output '\(output)' must end in .png (doodle writes PNG)")
        }
        let dir = (output as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        if !dir.isEmpty && !(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) {
            throw UserError("cannot write '\(output)': directory '\(dir)' does not exist")
        }
        let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        for input in inputs where URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path == target {
            throw UserError("refusing to write '\(output)': it is one of the inputs; choose another --output")
        }
    }
}

func parseLayers(_ text: String, flag: String) throws -> [VGGLayer] {
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    var layers: [VGGLayer] = []
    for name in names {
        guard let layer = VGGLayer(name: name) else {
            throw ValidationError("\(flag): '\(name)' is not a VGG19 layer; use names like 3_1,4_1 (conv1_1 ... conv5_4)")
        }
        if !layers.contains(layer) { layers.append(layer) }
    }
    return layers
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}

/// Set by Ctrl-C: the render stops at the next evaluation and writes what it has.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var source: DispatchSourceSignal?

    init() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in self?.raise() }
        source.resume()
        self.source = source
    }

    var raised: Bool { lock.lock(); defer { lock.unlock() }; return value }
    private func raise() { lock.lock(); value = true; lock.unlock() }
}
