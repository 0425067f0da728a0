import Patches

/// A map as the renderer sees it, written back as flat colours: every pixel takes the colour of
/// the class the map detector gives it (anti-aliased and JPEG seams snap to a class), and any
/// region smaller than `minimumRegion` pixels (4-connected) joins the class that surrounds it
/// most. Optionally the colours are first clustered into `colours` classes.
public struct MapCleaning: Sendable {
    public struct Result: Sendable {
        public let image: Image
        public let classes: Int
        /// Pixels whose colour changed, of all pixels.
        public let changedPixels: Int
        public let pixels: Int
        /// Regions under the minimum size merged into their surroundings, and their pixels.
        public let mergedRegions: Int
        public let mergedPixels: Int
    }

    public var minimumRegion = 32
    public var colours: Int? = nil
    public var seed: UInt64 = 0

    public init(minimumRegion: Int = 32, colours: Int? = nil, seed: UInt64 = 0) {
        self.minimumRegion = minimumRegion
        self.colours = colours
        self.seed = seed
    }

    /// Cleans until the detector finds in the result exactly the classes it holds (classes of
    /// near-equal colours, as JPEG leaves them, merge on the second pass).
    public func clean(_ map: Image, name: String) -> Result {
        let rgb = map.rgb()
        var image = colours.map { MapColourClustering.flatten([rgb], classes: $0, seed: seed)[0] } ?? rgb
        var (classes, regions, merged) = (0, 0, 0)
        for _ in 0..<4 {
            let next = pass(image, name: name)
            (classes, regions, merged) = (next.classes, regions + next.regions, merged + next.pixels)
            if next.image == image { break }
            image = next.image
        }
        let plane = rgb.planeSize
        let changed = (0..<plane).filter { p in (0..<3).contains { rgb.pixels[$0 * plane + p].rounded() != image.pixels[$0 * plane + p] } }.count
        return Result(image: image, classes: classes, changedPixels: changed, pixels: plane, mergedRegions: regions, mergedPixels: merged)
    }

    /// One detection and merge: the flat image, the classes it holds, the regions and pixels merged.
    private func pass(_ map: Image, name: String) -> (image: Image, classes: Int, regions: Int, pixels: Int) {
        let detected = SemanticMap.detect([MapPixels(image: map, name: name)])[0]
        var labels = detected.labels
        let (regions, pixels) = Self.mergeSmallRegions(&labels, width: map.width, height: map.height,
                                                      classCount: detected.palette.count, minimum: minimumRegion)
        let plane = map.width * map.height
        let colours = detected.palette.classes.map { $0.colour.map { $0.rounded() } }
        var out = [Float](repeating: 0, count: 3 * plane)
        for p in 0..<plane {
            for c in 0..<3 { out[c * plane + p] = colours[Int(labels[p])][c] }
        }
        return (Image(width: map.width, height: map.height, channels: 3, pixels: out), Set(labels).count, regions, pixels)
    }

    /// Relabels every 4-connected region smaller than `minimum` pixels with the label most
    /// common along its border, smallest regions first, until none is left (a region whose
    /// border is the image edge alone stays). Returns the regions and pixels merged.
    static func mergeSmallRegions(_ labels: inout [Int32], width: Int, height: Int, classCount: Int,
                                  minimum: Int) -> (regions: Int, pixels: Int) {
        guard minimum > 1 else { return (0, 0) }
        var regions = 0, pixels = 0
        while true {
            let components = Self.components(labels, width: width, height: height)
            let small = components.filter { $0.count < minimum }.sorted { $0.count < $1.count }
            var changedAny = false
            var touched = Set<Int>()
            for component in small {
                // Regions next to one merged this round wait: their borders have changed.
                if component.contains(where: { touched.contains($0) }) { continue }
                var votes = [Int](repeating: 0, count: classCount)
                let own = labels[component[0]]
                let members = Set(component)
                for p in component {
                    let (x, y) = (p % width, p / width)
                    for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                    where nx >= 0 && ny >= 0 && nx < width && ny < height {
                        let q = ny * width + nx
                        if !members.contains(q) && labels[q] != own { votes[Int(labels[q])] += 1 }
                    }
                }
                guard let best = votes.indices.max(by: { votes[$0] < votes[$1] }), votes[best] > 0 else { continue }
                for p in component {
                    labels[p] = Int32(best)
                    touched.insert(p)
                    let (x, y) = (p % width, p / width)
                    for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                    where nx >= 0 && ny >= 0 && nx < width && ny < height { touched.insert(ny * width + nx) }
                }
                regions += 1
                pixels += component.count
                changedAny = true
            }
            if !changedAny { return (regions, pixels) }
        }
    }

    /// 4-connected components of equal labels, each as its pixel indices.
    static func components(_ labels: [Int32], width: Int, height: Int) -> [[Int]] {
        var seen = [Bool](repeating: false, count: labels.count)
        var result: [[Int]] = []
        for start in 0..<labels.count where !seen[start] {
            var component: [Int] = []
            var stack = [start]
            seen[start] = true
            while let p = stack.popLast() {
                component.append(p)
                let (x, y) = (p % width, p / width)
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                where nx >= 0 && ny >= 0 && nx < width && ny < height {
                    let q = ny * width + nx
                    if !seen[q] && labels[q] == labels[start] {
                        seen[q] = true
                        stack.append(q)
                    }
                }
            }
            result.append(component)
        }
        return result
    }
}
