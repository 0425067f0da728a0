import Foundation

/// 3x3 convolution, stride 1, zero padding 1, by Winograd's minimal filtering F(4x4, 3x3)
/// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
///
/// Each 6x6 input tile (4x4 outputs plus the kernel's border) and each 3x3 filter are taken to
/// a 6x6 transform domain, where the convolution becomes 36 independent matrix products over
/// the channels (tiles x in-channels times in-channels x out-channels); their results come back
/// as 4x4 output tiles. That is 36 multiply-adds per 16 outputs and channel pair instead of 144:
/// on CPUs where the direct kernels already run at the FMA units' peak, this is what is left.
///
/// Activations are channel-blocked by 8 (`[C/8, H, W, 8]`, oneDNN's `nChw8c`), so that one
/// pixel of a block is one `SIMD8<Float>`. Tiles go through in bands of tile rows, sized so that
/// a band's transformed inputs and products stay within `bandBytes`.
public final class WinogradConvolution {
    public static let lanes = 8
    static let cores = ProcessInfo.processInfo.activeProcessorCount
    public let inChannels: Int, outChannels: Int, height: Int, width: Int
    public let relu: Bool
    let tileRows: Int, tileColumns: Int
    /// Tile rows per band.
    public let bandRows: Int
    /// `[36, inChannels, outChannels]`: G g Gᵀ for every filter.
    private let filters: UnsafeMutablePointer<Float>
    private let bias: UnsafeMutablePointer<Float>

    /// `weights` are `[outChannels, inChannels, 3, 3]`, as a direct convolution takes them.
    public init(weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inChannels: Int, outChannels: Int,
                height: Int, width: Int, relu: Bool, bandBytes: Int = 8 << 20) {
        precondition(inChannels % Self.lanes == 0 && outChannels % Self.lanes == 0,
                     "channels must be whole blocks of \(Self.lanes)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.relu = relu
        tileRows = (height + 3) / 4
        tileColumns = (width + 3) / 4
        let bytesPerTileRow = 36 * tileColumns * (inChannels + outChannels) * 4
        bandRows = max(1, min(tileRows, bandBytes / bytesPerTileRow))
        filters = .allocate(capacity: 36 * inChannels * outChannels)
        self.bias = .allocate(capacity: outChannels)
        self.bias.initialize(repeating: 0, count: outChannels)
        if let bias { self.bias.update(from: bias, count: outChannels) }
        Self.transformFilters(weights, inChannels: inChannels, outChannels: outChannels, into: filters)
    }

    deinit {
        filters.deallocate()
        bias.deallocate()
    }

    /// Floats of scratch one `run` needs: a band's transformed inputs and products.
    public var scratchCount: Int { 36 * bandRows * tileColumns * (inChannels + outChannels) }

    /// output = conv(input) + bias (then ReLU), both channel-blocked; `scratch` holds
    /// `scratchCount` floats.
    public func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                    scratch: UnsafeMutablePointer<Float>) {
        var first = 0
        while first < tileRows {
            let rows = min(bandRows, tileRows - first)
            let tiles = rows * tileColumns
            let transformed = scratch, products = scratch + 36 * tiles * inChannels
            transformInputs(input, firstRow: first, rows: rows, into: transformed)
            Self.eachPoint { point in
                BLAS.sgemm(m: tiles, n: outChannels, k: inChannels,
                           a: transformed + point * tiles * inChannels, lda: inChannels,
                           b: filters + point * inChannels * outChannels, ldb: outChannels,
                           c: products + point * tiles * outChannels, ldc: outChannels)
            }
            transformOutputs(products, firstRow: first, rows: rows, into: output)
            first += rows
        }
    }

