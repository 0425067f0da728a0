/// A fixed-size allocation owned by one object (a matcher, a penalty), read by pointer.
final class Buffer<T> {
    let pointer: UnsafeMutablePointer<T>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<T>.allocate(capacity: max(1, count))
    }

    deinit { pointer.deallocate() }
}
