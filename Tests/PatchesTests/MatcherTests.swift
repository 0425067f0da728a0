import Dispatch
import Doodle
import Foundation
import Net
import Patches
import XCTest

/// The matchers against exact matching: synthetic features with a 3-class map, and real
/// VGG19 conv3_1 features when the shared images and the weights are present.
final class MatcherTests: XCTestCase {
    // MARK: - Synthetic inputs

    /// ReLU of blurred noise, `[C, H, W]`: non-negative and spatially correlated like conv features.
    static func features(channels c: Int, height h: Int, width w: Int, seed: UInt64) -> Tensor {
        var g = SplitMix64(seed: seed)
        let raw = (0..<c * h * w).map { _ in g.signed() }
        var out = [Float](repeating: 0, count: c * h * w)
        for ch in 0..<c {
            for y in 0..<h {
                for x in 0..<w {
                    var s: Float = 0
                    for dy in -1...1 {
                        for dx in -1...1 {
                            let yy = min(max(y + dy, 0), h - 1), xx = min(max(x + dx, 0), w - 1)
                            s += raw[(ch * h + yy) * w + xx]
                        }
                    }
                    out[(ch * h + y) * w + x] = max(0, s / 3 + 0.1)
                }
            }
        }
        return Tensor(shape: [c, h, w], data: out)
    }

    /// One-hot `[3, H, W]`: class 0 on the left third, 1 top right, 2 bottom right.
    static func styleMap(height h: Int, width w: Int) -> Tensor {
        var data = [Float](repeating: 0, count: 3 * h * w)
        for y in 0..<h {
            for x in 0..<w {
                let c = x < w / 3 ? 0 : (y < h / 2 ? 1 : 2)
                data[(c * h + y) * w + x] = 1
            }
        }
        return Tensor(shape: [3, h, w], data: data)
    }

    /// A target made of four tiles cut from the style at random places (features and map
    /// together), plus a little noise: a coherent nearest-neighbour field exists.
    static func collage(style: Tensor, map: Tensor, height h: Int, width w: Int, noise: Float, seed: UInt64)
        -> (features: Tensor, map: Tensor) {
        var g = SplitMix64(seed: seed)
        let (c, k, sh, sw) = (style.channels, map.channels, style.height, style.width)
        var f = [Float](repeating: 0, count: c * h * w), m = [Float](repeating: 0, count: k * h * w)
        let (hy, hx) = (h / 2, w / 2)
        for tile in 0..<4 {
            let (y0, x0) = ((tile / 2) * hy, (tile % 2) * hx)
            let (th, tw) = (tile / 2 == 0 ? hy : h - hy, tile % 2 == 0 ? hx : w - hx)
            let (oy, ox) = (g.below(sh - th + 1), g.below(sw - tw + 1))
            for y in 0..<th {
                for x in 0..<tw {
                    for ch in 0..<c {
                        f[(ch * h + y0 + y) * w + x0 + x] = style.data[(ch * sh + oy + y) * sw + ox + x] + noise * g.signed()
                    }
                    for ch in 0..<k { m[(ch * h + y0 + y) * w + x0 + x] = map.data[(ch * sh + oy + y) * sw + ox + x] }
                }
            }
        }
        return (Tensor(shape: [c, h, w], data: f), Tensor(shape: [k, h, w], data: m))
    }

    /// PatchMatch even on these small problems (they would be matched exactly by default), and
    /// from a random start (by default a cold start is matched exactly within classes).
    static let always = PatchMatchMatcher.Options(exactBelow: 0, coldStart: .random)

    static func bank(_ features: Tensor, map: Tensor?, mapWeight: Float) -> PatchBank {
        PatchBank(features: features, map: map, mapWeight: mapWeight)
    }

