/// How deeply a YAML text nests its collections, counted by scanning the text rather than
/// parsing it: the YAML parser recurses once per level, so a file nested thousands deep
/// overflows the stack (a crash, and in the studio a terminal left in raw mode). A preset or
/// job file needs three or four levels; anything past `limit` is refused before parsing.
public enum YAMLNesting {
    public static let limit = 64

    /// The first line (1-based) where the nesting passes `limit`, or nil.
    public static func firstLineTooDeep(_ text: String, limit: Int = limit) -> Int? {
        var indents: [Int] = []     // open block collections, by indentation
        var flow = 0                // open [ and { brackets
        var quote: Character? = nil
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let chars = Array(line)
            var i = 0
            if flow == 0 && quote == nil {
                while i < chars.count && chars[i] == " " { i += 1 }
                if i == chars.count || chars[i] == "#" || chars[i] == "\r" { continue }
                while let last = indents.last, last > i { indents.removeLast() }
                if indents.last != i { indents.append(i) }
                // Each "- " opening the line starts one more sequence.
                while i < chars.count && chars[i] == "-" && (i + 1 == chars.count || chars[i + 1] == " ") {
                    indents.append(i + 1)
                    i += 2
                    if indents.count > limit { return index + 1 }
                }
            }
            if indents.count + flow > limit { return index + 1 }
            var previous: Character? = nil   // the last character before this one, spaces aside
            while i < chars.count {
                let c = chars[i]
                defer { if c != " " && c != "\t" { previous = c } }
                if let q = quote {
                    if c == "\\" && q == "\"" { i += 1 } else if c == q { quote = nil }
                } else if (c == "\"" || c == "'") && (previous == nil || ":-[{,?".contains(previous!)) {
                    // A quote opens a scalar only where a scalar can start (not in `Monet's`).
                    quote = c
                } else if c == "#" && (i == 0 || chars[i - 1] == " " || chars[i - 1] == "\t") {
                    break
                } else if c == "[" || c == "{" {
                    flow += 1
                    if indents.count + flow > limit { return index + 1 }
                } else if c == "]" || c == "}" {
                    flow = max(0, flow - 1)
                }
                i += 1
            }
            // A single-quoted scalar ends at its line in practice; do not let a stray
            // apostrophe in plain text hide the rest of the file.
            if quote == "'" { quote = nil }
        }
        return nil
    }
}
