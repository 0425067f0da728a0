import Doodle

/// How a thumbnail is drawn.
public enum ThumbnailMode: Sendable, Equatable {
    /// One character per cell from a brightness ramp; no colour (any terminal).
    case ascii
    /// '▀' per cell: the upper pixel is the foreground colour, the lower the background
    /// (xterm 256 colours), so a cell shows two pixels.
    case halfBlock
}

public struct ThumbnailCell: Equatable, Sendable {
    public var character: Character
    /// xterm-256 colour indices, `nil` for the terminal's default (ASCII mode).
    public var foreground: Int?
    public var background: Int?
    public init(character: Character, foreground: Int? = nil, background: Int? = nil) {
        self.character = character
        self.foreground = foreground
        self.background = background
    }
}

/// An image as terminal cells, keeping its aspect ratio: a cell is about twice as tall as it
/// is wide, so `columns / rows ≈ 2 * width / height`.
public struct Thumbnail: Equatable, Sendable {
    public let columns: Int
    public let rows: Int
    public let mode: ThumbnailMode
    /// Row-major, `columns * rows` cells.
    public let cells: [ThumbnailCell]

    /// Darkest to brightest.
    public static let asciiRamp: [Character] = Array(" .:-=+*#%@")
    public static let halfBlock: Character = "▀"

    public subscript(_ column: Int, _ row: Int) -> ThumbnailCell { cells[row * columns + column] }

    /// The characters, one string per row.
    public var lines: [String] {
        (0..<rows).map { r in String(cells[(r * columns)..<((r + 1) * columns)].map(\.character)) }
    }

    /// The largest cell grid within `maxColumns x maxRows` that keeps the image's aspect
    /// ratio (at least 1x1).
    public static func size(width: Int, height: Int, maxColumns: Int, maxRows: Int) -> (columns: Int, rows: Int) {
        guard width > 0 && height > 0 && maxColumns > 0 && maxRows > 0 else { return (max(1, maxColumns), max(1, maxRows)) }
        let aspect = Double(width) / Double(height)            // pixels wide per pixel tall
        var columns = maxColumns
        var rows = Int((Double(columns) / (2 * aspect)).rounded())
        if rows > maxRows {
            rows = maxRows
            columns = min(maxColumns, Int((Double(rows) * 2 * aspect).rounded()))
        }
        return (max(1, columns), max(1, rows))
    }

    /// Renders `image` (1 or 3 channels, values 0...255) into at most `maxColumns x maxRows`
    /// cells. Each cell (ASCII) or half cell (half-block) is the mean of the pixels it covers.
    public init(image: Image, maxColumns: Int, maxRows: Int = Int.max / 4, mode: ThumbnailMode) {
        let (columns, rows) = Self.size(width: image.width, height: image.height, maxColumns: maxColumns, maxRows: maxRows)
        self.columns = columns
        self.rows = rows
        self.mode = mode
        let samplesDown = mode == .halfBlock ? 2 * rows : rows
        let sampler = BoxSampler(image: image, columns: columns, rows: samplesDown)
        var cells: [ThumbnailCell] = []
        cells.reserveCapacity(columns * rows)
        for r in 0..<rows {
            for c in 0..<columns {
                switch mode {
                case .ascii:
                    let (red, green, blue) = sampler.mean(column: c, row: r)
                    let luma = 0.2126 * red + 0.7152 * green + 0.0722 * blue
                    cells.append(ThumbnailCell(character: Self.rampCharacter(luma), foreground: nil, background: nil))
                case .halfBlock:
                    let top = sampler.mean(column: c, row: 2 * r)
                    let bottom = sampler.mean(column: c, row: 2 * r + 1)
                    cells.append(ThumbnailCell(character: Self.halfBlock,
                                               foreground: Xterm256.index(r: Float(top.0), g: Float(top.1), b: Float(top.2)),
                                               background: Xterm256.index(r: Float(bottom.0), g: Float(bottom.1), b: Float(bottom.2))))
                }
            }
        }
        self.cells = cells
    }

    /// The ramp character for a brightness in 0...255.
    public static func rampCharacter(_ brightness: Double) -> Character {
        let v = brightness.isNaN ? 0 : min(max(brightness, 0), 255)
        let index = Int((v / 255 * Double(asciiRamp.count - 1)).rounded())
        return asciiRamp[index]
    }
}

/// Means of the pixels under each cell of a `columns x rows` grid laid over an image.
private struct BoxSampler {
    let image: Image
    let xs: [Range<Int>]
    let ys: [Range<Int>]

    init(image: Image, columns: Int, rows: Int) {
        self.image = image
        xs = Self.spans(pixels: image.width, cells: columns)
        ys = Self.spans(pixels: image.height, cells: rows)
    }

    /// Pixel range of each cell: at least one pixel (nearest when enlarging).
    static func spans(pixels: Int, cells: Int) -> [Range<Int>] {
        (0..<cells).map { i in
            let start = Double(i) * Double(pixels) / Double(cells)
            let end = Double(i + 1) * Double(pixels) / Double(cells)
            let lo = min(pixels - 1, Int(start.rounded(.down)))
            let hi = max(lo + 1, min(pixels, Int(end.rounded(.up))))
            // Enlarging: the pixel under the cell's centre.
            if end - start < 1 {
                let centre = min(pixels - 1, Int(((start + end) / 2).rounded(.down)))
                return centre..<(centre + 1)
            }
            return lo..<hi
        }
    }

    func mean(column: Int, row: Int) -> (Double, Double, Double) {
        let xr = xs[column], yr = ys[row]
        let w = image.width, h = image.height
        var sums = [0.0, 0.0, 0.0]
        let channels = min(3, image.channels)
        image.pixels.withUnsafeBufferPointer { p in
            for c in 0..<channels {
                var sum = 0.0
                for y in yr {
                    let base = (c * h + y) * w
                    for x in xr {
                        let v = p[base + x]
                        sum += v.isNaN ? 0 : Double(min(max(v, 0), 255))
                    }
                }
                sums[c] = sum
            }
        }
        let n = Double(xr.count * yr.count)
        if channels == 1 { return (sums[0] / n, sums[0] / n, sums[0] / n) }
        return (sums[0] / n, sums[1] / n, sums[2] / n)
    }
}
