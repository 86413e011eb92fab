import Foundation

/// Bech32 (BIP 173) as age spells its keys: `age1…` recipients and `AGE-SECRET-KEY-1…` identities. No length limit
/// (age's keys are longer than BIP 173's 90 characters) and the original checksum constant (not Bech32m).
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let values: [UInt8: UInt8] = Dictionary(
        uniqueKeysWithValues: charset.enumerated().map { ($0.element, UInt8($0.offset)) }
    )

    /// The human-readable part (lower case) and the data bytes of `text`; nil when it is not valid Bech32
    /// (mixed case, a character outside the set, a bad checksum, bad padding).
    static func decode(_ text: String) -> (hrp: String, data: Data)? {
        let lower = text.lowercased()
        guard lower == text || text.uppercased() == text else { return nil }
        let bytes = Array(lower.utf8)
        guard let separator = bytes.lastIndex(of: UInt8(ascii: "1")), separator > 0, bytes.count - separator > 6
        else { return nil }
        let hrp = Array(bytes[..<separator])
        guard hrp.allSatisfy({ $0 >= 33 && $0 <= 126 }) else { return nil }
        var words: [UInt8] = []
        for byte in bytes[(separator + 1)...] {
            guard let value = values[byte] else { return nil }
            words.append(value)
        }
        guard polymod(expand(hrp) + words) == 1 else { return nil }
        guard let data = convert(Array(words.dropLast(6)), from: 5, to: 8, pad: false) else { return nil }
        return (String(decoding: hrp, as: UTF8.self), Data(data))
    }

    /// `data` as Bech32 with the human-readable part `hrp` (lower case).
    static func encode(hrp: String, data: Data) -> String {
        let hrpBytes = Array(hrp.utf8)
        let words = convert(Array(data), from: 8, to: 5, pad: true) ?? []
        let mod = polymod(expand(hrpBytes) + words + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((mod >> (5 * (5 - $0))) & 31) }
        return hrp + "1" + String(decoding: (words + checksum).map { charset[Int($0)] }, as: UTF8.self)
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> i) & 1 == 1 { checksum ^= generator[i] }
        }
        return checksum
    }

    private static func convert(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var result: [UInt8] = []
        let maxValue = (1 << to) - 1
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            accumulator = (accumulator << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                result.append(UInt8((accumulator >> bits) & maxValue))
            }
        }
        if pad {
            if bits > 0 { result.append(UInt8((accumulator << (to - bits)) & maxValue)) }
        } else if bits >= from || (accumulator << (to - bits)) & maxValue != 0 {
            return nil
        }
        return result
    }
}
