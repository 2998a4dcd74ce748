package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LimitsTest {
    @Test
    void javaConstantsAgreeWithTheLoadedLibrary() {
        for (int i = 0; i < Limits.ALL.length; i++) {
            assertEquals(Limits.ALL[i], Limits.nativeValue(i), "limit #" + i);
        }
        assertEquals(-1, Limits.nativeValue(Limits.ALL.length), "the C list has no more entries");
        assertEquals(Limits.SCAN_MAX_PIXELS, Limits.scanMaxPixels());
        assertEquals(Limits.MPM_INPUT_MAX, Limits.mpmInputMax());
        assertEquals(Limits.QR_MODULES_MAX, Limits.qrModulesMax());
        assertEquals(Limits.ACP_SIGNATURE_MAX, Limits.acpSignatureMax());
    }

    @Test
    void versionAndStatusNames() {
        assertTrue(Upqr.version().matches("\\d+\\.\\d+\\.\\d+"), Upqr.version());
        String[] v = Upqr.version().split("\\.");
        assertEquals((Integer.parseInt(v[0]) << 16) | (Integer.parseInt(v[1]) << 8) | Integer.parseInt(v[2]),
                Upqr.versionNumber());
        assertEquals("UPQR_EBUFSIZE", Upqr.statusName(UpqrException.EBUFSIZE));
        assertEquals("UPQR_ECERT", Upqr.statusName(UpqrException.ECERT));
        assertEquals("UPQR_UNKNOWN", Upqr.statusName(-1000));
    }

    @Test
    void everyJavaStatusConstantHasItsCName() throws IllegalAccessException {
        for (java.lang.reflect.Field f : UpqrException.class.getFields()) {
            if (f.getType() == int.class) {
                assertEquals("UPQR_" + f.getName(), Upqr.statusName(f.getInt(null)), f.getName());
            }
        }
    }
}