    /// d(loss)/d(input) from d(loss)/d(output), both channel-blocked: the exact adjoint of
    /// `run`'s convolution, through the same transformed filters, transposed. Each step is the
    /// transpose of its forward step: Aᵀ M A becomes A dY Aᵀ, the products take Uᵀ, and Bᵀ d B
    /// becomes B dV Bᵀ, added where tiles overlap. With `rectifiedOutput` (what `run` wrote),
    /// the ReLU's gradient is applied first: the output gradient counts only where it was positive.
    public func runAdjoint(outputGradient: UnsafePointer<Float>, rectifiedOutput: UnsafePointer<Float>? = nil,
                           inputGradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let plane = height * width * Self.lanes
        parallelFor(inChannels / Self.lanes) { block in (inputGradient + block * plane).update(repeating: 0, count: plane) }
        var first = 0
        while first < tileRows {
            let rows = min(bandRows, tileRows - first)
            let tiles = rows * tileColumns
            let products = scratch, transformed = scratch + 36 * tiles * outChannels
            spreadOutputGradients(outputGradient, rectifiedOutput: rectifiedOutput, firstRow: first, rows: rows, into: products)
            Self.eachPoint { point in
                BLAS.sgemm(m: tiles, n: inChannels, k: outChannels,
                           a: products + point * tiles * outChannels, lda: outChannels,
                           b: filters + point * inChannels * outChannels, ldb: outChannels, transposeB: true,
                           c: transformed + point * tiles * inChannels, ldc: inChannels)
            }
            addInputGradients(transformed, firstRow: first, rows: rows, into: inputGradient)
            first += rows
        }
    }

    /// Runs the 36 independent products on doodle's threads (`parallelChunks`), each product
    /// whole on one thread: they are small, and split over all threads each would pay for
    /// the split 36 times per band.
    private static func eachPoint(_ product: (Int) -> Void) {
        parallelChunks(36, chunks: 36) { _, points in
            BLAS.singleThreaded { for point in points { product(point) } }
        }
    }

    // MARK: - Filters: U = G g Gᵀ

