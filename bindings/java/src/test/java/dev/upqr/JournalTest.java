package dev.upqr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The order journal from Java: a SQLite file in a temporary directory. */
class JournalTest {
    private static final String MER = "777290058110048";
    private static final String TIME = "20261207120000";

    @TempDir
    Path dir;

    @Test
    void beginTransitionFindAndRefusals() {
        String path = dir.resolve("j.db").toString();
        try (Journal j = Journal.open(path)) {
            Journal.Record r = j.begin(Journal.Kind.CONSUME_QRNO, MER, "ORDER00000001", TIME, 1000, null, null);
            assertTrue(r.id() > 0);
            assertEquals(Journal.State.PENDING, r.state());
            assertEquals("156", r.currency());
            // The same orderId again: refused, nothing written.
            JournalException dup = assertThrows(JournalException.class,
                    () -> j.begin(Journal.Kind.CONSUME_QRNO, MER, "ORDER00000001", TIME, 1000, null, null));
            assertEquals(UpqrException.EDUPLICATE, dup.status());
            Journal.Record u = j.transition(r.id(), Journal.State.UNKNOWN, "05", null, "处理中", null);
            assertEquals(Journal.State.UNKNOWN, u.state());
            assertEquals("处理中", u.respMsg());
            Journal.Record s = j.transition(r.id(), Journal.State.SUCCESS, "00", "00", "成功",
                    "261207120000000000001");
            assertEquals(Journal.State.SUCCESS, s.state());
            assertTrue(s.state().isFinal());
            // Final is final.
            JournalException back = assertThrows(JournalException.class,
                    () -> j.transition(r.id(), Journal.State.FAILED));
            assertEquals(UpqrException.ESTATE, back.status());
            // A refund beyond the payment is refused before it could be sent.
            Journal.Record ref = j.begin(Journal.Kind.REFUND, MER, "REFUND0000001", TIME, 600, null,
                    "ORDER00000001");
            assertEquals(r.id(), ref.origId());
            JournalException over = assertThrows(JournalException.class,
                    () -> j.begin(Journal.Kind.REFUND, MER, "REFUND0000002", TIME, 500, null, "ORDER00000001"));
            assertEquals(UpqrException.EOVERREFUND, over.status());
            // Bad fields: the right exception.
            assertEquals(UpqrException.EINVAL, assertThrows(UpqrException.class,
                    () -> j.begin(Journal.Kind.CONSUME_QRNO, MER, "x".repeat(41), TIME, 1, null, null)).status());
            assertEquals(UpqrException.ENOTFOUND, assertThrows(UpqrException.class,
                    () -> j.begin(Journal.Kind.REFUND, MER, "REFUND0000003", TIME, 1, null, "NOSUCHORDER01")).status());
            assertEquals(UpqrException.ENOTFOUND, assertThrows(UpqrException.class,
                    () -> j.transition(9999, Journal.State.UNKNOWN)).status());
        }
        // Another handle sees what was written.
        try (Journal j = Journal.open(new Journal.Options(path).create(false))) {
            Journal.Record r = j.find(MER, "ORDER00000001").orElseThrow();
            assertEquals(Journal.State.SUCCESS, r.state());
            assertEquals("261207120000000000001", r.queryId());
            assertEquals(1000, r.amount());
            assertEquals(Optional.empty(), j.find(MER, "NOSUCHORDER01"));
            assertEquals(Journal.Kind.REFUND, j.find(MER, "REFUND0000001").orElseThrow().kind());
        }
    }

    @Test
    void badDatabasesAndClose() throws Exception {
        Path foreign = dir.resolve("not-a-db");
        Files.writeString(foreign, "this is not SQLite, not at all; just some text that is long enough");
        UpqrException e = assertThrows(UpqrException.class, () -> Journal.open(foreign.toString()));
        assertTrue(e instanceof JournalException, e.toString());
        assertEquals(UpqrException.ENOTFOUND, assertThrows(UpqrException.class,
                () -> Journal.open(new Journal.Options(dir.resolve("none.db").toString()).create(false))).status());
        Journal j = Journal.open(dir.resolve("c.db").toString());
        j.close();
        j.close();
        assertThrows(IllegalStateException.class, () -> j.transition(1, Journal.State.UNKNOWN));
    }
}
