package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The acquirer client from Java against upqr-sim: each test starts the
 * simulator on 127.0.0.1:0 (state in memory), reads its ready line, runs its
 * orders and stops it afterwards; a notification receiver on another
 * loopback port hands UnionPay's notifications to a second client sharing
 * the journal file. The query loop is time-scaled (1..32 ms).
 */
class AcquirerTest {
    private static final String QRNO = "6225123456789012345";

    private Process sim;
    private String ready;
    private Path dir;
    private HttpServer receiver;
    private volatile AcquirerClient rx;
    private final List<byte[]> bodies = new CopyOnWriteArrayList<>();
    private final List<AcquirerClient.Notification> notices = new CopyOnWriteArrayList<>();

    private static Path simBinary() {
        return TestFiles.root().resolve(System.getProperty("upqr.build", "build")).resolve("bin/upqr-sim");
    }

    @BeforeEach
    void start() throws Exception {
        assumeTrue(Files.isExecutable(simBinary()), simBinary() + " not built (make sim)");
        assumeTrue(Files.exists(TestFiles.pki("merchant.pfx")), "test PKI not generated (make pki)");
        dir = Files.createTempDirectory("upqr-java-acq");
        Path cfg = dir.resolve("sim.json");
        // QR codes live 10 h of simulator time even on a slow machine; no query rate limit.
        Files.writeString(cfg, "{\"queryLimitPerMinute\": 1000000, \"qrTtlSeconds\": 36000}\n");
        ProcessBuilder pb = new ProcessBuilder(simBinary().toString(), "--listen", "127.0.0.1:0", "--state",
                ":memory:", "--pki", TestFiles.pki("").toString(), "--config", cfg.toString(),
                "--time-scale", "600");
        pb.redirectError(dir.resolve("sim.log").toFile());
        sim = pb.start();
        BufferedReader r = new BufferedReader(new InputStreamReader(sim.getInputStream(), StandardCharsets.UTF_8));
        ready = r.readLine();
        assertNotNull(ready, "upqr-sim printed no ready line: " + Files.readString(dir.resolve("sim.log")));
        assertTrue(ready.contains("\"ready\":true"), ready);

        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/notify", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            AcquirerClient c = rx;
            int status = 503;
            if (c != null) {
                AcquirerClient.Notification n = c.handleNotification(body, ex.getRequestURI().getRawQuery());
                bodies.add(body);
                notices.add(n);
                status = n.httpStatus();
            }
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        receiver.start();
        rx = AcquirerClient.open(options());
    }

