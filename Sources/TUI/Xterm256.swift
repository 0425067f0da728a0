/// The xterm 256-colour palette: 16 system colours, a 6x6x6 colour cube (16-231) and 24
/// greys (232-255).
public enum Xterm256 {
    /// Channel values of the cube's six steps.
    public static let cubeLevels = [0, 95, 135, 175, 215, 255]

    /// The nearest cube or grey entry (16-255) to an RGB colour in 0...255.
    public static func index(r: Float, g: Float, b: Float) -> Int {
        let rgb = [r, g, b].map { v -> Int in v.isNaN ? 0 : Int(min(max(v, 0), 255).rounded()) }
        let cube = rgb.map(nearestLevel)
        let cubeColour = cube.map { cubeLevels[$0] }
        let cubeIndex = 16 + 36 * cube[0] + 6 * cube[1] + cube[2]
        let mean = Double(rgb[0] + rgb[1] + rgb[2]) / 3
        let grey = min(23, max(0, Int(((mean - 8) / 10).rounded())))
        let greyValue = 8 + 10 * grey
        let cubeDistance = distance(rgb, cubeColour)
        let greyDistance = distance(rgb, [greyValue, greyValue, greyValue])
        return greyDistance < cubeDistance ? 232 + grey : cubeIndex
    }

    /// RGB of a palette entry 16-255 (the system colours 0-15 as xterm shows them).
    public static func rgb(_ index: Int) -> (r: Int, g: Int, b: Int) {
        switch index {
        case 16...231:
            let i = index - 16
            return (cubeLevels[i / 36], cubeLevels[(i / 6) % 6], cubeLevels[i % 6])
        case 232...255:
            let v = 8 + 10 * (index - 232)
            return (v, v, v)
        default:
            let i = max(0, min(15, index))
            return system[i]
        }
    }

    /// The nearest of the eight basic colours (for terminals without 256 colours).
    public static func basic(_ index: Int) -> Int {
        if index >= 0 && index < 8 { return index }
        let c = rgb(index)
        var best = 0, bestDistance = Int.max
        for i in 0..<8 {
            let s = system[i]
            let d = distance([c.r, c.g, c.b], [s.r, s.g, s.b])
            if d < bestDistance { bestDistance = d; best = i }
        }
        return best
    }

    static let system: [(r: Int, g: Int, b: Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    private static func nearestLevel(_ v: Int) -> Int {
        var best = 0
        for i in 1..<cubeLevels.count where abs(cubeLevels[i] - v) < abs(cubeLevels[best] - v) { best = i }
        return best
    }

    private static func distance(_ a: [Int], _ b: [Int]) -> Int {
        let dr = a[0] - b[0], dg = a[1] - b[1], db = a[2] - b[2]
        return dr * dr + dg * dg + db * db
    }
}