    /// G for F(4x4, 3x3), interpolation points 0, ±1, ±2 and infinity.
    static let g: [[Float]] = [[1.0 / 4, 0, 0],
                               [-1.0 / 6, -1.0 / 6, -1.0 / 6],
                               [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                               [1.0 / 24, 1.0 / 12, 1.0 / 6],
                               [1.0 / 24, -1.0 / 12, 1.0 / 6],
                               [0, 0, 1]]

    static func transformFilters(_ weights: UnsafePointer<Float>, inChannels: Int, outChannels: Int,
                                 into filters: UnsafeMutablePointer<Float>) {
        parallelFor(outChannels) { k in
            for c in 0..<inChannels {
                let w = weights + (k * inChannels + c) * 9
                for i in 0..<6 {
                    // Row i of G g, then its product with each row of G.
                    var gw = (Float(0), Float(0), Float(0))
                    for r in 0..<3 {
                        gw.0 += g[i][r] * w[r * 3]
                        gw.1 += g[i][r] * w[r * 3 + 1]
                        gw.2 += g[i][r] * w[r * 3 + 2]
                    }
                    for j in 0..<6 {
                        let value = gw.0 * g[j][0] + gw.1 * g[j][1] + gw.2 * g[j][2]
                        filters[((i * 6 + j) * inChannels + c) * outChannels + k] = value
                    }
                }
            }
        }
    }

    // MARK: - Inputs: V = Bᵀ d B

    /// Bᵀ applied to six values (a column or a row of a tile).
    @inline(__always)
    static func inputRows(_ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>,
                          _ a4: SIMD8<Float>, _ a5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let p = a4 - a2, q = a1 - a3
        return (4 * a0 - 5 * a2 + a4,
                a3 + a4 - 4 * (a1 + a2),
                a4 - a3 + 4 * (a1 - a2),
                p - 2 * q,
                p + 2 * q,
                4 * a1 - 5 * a3 + a5)
    }

    /// Stores six values of a tile (one row of its 6x6 points) at `row`, one point apart.
    @inline(__always)
    static func storePoints(_ r: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
                            at row: UnsafeMutableRawPointer, stride: Int) {
        row.storeBytes(of: r.0, toByteOffset: 0, as: SIMD8<Float>.self)
        row.storeBytes(of: r.1, toByteOffset: stride, as: SIMD8<Float>.self)
        row.storeBytes(of: r.2, toByteOffset: 2 * stride, as: SIMD8<Float>.self)
        row.storeBytes(of: r.3, toByteOffset: 3 * stride, as: SIMD8<Float>.self)
        row.storeBytes(of: r.4, toByteOffset: 4 * stride, as: SIMD8<Float>.self)
        row.storeBytes(of: r.5, toByteOffset: 5 * stride, as: SIMD8<Float>.self)
    }

    /// Writes `transformed[point, tile, channel]` for the tiles of rows `firstRow ..< firstRow + rows`.
    private func transformInputs(_ input: UnsafePointer<Float>, firstRow: Int, rows: Int,
                                 into transformed: UnsafeMutablePointer<Float>) {
        let (h, w, columns, blocks, channels) = (height, width, tileColumns, inChannels / Self.lanes, inChannels)
        let tiles = rows * columns
        let pointStride = tiles * channels
        parallelChunks(tiles, chunks: 16) { _, range in
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 36) { buffer in
                let t = buffer.baseAddress!
                for tile in range {
                    let y0 = (firstRow + tile / columns) * 4 - 1, x0 = (tile % columns) * 4 - 1
                    let inside = y0 >= 0 && y0 + 6 <= h && x0 >= 0 && x0 + 6 <= w
                    for block in 0..<blocks {
                        let plane = UnsafeRawPointer(input + block * h * w * 8)
                        @inline(__always) func load(_ i: Int, _ j: Int) -> SIMD8<Float> {
                            let y = y0 + i, x = x0 + j
                            if !inside && (y < 0 || y >= h || x < 0 || x >= w) { return .zero }
                            return plane.loadUnaligned(fromByteOffset: (y * w + x) * 32, as: SIMD8<Float>.self)
                        }
                        // Columns first (Bᵀ d), into t; then rows ((Bᵀ d) B), out to the points.
                        for j in 0..<6 {
                            let r = Self.inputRows(load(0, j), load(1, j), load(2, j), load(3, j), load(4, j), load(5, j))
                            t[j] = r.0; t[6 + j] = r.1; t[12 + j] = r.2
                            t[18 + j] = r.3; t[24 + j] = r.4; t[30 + j] = r.5
                        }
                        let out = UnsafeMutableRawPointer(transformed + tile * channels + block * 8)
                        for i in 0..<6 {
                            let r = Self.inputRows(t[6 * i], t[6 * i + 1], t[6 * i + 2], t[6 * i + 3], t[6 * i + 4], t[6 * i + 5])
                            Self.storePoints(r, at: out + i * 6 * pointStride * 4, stride: pointStride * 4)
                        }
                    }
                }
            }
        }
    }

    // MARK: - Outputs: Y = Aᵀ M A

    /// Aᵀ applied to six values.
    @inline(__always)
    static func outputRows(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>,
                           _ m4: SIMD8<Float>, _ m5: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4
        return (m0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34, d12 + 8 * d34 + m5)
    }