    /// A 30x38 style of two regions and a 26x34 collage of its patches as the target (its features too).
    static func collageProblem(styleSeed: UInt64, targetSeed: UInt64) -> (style: PatchBank, target: PatchBank, features: Tensor) {
        let (sh, sw) = (30, 38)
        let sf = features(channels: 16, height: sh, width: sw, seed: styleSeed)
        let smap = styleMap(height: sh, width: sw)
        let (tf, tm) = collage(style: sf, map: smap, height: 26, width: 34, noise: 0.05, seed: targetSeed)
        return (bank(sf, map: smap, mapWeight: 10), bank(tf, map: tm, mapWeight: 1), tf)
    }

    /// `features` plus uniform noise of ±0.03, as between two evaluations of a render.
    static func drifted(_ features: Tensor, seed: UInt64) -> Tensor {
        var out = features
        var g = SplitMix64(seed: seed)
        for i in 0..<out.data.count { out.data[i] += 0.03 * g.signed() }
        return out
    }

    static func run(_ matcher: PatchMatcher, _ target: PatchBank, calls: Int = 1, matches start: [Int32] = []) -> [Int32] {
        var matches = start
        for _ in 0..<calls { matcher.match(target: target, into: &matches) }
        return matches
    }

    static func scores(_ target: PatchBank, _ style: PatchBank, _ matches: [Int32]) -> [Float] {
        (0..<target.count).map { PatchMatchMatcher.keyScore(target: target, $0, style: style, Int(matches[$0])) }
    }

    static func mean(_ values: [Float]) -> Double { values.reduce(0.0) { $0 + Double($1) } / Double(max(1, values.count)) }

    /// Share of single-class target patches whose style patch has their dominant class.
    static func sameClassShare(_ target: PatchBank, _ style: PatchBank, _ matches: [Int32]) -> Double {
        let (tc, sc) = (PatchClasses(bank: target), PatchClasses(bank: style))
        var single = 0, same = 0
        for t in 0..<target.count where tc.masks[t].nonzeroBitCount == 1 {
            single += 1
            if sc.dominant[Int(matches[t])] == tc.dominant[t] { same += 1 }
        }
        return Double(same) / Double(max(1, single))
    }

    // MARK: - (a) class-restricted = exact wherever the exact best shares a class

    func checkClassRestricted(mapWeight: Float, variety: Float) {
        let (c, sh, sw, th, tw) = (12, 23, 29, 19, 25)
        let styleFeatures = Self.features(channels: c, height: sh, width: sw, seed: 1)
        let style = Self.bank(styleFeatures, map: Self.styleMap(height: sh, width: sw), mapWeight: mapWeight)
        // An unrelated target (random features, horizontal class bands) so that matches are varied.
        var tm = [Float](repeating: 0, count: 3 * th * tw)
        for y in 0..<th { for x in 0..<tw { tm[((y * 3 / th) * th + y) * tw + x] = 1 } }
        let target = Self.bank(Self.features(channels: c, height: th, width: tw, seed: 2),
                               map: Tensor(shape: [3, th, tw], data: tm), mapWeight: 1)
        let exact = ExactPatchMatcher(style: style, variety: variety)
        let restricted = ClassRestrictedMatcher(style: style, variety: variety, sliceRows: 37)
        let (tc, sc) = (PatchClasses(bank: target), PatchClasses(bank: style))
        var e: [Int32] = [], r: [Int32] = []
        for call in 0..<2 {
            exact.match(target: target, into: &e)
            restricted.match(target: target, into: &r)
            let (es, rs) = (Self.scores(target, style, e), Self.scores(target, style, r))
            var overlapping = 0, identical = 0
            for t in 0..<target.count {
                if sc.masks[Int(e[t])] & tc.masks[t] != 0 {
                    overlapping += 1
                    XCTAssertEqual(rs[t], es[t], accuracy: 1e-4 * max(1, abs(es[t])),
                                   "call \(call), patch \(t): restricted \(r[t]) vs exact \(e[t])")
                    if r[t] == e[t] { identical += 1 }
                } else {
                    // The exact best is in another class: restricted may only do worse, and keeps to the class.
                    XCTAssertLessThanOrEqual(rs[t], es[t] + 1e-4 * max(1, abs(es[t])))
                    XCTAssertNotEqual(sc.masks[Int(r[t])] & tc.masks[t], 0)
                }
            }
            XCTAssertGreaterThan(overlapping, target.count / 2)
            XCTAssertGreaterThanOrEqual(Double(identical), 0.99 * Double(overlapping), "near ties aside, the same patches")
        }
    }

