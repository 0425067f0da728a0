import ArgumentParser
import Doodle
import Patches
import Foundation

struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Look at semantic maps and clean them.",
        subcommands: [Inspect.self, Clean.self, Match.self, FromImage.self])

    struct FromImage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "from-image",
            abstract: "Make a semantic map of a photo or painting by clustering its colours and textures.",
            discussion: """
            Each 4x4 cell of the image (scaled to at most 256 pixels) is described by its colour (CIELAB), \
            its texture (VGG19's conv3_1 and conv4_1 features) and a little of its position; k-means groups \
            them, the grid is smoothed, regions under 0.5% of the image join their surroundings, and every \
            pixel takes the class of a nearby cell nearest its colour. Without --classes the count is the \
            smallest after which one more class would explain under 1.5% of the image's spread, or hold under 3% of it (2 to 8). Colours \
            come from a fixed palette (README, "Making maps"); the same image and --random-seed give the same map.
            """)

        @Argument(help: "The photo or painting (PNG or JPEG).") var image: String
        @Option(help: "Where to write the map (PNG).") var output: String
        @Option(help: "How many classes (2...12; default: chosen by the image).") var classes: Int?
        @Option(help: "Random seed of the clustering.") var randomSeed: UInt64 = 0
        @Option(help: "Weights file (default: `doodle weights path`).") var weights: String?

        func validate() throws {
            if let classes, !MapFromImage.classRange.contains(classes) {
                throw ValidationError("--classes \(classes) must be within \(MapFromImage.classRange.lowerBound)...\(MapFromImage.classRange.upperBound)")
            }
            guard output.lowercased().hasSuffix(".png") else {
                throw ValidationError("--output '\(output)' must end in .png (doodle writes PNG)")
            }
        }

        func run() throws {
            let picture = try Image.read(from: image)
            guard min(picture.width, picture.height) >= 32 else {
                throw UserError("'\(image)' is \(picture.width)x\(picture.height): give an image at least 32 pixels each way")
            }
            try Image.checkWritable(output)
            let runner = JobRunner()
            runner.weightsPath = weights
            let network = try runner.network(for: nil, pooling: .average)
            let result = MapFromImage(classes: classes, seed: randomSeed).map(picture, network: network)
            try result.map.writePNG(to: output, protecting: [image])
            print("\(image): \(result.classCount) classes (\(result.reason)); wrote \(output)")
            for (index, share) in result.shares.enumerated() {
                let colour = MapFromImage.palette[index % MapFromImage.palette.count]
                print("  \(MapPalette.hex(colour))  \(percentText(share))")
            }
        }
    }

    struct Match: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a target map the style map's colours, pairing their classes.",
            discussion: """
            For maps made separately. With --style-image and --target-image the classes are paired by \
            what their regions look like (mean colour and spread of lightness); without, by where they \
            lie and how large they are. --pairs gives pairs explicitly (target colour = style colour). \
            The pairing is printed; target classes beyond the style's take their nearest style class.
            """)

        @Argument(help: "The style's map, whose colours to take.") var styleMap: String
        @Argument(help: "The map to recolour.") var targetMap: String
        @Option(help: "Where to write the recoloured map (PNG).") var output: String
        @Option(help: "The style painting, to pair classes by their regions' looks.") var styleImage: String?
        @Option(help: "The target's image (the content photo), with --style-image.") var targetImage: String?
        @Option(help: "Explicit pairs, target colour = style colour: \"#ff0000=#00ff00,...\".") var pairs: String?

        func validate() throws {
            guard output.lowercased().hasSuffix(".png") else {
                throw ValidationError("--output '\(output)' must end in .png (doodle writes PNG)")
            }
            guard (styleImage == nil) == (targetImage == nil) else {
                throw ValidationError("give both --style-image and --target-image (or neither, to pair by layout)")
            }
        }

        func run() throws {
            let style = try Image.read(from: styleMap), target = try Image.read(from: targetMap)
            let images = try [styleImage, targetImage].map { try $0.map { try Image.read(from: $0) } }
            for (map, image, mapName, imageName) in [(style, images[0], styleMap, styleImage), (target, images[1], targetMap, targetImage)] {
                if let image, let imageName, !RenderInputs.sameShape(map, image) {
                    throw UserError("'\(mapName)' is \(map.width)x\(map.height) but '\(imageName)' is \(image.width)x\(image.height): a map must have its image's shape")
                }
            }
            try Image.checkWritable(output)
            let explicit = try pairs.map { try MapMatching.parsePairs($0) } ?? []
            let (image, matched) = try MapMatching.match(style: style, target: target, styleImage: images[0], targetImage: images[1],
                                                         explicit: explicit, names: (styleMap, targetMap))
            let by = !explicit.isEmpty ? "given pairs, then " : ""
            print("\(targetMap) -> \(styleMap)'s colours, by \(by)\(images[0] != nil ? "the regions' looks" : "layout"):")
            for pair in matched {
                print("  \(pair.target.hex) \(pair.target.shortName) (\(percentText(pair.targetShare))) -> \(pair.style.hex) \(pair.style.shortName)")
            }
            try image.writePNG(to: output, protecting: [styleMap, targetMap])
            print("wrote \(output)")
        }
    }

    struct Clean: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a map as the renderer sees it: flat class colours, no seams, no specks.",
            discussion: """
            Anti-aliased and JPEG edges snap to the class the renderer gives them, transparency is painted \
            over white (with a note), and any region smaller than --min-region pixels joins the class \
            around it. --colors N first clusters the colours into N classes (k-means in CIELAB), for maps \
            that are not flat colours at all.
            """)

        @Argument(help: "The semantic map to clean (PNG or JPEG).") var map: String
        @Option(help: "Where to write the cleaned map (PNG).") var output: String
        @Option(help: "Regions smaller than this many pixels join the class around them (1 keeps all).")
        var minRegion = 32
        @Option(help: "Cluster the colours into this many classes first (2...32).") var colors: Int?
        @Option(help: "Random seed of the clustering.") var randomSeed: UInt64 = 0

        func validate() throws {
            guard minRegion >= 1 else { throw ValidationError("--min-region \(minRegion) must be at least 1") }
            if let colors, !(2...32).contains(colors) { throw ValidationError("--colors \(colors) must be within 2...32") }
            guard output.lowercased().hasSuffix(".png") else {
                throw ValidationError("--output '\(output)' must end in .png (doodle writes PNG)")
            }
        }

        func run() throws {
            let image = try Image.read(from: map)
            try Image.checkWritable(output)
            if image.transparentShare > 0 {
                print(String(format: "note: '%@' is transparent in %.1f%% of its pixels: painted over white, so those pixels join the class nearest white", map, 100 * image.transparentShare))
            }
            let result = MapCleaning(minimumRegion: minRegion, colours: colors, seed: randomSeed).clean(image, name: map)
            try result.image.writePNG(to: output, protecting: [map])
            print("\(map): \(result.classes) class\(result.classes == 1 ? "" : "es"); "
                  + String(format: "%d pixels (%.2f%%) took their class's colour; ", result.changedPixels,
                           100 * Double(result.changedPixels) / Double(max(1, result.pixels)))
                  + "\(result.mergedRegions) region\(result.mergedRegions == 1 ? "" : "s") under \(minRegion) pixels merged (\(result.mergedPixels) pixels); wrote \(output)")
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the classes of semantic maps; check that the first (style) map has every class of the others.",
            discussion: """
            The classes are detected over all the maps together: the same colour is the same class in every \
            map. Give the style map first, then the doodles; a doodle's class that the style map lacks is \
            reported as MISSING (exit 2), since the render has nothing to paint it with.
            """)

        @Argument(help: "Semantic maps (PNG or JPEG): the style map first, then doodles.") var maps: [String] = []
        @Flag(help: "Print one JSON object.") var json = false
        @Option(help: "A class palette (YAML, as `palette:` in job files): show each map's classes by the palette's names, and the colours it lacks.")
        var palette: String?

        func validate() throws {
            guard !maps.isEmpty else { throw ValidationError("give at least one map, e.g. doodle map inspect style_sem.png doodle.png") }
        }

        func run() throws {
            let images = try maps.map { try Image.read(from: $0) }
            if let palette { return try inspect(images, against: palette) }
            let report = MapReport(images: images, names: maps)
            if json {
                try printJSON(report)
            } else {
                printReport(report, suggestions: try suggestedPairs(report, images))
            }
            if !report.allMatched { throw UserError(unmatchedLine(report)) }
        }

        /// For each doodle with classes the style map lacks: the style class `map match` would
        /// give each of them (by the regions' layout), keyed by map index and class colour.
        private func suggestedPairs(_ report: MapReport, _ images: [Image]) throws -> [Int: [String: MapClass]] {
            var out: [Int: [String: MapClass]] = [:]
            for (index, map) in report.maps.enumerated().dropFirst() where !map.missing.isEmpty {
                let (_, pairs) = try MapMatching.match(style: images[0], target: images[index], names: (maps[0], maps[index]))
                out[index] = Dictionary(pairs.map { ($0.target.hex, $0.style) }, uniquingKeysWith: { a, _ in a })
            }
            return out
        }

        private func printReport(_ report: MapReport, suggestions: [Int: [String: MapClass]]) {
            let swatches = useColour()
            let several = report.maps.count > 1
            let nameWidth = report.palette.classes.map(\.shortName.count).max() ?? 0
            let classes = report.palette.count
            print("\(report.maps.count) map\(report.maps.count == 1 ? "" : "s"), \(classes) class\(classes == 1 ? "" : "es") in all")
            for (index, map) in report.maps.enumerated() {
                let role = several ? (index == 0 ? ", style map" : ", checked against the first") : ""
                print("\(map.name)  \(map.width)x\(map.height), \(map.classes.count) class\(map.classes.count == 1 ? "" : "es")\(role)")
                for entry in map.classes {
                    let c = entry.mapClass
                    var line = "  "
                    if swatches {
                        let rgb = c.colour.map { Int(min(max($0, 0), 255).rounded()) }
                        line += "\u{1B}[48;2;\(rgb[0]);\(rgb[1]);\(rgb[2])m  \u{1B}[0m "
                    }
                    line += c.hex + "  " + c.shortName.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                    line += "  " + String(repeating: " ", count: max(0, 6 - percentText(entry.share).count)) + percentText(entry.share)
                    if let present = entry.inFirstMap { line += present ? "  matched" : "  MISSING from first map" }
                    if entry.inFirstMap == false, let pair = suggestions[index]?[c.hex] {
                        line += " (`map match` would pair it with \(pair.hex) \(pair.shortName))"
                    }
                    print(line)
                }
            }
        }

        /// `--palette`: each map's share of each class of the palette, and what the palette lacks.
        private func inspect(_ images: [Image], against path: String) throws {
            let palette: MapPalette
            do { palette = try MapPalette.load(path: path) } catch let error as PresetError {
                throw UserError(error.issues.map(\.description).joined(separator: "; "))
            }
            let nameWidth = palette.entries.map(\.name.count).max() ?? 0
            var report: [PaletteMapReport] = []
            var failures: [String] = []
            for (image, name) in zip(images, maps) {
                let unknown = palette.unknownColours(in: image, name: name)
                var shares: [Double]? = nil
                if unknown.isEmpty, let reading = try? palette.read(image, name: name) {
                    shares = reading.counts.map { Double($0) / Double(max(1, image.width * image.height)) }
                }
                report.append(PaletteMapReport(name: name, width: image.width, height: image.height, shares: shares, unknown: unknown))
                if !unknown.isEmpty {
                    failures.append("'\(name)': " + unknown.prefix(4).map { "\($0.text) (\(percentText($0.share)))" }.joined(separator: ", ")
                                    + (unknown.count > 4 ? " and \(unknown.count - 4) more" : ""))
                }
            }
            if json {
                try printJSON(PaletteReport(palette: palette, maps: report))
            } else {
                print("palette \(path): \(palette.entries.count) class\(palette.entries.count == 1 ? "" : "es")")
                for map in report {
                    print("\(map.name)  \(map.width)x\(map.height)")
                    for (index, entry) in palette.entries.enumerated() {
                        let written = [entry.colour.map(MapPalette.hex), entry.id.map { "id \($0)" }].compactMap { $0 }.joined(separator: ", ")
                        let share = map.shares.map { percentText($0[index]) } ?? "?"
                        print("  " + entry.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                              + String(repeating: " ", count: max(0, 6 - share.count)) + share + "  " + written)
                    }
                    for colour in map.unknown { print("  NOT IN PALETTE \(colour.text)  \(percentText(colour.share))") }
                }
            }
            if !failures.isEmpty {
                throw UserError("not in the palette '\(path)': " + failures.joined(separator: "; ") + "; add them to the palette or repaint the maps")
            }
        }

        /// One line: which classes of which maps the first map lacks, and the fix.
        private func unmatchedLine(_ report: MapReport) -> String {
            let first = report.maps[0].name
            var parts: [String] = []
            var total = 0
            for map in report.maps.dropFirst() where !map.missing.isEmpty {
                let listed = map.missing.map { "\($0.mapClass.hex) (\($0.mapClass.shortName), \(percentText($0.share)))" }
                parts.append("'\(map.name)' has \(listed.joined(separator: ", "))")
                total += map.missing.count
            }
            let them = total == 1 ? "it" : "them"
            return "\(parts.joined(separator: "; ")) MISSING from '\(first)'; paint \(them) in the style map, "
                + "recolour the doodle with `doodle map match`, or pass --allow-unmatched when rendering"
        }

        /// True-colour swatches only on a terminal that wants colour.
        private func useColour() -> Bool {
            let env = ProcessInfo.processInfo.environment
            return isatty(STDOUT_FILENO) == 1 && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
        }
    }
}

