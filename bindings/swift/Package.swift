// swift-tools-version:5.9
//
// The Swift binding of upqr: module UPQR over the C library's public API
// (module CUPQR, a system-library target over <upqr.h>).
//
// Where libupqr comes from:
//   - In the source tree, after `make` (or `make lib`): ../../build/lib, or
//     $UPQR_BUILD/lib when UPQR_BUILD names another build directory (a path
//     relative to the repository root or absolute). Headers come from
//     ../../include and the tests run without LD_LIBRARY_PATH (an rpath to
//     that directory is embedded).
//   - Otherwise: an installed upqr found through pkg-config (`upqr.pc`, from
//     `make install`; set PKG_CONFIG_PATH for a non-standard prefix).
import Foundation
import PackageDescription

let repoRoot = URL(fileURLWithPath: Context.packageDirectory)
    .deletingLastPathComponent().deletingLastPathComponent().path
let buildDir: String = {
    let env = Context.environment["UPQR_BUILD"] ?? "build"
    return env.hasPrefix("/") ? env : repoRoot + "/" + env
}()
let libDir = buildDir + "/lib"
let inTree = FileManager.default.fileExists(atPath: libDir + "/libupqr.so")

// Flags for the in-tree library: -I for the clang importer, -L and an rpath
// for the linker. unsafeFlags are fine here: this package is a root package
// in the tree; apps that depend on it use an installed upqr (pkg-config) or
// the XCFramework described in README.md.
let treeSwift: [SwiftSetting] = inTree ? [.unsafeFlags(["-Xcc", "-I" + repoRoot + "/include"])] : []
let treeLink: [LinkerSetting] = inTree
    ? [.unsafeFlags(["-L" + libDir, "-Xlinker", "-rpath", "-Xlinker", libDir])] : []

let package = Package(
    name: "UPQR",
    products: [
        .library(name: "UPQR", targets: ["UPQR"]),
    ],
    targets: [
        .systemLibrary(name: "CUPQR", path: "Sources/CUPQR", pkgConfig: inTree ? nil : "upqr"),
        .target(name: "UPQR", dependencies: ["CUPQR"],
                swiftSettings: treeSwift, linkerSettings: treeLink),
        .testTarget(name: "UPQRTests", dependencies: ["UPQR"],
                    swiftSettings: treeSwift, linkerSettings: treeLink),
        // `make bench`: the Swift decode against the C call, release build.
        .executableTarget(name: "upqr-swift-bench", dependencies: ["UPQR", "CUPQR"],
                          swiftSettings: treeSwift, linkerSettings: treeLink),
    ]
)