    func testClassRestrictedEqualsExactWhereClassesOverlap() {
        checkClassRestricted(mapWeight: 10, variety: 0)
    }

    func testClassRestrictedWithWeakMapAndVariety() {
        // mapWeight 0.3: some exact bests cross classes; variety 0.2: the penalty is applied alike.
        checkClassRestricted(mapWeight: 0.3, variety: 0.2)
    }

    func testClassRestrictedWithoutMapIsExact() {
        let style = Self.bank(Self.features(channels: 8, height: 15, width: 17, seed: 3), map: nil, mapWeight: 0)
        let target = Self.bank(Self.features(channels: 8, height: 13, width: 14, seed: 4), map: nil, mapWeight: 0)
        XCTAssertEqual(Self.run(ClassRestrictedMatcher(style: style), target), Self.run(ExactPatchMatcher(style: style), target))
    }

    // MARK: - (b) PatchMatch close to exact, within class

    func testPatchMatchNearExactOnCollage() {
        let (style, target, tf) = Self.collageProblem(styleSeed: 5, targetSeed: 100)
        let matcher = PatchMatchMatcher(style: style, options: Self.always)
        var matches: [Int32] = []
        // Four evaluations whose features drift a little, as between evaluations of a render.
        for call in 0..<4 {
            target.update(features: Self.drifted(tf, seed: 200 + UInt64(call)))
            matcher.match(target: target, into: &matches)
            XCTAssertEqual(matcher.statistics.cold, call == 0)
        }
        let exact = Self.run(ExactPatchMatcher(style: style), target)
        let (e, p) = (Self.mean(Self.scores(target, style, exact)), Self.mean(Self.scores(target, style, matches)))
        XCTAssertLessThan((e - p) / e, 0.01, "PatchMatch \(p) vs exact \(e)")
        XCTAssertGreaterThanOrEqual(Self.sameClassShare(target, style, matches), 0.99)
    }

    func testPatchMatchWithoutMap() {
        let sf = Self.features(channels: 16, height: 24, width: 30, seed: 6)
        let style = Self.bank(sf, map: nil, mapWeight: 0)
        let (tf, _) = Self.collage(style: sf, map: Tensor(zeros: [1, 24, 30]), height: 22, width: 26, noise: 0.05, seed: 7)
        let target = Self.bank(tf, map: nil, mapWeight: 0)
        let matches = Self.run(PatchMatchMatcher(style: style, options: Self.always), target, calls: 3)
        let exact = Self.run(ExactPatchMatcher(style: style), target)
        let (e, p) = (Self.mean(Self.scores(target, style, exact)), Self.mean(Self.scores(target, style, matches)))
        XCTAssertLessThan((e - p) / e, 0.01, "PatchMatch \(p) vs exact \(e)")
    }

    func testPatchMatchVarietySpreadsTheChoice() {
        let sf = Self.features(channels: 16, height: 24, width: 30, seed: 8)
        let smap = Self.styleMap(height: 24, width: 30)
        let style = Self.bank(sf, map: smap, mapWeight: 10)
        // A flat target: without variety most of it takes the same few patches.
        let target = Self.bank(Tensor(shape: [16, 20, 20], data: [Float](repeating: 0.5, count: 16 * 400)),
                               map: Self.styleMap(height: 20, width: 20), mapWeight: 1)
        // The usage penalty is refreshed every 10 calls (VarietyPenalty): it acts from call 11.
        let plain = Set(Self.run(PatchMatchMatcher(style: style, options: Self.always), target, calls: 12)).count
        let varied = Set(Self.run(PatchMatchMatcher(style: style, variety: 1, options: Self.always), target, calls: 12)).count
        XCTAssertGreaterThan(varied, plain, "variety should use more distinct style patches (\(varied) vs \(plain))")
    }

