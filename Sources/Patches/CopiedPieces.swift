/// Pieces of a nearest-neighbour field: 4-connected target patches whose matches lie at one
/// offset (style position minus target position), i.e. a part of the style copied verbatim.
public struct CopiedPieces {
    /// Per target patch, the id of its piece (0..<sizes.count).
    public let piece: [Int32]
    /// Patches per piece, and each piece's offset in patch cells.
    public let sizes: [Int]
    public let offsets: [(x: Int, y: Int)]

    /// `matches` on a `width` x `height` grid of target patches, indexing a style grid
    /// `styleWidth` patches wide.
    public init(matches: [Int32], width: Int, height: Int, styleWidth: Int) {
        precondition(matches.count == width * height, "one match per target patch")
        func offset(_ i: Int) -> (x: Int, y: Int) {
            let j = Int(matches[i])
            return (j % styleWidth - i % width, j / styleWidth - i / width)
        }
        var piece = [Int32](repeating: -1, count: matches.count)
        var sizes: [Int] = [], offsets: [(x: Int, y: Int)] = []
        var stack: [Int] = []
        for start in 0..<matches.count where piece[start] < 0 {
            let id = Int32(sizes.count), o = offset(start)
            piece[start] = id
            stack.append(start)
            var size = 0
            while let i = stack.popLast() {
                size += 1
                let (x, y) = (i % width, i / width)
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                where nx >= 0 && nx < width && ny >= 0 && ny < height {
                    let n = ny * width + nx
                    if piece[n] < 0 && offset(n) == o {
                        piece[n] = id
                        stack.append(n)
                    }
                }
            }
            sizes.append(size)
            offsets.append(o)
        }
        self.piece = piece
        self.sizes = sizes
        self.offsets = offsets
    }

    /// The largest piece's size and offset ((0, 0) for an empty field).
    public var largest: (size: Int, offset: (x: Int, y: Int)) {
        guard let id = sizes.indices.max(by: { sizes[$0] < sizes[$1] }) else { return (0, (0, 0)) }
        return (sizes[id], offsets[id])
    }
}
