package dev.upqr;

import java.nio.charset.StandardCharsets;

/**
 * A QR symbol of a payment payload (EMV MPM 4.12.1: one byte-mode segment,
 * ECI 000026 when the text is not plain ASCII): the module matrix, and
 * images drawn from it as PNG bytes, SVG text, grey pixels or terminal
 * text. Immutable; encode once, draw as often as needed.
 */
public final class QrImage {
    /** Error-correction level. */
    public enum Ecc {
        L, M, Q, H
    }

    /** Rendering options (upqr_qr_options); immutable, with withers. */
    public static final class Options {
        final Ecc ecc;
        final int scale;
        final int margin;
        final boolean darkTheme;
        final int pngBitDepth;

        public Options() {
            this(Ecc.M, 8, 4, false, 8);
        }

        private Options(Ecc ecc, int scale, int margin, boolean darkTheme, int pngBitDepth) {
            this.ecc = ecc;
            this.scale = scale;
            this.margin = margin;
            this.darkTheme = darkTheme;
            this.pngBitDepth = pngBitDepth;
        }

        public Options ecc(Ecc e) {
            return new Options(e, scale, margin, darkTheme, pngBitDepth);
        }

        /** Pixels per module, 1..{@link Limits#QR_SCALE_MAX}. */
        public Options scale(int s) {
            return new Options(ecc, s, margin, darkTheme, pngBitDepth);
        }

        /** Quiet zone in modules, {@link Limits#QR_MARGIN_MIN}..{@link Limits#QR_MARGIN_MAX}. */
        public Options margin(int m) {
            return new Options(ecc, scale, m, darkTheme, pngBitDepth);
        }

        /** Terminal text for a dark background. */
        public Options darkTheme(boolean dark) {
            return new Options(ecc, scale, margin, dark, pngBitDepth);
        }

        /** 8 (default) or 1. */
        public Options pngBitDepth(int bits) {
            return new Options(ecc, scale, margin, darkTheme, bits);
        }

        int[] toArray() {
            return new int[] {ecc.ordinal(), scale, margin, darkTheme ? 1 : 0, pngBitDepth};
        }
    }

    private final byte[] modules;
    private final int size;
    private final int version;
    private final Ecc ecc;
    private final boolean eci;
    private final Options options;

    private QrImage(byte[] modules, int size, int version, Ecc ecc, boolean eci, Options options) {
        this.modules = modules;
        this.size = size;
        this.version = version;
        this.ecc = ecc;
        this.eci = eci;
        this.options = options;
    }

    /**
     * Encodes a payload with the default options.
     *
     * @throws ImageException ETOOLARGE when it does not fit version 40
     */
    public static QrImage encode(String payload) {
        return encode(payload, new Options());
    }

    public static QrImage encode(String payload, Options options) {
        Blob b = new Blob(Native.qrEncode(Text.utf8(payload), options.toArray())).check();
        int version = b.i32(), size = b.i32(), ecc = b.i32();
        boolean eci = b.i32() != 0;
        return new QrImage(b.bytes(), size, version, Ecc.values()[ecc], eci, options);
    }

    /** Symbol version 1..40. */
    public int version() {
        return version;
    }

    /** Modules per side (17 + 4 * version), without the quiet zone. */
    public int size() {
        return size;
    }

    public Ecc ecc() {
        return ecc;
    }

    /** True when the ECI 000026 (UTF-8) designator was added. */
    public boolean hasEci() {
        return eci;
    }

    /** True for a dark module at column x, row y. */
    public boolean isDark(int x, int y) {
        if (x < 0 || y < 0 || x >= size || y >= size) {
            throw new IndexOutOfBoundsException("module " + x + "," + y + " outside " + size);
        }
        return modules[y * size + x] != 0;
    }

    /** The module matrix, [row][column], true = dark. */
    public boolean[][] matrix() {
        boolean[][] m = new boolean[size][size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                m[y][x] = modules[y * size + x] != 0;
            }
        }
        return m;
    }

    private byte[] render(int format, Options o) {
        return new Blob(Native.qrRender(format, o.toArray(), modules, size)).check().bytes();
    }

    /** A PNG file (greyscale) with the encode options. */
    public byte[] png() {
        return render(2, options);
    }

    public byte[] png(Options o) {
        return render(2, o);
    }

    /** An SVG 1.1 document. */
    public String svg() {
        return new String(render(3, options), StandardCharsets.UTF_8);
    }

    /** Terminal half-block text, one line per two module rows. */
    public String text() {
        return new String(render(4, options), StandardCharsets.UTF_8);
    }

    /** 8-bit grey pixels, side x side, 0 dark, 255 light; side = {@link #imageSide()}. */
    public byte[] pixels() {
        return render(1, options);
    }

    /** Pixels per side of the images: (size + 2 * margin) * scale. */
    public int imageSide() {
        return (size + 2 * options.margin) * options.scale;
    }
}
