import Foundation
import Net

/// The peak memory a render will take, estimated before it starts from the phase plan: the
/// network's activations and gradients for the result, the style's forward pass and its patch
/// banks (patch loss) or Gram matrices, and a fixed part (the weights, the libraries, the
/// images). The coefficients were measured (peak resident memory, `/usr/bin/time`) on renders
/// from 128x96 to 1024x768 with styles of 0.2 to 3 megapixels; see README, "Memory".
public struct MemoryEstimate: Sendable {
    public struct Phase: Sendable {
        public let size: Synthesis.PhaseSize
        public let bytes: Int
    }
    public let phases: [Phase]

    /// The largest phase's estimate.
    public var peak: Int { phases.map(\.bytes).max() ?? Self.fixedBytes }

    /// Libraries and buffers that do not grow with the images.
    static let fixedBytes = 100 << 20
    /// Copies of the weights (as read, as tensors, in oneDNN's layout, and its scratch).
    static let weightCopies = 4.0
    /// What the Winograd layers (conv2_1 on, fp32) keep beyond that: their transformed filters
    /// are 36/9 = 4 copies, in place of oneDNN's two.
    static let winogradExtraCopies = 2.0
    // Multiples of the forward activations to the deepest layer (`activationBytes`), fitted to
    // the measured peaks.
    /// Patch loss, first phase (or an exact matcher): forward, gradients and exact matching.
    static let coldOutputFactor = 4.2
    static let coldStyleFactor = 1.2
    /// Its banks of unfolded 3x3 patches, with norms and the matcher's copies.
    static let coldBankFactor = 1.3
    /// Patch loss, later phases (PatchMatch warm-started from the phase before).
    static let warmOutputFactor = 2.7
    static let warmStyleFactor = 1.86
    /// What stays per style pixel while the result's pass runs (feature maps, their norms).
    static let warmStyleBytes = 300.0
    /// Gram loss: the result's pass, and the style's (before its Gram matrices are taken).
    static let gramOutputFactor = 3.0
    static let gramStyleFactor = 1.75

    public static func of(_ inputs: RenderInputs, _ settings: RenderSettings) -> MemoryEstimate {
        let plan = Synthesis.phasePlan(inputs, settings)
        let withContent = inputs.content != nil
        let deepest = settings.deepestLayer(withContent: withContent)
        let styleLayers = settings.activeStyleLayers
        let deepestStyle = styleLayers.max() ?? deepest
        // Map channels beside the features: 3 colours, or one per class (a typical map has
        // about 8; each costs little: 2.25 bytes per style pixel at conv3_1).
        let mapChannels = inputs.styleMap == nil ? 0 : (settings.mapEncoding == .colours ? 3 : 8)
        let deepestLayer = max(deepest, deepestStyle)
        let fixed = fixedBytes + Int(weightCopies * weightBytes(to: deepestLayer)
                                     + winogradExtraCopies * max(0, weightBytes(to: deepestLayer) - weightBytes(to: .conv1_2)))
        // The inputs as read (fp32 RGB), and each map's class labels.
        func area(_ image: Image?) -> Int { image.map { $0.width * $0.height } ?? 0 }
        let imageBytes = 12 * (area(inputs.style) + area(inputs.content))
            + 16 * (area(inputs.styleMap) + area(inputs.targetMap))
        let phases = plan.enumerated().map { index, size -> Phase in
            let output = Double(size.width * size.height)
            let style = Double(size.styleWidth * size.styleHeight)
            let outputActivations = output * activationBytes(to: deepest)
            let styleActivations = style * activationBytes(to: deepestStyle)
            let total: Double
            switch settings.styleLoss {
            case .gram:
                // The style's features are reduced to Gram matrices before the result's pass.
                total = max(outputActivations * gramOutputFactor, styleActivations * gramStyleFactor)
            case .patch where index == 0 || settings.matcher != .patchmatch:
                // A cold start: every target patch is matched exactly against banks of unfolded
                // 3x3 style patches, while the style's activations are still held.
                total = outputActivations * coldOutputFactor + styleActivations * coldStyleFactor
                    + style * bankBytes(styleLayers, mapChannels: mapChannels) * coldBankFactor
            case .patch:
                // Warm-started PatchMatch searches the style's feature maps, not unfolded banks;
                // the style's forward pass is over before the result's begins.
                total = style * warmStyleBytes
                    + max(outputActivations * warmOutputFactor, styleActivations * warmStyleFactor)
            }
            return Phase(size: size, bytes: fixed + imageBytes + Int(total))
        }
        return MemoryEstimate(phases: phases)
    }

    /// Bytes per input pixel of the activations from conv1_1 to `layer` (fp32).
    static func activationBytes(to layer: VGGLayer) -> Double {
        VGGLayer.allCases.filter { $0 <= layer }.reduce(0) { sum, l in
            sum + 4 * Double(l.outChannels) / Double(l.stride * l.stride)
        }
    }

