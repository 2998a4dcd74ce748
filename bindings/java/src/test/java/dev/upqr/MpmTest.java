package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MpmTest {
    static Stream<Arguments> publicVectors() throws java.io.IOException {
        List<Arguments> out = new ArrayList<>();
        for (String line : Files.readAllLines(TestFiles.data("mpm-public.tsv"))) {
            if (line.startsWith("#") || line.startsWith("source\t") || line.isBlank()) {
                continue;
            }
            String[] c = line.split("\t", -1);
            out.add(Arguments.of(c[0], c[2], c[4], c[5]));
        }
        assertTrue(out.size() >= 25, "vectors read: " + out.size());
        return out.stream();
    }

    /** Each public vector: the verdict, and exactly the listed diagnostic codes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("publicVectors")
    void publicVector(String source, String payload, String verdict, String codes) {
        Mpm.Payload p = Mpm.inspect(payload, Mpm.Profile.EMVCO);
        assertEquals("valid".equals(verdict), p.isValid(), source + ": " + p.diagnostics());
        TreeSet<String> want = new TreeSet<>();
        if (!"-".equals(codes)) {
            want.addAll(List.of(codes.split(",")));
        }
        TreeSet<String> got = p.diagnostics().stream().map(Diagnostic::code)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(want, got, source);
        if (p.isValid()) {
            assertEquals(payload, Mpm.decode(payload).text());
        } else {
            UpqrException e = assertThrows(InvalidInputException.class, () -> Mpm.decode(payload));
            assertEquals(p.status(), e.status());
            assertEquals(p.diagnostics(), e.diagnostics());
        }
    }

    /**
     * decode(String) makes its UTF-8 in the glue (eight ASCII units at a time,
     * then one by one): it must give exactly String.getBytes' bytes and the
     * same result as the byte[] entry point, at every position a non-ASCII
     * character can fall, for the stack and the heap buffers, and refuse an
     * unpaired surrogate with its index as Text.utf8 does.
     */
    @Test
    void stringDecodeMatchesTheUtf8Path() {
        String[] odd = { "\u00e9", "\u9eb5", "\ud842\udfb7", "\ud83d\ude00" };
        for (String c : odd) {
            for (int at = 0; at < 20; at++) {
                String name = ("ABCDEFGHIJKLMNOPQRST".substring(0, at) + c + "XYZ");
                String text = shop("SHOP", name).build();
                Mpm.Payload p = Mpm.decode(text);
                assertEquals(text, p.text());
                assertEquals(name, p.alternateMerchantName());
                assertEquals(p.characters(), Mpm.inspect(text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        Mpm.Profile.EMVCO).characters());
            }
        }
        // longer than the glue's stack buffers (1024 units) and than the array Java sizes (4096)
        for (int n : new int[] { 1100, 5000 }) {
            String big = "0".repeat(n) + "\u9eb5";
            Mpm.Payload p = Mpm.inspect(big, Mpm.Profile.EMVCO);
            assertEquals(big, p.text());
            assertFalse(p.isValid());
        }
        String[] bad = { "0002\uD800", "0002\uDC00AB", "00\uD800\uD800", "0".repeat(40) + "\uDFFF" };
        int[] index = { 4, 4, 2, 40 };
        for (int k = 0; k < bad.length; k++) {
            String t = bad[k];
            UpqrException e = assertThrows(UpqrException.class, () -> Mpm.inspect(t, Mpm.Profile.EMVCO));
            assertEquals(UpqrException.EENCODING, e.status());
            assertTrue(e.getMessage().contains("unpaired surrogate at index " + index[k]), e.getMessage());
        }
    }

    @Test
    void annexBNamedFields() {
        Mpm.Payload p = Mpm.decode(TestFiles.ANNEX_B);
        assertTrue(p.isValid());
        assertEquals(Mpm.Initiation.DYNAMIC, p.initiation());
        assertTrue(p.isDynamic());
        assertEquals("BEST TRANSPORT", p.merchantName());
        assertEquals("BEIJING", p.merchantCity());
        assertEquals("最佳运输", p.alternateMerchantName());
        assertEquals("北京", p.alternateMerchantCity());
        assertEquals("ZH", p.languagePreference());
        assertEquals("156", p.currency());
        assertEquals("CNY", p.currencyAlpha());
        assertEquals(2, p.currencyExponent());
        assertEquals(OptionalLong.of(2372), p.amountMinor());
        assertEquals("23.72", p.amountText());
        assertEquals(Mpm.Tip.PROMPT, p.tip());
        assertEquals("4111", p.merchantCategoryCode());
        assertEquals("CN", p.countryCode());
        assertEquals("1234", p.storeLabel());
        assertEquals("A6008667", p.terminalLabel());
        assertEquals("A13A", p.crc());
        assertEquals(0xA13A, p.crcComputed());
        assertEquals(2, p.accounts().size());
        assertEquals(29, p.accounts().get(0).id());
        assertEquals("D15600000000", p.accounts().get(0).guid());
        assertEquals("***", p.find("62.06").value());
        assertEquals("ME", p.find("62.09").value());
        assertNull(p.find("62.01"));
        assertNull(p.find("6x"));
        // offsets are UTF-8 byte offsets in the input, as in C
        int at = p.find("64").offset();
        assertEquals("64", new String(TestFiles.ANNEX_B.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                at, 2, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(248, p.characters());
    }

    private static Mpm.Builder shop(String name, String altName) {
        return new Mpm.Builder().initiation(Mpm.Initiation.STATIC)
                .accountTemplate(26, "A000000333", Map.of(1, "1234567890"))
                .merchantCategoryCode("5812").currency(156).countryCode("CN")
                .merchantName(name).merchantCity("SHANGHAI")
                .language("ZH", altName, "上海").additional(5, "REF-1");
    }

    /** Chinese and supplementary characters (U+20BB7, U+1F600) cross in both directions unchanged. */
    @Test
    void roundTripWithChineseAndSupplementaryCharacters() {
        String alt = "𠮷野家 上海店 😀";
        String payload = shop("YOSHINOYA", alt).build();
        Mpm.Payload p = Mpm.decode(payload);
        assertEquals(alt, p.alternateMerchantName());
        assertEquals("上海", p.alternateMerchantCity());
        assertEquals("YOSHINOYA", p.merchantName());
        assertEquals("REF-1", p.referenceLabel());
        assertEquals(Mpm.Initiation.STATIC, p.initiation());
        assertEquals("1234567890", p.find("26.01").value());
        assertEquals(payload, p.text());
        // and through set amount
        String dyn = Mpm.setAmount(payload, 12345);
        Mpm.Payload d = Mpm.decode(dyn);
        assertEquals(OptionalLong.of(12345), d.amountMinor());
        assertEquals("123.45", d.amountText());
        assertTrue(d.isDynamic());
        assertEquals(alt, d.alternateMerchantName());
    }

    @Test
    void builderAmountTipAndUnionPayId() {
        String payload = new Mpm.Builder().initiation(Mpm.Initiation.DYNAMIC)
                .accountTemplate(26, "A000000333", Map.of(1, "1234567890"))
                .unionPayId("12345678", "87654321", "MERCHANT0000001")
                .merchantCategoryCode("5812").currency(344).amount(1050).convenienceFee(200)
                .countryCode("HK").merchantName("DEMO").merchantCity("HONG KONG")
                .unreservedTemplate(80, "com.example", Map.of(1, "x"))
                .build(Mpm.Profile.UNIONPAY);
        Mpm.Payload p = Mpm.decode(payload, Mpm.Profile.UNIONPAY);
        assertEquals(OptionalLong.of(1050), p.amountMinor());
        assertEquals(Mpm.Tip.FIXED, p.tip());
        assertEquals(OptionalLong.of(200), p.convenienceFeeMinor());
        assertEquals("12345678", p.unionPayAcquirerIin());
        assertEquals("87654321", p.unionPayForwardingIin());
        assertEquals("MERCHANT0000001", p.unionPayMerchantId());
        assertEquals("HKD", p.currencyAlpha());
        assertEquals("x", p.find("80.01").value());
    }

    @Test
    void badInputsGiveTheRightExceptions() {
        // CRC only
        String bad = TestFiles.ANNEX_B.substring(0, TestFiles.ANNEX_B.length() - 4) + "0000";
        ChecksumException c = assertThrows(ChecksumException.class, () -> Mpm.decode(bad));
        assertEquals(UpqrException.ECHECKSUM, c.status());
        assertEquals("UPQR_ECHECKSUM", c.statusName());
        assertEquals("crc_mismatch", c.diagnostics().get(0).code());
        assertEquals(Severity.ERROR, c.diagnostics().get(0).severity());
        // structure
        InvalidInputException i = assertThrows(InvalidInputException.class, () -> Mpm.decode("garbage"));
        assertEquals(UpqrException.EINVALID, i.status());
        assertFalse(i.diagnostics().isEmpty());
        // too large: refused before decoding
        String huge = "0".repeat(Limits.MPM_INPUT_MAX + 1);
        UpqrException l = assertThrows(InvalidInputException.class, () -> Mpm.inspect(huge, Mpm.Profile.EMVCO));
        assertEquals(UpqrException.ELIMIT, l.status());
        // null
        UpqrException n = assertThrows(UpqrException.class, () -> Mpm.inspect((byte[]) null, Mpm.Profile.EMVCO));
        assertEquals(UpqrException.EINVAL, n.status());
        // text that is not UTF-8 / would be cut short in C
        UpqrException s = assertThrows(UpqrException.class, () -> Mpm.decode("0002\uD800"));
        assertEquals(UpqrException.EENCODING, s.status());
        UpqrException z = assertThrows(UpqrException.class, () -> shop("A\0B", "x").build());
        assertEquals(UpqrException.EENCODING, z.status());
        // encoder refuses a field that breaks a rule, naming it
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> shop("SHOP", "x").merchantCategoryCode("58A2").build());
        assertEquals(UpqrException.EINVALID, e.status());
        assertTrue(e.diagnostics().stream().anyMatch(d -> d.path().equals("52")), e.diagnostics().toString());
        // set amount on an invalid payload, negative amount
        assertThrows(InvalidInputException.class, () -> Mpm.setAmount(bad, 100));
        UpqrException neg = assertThrows(UpqrException.class, () -> Mpm.setAmount(TestFiles.ANNEX_B, -1));
        assertNotNull(neg.statusName());
        // bad template ID in the builder
        assertThrows(IllegalArgumentException.class, () -> new Mpm.Builder().account(100, "x"));
    }
}