    /// By default a call without matches (a phase from noise) is matched exactly within
    /// classes; the calls after it search from there.
    func testColdStartIsExactWithinClasses() {
        let (style, target, tf) = Self.collageProblem(styleSeed: 21, targetSeed: 22)
        let matcher = PatchMatchMatcher(style: style, options: .init(exactBelow: 0))
        var matches: [Int32] = []
        matcher.match(target: target, into: &matches)
        XCTAssertTrue(matcher.statistics.cold && matcher.statistics.exact)
        XCTAssertEqual(matches, Self.run(ClassRestrictedMatcher(style: style), target))
        let start = Self.mean(Self.scores(target, style, matches))

        target.update(features: Self.drifted(tf, seed: 23))
        matcher.match(target: target, into: &matches)
        XCTAssertFalse(matcher.statistics.cold || matcher.statistics.exact)
        XCTAssertGreaterThan(matcher.statistics.sweeps, 0)
        let exact = Self.mean(Self.scores(target, style, Self.run(ExactPatchMatcher(style: style), target)))
        let warm = Self.mean(Self.scores(target, style, matches))
        XCTAssertLessThan((exact - warm) / exact, 0.005, "warm \(warm) vs exact \(exact) (cold start \(start))")
    }

    func testSmallProblemsAreMatchedExactly() {
        let style = Self.bank(Self.features(channels: 8, height: 15, width: 17, seed: 16), map: Self.styleMap(height: 15, width: 17),
                              mapWeight: 10)
        let target = Self.bank(Self.features(channels: 8, height: 13, width: 14, seed: 17), map: Self.styleMap(height: 13, width: 14),
                               mapWeight: 1)
        let matcher = PatchMatchMatcher(style: style)
        XCTAssertEqual(Self.run(matcher, target), Self.run(ExactPatchMatcher(style: style), target))
        XCTAssertTrue(matcher.statistics.exact)
    }

    // MARK: - (c) determinism

    func testPatchMatchIsDeterministic() {
        let sf = Self.features(channels: 16, height: 30, width: 36, seed: 9)
        let smap = Self.styleMap(height: 30, width: 36)
        let style = Self.bank(sf, map: smap, mapWeight: 10)
        let (tf, tm) = Self.collage(style: sf, map: smap, height: 28, width: 32, noise: 0.1, seed: 10)
        func history(seed: UInt64, coldSweeps: Int = 6) -> [[Int32]] {
            let target = Self.bank(tf, map: tm, mapWeight: 1)
            let matcher = PatchMatchMatcher(style: style, options: .init(coldSweeps: coldSweeps, seed: seed, exactBelow: 0,
                                                                                 coldStart: .random))
            var matches: [Int32] = []
            var out: [[Int32]] = []
            for call in 0..<3 {
                var f = tf
                for i in stride(from: call, to: f.data.count, by: 7) { f.data[i] *= 1.1 }
                target.update(features: f)
                matcher.match(target: target, into: &matches)
                out.append(matches)
            }
            return out
        }
        let a = history(seed: 1)
        for _ in 0..<3 { XCTAssertEqual(history(seed: 1), a) }
        XCTAssertNotEqual(history(seed: 2, coldSweeps: 0)[0], history(seed: 1, coldSweeps: 0)[0], "another seed starts elsewhere")
    }

