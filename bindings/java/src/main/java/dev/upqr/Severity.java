package dev.upqr;

/** How bad a {@link Diagnostic} is: a warning leaves the input valid, an error does not. */
public enum Severity {
    WARNING,
    ERROR
}
