package dev.upqr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the repository's test data (the suite runs from the repository root). */
final class TestFiles {
    private TestFiles() {
    }

    static Path root() {
        return Path.of(System.getProperty("upqr.root", "."));
    }

    static Path data(String name) {
        return root().resolve("tests/data").resolve(name);
    }

    /** The generated test PKI (make pki). */
    static Path pki(String name) {
        return root().resolve("build/pki").resolve(name);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + p, e);
        }
    }

    static final String ANNEX_B = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
            + "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
            + "540523.7253031565502016233030412340603***0708A60086670902ME91320016A011223344"
            + "9988770708123456786304A13A";
}
