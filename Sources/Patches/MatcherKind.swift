/// Which nearest-neighbour search the style loss uses (`--matcher`).
public enum MatcherKind: String, CaseIterable, Sendable {
    /// Every target patch against every style patch.
    case exact
    /// Exact, but each target patch only against the style patches whose classes overlap its own.
    case classes
    /// PatchMatch in feature space: propagation and random search, warm-started from the
    /// previous evaluation's matches, within the target's classes.
    case patchmatch

    /// PatchMatch, measured by `doodle bench match` (Monet to Coastline): at 512x384, 51x faster
    /// than exact at conv3_1 and 24x at conv4_1; one phase of 30 evaluations at 256x192, means
    /// of 5 seeds, reaches a style loss (re-matched exactly) 2.5% below exact's and `score`
    /// within 0.013 of it; a whole default render takes 159 s with matching 10% of it.
    public static let `default` = MatcherKind.patchmatch

    /// A matcher for one style bank. It is kept for a whole phase, so it may carry state
    /// from one evaluation to the next.
    public func make(style: PatchBank, variety: Float = 0) -> PatchMatcher {
        switch self {
        case .exact: return ExactPatchMatcher(style: style, variety: variety)
        case .classes: return ClassRestrictedMatcher(style: style, variety: variety)
        case .patchmatch: return PatchMatchMatcher(style: style, variety: variety)
        }
    }
}