/// `40.0%`, `0.25%`, `<0.01%`.
private func percentText(_ share: Double) -> String { MapPalette.percent(share) }

/// One map of `map inspect --palette`.
private struct PaletteMapReport {
    let name: String
    let width, height: Int
    /// Share of each palette entry (nil when the map has colours the palette lacks).
    let shares: [Double]?
    let unknown: [(text: String, share: Double)]
}

/// `{"palette": [{"name": "sky", "colour": "#87ceeb", "id": null}], "maps": [{"name": ..., "classes":
/// {"sky": 0.4}, "unknown": [{"colour": "#ff00ff", "share": 0.01}]}]}`.
private struct PaletteReport: Encodable {
    let palette: MapPalette
    let maps: [PaletteMapReport]
    enum Key: String, CodingKey { case palette, maps }
    enum EntryKey: String, CodingKey { case name, colour, id }
    enum MapKey: String, CodingKey { case name, width, height, classes, unknown }
    enum UnknownKey: String, CodingKey { case colour, share }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        var entries = c.nestedUnkeyedContainer(forKey: .palette)
        for entry in palette.entries {
            var e = entries.nestedContainer(keyedBy: EntryKey.self)
            try e.encode(entry.name, forKey: .name)
            try e.encode(MapPalette.hex(entry.shown), forKey: .colour)
            try e.encode(entry.id, forKey: .id)
        }
        var list = c.nestedUnkeyedContainer(forKey: .maps)
        for map in maps {
            var m = list.nestedContainer(keyedBy: MapKey.self)
            try m.encode(map.name, forKey: .name)
            try m.encode(map.width, forKey: .width)
            try m.encode(map.height, forKey: .height)
            if let shares = map.shares {
                var classes: [String: Double] = [:]
                for (entry, share) in zip(palette.entries, shares) { classes[entry.name] = (share * 10_000).rounded() / 10_000 }
                try m.encode(classes, forKey: .classes)
            }
            var unknown = m.nestedUnkeyedContainer(forKey: .unknown)
            for colour in map.unknown {
                var u = unknown.nestedContainer(keyedBy: UnknownKey.self)
                try u.encode(colour.text, forKey: .colour)
                try u.encode((colour.share * 10_000).rounded() / 10_000, forKey: .share)
            }
        }
    }
}