    func testPatchMatchSettlesOnUnchangedFeatures() {
        // Random draws are a function of the patch and its match, so calls on unchanged
        // features stop changing the matches (what keeps L-BFGS-B's line search consistent).
        let sf = Self.features(channels: 16, height: 30, width: 36, seed: 14)
        let smap = Self.styleMap(height: 30, width: 36)
        let style = Self.bank(sf, map: smap, mapWeight: 10)
        let target = Self.bank(Self.features(channels: 16, height: 26, width: 30, seed: 15),
                               map: Self.styleMap(height: 26, width: 30), mapWeight: 1)
        let matcher = PatchMatchMatcher(style: style, options: Self.always)
        var matches: [Int32] = []
        var calls = 0
        repeat {
            matcher.match(target: target, into: &matches)
            calls += 1
        } while matcher.statistics.improvements > 0 && calls < 10
        XCTAssertEqual(matcher.statistics.improvements, 0, "still changing after \(calls) calls")
        let settled = matches
        matcher.match(target: target, into: &matches)
        XCTAssertEqual(matches, settled)
        XCTAssertEqual(matcher.statistics.sweeps, 1)
    }

    // MARK: - (d) upsampling

    func testUpsamplingHandComputed() {
        // Old: target 10x10 features (8x8 patches), style 10x12 (8x10). New: 20x20 (18x18), style 20x24 (18x22).
        var old = [Int32](repeating: 0, count: 64)
        old[1 * 8 + 2] = Int32(3 * 10 + 6)   // parent (1, 2) -> style (3, 6)
        old[7 * 8 + 7] = Int32(7 * 10 + 9)   // last parent -> last style patch
        old[0] = 0
        old[2 * 8 + 2] = Int32(4 * 10 + 1)   // parent (2, 2) -> style (4, 1)
        let new = MatchUpsampling.upsample(old, from: (10, 10, 10, 12), to: (20, 20, 20, 24))
        XCTAssertEqual(new.count, 18 * 18)
        func at(_ y: Int, _ x: Int) -> (Int, Int) { let s = Int(new[y * 18 + x]); return (s / 22, s % 22) }
        // Child (4, 5): centre 5.5 -> old 2.75, parent row 1, offset +0.5; 6.5 -> 3.25, parent column 2, offset -0.5.
        // Style (3, 6): (3+1.5)*2+0.5 = 9.5 -> row 8; (6+1.5)*2-0.5 = 14.5 -> column 13 (= 2*6 + (5 - 2*2)).
        XCTAssertTrue(at(4, 5) == (8, 13), "\(at(4, 5))")
        // Child (5, 5): parent (2, 2) -> (4, 1): rows 2*4 + (5 - 4) = 9, columns 2*1 + (5 - 4) = 3.
        XCTAssertTrue(at(5, 5) == (9, 3), "\(at(5, 5))")
        // The corners: (0, 0) from parent (0, 0) -> style (0, 0); (17, 17) from (7, 7) -> last style patch (17, 21).
        XCTAssertTrue(at(0, 0) == (0, 0), "\(at(0, 0))")
        XCTAssertTrue(at(17, 17) == (17, 21), "\(at(17, 17))")
        // Clamping: every parent -> style (0, 9), the last column; the new style is 20 wide (18 columns).
        // Child (0, 17): parent (0, 7), offset +1.5: (9+1.5)*20/12 + 1.5 = 19 -> column 18, clamped to 17.
        let edge = [Int32](repeating: 9, count: 64)
        let clamped = MatchUpsampling.upsample(edge, from: (10, 10, 10, 12), to: (20, 20, 20, 20))
        XCTAssertEqual(clamped[17], 17)
        // Child (0, 3): parent column 1, offset -0.5: 10.5*20/12 - 0.5 = 17 -> column 16.
        XCTAssertEqual(clamped[3], 16)
        XCTAssertTrue(clamped.allSatisfy { $0 >= 0 && $0 < 18 * 18 })
    }

    func testUpsamplingSameSizeIsIdentity() {
        var g = SplitMix64(seed: 11)
        let old = (0..<(12 * 15)).map { _ in Int32(g.below(9 * 11)) }
        XCTAssertEqual(MatchUpsampling.upsample(old, from: (14, 17, 11, 13), to: (14, 17, 11, 13)), old)
    }

