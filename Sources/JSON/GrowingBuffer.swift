#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable run of plain values in memory of its own, for the parser's tape and keys: appended to without
/// the checks an `Array` makes at each append (`swift_isUniquelyReferenced` alone was ~5% of a parse, perf).
/// Freed with it; `array` copies the values out.
///
/// ```swift
/// var tape = GrowingBuffer<TapeEntry>(capacity: 64)
/// tape.append(TapeEntry(kind: .null))
/// let entries = tape.array
/// ```
struct GrowingBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = malloc(self.capacity * MemoryLayout<Element>.stride)!.bindMemory(to: Element.self, capacity: self.capacity)
    }

    deinit { free(base) }

    @inline(__always) mutating func append(_ element: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Doubles the capacity with `realloc`, which moves the pages of a large buffer instead of copying them
    /// into fresh ones (the parse of a body of 466,000 keys, duplicates allowed, ~7.5 -> ~6 ms).
    @inline(never) private mutating func grow() {
        capacity *= 2
        base = realloc(base, capacity * MemoryLayout<Element>.stride)!.bindMemory(to: Element.self, capacity: capacity)
    }

    /// Drops the values from `newCount` on.
    @inline(__always) mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "a buffer is only ever shortened")
        count = newCount
    }

    subscript(position: Int) -> Element {
        @inline(__always) get { base[position] }
        @inline(__always) set { base[position] = newValue }
    }

    /// The values, copied into an array.
    var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
}