    /// Writes the output pixels of the tiles of rows `firstRow ..< firstRow + rows`.
    private func transformOutputs(_ products: UnsafePointer<Float>, firstRow: Int, rows: Int,
                                  into output: UnsafeMutablePointer<Float>) {
        let (h, w, columns, blocks, channels, relu) = (height, width, tileColumns, outChannels / Self.lanes, outChannels, relu)
        let tiles = rows * columns
        let pointStride = tiles * channels
        let biases = UnsafeRawPointer(bias)
        parallelChunks(tiles, chunks: 16) { _, range in
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 24) { buffer in
                let t = buffer.baseAddress!
                for tile in range {
                    let y0 = (firstRow + tile / columns) * 4, x0 = (tile % columns) * 4
                    let (validRows, validColumns) = (min(4, h - y0), min(4, w - x0))
                    for block in 0..<blocks {
                        let m = UnsafeRawPointer(products + tile * channels + block * 8)
                        @inline(__always) func load(_ point: Int) -> SIMD8<Float> {
                            m.loadUnaligned(fromByteOffset: point * pointStride * 4, as: SIMD8<Float>.self)
                        }
                        for j in 0..<6 {
                            let r = Self.outputRows(load(j), load(6 + j), load(12 + j), load(18 + j), load(24 + j), load(30 + j))
                            t[j] = r.0; t[6 + j] = r.1; t[12 + j] = r.2; t[18 + j] = r.3
                        }
                        let b = biases.loadUnaligned(fromByteOffset: block * 32, as: SIMD8<Float>.self)
                        let plane = UnsafeMutableRawPointer(output + block * h * w * 8)
                        for i in 0..<validRows {
                            let r = Self.outputRows(t[6 * i], t[6 * i + 1], t[6 * i + 2], t[6 * i + 3], t[6 * i + 4], t[6 * i + 5])
                            let row = plane + ((y0 + i) * w + x0) * 32
                            @inline(__always) func store(_ v: SIMD8<Float>, _ j: Int) {
                                guard j < validColumns else { return }
                                let sum = v + b
                                // Not `pointwiseMax`: it is not inlined, and costs as much as the transform.
                                let value = relu ? sum.replacing(with: 0, where: sum .< 0) : sum
                                row.storeBytes(of: value, toByteOffset: j * 32, as: SIMD8<Float>.self)
                            }
                            store(r.0, 0); store(r.1, 1); store(r.2, 2); store(r.3, 3)
                        }
                    }
                }
            }
        }
    }

    // MARK: - The adjoint: A dY Aᵀ and B dV Bᵀ

    /// A applied to four values (the transpose of `outputRows`).
    @inline(__always)
    static func spreadRows(_ y0: SIMD8<Float>, _ y1: SIMD8<Float>, _ y2: SIMD8<Float>, _ y3: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let s02 = y0 + y2, s13 = y1 + y3, e = y0 + 4 * y2, o = 2 * y1 + 8 * y3
        return (y0, s02 + s13, s02 - s13, e + o, e - o, y3)
    }

    /// B applied to six values (the transpose of `inputRows`).
    @inline(__always)
    static func gatherRows(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>,
                           _ v4: SIMD8<Float>, _ v5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let d12 = v2 - v1, d34 = v4 - v3
        return (4 * v0,
                4 * (d12 + v5) + 2 * d34,
                -5 * v0 - 4 * (v1 + v2) - v3 - v4,
                -d12 - 2 * d34 - 5 * v5,
                v0 + v1 + v2 + v3 + v4,
                v5)
    }

    /// Writes `products[point, tile, channel]` = A dY Aᵀ for the tiles of the band (the output
    /// gradient is zero beyond the image).
    private func spreadOutputGradients(_ gradient: UnsafePointer<Float>, rectifiedOutput: UnsafePointer<Float>?,
                                       firstRow: Int, rows: Int, into products: UnsafeMutablePointer<Float>) {
        let (h, w, columns, blocks, channels) = (height, width, tileColumns, outChannels / Self.lanes, outChannels)
        let tiles = rows * columns
        let pointStride = tiles * channels
        parallelChunks(tiles, chunks: 16) { _, range in
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 24) { buffer in
                let t = buffer.baseAddress!
                for tile in range {
                    let y0 = (firstRow + tile / columns) * 4, x0 = (tile % columns) * 4
                    let (validRows, validColumns) = (min(4, h - y0), min(4, w - x0))
                    for block in 0..<blocks {
                        let plane = UnsafeRawPointer(gradient + block * h * w * 8)
                        let outputs = rectifiedOutput.map { UnsafeRawPointer($0 + block * h * w * 8) }
                        @inline(__always) func load(_ i: Int, _ j: Int) -> SIMD8<Float> {
                            guard i < validRows && j < validColumns else { return .zero }
                            let offset = ((y0 + i) * w + x0 + j) * 32
                            let g = plane.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                            guard let outputs else { return g }
                            return g.replacing(with: 0, where: outputs.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) .<= 0)
                        }
                        // Columns (A dY) into t, 6 rows of 4; then rows ((A dY) Aᵀ) out to the points.
                        for j in 0..<4 {
                            let r = Self.spreadRows(load(0, j), load(1, j), load(2, j), load(3, j))
                            t[j] = r.0; t[4 + j] = r.1; t[8 + j] = r.2
                            t[12 + j] = r.3; t[16 + j] = r.4; t[20 + j] = r.5
                        }
                        let out = UnsafeMutableRawPointer(products + tile * channels + block * 8)
                        for i in 0..<6 {
                            let r = Self.spreadRows(t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3])
                            Self.storePoints(r, at: out + i * 6 * pointStride * 4, stride: pointStride * 4)
                        }
                    }
                }
            }
        }
    }

    /// Adds B dV Bᵀ of every tile of the band into the input gradient. Neighbouring tiles
    /// overlap by two pixels, so the work is split by channel block, never by tile: one range
    /// of blocks per core, so that each core reads whole cache lines of `transformed`.
    private func addInputGradients(_ transformed: UnsafePointer<Float>, firstRow: Int, rows: Int,
                                   into gradient: UnsafeMutablePointer<Float>) {
        let (h, w, columns, blocks, channels) = (height, width, tileColumns, inChannels / Self.lanes, inChannels)
        let tiles = rows * columns
        let pointStride = tiles * channels
        parallelChunks(blocks, chunks: Self.cores) { _, blockRange in
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 36) { buffer in
                let t = buffer.baseAddress!
                for tile in 0..<tiles {
                    let y0 = (firstRow + tile / columns) * 4 - 1, x0 = (tile % columns) * 4 - 1
                    let inside = y0 >= 0 && y0 + 6 <= h && x0 >= 0 && x0 + 6 <= w
                    for block in blockRange {
                        let v = UnsafeRawPointer(transformed + tile * channels + block * 8)
                        @inline(__always) func load(_ point: Int) -> SIMD8<Float> {
                            v.loadUnaligned(fromByteOffset: point * pointStride * 4, as: SIMD8<Float>.self)
                        }
                        for j in 0..<6 {
                            let r = Self.gatherRows(load(j), load(6 + j), load(12 + j), load(18 + j), load(24 + j), load(30 + j))
                            t[j] = r.0; t[6 + j] = r.1; t[12 + j] = r.2
                            t[18 + j] = r.3; t[24 + j] = r.4; t[30 + j] = r.5
                        }
                        let plane = UnsafeMutableRawPointer(gradient + block * h * w * 8)
                        for i in 0..<6 where inside || (y0 + i >= 0 && y0 + i < h) {
                            let r = Self.gatherRows(t[6 * i], t[6 * i + 1], t[6 * i + 2], t[6 * i + 3], t[6 * i + 4], t[6 * i + 5])
                            let row = plane + ((y0 + i) * w + x0) * 32
                            @inline(__always) func add(_ value: SIMD8<Float>, _ j: Int) {
                                guard inside || (x0 + j >= 0 && x0 + j < w) else { return }
                                let old = row.loadUnaligned(fromByteOffset: j * 32, as: SIMD8<Float>.self)
                                row.storeBytes(of: old + value, toByteOffset: j * 32, as: SIMD8<Float>.self)
                            }
                            add(r.0, 0); add(r.1, 1); add(r.2, 2); add(r.3, 3); add(r.4, 4); add(r.5, 5)
                        }
                    }
                }
            }
        }
    }
}
