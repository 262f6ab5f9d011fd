/// An appended event as the body segments keep it: its row's fields, then its body. The segment file is the
/// journal's log: an append is acknowledged once its record is synced there, before the database commit
/// that indexes it is synced, and after a crash of the machine `SQLiteJournal` puts back from the records
/// the rows that the database lost (`SQLiteJournal+Recovery.swift`).
///
/// One record, little-endian:
///
///     0   magic "HLE1"                 16  checksum (of every other byte of the record)
///     4   header length (to the body)  24  event id (0: the append was a duplicate)
///     8   body length                  32  received at (epoch ms)
///     12  state (1 byte), 3 zeros      40  endpoint, type, call id, dedup key, request id, warnings:
///                                          each a 4-byte length and UTF-8 (warnings: 0xFFFFFFFF when none)
///
/// ```swift
/// var entry = LoggedEvent(event)
/// entry.id = storedID                      // known once the row is inserted
/// let bytes = entry.header() + entry.body  // what the segment holds
/// let again = LoggedEvent.decode(bytes[...])
/// ```
struct LoggedEvent: Sendable {
    static let magic: [UInt8] = Array("HLE1".utf8)
    static let fixedHeader = 40
    private static let noWarnings = UInt32.max

    var id: Int64 = 0
    let event: NewEvent
    /// The warnings column's text, as the row stores it.
    let warningsText: String?
    let headerLength: Int

    init(_ event: NewEvent, id: Int64 = 0) {
        self.event = event
        self.id = id
        warningsText = event.warnings.isEmpty ? nil : encodeStrings(event.warnings)
        headerLength = Self.fixedHeader
            + Self.strings(of: event, warningsText).reduce(0) { $0 + 4 + ($1?.utf8.count ?? 0) }
    }

    var body: [UInt8] { event.body }

    private static func strings(of event: NewEvent, _ warningsText: String?) -> [String?] {
        [event.endpoint, event.type, event.callID, event.dedupKey, event.requestID, warningsText]
    }

    var recordLength: Int { headerLength + event.body.count }

    /// The header, checksum included.
    func header() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerLength)
        bytes += Self.magic
        bytes.appendLittleEndian(UInt32(headerLength))
        bytes.appendLittleEndian(UInt32(event.body.count))
        bytes += [stateCode, 0, 0, 0]
        bytes.appendLittleEndian(UInt64(0))  // the checksum, filled in below
        bytes.appendLittleEndian(UInt64(bitPattern: id))
        bytes.appendLittleEndian(UInt64(bitPattern: event.receivedAt))
        for string in Self.strings(of: event, warningsText) {
            guard let string else {
                bytes.appendLittleEndian(Self.noWarnings)
                continue
            }
            bytes.appendLittleEndian(UInt32(string.utf8.count))
            bytes += string.utf8
        }
        let checksum = Self.checksum(header: bytes, body: event.body)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: checksum.littleEndian, toByteOffset: 16, as: UInt64.self) }
        return bytes
    }

    /// The record at the start of `bytes`, with its length; nil when no whole record with a matching checksum
    /// starts there (nothing was written, or a crash tore the write).
    static func decode(_ bytes: ArraySlice<UInt8>) -> (entry: LoggedEvent, length: Int)? {
        guard bytes.count >= fixedHeader, bytes.prefix(4).elementsEqual(magic) else { return nil }
        let start = bytes.startIndex
        func integer<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
            var value: T = 0
            withUnsafeMutableBytes(of: &value) { target in
                for index in 0..<MemoryLayout<T>.size { target[index] = bytes[start + offset + index] }
            }
            return T(littleEndian: value)
        }
        let headerLength = Int(integer(at: 4, as: UInt32.self))
        let bodyLength = Int(integer(at: 8, as: UInt32.self))
        guard headerLength >= fixedHeader, headerLength <= bytes.count, bodyLength <= bytes.count - headerLength,
              let state = state(bytes[start + 12]) else { return nil }
        var header = Array(bytes[start..<start + headerLength])
        for index in 16..<24 { header[index] = 0 }
        let body = Array(bytes[start + headerLength..<start + headerLength + bodyLength])
        guard checksum(header: header, body: body) == integer(at: 16, as: UInt64.self) else { return nil }

        var cursor = fixedHeader
        var strings: [String?] = []
        for _ in 0..<6 {
            guard cursor + 4 <= headerLength else { return nil }
            let length = integer(at: cursor, as: UInt32.self)
            cursor += 4
            if length == noWarnings {
                strings.append(nil)
                continue
            }
            guard cursor + Int(length) <= headerLength else { return nil }
            strings.append(String(decoding: header[cursor..<cursor + Int(length)], as: UTF8.self))
            cursor += Int(length)
        }
        guard cursor == headerLength, let endpoint = strings[0], let type = strings[1], let callID = strings[2],
              let dedupKey = strings[3], let requestID = strings[4] else { return nil }
        let event = NewEvent(receivedAt: Int64(bitPattern: integer(at: 32, as: UInt64.self)), endpoint: endpoint, type: type,
                             callID: callID, dedupKey: dedupKey, requestID: requestID, body: body,
                             warnings: decodeStrings(strings[5]), state: state)
        return (LoggedEvent(event, id: Int64(bitPattern: integer(at: 24, as: UInt64.self))), headerLength + bodyLength)
    }

    private var stateCode: UInt8 { UInt8(EventState.allCases.firstIndex(of: event.state)! + 1) }

    private static func state(_ code: UInt8) -> EventState? {
        (1...EventState.allCases.count).contains(Int(code)) ? EventState.allCases[Int(code) - 1] : nil
    }

    private static func checksum(header: [UInt8], body: [UInt8]) -> UInt64 {
        let headerSum = header.withUnsafeBytes { RecordChecksum.of($0) }
        return body.withUnsafeBytes { RecordChecksum.of($0, seed: headerSum) }
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