    /// Bytes of the weights and biases from conv1_1 to `layer` (fp32).
    static func weightBytes(to layer: VGGLayer) -> Double {
        VGGLayer.allCases.filter { $0 <= layer }.reduce(0) { sum, l in
            sum + 4 * Double((l.inChannels * 9 + 1) * l.outChannels)
        }
    }

    /// Bytes per style pixel of the patch banks at `layers`.
    static func bankBytes(_ layers: [VGGLayer], mapChannels: Int) -> Double {
        layers.reduce(0) { sum, l in sum + 4 * 9 * Double(l.outChannels + mapChannels) / Double(l.stride * l.stride) }
    }

    /// The largest result of the same shape whose estimate is within `limit` bytes (the
    /// style shrinks with it when its scale is `auto`), or nil when not even the smallest fits.
    public static func largestFitting(_ inputs: RenderInputs, _ settings: RenderSettings, limit: Int) -> (width: Int, height: Int)? {
        let (w, h) = inputs.finalSize
        let minimum = settings.deepestLayer(withContent: inputs.content != nil).minimumSide
        func size(_ f: Double) -> (Int, Int) { (max(1, Int(Double(w) * f)), max(1, Int(Double(h) * f))) }
        func fits(_ f: Double) -> Bool {
            var scaled = inputs
            scaled.outputSize = size(f)
            let plan = Synthesis.phasePlan(scaled, settings)
            return !plan.isEmpty && of(scaled, settings).peak <= limit
        }
        var (lo, hi) = (0.0, 1.0)
        for _ in 0..<30 {
            let mid = (lo + hi) / 2
            if fits(mid) { lo = mid } else { hi = mid }
        }
        let best = size(lo)
        guard min(best.0, best.1) >= minimum, fits(lo) else { return nil }
        return best
    }
}

/// What the machine lets this process use now: the kernel's available memory, and within a
/// container or a scheduler's job the room left under its cgroup's limit.
public enum SystemMemory {
    public static func availableBytes() -> Int? {
        var candidates: [Int] = []
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            candidates.append(kilobytes * 1024)
        }
        if let limit = cgroupValue("memory.max"), let current = cgroupValue("memory.current") {
            candidates.append(max(0, limit - current))
        }
        return candidates.min()
    }

    /// A number from this process's cgroup (v2), nil when it is `max` or absent.
    private static func cgroupValue(_ name: String) -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let path = "/sys/fs/cgroup" + line.dropFirst(3) + "/" + name
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// This process's peak resident memory so far (`VmHWM`), nil where /proc does not say.
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kilobytes * 1024
    }

    /// `2GB`, `512MB`, `1.5GB`, `800M`, `2G` (powers of 1024) as bytes; nil when unreadable.
    public static func parseSize(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Double)] = [("GB", 1_073_741_824), ("G", 1_073_741_824), ("MB", 1_048_576), ("M", 1_048_576)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let value = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite,
                  value * factor < Double(Int.max) else { return nil }
            return Int(value * factor)
        }
        return nil
    }

    /// `1.42 GB`, `620 MB`.
    public static func text(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GB", Double(bytes) / Double(1 << 30))
            : String(format: "%.0f MB", Double(bytes) / Double(1 << 20))
    }
}

extension ResolvedJob {
    public var memoryEstimate: MemoryEstimate { .of(inputs, settings) }

    /// Refuses (`JobError`, one line) a render whose estimated peak exceeds `maxMemory` or the
    /// memory available now, naming the estimate and the largest result that fits.
    public func checkMemory(maxMemory: Int?, available: Int? = SystemMemory.availableBytes()) throws {
        let estimate = memoryEstimate
        let limits = [maxMemory.map { ($0, "--max-memory \(SystemMemory.text($0))") },
                      available.map { ($0, "the \(SystemMemory.text($0)) available") }].compactMap { $0 }
        guard let (limit, name) = limits.min(by: { $0.0 < $1.0 }), estimate.peak > limit else { return }
        let (w, h) = inputs.finalSize
        var line = "a \(w)x\(h) result needs about \(SystemMemory.text(estimate.peak)) at its peak, more than \(name)"
        if let fits = MemoryEstimate.largestFitting(inputs, settings, limit: limit) {
            line += "; the largest of this shape that fits is --output-size \(fits.width)x\(fits.height)"
        } else {
            line += "; not even the smallest result of this shape fits"
        }
        if settings.styleScale != nil || inputs.style.width * inputs.style.height > 4 * w * h {
            line += " (or give a smaller --style-scale)"
        }
        throw JobError(line, key: .outputSize)
    }
}
