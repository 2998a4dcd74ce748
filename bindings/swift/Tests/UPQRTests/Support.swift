import Foundation
import UPQR
import XCTest

/// The repository root (this file is bindings/swift/Tests/UPQRTests/Support.swift).
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A path under the repository root.
func repoPath(_ relative: String) -> String { repoRoot.appendingPathComponent(relative).path }

/// The build directory the library came from ($UPQR_BUILD or build).
let buildDir: String = {
    let b = ProcessInfo.processInfo.environment["UPQR_BUILD"] ?? "build"
    return b.hasPrefix("/") ? b : repoPath(b)
}()

/// Runs a shell command and returns its stdout without one trailing newline.
func shell(_ command: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    p.currentDirectoryURL = repoRoot
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw NSError(domain: "shell", code: Int(p.terminationStatus),
                      userInfo: [NSLocalizedDescriptionKey: "failed: \(command)"])
    }
    var s = String(decoding: data, as: UTF8.self)
    if s.hasSuffix("\n") { s.removeLast() }
    return s
}

/// The rows of a tests/data TSV file (comments and the header skipped).
func tsvRows(_ relative: String) throws -> [[String: String]] {
    let text = try String(contentsOfFile: repoPath(relative), encoding: .utf8)
    var header: [String]? = nil
    var rows: [[String: String]] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
        let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        if let h = header {
            rows.append(Dictionary(uniqueKeysWithValues: zip(h, cols)))
        } else {
            header = cols
        }
    }
    return rows
}

/// Resident set size in KiB (Linux /proc), for the stable-memory check.
func residentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
    return 0
}

/// Asserts that `body` throws the UPQRError whose status name is `name`, and returns it.
@discardableResult
func assertThrowsStatus<T>(_ name: String, _ body: @autoclosure () throws -> T,
                           file: StaticString = #filePath, line: UInt = #line) -> UPQRError? {
    do {
        _ = try body()
        XCTFail("no error thrown; wanted \(name)", file: file, line: line)
    } catch let e as UPQRError {
        XCTAssertEqual(e.statusName, name, "\(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("threw \(error), wanted \(name)", file: file, line: line)
    }
    return nil
}
