// upqr-swift-bench PAYLOADS - times MPM.decode (the Swift call: decode,
// validate, copy the result into a Swift value with its diagnostics) against
// upqr_mpm_decode called directly from the same program, over the payloads
// in the file PAYLOADS (one per line: `bench_mpm --payloads`, so the set is
// the one the C bench times). Prints RESULT lines for bench/run.sh:
//   swift_mpm_decode_ns    mean over the set of the best-of-7 time per call
//   swift_mpm_decode_c_ns  the same for the C call made from Swift
//   swift_mpm_decode_ratio the first over the second (target <= 2)
import CUPQR
import Foundation
import UPQR

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) }

/// Best-of-7 mean time per call of `body`, in ns.
func best(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    var bestNs = Double.infinity
    for _ in 0..<7 {
        let t0 = now()
        for _ in 0..<iterations { try body() }
        bestNs = min(bestNs, (now() - t0) / Double(iterations))
    }
    return bestNs
}

guard CommandLine.arguments.count == 2,
      let file = try? String(contentsOfFile: CommandLine.arguments[1], encoding: .utf8) else {
    FileHandle.standardError.write("usage: upqr-swift-bench PAYLOADS (one payload per line)\n".data(using: .utf8)!)
    exit(2)
}
let payloads = file.split(separator: "\n").map(String.init)
guard !payloads.isEmpty else { exit(2) }

let work = upqr_mpm_payload_new()!
defer { upqr_mpm_payload_free(work) }
var swiftSum = 0.0, cSum = 0.0
var sink = 0
print("payload   bytes     swift ns         C ns   ratio")
for (i, text) in payloads.enumerated() {
    let bytes = Array(text.utf8)
    guard (try? MPM.decode(text)) != nil else {
        FileHandle.standardError.write("bench: payload \(i + 1) does not decode as valid\n".data(using: .utf8)!)
        exit(1)
    }
    let iterations = bytes.count > 2000 ? 2000 : 20000
    let c = bytes.withUnsafeBufferPointer { buf in
        buf.withMemoryRebound(to: CChar.self) { chars in
            best(iterations) { sink &+= Int(upqr_mpm_decode(work, nil, chars.baseAddress, chars.count, nil)) }
        }
    }
    let s = try best(iterations) { sink &+= try MPM.decode(text).diagnostics.count }
    print(String(format: "%-8d %6d %12.1f %12.1f %7.2f", i + 1, bytes.count, s, c, s / c))
    swiftSum += s
    cSum += c
}
let n = Double(payloads.count)
print("sink \(sink)")
print(String(format: "RESULT swift_mpm_decode_ns %.3f ns", swiftSum / n))
print(String(format: "RESULT swift_mpm_decode_c_ns %.3f ns", cSum / n))
print(String(format: "RESULT swift_mpm_decode_ratio %.3f x", swiftSum / cSum))
