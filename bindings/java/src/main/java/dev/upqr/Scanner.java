package dev.upqr;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Finds QR payment codes in images and camera frames (ZBar) and checks
 * what each one is: an MPM payload, a CPM, a UnionPay URL, or other.
 * One thread at a time; close it (try-with-resources) when done.
 */
public final class Scanner extends NativeResource {
    /** What a symbol is. */
    public enum Kind {
        OTHER, MPM, CPM, UNIONPAY_URL
    }

    /** Scanner options (upqr_scan_options). */
    public static final class Options {
        long maxPixels;
        boolean tryHarder = true;
        boolean exhaustive;
        int maxPasses;
        Mpm.Profile profile = Mpm.Profile.EMVCO;
        boolean video;
        int frameBudgetUs;
        int dedupFrames = -1;

        /** Pixel cap, 0 = {@link Limits#SCAN_MAX_PIXELS}. */
        public Options maxPixels(long n) {
            maxPixels = n;
            return this;
        }

        /** Run the further passes when the plain one finds no valid code (default true). */
        public Options tryHarder(boolean b) {
            tryHarder = b;
            return this;
        }

        /** Run every pass and collect every distinct symbol (slow; for tools). */
        public Options exhaustive(boolean b) {
            exhaustive = b;
            return this;
        }

        /**
         * Most passes per scan, 0 = all; in camera mode, most passes per frame
         * (0 = as many as the frame budget allows).
         */
        public Options maxPasses(int n) {
            maxPasses = n;
            return this;
        }

        /**
         * Camera mode, for a live stream of frames from one camera: each frame
         * costs one plain ZBar pass plus at most the frame budget of further
         * passes, spread over successive frames; a code in view is reported
         * once (see {@link #dedupFrames}); a warm stream allocates nothing per frame.
         */
        public Options video(boolean b) {
            video = b;
            return this;
        }

        /**
         * Camera mode's budget beyond one ZBar pass, in the scanning thread's
         * processor time (microseconds); 0 (default) = the library's (at least
         * 8 ms, more on large frames, or what the plain pass leaves of a 60 fps frame).
         */
        public Options frameBudgetUs(int us) {
            if (us < 0) {
                throw new IllegalArgumentException("frameBudgetUs must not be negative");
            }
            frameBudgetUs = us;
            return this;
        }

        /**
         * Camera mode: a code seen in one of the last n frames is not reported
         * again (0 = report it on every frame). Default: the library's, 30
         * frames (about a second at 30 fps).
         */
        public Options dedupFrames(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("dedupFrames must not be negative");
            }
            dedupFrames = n;
            return this;
        }

        /** Rules MPM payloads are checked under. */
        public Options profile(Mpm.Profile p) {
            profile = p;
            return this;
        }
    }

    /** A point in image coordinates. */
    public record Point(int x, int y) {
    }

    /**
     * One symbol: its bytes exactly as encoded, what it is, whether it is a
     * valid payment code (status says why not), diagnostics, corners, the
     * pass that read it, and for a UnionPay URL the acquirer and id.
     */
    public record Symbol(byte[] data, Kind kind, boolean valid, int status, List<Diagnostic> diagnostics,
            List<Point> corners, String pass, String acquirer, String id) {
        /** The bytes as UTF-8 text. */
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private Scanner(long handle) {
        super(handle, Native::scannerFree);
    }

    public static Scanner open() {
        return open(new Options());
    }

    public static Scanner open(Options o) {
        Blob b = new Blob(Native.scannerNew(o.maxPixels, o.tryHarder, o.exhaustive, o.maxPasses,
                o.profile.ordinal(), o.video, o.frameBudgetUs, o.dedupFrames)).check();
        return new Scanner(b.i64());
    }

    /**
     * Camera mode: forgets the frames seen (a new scan session; codes still
     * in view are reported again). Buffers and cost measurements stay.
     */
    public synchronized void reset() {
        new Blob(Native.scannerReset(handle())).check();
    }

    /**
     * Scans a PNG or JPEG image. Every scan returns the symbols in image
     * order, or an empty list when there is none.
     *
     * @throws ImageException EIMAGE for a broken or unknown image; InvalidInputException ELIMIT
     *                        over the pixel cap
     */
    public List<Symbol> scanImage(byte[] image) {
        return scan(0, image, 0, 0, 0);
    }

    /** Scans an 8-bit grey frame: row y starts at y * stride. */
    public List<Symbol> scanGrey(byte[] pixels, int width, int height, int stride) {
        return scan(1, pixels, width, height, stride);
    }

    /**
     * Scans an Android NV21 camera frame (Y plane, then the interleaved VU
     * plane at half size), as {@code Camera.PreviewCallback} delivers it;
     * only the Y plane is read.
     */
    public List<Symbol> scanNv21(byte[] frame, int width, int height, int yStride) {
        return scan(2, frame, width, height, yStride);
    }

    private synchronized List<Symbol> scan(int kind, byte[] data, int w, int h, int stride) {
        Blob b = new Blob(Native.scan(handle(), kind, data, w, h, stride));
        if (b.status == UpqrException.ENOSYMBOL) {
            return Collections.emptyList(); // the usual answer for a camera frame, not an error
        }
        int n = b.check().i32();
        List<Symbol> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] bytes = b.bytes();
            Kind k = Kind.values()[b.i32()];
            boolean valid = b.i32() != 0;
            int status = b.i32();
            b.i32(); // the symbol's own head: status (above), message, diagnostics, dropped
            b.str();
            List<Diagnostic> diags = b.diagnosticList();
            b.i32();
            int corners = b.i32();
            List<Point> pts = new ArrayList<>(corners);
            for (int c = 0; c < corners; c++) {
                int x = b.i32();
                pts.add(new Point(x, b.i32()));
            }
            String pass = b.str();
            String acquirer = b.str();
            String id = b.str();
            out.add(new Symbol(bytes, k, valid, status, diags, Collections.unmodifiableList(pts), pass,
                    acquirer, id));
        }
        return Collections.unmodifiableList(out);
    }
}
