package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class QrScanTest {
    private static final String PAYLOAD = new Mpm.Builder().initiation(Mpm.Initiation.STATIC)
            .accountTemplate(26, "A000000333", Map.of(1, "1234567890")).merchantCategoryCode("5812")
            .currency(156).countryCode("CN").merchantName("NOODLE BAR").merchantCity("SHANGHAI")
            .language("ZH", "面馆 𠮷", "上海").build();

    @Test
    void renderPngThenScan() {
        QrImage qr = QrImage.encode(PAYLOAD);
        assertTrue(qr.hasEci(), "non-ASCII payload carries ECI 000026");
        assertEquals(17 + 4 * qr.version(), qr.size());
        byte[] png = qr.png();
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        try (Scanner s = Scanner.open()) {
            List<Scanner.Symbol> found = s.scanImage(png);
            assertEquals(1, found.size());
            Scanner.Symbol sym = found.get(0);
            assertEquals(Scanner.Kind.MPM, sym.kind());
            assertTrue(sym.valid(), sym.diagnostics().toString());
            assertEquals(PAYLOAD, sym.text());
            assertEquals(4, sym.corners().size());
            assertEquals("面馆 𠮷", Mpm.decode(sym.text()).alternateMerchantName());
        }
    }

    @Test
    void greyAndNv21Frames() {
        QrImage qr = QrImage.encode(PAYLOAD, new QrImage.Options().scale(3));
        byte[] grey = qr.pixels();
        int side = qr.imageSide();
        assertEquals(side * side, grey.length);
        // an NV21 frame as a camera delivers it: a wider Y plane (row stride), then VU at half size
        int stride = side + 16;
        byte[] nv21 = new byte[stride * side + stride * ((side + 1) / 2)];
        java.util.Arrays.fill(nv21, (byte) 128);
        for (int y = 0; y < side; y++) {
            System.arraycopy(grey, y * side, nv21, y * stride, side);
        }
        try (Scanner s = Scanner.open(new Scanner.Options().maxPasses(4))) {
            assertEquals(PAYLOAD, s.scanGrey(grey, side, side, side).get(0).text());
            assertEquals(PAYLOAD, s.scanNv21(nv21, side, side, stride).get(0).text());
            // a frame shorter than its geometry, and no VU plane
            UpqrException e = assertThrows(UpqrException.class, () -> s.scanGrey(grey, side, side + 1, side));
            assertEquals(UpqrException.EINVAL, e.status());
            UpqrException v = assertThrows(UpqrException.class,
                    () -> s.scanNv21(java.util.Arrays.copyOf(nv21, stride * side), side, side, stride));
            assertEquals(UpqrException.EINVAL, v.status());
        }
    }

    /**
     * Camera mode: a code held in view is reported once, again after reset(),
     * and on every frame with dedupFrames(0); NV21 frames go through it too.
     */
    @Test
    void cameraMode() {
        QrImage qr = QrImage.encode(PAYLOAD, new QrImage.Options().scale(3));
        byte[] grey = qr.pixels();
        int side = qr.imageSide();
        byte[] nv21 = java.util.Arrays.copyOf(grey, side * side + side * ((side + 1) / 2));
        try (Scanner s = Scanner.open(new Scanner.Options().video(true))) {
            assertEquals(PAYLOAD, s.scanGrey(grey, side, side, side).get(0).text());
            for (int i = 0; i < 5; i++) {
                assertTrue(s.scanGrey(grey, side, side, side).isEmpty(), "frame " + i + " repeats the code");
                assertTrue(s.scanNv21(nv21, side, side, side).isEmpty());
            }
            s.reset();
            assertEquals(1, s.scanNv21(nv21, side, side, side).size());
        }
        try (Scanner s = Scanner.open(new Scanner.Options().video(true).dedupFrames(0).frameBudgetUs(1))) {
            for (int i = 0; i < 3; i++) {
                assertEquals("plain", s.scanGrey(grey, side, side, side).get(0).pass());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new Scanner.Options().dedupFrames(-1));
        assertThrows(IllegalArgumentException.class, () -> new Scanner.Options().frameBudgetUs(-1));
    }

    @Test
    void svgTextAndMatrix() {
        QrImage qr = QrImage.encode("hello");
        assertFalse(qr.hasEci());
        assertTrue(qr.svg().contains("<svg"));
        String text = qr.text();
        assertEquals((qr.size() + 8 + 1) / 2, text.split("\n").length);
        boolean[][] m = qr.matrix();
        assertTrue(m[0][0] && qr.isDark(0, 0), "finder pattern corner is dark");
        assertFalse(m[1][1]);
        assertThrows(IndexOutOfBoundsException.class, () -> qr.isDark(qr.size(), 0));
        QrImage h = QrImage.encode("hello", new QrImage.Options().ecc(QrImage.Ecc.H));
        assertEquals(QrImage.Ecc.H, h.ecc());
    }

    @Test
    void scanTheRepositoryImages() throws java.io.IOException {
        try (Scanner s = Scanner.open()) {
            List<Scanner.Symbol> url = s.scanImage(Files.readAllBytes(TestFiles.data("scan-url.jpg")));
            assertEquals(Scanner.Kind.UNIONPAY_URL, url.get(0).kind());
            assertEquals(8, url.get(0).acquirer().length());
            List<Scanner.Symbol> bad = s.scanImage(Files.readAllBytes(TestFiles.data("scan-mpm-badcrc.png")));
            assertFalse(bad.get(0).valid());
            assertEquals(UpqrException.ECHECKSUM, bad.get(0).status());
            assertEquals("crc_mismatch", bad.get(0).diagnostics().get(0).code());
            assertTrue(s.scanImage(Files.readAllBytes(TestFiles.data("scan-blank.png"))).isEmpty());
        }
    }

    @Test
    void badInputsGiveTheRightExceptions() {
        UpqrException empty = assertThrows(UpqrException.class, () -> QrImage.encode(""));
        assertEquals(UpqrException.EINVAL, empty.status());
        ImageException big = assertThrows(ImageException.class, () -> QrImage.encode("x".repeat(3000)));
        assertEquals(UpqrException.ETOOLARGE, big.status());
        UpqrException scale = assertThrows(UpqrException.class,
                () -> QrImage.encode("x", new QrImage.Options().scale(0)));
        assertEquals(UpqrException.EINVAL, scale.status());
        UpqrException margin = assertThrows(UpqrException.class,
                () -> QrImage.encode("x").png(new QrImage.Options().margin(1)));
        assertEquals(UpqrException.EINVAL, margin.status());
        try (Scanner s = Scanner.open()) {
            ImageException img = assertThrows(ImageException.class, () -> s.scanImage(new byte[] {1, 2, 3}));
            assertEquals(UpqrException.EIMAGE, img.status());
            byte[] png = QrImage.encode("x").png();
            ImageException cut = assertThrows(ImageException.class,
                    () -> s.scanImage(java.util.Arrays.copyOf(png, png.length / 2)));
            assertEquals(UpqrException.EIMAGE, cut.status());
            UpqrException nul = assertThrows(UpqrException.class, () -> s.scanGrey(null, 1, 1, 1));
            assertEquals(UpqrException.EINVAL, nul.status());
        }
        try (Scanner small = Scanner.open(new Scanner.Options().maxPixels(100))) {
            UpqrException cap = assertThrows(UpqrException.class, () -> small.scanImage(QrImage.encode("x").png()));
            assertEquals(UpqrException.ELIMIT, cap.status());
        }
    }
}
