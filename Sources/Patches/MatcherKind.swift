/// Which nearest-neighbour search the style loss uses (`--matcher`).
public enum MatcherKind: String, CaseIterable, Sendable {
    /// Every target patch against every style patch.
    case exact

    public static let `default` = MatcherKind.exact

    /// A matcher for one style bank. It is kept for a whole phase, so it may carry state
    /// from one evaluation to the next.
    public func make(style: PatchBank, variety: Float) -> PatchMatcher {
        switch self {
        case .exact: return ExactPatchMatcher(style: style, variety: variety)
        }
    }
}
