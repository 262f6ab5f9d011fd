/// Finds a duplicate among an object's many keys at once, once they are all read: each key is hashed with
/// the process's random seed (`Hasher`, so no body can be built whose keys collide), the hashes are
/// grouped by their top bits in one counting pass and one scatter, and keys are compared only within a
/// group. Every step reads memory in order or writes it, where a hash table waits for memory at each probe
/// (several times faster than a `Set` or an open-addressing table: `Benchmarks/NOTES.md`, "Finding duplicate
/// keys among many").
///
/// ```swift
/// let later = DuplicateKeys.first(count: keys.count, hash: { hash(keys[$0]) }, same: { sameKey(keys[$0], keys[$1]) })
/// ```
enum DuplicateKeys {
    /// The position of the first key (in document order) equal to an earlier one, or nil when all differ.
    static func first(count: Int, hash: (Int) -> Int, same: (_ earlier: Int, _ later: Int) -> Bool) -> Int? {
        guard count > 1 else { return nil }
        // about eight keys a group; 2^bits groups
        var bits = 1
        while (1 << bits) * 8 < count { bits += 1 }
        let groups = 1 << bits
        var hashes = [UInt64](repeating: 0, count: count)
        var starts = [Int32](repeating: 0, count: groups + 1)
        for position in 0..<count {
            let value = UInt64(bitPattern: Int64(hash(position)))
            hashes[position] = value
            starts[Int(value >> UInt64(64 - bits)) + 1] += 1
        }
        for group in 0..<groups { starts[group + 1] += starts[group] }
        // each group's keys in document order, with the low half of their hash to compare before the keys
        var entries = [Entry](repeating: Entry(tag: 0, position: 0), count: count)
        var next = starts
        for position in 0..<count {
            let group = Int(hashes[position] >> UInt64(64 - bits))
            entries[Int(next[group])] = Entry(tag: UInt32(truncatingIfNeeded: hashes[position]), position: Int32(position))
            next[group] += 1
        }
        var first: Int?
        for group in 0..<groups {
            let members = Int(starts[group])..<Int(starts[group + 1])
            search: for later in members {
                for earlier in members.lowerBound..<later
                where entries[earlier].tag == entries[later].tag && same(Int(entries[earlier].position), Int(entries[later].position)) {
                    first = min(first ?? .max, Int(entries[later].position))
                    break search  // the group's next duplicates come later in the document
                }
            }
        }
        return first
    }

    private struct Entry {
        var tag: UInt32
        var position: Int32
    }
}