    @AfterEach
    void stop() throws Exception {
        if (receiver != null) {
            receiver.stop(0);
        }
        if (rx != null) {
            rx.close();
        }
        if (sim != null) {
            sim.destroy(); // SIGTERM: the simulator exits at once
            if (!sim.waitFor(10, TimeUnit.SECONDS)) {
                sim.destroyForcibly().waitFor();
            }
            assertFalse(sim.isAlive(), "upqr-sim still running");
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A string field of the ready line. */
    private String field(String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\"([^\"]*)\"").matcher(ready);
        assertTrue(m.find(), key + " not in " + ready);
        return m.group(1);
    }

    private String journalPath() {
        return dir.resolve("journal.db").toString();
    }

    /** A client of the simulator's first merchant, with the journal. */
    private AcquirerClient.Options options() {
        Signer.Options s = new Signer.Options()
                .pkcs12(Path.of(field("pfx")), field("pfxPassword").toCharArray())
                .encryptCertificate(Path.of(field("encryptCert")));
        // The simulator signs with the test-environment CN.
        Verifier.Options v = new Verifier.Options().trust(Path.of(field("rootCert")), Path.of(field("middleCert")))
                .testEnvironment(true);
        return new AcquirerClient.Options(field("merId"), field("baseUrl"), s, v)
                .journal(new Journal.Options(journalPath()).leaseMs(2000))
                .backUrl("http://127.0.0.1:" + receiver.getAddress().getPort() + "/notify?shop=1")
                .testEnvironment(true).timeouts(5000, 5000).timeDivisor(1000);
    }

    private Optional<Journal.State> journalState(String orderId) {
        try (Journal j = Journal.open(journalPath())) {
            return j.find(field("merId"), orderId).map(Journal.Record::state);
        }
    }

    /** Waits up to 5 s for the journal record of orderId to reach state. */
    private boolean waitState(String orderId, Journal.State state) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (journalState(orderId).orElse(null) == state) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    private HttpResponse<String> post(String path, String form) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(field("baseUrl") + path))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }

    private void fault(String orderId, String name, String value) throws Exception {
        HttpResponse<String> r = post("/__sim/faults", "scope=order&key=" + orderId + "&fault=" + name
                + "&value=" + value);
        assertEquals(200, r.statusCode(), r.body());
    }

    // ---- the tests -------------------------------------------------------------------

    /** Apply for a QR code, the payer pays it at the simulator, the notification is booked, resolve says SUCCESS. */
    @Test
    void applyQrPayResolve() throws Exception {
        try (AcquirerClient acq = AcquirerClient.open(options())) {
            AcquirerClient.Result a = acq.applyQr(500);
            assertEquals(AcquirerClient.Outcome.SUCCESS, a.outcome(), a.toString());
            assertTrue(a.qrCode().startsWith("https://qr.95516.com/"), a.qrCode());
            assertEquals(28, a.orderId().length());
            assertEquals(500, a.txnAmt());
            Journal.Record rec = acq.journalRecord(a.orderId()).orElseThrow();
            assertEquals(Journal.State.ACCEPTED, rec.state());
            assertEquals(Journal.Kind.APPLY_QR, rec.kind());
            assertEquals(500, rec.amount());
            // Issued, not paid: a query says unknown, never success.
            assertEquals(AcquirerClient.Outcome.UNKNOWN, acq.query(a.orderId(), a.txnTime()).outcome());

            HttpResponse<String> paid = post("/__sim/pay", "qrCode="
                    + URLEncoder.encode(a.qrCode(), StandardCharsets.UTF_8) + "&outcome=success");
            assertEquals(200, paid.statusCode(), paid.body());
            assertTrue(waitState(a.orderId(), Journal.State.SUCCESS), "the notification was not booked");
            AcquirerClient.Result r = acq.resolve(a.orderId(), a.txnTime());
            assertEquals(AcquirerClient.Outcome.SUCCESS, r.outcome(), r.toString());
            assertEquals(a.orderId(), r.orderId());
            assertEquals(21, r.queryId().length());
            assertEquals(500, r.txnAmt());
        }
        // The receiver's client verified and booked it.
        assertFalse(notices.isEmpty());
        AcquirerClient.Notification n = notices.get(0);
        assertEquals(200, n.httpStatus());
        assertTrue(n.verified());
        assertTrue(n.result().isSuccess(), n.toString());
        assertNull(n.error());
        // The same notification again: acknowledged, booked once.
        AcquirerClient.Notification again = rx.handleNotification(bodies.get(0), "shop=1");
        assertEquals(200, again.httpStatus());
        assertTrue(again.duplicate());
        // Tampered (the amount changed after signing): rejected, never success.
        String text = new String(bodies.get(0), StandardCharsets.UTF_8);
        assertTrue(text.contains("txnAmt=500"), text);
        AcquirerClient.Notification forged = rx.handleNotification(
                text.replace("txnAmt=500", "txnAmt=501").getBytes(StandardCharsets.UTF_8), null);
        assertEquals(400, forged.httpStatus());
        assertFalse(forged.verified());
        assertFalse(forged.result().isSuccess());
        assertTrue(forged.error() instanceof MessageSecurityException, String.valueOf(forged.error()));
    }

    /** A qrNo consume, then refunds: the journal refuses the one beyond the payment before sending it; a void. */
    @Test
    void consumeQrNoRefundVoid() {
        try (AcquirerClient acq = AcquirerClient.open(options())) {
            AcquirerClient.Result p = acq.consumeQrNo(QRNO, 1000);
            assertEquals(AcquirerClient.Outcome.SUCCESS, p.outcome(), p.toString());
            assertTrue(p.accepted());
            assertEquals(21, p.queryId().length());
            assertEquals(Optional.of(Journal.State.SUCCESS), journalState(p.orderId()));
            assertEquals(Journal.Kind.CONSUME_QRNO, acq.journalRecord(p.orderId()).orElseThrow().kind());

            AcquirerClient.Result r1 = acq.refund(new AcquirerClient.Undo(300).original(p.orderId(), p.txnTime()));
            assertTrue(r1.isSuccess(), r1.toString());
            JournalException e = assertThrows(JournalException.class,
                    () -> acq.refund(new AcquirerClient.Undo(800).original(p.orderId(), p.txnTime())));
            assertEquals(UpqrException.EOVERREFUND, e.status());
            assertEquals("UPQR_EOVERREFUND", e.statusName());
            AcquirerClient.Result r2 = acq.refund(new AcquirerClient.Undo(700).origQueryId(p.queryId())
                    .original(p.orderId(), null));
            assertTrue(r2.isSuccess(), r2.toString());
            assertEquals(Optional.of(Journal.State.REFUNDED), journalState(p.orderId()));
            assertEquals(1000, acq.journalRecord(p.orderId()).orElseThrow().refundedTotal());

            AcquirerClient.Result second = acq.consumeQrNo(QRNO, 800);
            assertTrue(second.isSuccess(), second.toString());
            AcquirerClient.Result v = acq.voidOrder(new AcquirerClient.Undo(800).origQueryId(second.queryId())
                    .original(second.orderId(), null));
            assertTrue(v.isSuccess(), v.toString());
            assertEquals(Optional.of(Journal.State.VOIDED), journalState(second.orderId()));
        }
    }

    /** The encryption-certificate update (95/00), then sensitive fields: the card number never shows unmasked. */
    @Test
    void encryptionCertificateAndSensitiveFields() {
        try (AcquirerClient acq = AcquirerClient.open(options())) {
            AcquirerClient.EncryptCertUpdate u = acq.updateEncryptionCertificate();
            assertTrue(u.result().isSuccess(), u.result().toString());
            assertTrue(u.pem().contains("-----BEGIN CERTIFICATE-----"), u.pem());
            assertTrue(u.result().encryptCertId().matches("[0-9]+"), u.result().encryptCertId());
            String pan = "6216261000000000018";
            AcquirerClient.Result r = acq.consume(QRNO, null, 99, null, null, null, null,
                    new AcquirerClient.Sensitive().accNo(pan).phoneNo("13552535506").cvn2("123").expired("2912"));
            assertTrue(r.isSuccess(), r.toString());
            assertFalse(r.toString().contains(pan), r.toString());
            if (!r.accNoMasked().isEmpty()) {
                assertTrue(r.accNoMasked().contains("*"), r.accNoMasked());
            }
        }
    }

    /** A consume with an EMV CPM payload generated in Java from the test profile; the replayed code is refused. */
    @Test
    void consumeCpm() {
        String code;
        try (CpmProfile p = CpmProfile.parse(TestFiles.read(TestFiles.data("cpm-profile.json")));
                EmvKey mk = p.key()) {
            code = Cpm.generate(mk, p, 5, new Cpm.Txn().amount(1200)).text();
        }
        try (AcquirerClient acq = AcquirerClient.open(options())) {
            AcquirerClient.Result paid = acq.consumeCpm(code, 1200, null, null);
            assertEquals(AcquirerClient.Outcome.SUCCESS, paid.outcome(), paid.toString());
            assertEquals(Journal.Kind.CONSUME_CPM, acq.journalRecord(paid.orderId()).orElseThrow().kind());
            AcquirerClient.Result replay = acq.consumeCpm(code, 1200, null, null);
            assertEquals(AcquirerClient.Outcome.FAILED, replay.outcome(), replay.toString());
            assertFalse(replay.respCode().isEmpty());
        }
    }

    /**
     * The gateway answers 05 to the consume: the query loop learns the final
     * SUCCESS. Notifications are refused (503) so that a booked one cannot
     * decide it before the first query.
     */
    @Test
    void faultResolvedByQueryLoop() throws Exception {
        AcquirerClient receiving = rx;
        rx = null;
        receiving.close();
        try (AcquirerClient acq = AcquirerClient.open(options())) {
            String orderId = acq.newOrderId();
            fault(orderId, "resp", "05");
            AcquirerClient.Result r = acq.consumeQrNo(QRNO, 2000, orderId, null);
            assertEquals(AcquirerClient.Outcome.SUCCESS, r.outcome(), r.toString());
            assertFalse(r.accepted());
            assertFalse(r.reversed());
            assertTrue(r.queries() >= 1, r.toString());
            assertEquals("00", r.respCode());
            assertEquals(21, r.queryId().length());
            assertEquals(Optional.of(Journal.State.SUCCESS), journalState(orderId));
        }
    }

    /** Forged replies (bad signature, self-signed certificate) to an order never settled: never SUCCESS. */
    @Test
    void tamperedReplyNeverSuccess() throws Exception {
        try (AcquirerClient acq = AcquirerClient.open(options())) {
            for (String[] f : new String[][] {{"badsig", "1"}, {"cert", "selfsigned"}}) {
                String orderId = acq.newOrderId();
                fault(orderId, f[0], f[1]);
                fault(orderId, "outcome", "pending");
                AcquirerClient.Result r = acq.consumeQrNo(QRNO, 3000, orderId, null);
                assertNotEquals(AcquirerClient.Outcome.SUCCESS, r.outcome(), f[0] + ": " + r);
                assertFalse(r.accepted());
                Journal.State state = journalState(orderId).orElseThrow();
                assertNotEquals(Journal.State.SUCCESS, state);
            }
        }
    }

    /** An order left unknown by a sync-only client (notification refused) is settled by recovery. */
    @Test
    void syncOnlyThenRecover() throws Exception {
        AcquirerClient receiving = rx;
        rx = null; // the receiver answers 503: the notification is not booked
        receiving.close();
        try (AcquirerClient acq = AcquirerClient.open(options().syncOnly(true))) {
            String orderId = acq.newOrderId();
            fault(orderId, "resp", "05");
            AcquirerClient.Result r = acq.consumeQrNo(QRNO, 4000, orderId, null);
            assertEquals(AcquirerClient.Outcome.UNKNOWN, r.outcome(), r.toString());
            assertEquals("05", r.respCode());
            assertEquals(0, r.queries());
            assertEquals(0, r.cause(), "a verified 05 is an answer, not a failure");
            assertEquals(Journal.State.UNKNOWN, acq.journalRecord(orderId).orElseThrow().state());
            AcquirerClient.RecoverStats st = acq.recover();
            assertTrue(st.claimed() >= 1, st.toString());
            assertEquals(0, st.unknown(), st.toString());
            assertEquals(Optional.of(Journal.State.SUCCESS), journalState(orderId));
        }
    }

    /** Bad options and requests throw the right exception and send nothing. */
    @Test
    void badInput() {
        UpqrException e = assertThrows(UpqrException.class,
                () -> AcquirerClient.open(new AcquirerClient.Options("12345", field("baseUrl"),
                        options().signer, options().verifier)));
        assertEquals(UpqrException.EINVAL, e.status());
        assertTrue(e.getMessage().contains("mer_id must be 15 digits"), e.getMessage());
        e = assertThrows(UpqrException.class, () -> AcquirerClient.open(new AcquirerClient.Options(field("merId"),
                "http://example.com", options().signer, options().verifier)));
        assertEquals(UpqrException.EINVAL, e.status());
        assertTrue(e.getMessage().contains("base_url"), e.getMessage());
        e = assertThrows(UpqrException.class, () -> AcquirerClient.open(options().backoffMs(new int[17])));
        assertEquals(UpqrException.EINVAL, e.status());
        AcquirerClient.Options wrongPw = new AcquirerClient.Options(field("merId"), field("baseUrl"),
                new Signer.Options().pkcs12(Path.of(field("pfx")), "wrong".toCharArray()), options().verifier);
        e = assertThrows(MessageSecurityException.class, () -> AcquirerClient.open(wrongPw));
        assertEquals(UpqrException.EPASSWORD, e.status());
        e = assertThrows(UpqrException.class, () -> Journal.open(new Journal.Options(dir.resolve("none.db")
                .toString()).create(false)));
        assertEquals(UpqrException.ENOTFOUND, e.status());

        try (AcquirerClient acq = AcquirerClient.open(options())) {
            e = assertThrows(UpqrException.class, () -> acq.consumeQrNo("1234", 100));
            assertEquals(UpqrException.EINVAL, e.status());
            e = assertThrows(UpqrException.class, () -> acq.consumeQrNo(QRNO, -5));
            assertEquals(UpqrException.EINVAL, e.status());
            e = assertThrows(UpqrException.class, () -> acq.consume(QRNO, "AAAA", 100, null, null, null, null,
                    null));
            assertEquals(UpqrException.EINVAL, e.status());
            e = assertThrows(InvalidInputException.class, () -> acq.consumeQrNo(QRNO, 100, "abc\0def", null));
            assertEquals(UpqrException.EENCODING, e.status());
            e = assertThrows(UpqrException.class, () -> acq.query("x", null));
            assertEquals(UpqrException.EINVAL, e.status());
            // A body that is not a notification: rejected with 400, nothing booked.
            AcquirerClient.Notification n = acq.handleNotification("a=b".getBytes(StandardCharsets.UTF_8), null);
            assertEquals(400, n.httpStatus());
            assertFalse(n.verified());
            assertNotNull(n.error());
            assertFalse(n.result().isSuccess());
        }
        assertEquals(Optional.empty(), journalState("NOSUCHORDER0001"));
    }

    /** close twice, use after close; the owned journal, signer and verifier go with the client. */
    @Test
    void closeTwiceAndUseAfterClose() {
        long freed = NativeResource.FREED.get();
        AcquirerClient acq = AcquirerClient.open(options());
        acq.close();
        acq.close();
        assertTrue(acq.isClosed());
        // The client, then its signer, verifier and journal: each freed once.
        assertTrue(NativeResource.FREED.get() - freed >= 4);
        assertThrows(IllegalStateException.class, () -> acq.consumeQrNo(QRNO, 100));
        assertThrows(IllegalStateException.class, () -> acq.query("20261207120000000001abcdefgh", "20261207120000"));
        assertThrows(IllegalStateException.class, () -> acq.handleNotification(new byte[0], null));
        assertThrows(IllegalStateException.class, acq::recover);
        assertThrows(IllegalStateException.class, acq::newOrderId);
        assertThrows(IllegalStateException.class, () -> acq.journalRecord("x"));
        Journal j = Journal.open(journalPath());
        j.close();
        j.close();
        assertThrows(IllegalStateException.class, () -> j.find(field("merId"), "x"));
        // Beijing time whatever the zone: the Unix epoch is 08:00 there.
        assertEquals("19700101080000", AcquirerClient.txnTime(Instant.EPOCH));
    }
}