    // MARK: - Kernel and kinds

    /// The search's layout kernels (pixel-major features in three runs per patch, inverse
    /// norms, map columns, penalty) score every pair as the keys' plain dot product does.
    func testLayoutScoresEqualKeyScores() {
        let (style, target, _) = Self.collageProblem(styleSeed: 41, targetSeed: 42)
        var g = SplitMix64(seed: 43)
        let pairs = (0..<400).map { _ in (t: g.below(target.count), s: g.below(style.count)) }
        let matcher = PatchMatchMatcher(style: style, variety: 0.5)
        // Penalties of one recorded call: the most used style patch loses the full 0.5.
        var matches = [Int32](repeating: 7, count: target.count)
        matches[0] = 3
        for _ in 0..<matcher.variety.refreshEvery { matcher.variety.record(matches, targetWidth: target.patchWidth, styleWidth: style.patchWidth) }
        let penalty = matcher.variety.values
        XCTAssertEqual(penalty[7], 0.5)
        let layout = matcher.layoutScores(target: target, pairs: pairs)
        for (i, pair) in pairs.enumerated() {
            let plain = PatchMatchMatcher.keyScore(target: target, pair.t, style: style, pair.s) - penalty[pair.s]
            XCTAssertEqual(layout[i], plain, accuracy: 1e-4 * max(1, abs(plain)), "pair \(pair)")
        }
        // Without map channels too.
        let (sf, tf) = (Self.features(channels: 8, height: 12, width: 14, seed: 44), Self.features(channels: 8, height: 10, width: 9, seed: 45))
        let plainStyle = Self.bank(sf, map: nil, mapWeight: 0), plainTarget = Self.bank(tf, map: nil, mapWeight: 0)
        let all = (0..<plainTarget.count).flatMap { t in (0..<plainStyle.count).map { (t: t, s: $0) } }
        let scores = PatchMatchMatcher(style: plainStyle).layoutScores(target: plainTarget, pairs: all)
        for (i, pair) in all.enumerated() {
            XCTAssertEqual(scores[i], PatchMatchMatcher.keyScore(target: plainTarget, pair.t, style: plainStyle, pair.s), accuracy: 1e-4)
        }
    }

