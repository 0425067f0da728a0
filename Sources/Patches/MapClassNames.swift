/// Rough English names of colours, for messages about classes.
enum MapClassNames {
    private static let table: [(name: String, r: Float, g: Float, b: Float)] = [
        ("black", 0, 0, 0), ("white", 255, 255, 255), ("grey", 128, 128, 128),
        ("light grey", 192, 192, 192), ("dark grey", 64, 64, 64),
        ("red", 255, 0, 0), ("dark red", 176, 0, 0), ("maroon", 112, 0, 0),
        ("orange-red", 255, 64, 24), ("orange", 255, 160, 0), ("brown", 139, 69, 19),
        ("yellow", 255, 255, 0), ("yellow-green", 192, 255, 0), ("olive", 128, 128, 0),
        ("green", 0, 255, 0), ("dark green", 0, 128, 0), ("teal", 0, 128, 128),
        ("cyan", 0, 255, 255), ("sky blue", 128, 192, 255), ("blue", 0, 0, 255),
        ("navy", 0, 0, 128), ("purple", 128, 0, 128), ("violet", 160, 64, 255),
        ("magenta", 255, 0, 255), ("pink", 255, 160, 192), ("beige", 240, 220, 180),
    ]

    static func nearest(r: Float, g: Float, b: Float) -> String {
        var best = table[0].name
        var bestDistance = Float.infinity
        for entry in table {
            let dr = entry.r - r, dg = entry.g - g, db = entry.b - b
            let d = dr * dr + dg * dg + db * db
            if d < bestDistance { bestDistance = d; best = entry.name }
        }
        return best
    }
}
