/// Which nearest-neighbour search the style loss uses (`--matcher`).
public enum MatcherKind: String, CaseIterable, Sendable {
    /// Every target patch against every style patch.
    case exact
    /// Exact, but each target patch only against the style patches whose classes overlap its own.
    case classes
    /// PatchMatch in feature space: propagation and random search, warm-started from the
    /// previous evaluation's matches, within the target's classes.
    case patchmatch

    /// PatchMatch: at 512x384, 40-46x faster than exact at conv3_1 (15-17x at conv4_1) with a
    /// mean score within 0.8% of exact's; one synthesis phase with it reaches, re-matched
    /// exactly, a style loss within 2% of exact's (or lower) on three style/doodle pairs
    /// (`doodle bench match`).
    public static let `default` = MatcherKind.patchmatch

    /// A matcher for one style bank. It is kept for a whole phase, so it may carry state
    /// from one evaluation to the next.
    public func make(style: PatchBank, variety: Float) -> PatchMatcher {
        switch self {
        case .exact: return ExactPatchMatcher(style: style, variety: variety)
        case .classes: return ClassRestrictedMatcher(style: style, variety: variety)
        case .patchmatch: return PatchMatchMatcher(style: style, variety: variety)
        }
    }
}
