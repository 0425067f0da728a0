import Dispatch

/// Seconds from `a` to `b`.
public func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double {
    Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
}

/// The middle value (the mean of the two middle ones for an even count); NaN when empty.
/// Timings are quoted as medians: one slow run on a shared machine does not move them.
public func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
