import Net

/// Class masks carried from pixels to a layer's grid, one way per `MaskPropagation` case.
public struct ClassLabels: Sendable {
    public let width: Int
    public let height: Int
    /// Class id per pixel, row-major; ids are `0..<classCount`.
    public let labels: [Int32]
    public let classCount: Int

    public init(width: Int, height: Int, labels: [Int32], classCount: Int) {
        precondition(labels.count == width * height, "labels do not fill \(width)x\(height)")
        self.width = width
        self.height = height
        self.labels = labels
        self.classCount = classCount
    }

    /// Each class's share of the pixels.
    public var shares: [Float] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[Int(label)] += 1 }
        return counts.map { Float($0) / Float(max(1, labels.count)) }
    }

    /// One mask per class on `layer`'s grid (`[h / stride * w / stride]`, weights 0...1).
    public func masks(at layer: VGGLayer, _ propagation: MaskPropagation) -> [[Float]] {
        (0..<classCount).map { mask(of: $0, at: layer, propagation) }
    }

    func mask(of classID: Int, at layer: VGGLayer, _ propagation: MaskPropagation) -> [Float] {
        let pixels = labels.map { $0 == classID ? Float(1) : 0 }
        switch propagation {
        case .simple:
            return Self.cellMeans(pixels, width: width, height: height, cell: layer.stride)
        case .mean:
            return Self.throughNetwork(pixels, width: width, height: height, to: layer)
        case .inside, .all:
            let table = SummedArea(pixels, width: width, height: height)
            let (stride, field) = (layer.stride, Self.receptiveField(of: layer))
            let (h, w) = (height / stride, width / stride)
            var out = [Float](repeating: 0, count: h * w)
            for y in 0..<h {
                for x in 0..<w {
                    // The field is centred on the cell's block of pixels.
                    let top = y * stride + (stride - field) / 2, left = x * stride + (stride - field) / 2
                    let (count, area) = table.sum(top: top, left: left, size: field)
                    let hit = propagation == .inside ? count == area : count > 0
                    out[y * w + x] = hit ? 1 : 0
                }
            }
            return out
        }
    }

    /// The side, in pixels, of the receptive field of a cell at `layer`: each 3x3 convolution
    /// widens it by two cells of its input, each 2x2 pooling by one.
    public static func receptiveField(of layer: VGGLayer) -> Int {
        var field = 1, jump = 1
        for l in VGGLayer.allCases where l <= layer {
            if l.followsPooling {
                field += jump
                jump *= 2
            }
            field += 2 * jump
        }
        return field
    }

    /// Means over `cell` x `cell` blocks (the grid rounds down, as the network's pooling does).
    static func cellMeans(_ values: [Float], width: Int, height: Int, cell: Int) -> [Float] {
        let (h, w) = (height / cell, width / cell)
        var out = [Float](repeating: 0, count: h * w)
        let area = Float(cell * cell)
        for y in 0..<h {
            for x in 0..<w {
                var sum: Float = 0
                for dy in 0..<cell {
                    for dx in 0..<cell { sum += values[(y * cell + dy) * width + x * cell + dx] }
                }
                out[y * w + x] = sum / area
            }
        }
        return out
    }

    /// The mask through VGG19's shape: a 3x3 mean (over the cells inside the image) for every
    /// convolution, a 2x2 mean for every pooling, down to `layer`.
    static func throughNetwork(_ values: [Float], width: Int, height: Int, to layer: VGGLayer) -> [Float] {
        var (current, w, h) = (values, width, height)
        for l in VGGLayer.allCases where l <= layer {
            if l.followsPooling {
                current = cellMeans(current, width: w, height: h, cell: 2)
                (w, h) = (w / 2, h / 2)
            }
            var next = [Float](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    var (sum, count): (Float, Float) = (0, 0)
                    for yy in max(0, y - 1)...min(h - 1, y + 1) {
                        for xx in max(0, x - 1)...min(w - 1, x + 1) {
                            sum += current[yy * w + xx]
                            count += 1
                        }
                    }
                    next[y * w + x] = sum / count
                }
            }
            current = next
        }
        return current
    }
}

/// Sums of a plane over squares, clipped to the plane, in constant time.
struct SummedArea {
    let width: Int, height: Int
    private let table: [Float]

    init(_ values: [Float], width: Int, height: Int) {
        self.width = width
        self.height = height
        var t = [Float](repeating: 0, count: (width + 1) * (height + 1))
        for y in 0..<height {
            var row: Float = 0
            for x in 0..<width {
                row += values[y * width + x]
                t[(y + 1) * (width + 1) + x + 1] = t[y * (width + 1) + x + 1] + row
            }
        }
        table = t
    }

    /// The sum over the square at (top, left) of side `size`, and the square's area, both
    /// clipped to the plane.
    func sum(top: Int, left: Int, size: Int) -> (sum: Float, area: Float) {
        let y0 = max(0, top), x0 = max(0, left)
        let y1 = min(height, top + size), x1 = min(width, left + size)
        guard y1 > y0, x1 > x0 else { return (0, 0) }
        let w = width + 1
        let s = table[y1 * w + x1] - table[y0 * w + x1] - table[y1 * w + x0] + table[y0 * w + x0]
        return (s, Float((y1 - y0) * (x1 - x0)))
    }
}
