/// The alphabet of the identifiers Hookline takes from outside and puts into logs, file names and keys
/// unescaped: ASCII letters, digits, '-' and '_'. Call ids (Interactly's, and what `hookline send --call-id`
/// takes) must also start with a letter or digit and are at most 128 bytes; request ids (`x-request-id`) may
/// start with '-' or '_' and are at most 64 bytes.
package enum IdentifierAlphabet {
    @inlinable package static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
    }

    @inlinable package static func contains(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// Whether `bytes` is 1 to `maxLength` bytes of the alphabet, the first a letter or digit when
    /// `alphanumericFirst`.
    @inlinable package static func isIdentifier<Bytes: Collection<UInt8>>(_ bytes: Bytes, maxLength: Int, alphanumericFirst: Bool) -> Bool {
        guard let first = bytes.first, bytes.count <= maxLength, !alphanumericFirst || isAlphanumeric(first) else { return false }
        return bytes.allSatisfy(contains)
    }
}