    /// Both kernels (the CPU's widest, and the SSE2 baseline whatever the CPU). Their speed
    /// against the plain loop is `doodle bench kernels`' (a shared machine makes timed
    /// assertions flaky).
    func testDotKernelAgreesWithPlainLoop() {
        var g = SplitMix64(seed: 12)
        let a = (0..<5000).map { _ in g.signed() }, b = (0..<5000).map { _ in g.signed() }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for n in [0, 1, 7, 8, 9, 31, 32, 33, 100, 768, 2349, 4653] {
                    let fast = PatchMatchMatcher.dot(pa.baseAddress!, pb.baseAddress! + 1, count: n)
                    var exact = 0.0
                    for i in 0..<n { exact += Double(pa[i]) * Double(pb[i + 1]) }
                    XCTAssertEqual(Double(fast), exact, accuracy: 1e-4 * Double(max(1, n)).squareRoot(), "n = \(n)")
                    let plain = PatchMatchMatcher.scalarDot(pa.baseAddress!, pb.baseAddress! + 1, count: n)
                    XCTAssertEqual(Double(plain), exact, accuracy: 1e-4 * Double(max(1, n)).squareRoot(), "plain, n = \(n)")
                    let baseline = PatchMatchMatcher.baselineDot(pa.baseAddress!, pb.baseAddress! + 1, count: n)
                    XCTAssertEqual(Double(baseline), exact, accuracy: 1e-4 * Double(max(1, n)).squareRoot(), "baseline, n = \(n)")
                }
            }
        }
    }

    func testMatcherKinds() {
        XCTAssertEqual(MatcherKind.allCases.map(\.rawValue), ["exact", "classes", "patchmatch"])
        let style = Self.bank(Self.features(channels: 4, height: 8, width: 8, seed: 13), map: Self.styleMap(height: 8, width: 8),
                              mapWeight: 10)
        XCTAssertTrue(MatcherKind.exact.make(style: style, variety: 0) is ExactPatchMatcher)
        XCTAssertTrue(MatcherKind.classes.make(style: style, variety: 0) is ClassRestrictedMatcher)
        XCTAssertTrue(MatcherKind.patchmatch.make(style: style, variety: 0.5) is PatchMatchMatcher)
        XCTAssertEqual(MatcherKind.patchmatch.make(style: style, variety: 0.5).variety.strength, 0.5)
    }

    // MARK: - Real conv3_1 features

    func testRealFeatures() throws {
        let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/images").standardized.path
        guard FileManager.default.fileExists(atPath: images + "/Monet.jpg") else { throw XCTSkip("no \(images)") }
        let weights = WeightStore().defaultWeightsPath
        guard FileManager.default.fileExists(atPath: weights) else { throw XCTSkip("no weights at \(weights)") }
        let network = VGG19(weights: try VGG19Weights.load(path: weights))
        let (w, h) = (256, 192)
        let style = try Image.read(from: images + "/Monet.jpg").rgb().resized(toWidth: w, height: h)
        let maps = SemanticMap.detect([
            MapPixels(image: try Image.read(from: images + "/Monet_sem.png"), name: "style"),
            MapPixels(image: try Image.read(from: images + "/Coastline_sem.png"), name: "target"),
        ])
        // The target: the style mirrored (real features in a layout the style does not have).
        let mirrored = Image(width: w, height: h, channels: 3) { c, x, y in style[c, w - 1 - x, y] }
        func features(_ image: Image) -> Tensor {
            network.forward(Tensor(shape: [3, h, w], data: image.pixels), to: [.conv3_1])[.conv3_1]!
        }
        let sf = features(style), tf = features(mirrored)
        let styleBank = PatchBank(features: sf, map: maps[0].downsampled(toWidth: sf.width, height: sf.height), mapWeight: 10)
        let target = PatchBank(features: tf, map: maps[1].downsampled(toWidth: tf.width, height: tf.height), mapWeight: 1)

        let exact = Self.run(ExactPatchMatcher(style: styleBank), target)
        let exactScores = Self.scores(target, styleBank, exact)
        // (a) on real features.
        let restricted = Self.run(ClassRestrictedMatcher(style: styleBank), target)
        let (tc, sc) = (PatchClasses(bank: target), PatchClasses(bank: styleBank))
        let restrictedScores = Self.scores(target, styleBank, restricted)
        for t in 0..<target.count where sc.masks[Int(exact[t])] & tc.masks[t] != 0 {
            XCTAssertEqual(restrictedScores[t], exactScores[t], accuracy: 1e-4 * abs(exactScores[t]))
        }
        // (b): a cold call from random matches and four warm ones on the same features.
        let matcher = PatchMatchMatcher(style: styleBank, options: .init(coldStart: .random))
        var matches: [Int32] = []
        var gaps: [Double] = []
        let e = Self.mean(exactScores)
        for _ in 0..<5 {
            matcher.match(target: target, into: &matches)
            gaps.append((e - Self.mean(Self.scores(target, styleBank, matches))) / e)
        }
        XCTAssertFalse(matcher.statistics.exact, "2852 x 2852 patches of 2349 is past the exact limit")
        XCTAssertLessThan(gaps.last!, 0.01, "mean score gaps per call: \(gaps)")
        XCTAssertGreaterThanOrEqual(Self.sameClassShare(target, styleBank, matches), 0.99)
    }
}

extension SplitMix64 {
    /// Uniform in -1...1.
    mutating func signed() -> Float { Float(nextUnit()) * 2 - 1 }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
