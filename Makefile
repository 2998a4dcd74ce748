# upqr - UnionPay-standard EMV QR payments SDK.
#
#   make            libraries (build/lib: libupqr, and libupqr-core, the parsers
#                   alone), CLI (build/bin/upqr)
#   make check      unit + CLI tests, the Swift binding's XCTests (when swift is
#                   installed), again under ASan+UBSan, valgrind, a
#                   clang -Werror build and a fuzz smoke; last line
#                   "N passed, N failed, N skipped"
#   make soak       the acquirer's crash-recovery and thread tests and the PostgreSQL
#                   journal's fleet test (4 x 250 orders) at full size
#   make bench      benchmarks -> build/bench/results.json
#   make swift-test the Swift binding's XCTest suite alone (bindings/swift)
#   make java       Java binding: build/java/upqr.jar, build/lib/libupqr_jni.so and the
#                   JUnit 5 test classes (JDK 17 and Debian's junit5)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each
#   make demo       the end-to-end demonstration
#   make install    PREFIX=/usr/local DESTDIR= (library, headers, upqr, upqr.pc, man page,
#                   bash completion); make uninstall removes exactly those files
#   make deps       install missing Debian packages (run by every target that needs them)
#
# One tree of sources, several build flavours selected by BUILD and SAN:
#   SAN=        plain -O2 build in build/
#   SAN=asan    -fsanitize=address,undefined in build/asan
#   SAN=fuzz    clang + libFuzzer instrumentation in build/fuzz

PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  ?= $(PREFIX)/lib
CC      ?= cc
CXX     ?= c++
CLANG   ?= clang-14
BUILD   ?= build
SAN     ?=
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10

VERSION := $(shell sed -n 's/^\#define UPQR_VERSION_STRING "\(.*\)"/\1/p' include/upqr/common.h)
SOMAJOR := 0

# Libraries the SDK links against (pkg-config names); recursive so that
# pkg-config runs after `make deps` has installed them.
LIB_PKGS  = libqrencode zbar libpng libjpeg openssl sqlite3 libcurl libpq
# libupqr-core: sdk/core, sdk/mpm and sdk/cpm only (MPM, BER-TLV, CPM decode,
# generation and verification), for wallets and servers that must not pull in
# ZBar, libqrencode, libpng/jpeg, SQLite, libcurl or libpq. The CPM cryptography
# needs OpenSSL's libcrypto, nothing else.
CORE_DIRS = core mpm cpm
CORE_PKGS = libcrypto
CLI_PKGS  = jansson
TEST_PKGS = cmocka
# The simulator (sim/, build/bin/upqr-sim) only; the library never links these.
SIM_PKGS  = libmicrohttpd sqlite3 libcurl jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(LIB_PKGS) $(CLI_PKGS) $(TEST_PKGS))
LIB_LIBS   = $(shell pkg-config --libs $(LIB_PKGS)) -lm
CORE_LIBS  = $(shell pkg-config --libs $(CORE_PKGS))
CLI_LIBS   = $(shell pkg-config --libs $(CLI_PKGS))
TEST_LIBS  = $(shell pkg-config --libs $(TEST_PKGS))
SIM_CFLAGS = $(shell pkg-config --cflags $(SIM_PKGS))
SIM_LIBS   = $(shell pkg-config --libs $(SIM_PKGS)) -lpthread

WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wformat=2 -Wvla \
	-Wstrict-prototypes -Wmissing-prototypes -Wundef -Wcast-qual
OPT  := -O2 -g
ifeq ($(SAN),asan)
  OPT := -O1 -g -fno-omit-frame-pointer
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
endif
ifeq ($(SAN),fuzz)
  CC  := $(CLANG)
  CXX := clang++-14
  OPT := -O1 -g -fno-omit-frame-pointer
  SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
endif

CPPFLAGS_ALL := -Iinclude -Isdk -Itests/support -D_POSIX_C_SOURCE=200809L
# The CLI and the samples: public headers only, linked against the shared
# library (found next to them through $ORIGIN/../lib, in build/ and once
# installed), so reaching an internal symbol fails the link.
PUBLIC_CPPFLAGS := -Iinclude -D_POSIX_C_SOURCE=200809L
PUBLIC_RPATH := -Wl,-rpath,'$$ORIGIN/../lib'
CFLAGS_ALL   := -std=c11 $(OPT) $(WARN) $(SANFLAGS) -fPIC -MMD -MP
LDFLAGS_ALL  := $(SANFLAGS)

# Quiet by default; `make V=1` shows every command.
ifeq ($(V),1)
  Q :=
  SAY := @true
else
  Q := @
  SAY := @printf '  %-6s %s\n'
endif

SDK_SRCS   := $(wildcard sdk/*/*.c)
CLI_SRCS   := $(wildcard tools/upqr/*.c)
TEST_SRCS  := $(wildcard tests/unit/test_*.c)
SUPPORT_SRCS := $(wildcard tests/support/*.c)
BENCH_SRCS := $(wildcard bench/bench_*.c)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
SAMPLE_SRCS := $(filter-out samples/sample.c,$(wildcard samples/*.c))
SIM_SRCS   := $(filter-out sim/main.c,$(wildcard sim/*.c))

# Optional, test-only comparison engines for the scan tests (C++, each built only when its
# Debian package is installed; the SDK itself never links them): a plain zxing-cpp pass
# (libzxing-dev) and OpenCV's WeChat QR decoder without its CNN models (libopencv-contrib-dev,
# module wechat_qrcode). scan_corpus.c declares their entry points weak.
TEST_CXX_OBJS :=
TEST_CXX_LIBS :=
TEST_CXX_CFLAGS :=
ifneq ($(shell command -v $(CXX) 2>/dev/null),)
  ifeq ($(shell pkg-config --exists zxing 2>/dev/null && echo yes),yes)
    TEST_CXX_OBJS += $(BUILD)/obj/tests/support/scan_zxing.o
    TEST_CXX_LIBS += $(shell pkg-config --libs zxing)
    TEST_CXX_CFLAGS += $(shell pkg-config --cflags zxing)
  endif
  OPENCV_INC := $(shell pkg-config --variable=includedir opencv4 2>/dev/null)
  ifneq ($(wildcard $(OPENCV_INC)/opencv2/wechat_qrcode.hpp),)
    TEST_CXX_OBJS += $(BUILD)/obj/tests/support/scan_wechat.o
    TEST_CXX_LIBS += -L$(shell pkg-config --variable=libdir opencv4) -lopencv_wechat_qrcode \
      -lopencv_imgproc -lopencv_core
    TEST_CXX_CFLAGS += $(shell pkg-config --cflags opencv4)
  endif
  ifneq ($(TEST_CXX_OBJS),)
    TEST_CXX_LIBS += -lstdc++
  endif
endif

SDK_OBJS   := $(SDK_SRCS:%.c=$(BUILD)/obj/%.o)
CORE_OBJS  := $(filter $(CORE_DIRS:%=$(BUILD)/obj/sdk/%/%),$(SDK_OBJS))
CLI_OBJS   := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
SUPPORT_OBJS := $(SUPPORT_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS  := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzzers/%)
SAMPLE_BINS := $(SAMPLE_SRCS:samples/%.c=$(BUILD)/samples/%)
SIM_OBJS   := $(SIM_SRCS:%.c=$(BUILD)/obj/%.o)

STATIC_LIB := $(BUILD)/lib/libupqr.a
SHARED_REAL := $(BUILD)/lib/libupqr.so.$(VERSION)
SHARED_SO  := $(BUILD)/lib/libupqr.so.$(SOMAJOR)
SHARED_LIB := $(BUILD)/lib/libupqr.so
CLI_BIN    := $(BUILD)/bin/upqr
CORE_STATIC := $(BUILD)/lib/libupqr-core.a
CORE_REAL  := $(BUILD)/lib/libupqr-core.so.$(VERSION)
CORE_SO    := $(BUILD)/lib/libupqr-core.so.$(SOMAJOR)
CORE_SHARED := $(BUILD)/lib/libupqr-core.so
SIM_BIN    := $(BUILD)/bin/upqr-sim

.PHONY: swift-test benches samples all deps lib cli sim pki tests check soak scan-eval bench fuzz fuzz-bins clang-build demo install uninstall clean headers-check java java-test
.DEFAULT_GOAL := all
# Keep objects that only feed tests and fuzzers (make deletes intermediates).
.SECONDARY:

all: deps lib cli sim pki samples

deps:
	@sh scripts/deps.sh

lib: $(STATIC_LIB) $(SHARED_LIB) $(CORE_STATIC) $(CORE_SHARED)
cli: $(CLI_BIN)
sim: $(SIM_BIN)
tests: $(TEST_BINS)

# Test PKI for the sign tests and the simulator: generated when missing (or
# when the script changes), never committed.
PKI_STAMP := build/pki/.done
pki: $(PKI_STAMP)
$(PKI_STAMP): scripts/gen-test-pki.sh
	rm -rf build/pki
	sh scripts/gen-test-pki.sh build/pki

# ---- compile -------------------------------------------------------------

$(BUILD)/obj/sdk/%.o: sdk/%.c | deps
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(CPPFLAGS_ALL) -DUPQR_BUILDING $(PKG_CFLAGS) $(CFLAGS_ALL) -fvisibility=hidden $(CFLAGS) -c $< -o $@

# The CLI sees the public headers only (and jansson), as curl's tool does.
$(BUILD)/obj/tools/%.o: tools/%.c | deps
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(PUBLIC_CPPFLAGS) $(shell pkg-config --cflags $(CLI_PKGS)) $(CFLAGS_ALL) $(CFLAGS) -c $< -o $@

# So does the simulator (plus its own libraries).
$(BUILD)/obj/sim/%.o: sim/%.c | deps
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(PUBLIC_CPPFLAGS) $(SIM_CFLAGS) $(CFLAGS_ALL) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(CFLAGS_ALL) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cpp | deps
	@mkdir -p $(dir $@)
	$(SAY) CXX $<
	$(Q)$(CXX) $(CPPFLAGS_ALL) $(TEST_CXX_CFLAGS) -std=c++17 $(OPT) -Wall -Wextra -Werror \
		$(SANFLAGS) -fPIC -MMD -MP $(CXXFLAGS) -c $< -o $@

# ---- link ----------------------------------------------------------------

$(STATIC_LIB): $(SDK_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(SHARED_REAL): $(SDK_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared -Wl,-soname,libupqr.so.$(SOMAJOR) -Wl,--no-undefined $(LDFLAGS_ALL) $(LDFLAGS) \
		-o $@ $^ $(LIB_LIBS)

$(SHARED_SO): $(SHARED_REAL)
	$(Q)ln -sf $(notdir $<) $@

$(SHARED_LIB): $(SHARED_SO)
	$(Q)ln -sf $(notdir $<) $@

# The core library: the same objects, linked against libcrypto alone
# (--no-undefined: a parser that reached into qr/scan/sign fails here).
$(CORE_STATIC): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(CORE_REAL): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared -Wl,-soname,libupqr-core.so.$(SOMAJOR) -Wl,--no-undefined $(LDFLAGS_ALL) $(LDFLAGS) \
		-o $@ $^ $(CORE_LIBS)

$(CORE_SO): $(CORE_REAL)
	$(Q)ln -sf $(notdir $<) $@

$(CORE_SHARED): $(CORE_SO)
	$(Q)ln -sf $(notdir $<) $@

$(CLI_BIN): $(CLI_OBJS) $(SHARED_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $(CLI_OBJS) $(SHARED_LIB) $(PUBLIC_RPATH) $(CLI_LIBS)

$(SIM_BIN): $(BUILD)/obj/sim/main.o $(SIM_OBJS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(SIM_LIBS) $(LIB_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(SUPPORT_OBJS) $(TEST_CXX_OBJS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $< $(SUPPORT_OBJS) $(TEST_CXX_OBJS) $(STATIC_LIB) $(TEST_LIBS) $(LIB_LIBS) $(TEST_CXX_LIBS)

# The simulator against a bare libmicrohttpd server: links the sim objects and their libraries.
$(BUILD)/bench/bench_sim: $(BUILD)/obj/bench/bench_sim.o $(SIM_OBJS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(SIM_LIBS) $(LIB_LIBS)

# Benches may drive the simulator (tests/support/simctl.c).
BENCH_SUPPORT := $(BUILD)/obj/tests/support/simctl.o
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BENCH_SUPPORT) $(TEST_CXX_OBJS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $< $(BENCH_SUPPORT) $(TEST_CXX_OBJS) $(STATIC_LIB) $(LIB_LIBS) $(TEST_CXX_LIBS)

# The simulator's handler, fuzzed without a socket: links the sim objects and their libraries.
$(BUILD)/fuzzers/fuzz_sim_request: $(BUILD)/obj/tests/fuzz/fuzz_sim_request.o $(SIM_OBJS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(SIM_LIBS) $(LIB_LIBS)

$(BUILD)/fuzzers/%: $(BUILD)/obj/tests/fuzz/%.o $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined -o $@ $< $(STATIC_LIB) $(LIB_LIBS)

fuzz-bins: $(FUZZ_BINS)

# Samples use the public API only, like the CLI, plus their shared plumbing
# (samples/sample.c: client from the environment, notification receiver) on
# libmicrohttpd and libcurl.
SAMPLE_PKGS := libmicrohttpd libcurl
$(BUILD)/samples/%: samples/%.c samples/sample.c samples/sample.h $(SHARED_LIB)
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(PUBLIC_CPPFLAGS) $(shell pkg-config --cflags $(SAMPLE_PKGS)) $(CFLAGS_ALL) $(CFLAGS) \
		$(LDFLAGS_ALL) $(LDFLAGS) -o $@ $< samples/sample.c $(SHARED_LIB) $(PUBLIC_RPATH) \
		$(shell pkg-config --libs $(SAMPLE_PKGS)) -lpthread

samples: $(SAMPLE_BINS)

# ---- Java binding (JNI) ----------------------------------------------------

# The JDK that javac belongs to; its include/ has jni.h. javac -h writes
# the JNI prototypes, which the glue includes, so a signature that drifts
# from dev.upqr.Native fails the C build.
JAVAC      ?= javac
JAR        ?= jar
JAVA       ?= java
JDK_HOME   := $(shell d=$$(readlink -f $$(command -v $(JAVAC) 2>/dev/null) 2>/dev/null) && dirname $$(dirname $$d))
JUNIT_JAR  ?= /usr/share/java/junit-platform-console-standalone.jar
JAVA_SRCS  := $(wildcard bindings/java/src/main/java/dev/upqr/*.java)
JTEST_SRCS := $(wildcard bindings/java/src/test/java/dev/upqr/*.java)
JBENCH_SRCS := $(wildcard bindings/java/bench/*.java)
JNI_SRCS   := $(wildcard bindings/java/jni/*.c)
JNI_OBJS   := $(JNI_SRCS:%.c=$(BUILD)/obj/%.o)
JNI_LIB    := $(BUILD)/lib/libupqr_jni.so
JAVA_DIR   := $(BUILD)/java
JAVA_JAR   := $(JAVA_DIR)/upqr.jar
JAVA_STAMP := $(JAVA_DIR)/.classes
JTEST_STAMP := $(JAVA_DIR)/.test-classes

java: lib $(JAVA_JAR) $(JNI_LIB) $(JTEST_STAMP) $(JAVA_DIR)/.bench-classes

$(JAVA_STAMP): $(JAVA_SRCS)
	@rm -rf $(JAVA_DIR)/classes $(JAVA_DIR)/include
	@mkdir -p $(JAVA_DIR)/classes $(JAVA_DIR)/include
	$(SAY) JAVAC dev.upqr
	$(Q)$(JAVAC) -encoding UTF-8 -Xlint:all -Werror --release 17 -d $(JAVA_DIR)/classes \
		-h $(JAVA_DIR)/include $(JAVA_SRCS)
	@touch $@

$(JAVA_JAR): $(JAVA_STAMP)
	$(Q)$(JAR) cf $@ -C $(JAVA_DIR)/classes .

$(JTEST_STAMP): $(JTEST_SRCS) $(JAVA_JAR)
	@rm -rf $(JAVA_DIR)/test-classes
	@mkdir -p $(JAVA_DIR)/test-classes
	$(SAY) JAVAC tests
	$(Q)$(JAVAC) -encoding UTF-8 -Xlint:all -Werror --release 17 -cp $(JAVA_JAR):$(JUNIT_JAR) \
		-d $(JAVA_DIR)/test-classes $(JTEST_SRCS)
	@touch $@

$(JAVA_DIR)/.bench-classes: $(JBENCH_SRCS) $(JAVA_JAR)
	@mkdir -p $(JAVA_DIR)/bench-classes
	$(Q)$(JAVAC) -encoding UTF-8 -Xlint:all -Werror --release 17 -cp $(JAVA_JAR) \
		-d $(JAVA_DIR)/bench-classes $(JBENCH_SRCS)
	@touch $@

# The glue sees the public headers only, like the CLI.
$(BUILD)/obj/bindings/java/jni/%.o: bindings/java/jni/%.c $(JAVA_STAMP) | deps
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(PUBLIC_CPPFLAGS) -I$(JAVA_DIR)/include -I$(JDK_HOME)/include -I$(JDK_HOME)/include/linux \
		$(CFLAGS_ALL) -fvisibility=hidden $(CFLAGS) -c $< -o $@

$(JNI_LIB): $(JNI_OBJS) $(SHARED_LIB)
	$(Q)$(CC) -shared -Wl,--no-undefined $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $(JNI_OBJS) \
		$(SHARED_LIB) -Wl,-rpath,'$$ORIGIN'

# The JUnit 5 suite alone, as TAP (run.sh runs it as part of make check).
java-test: java pki sim
	@UPQR_BUILD=$(BUILD) sh bindings/java/run-tests.sh

# ---- check ---------------------------------------------------------------

benches: $(BENCH_BINS)

check: deps
	@$(MAKE) --no-print-directory all tests benches java
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=asan all tests java
	@$(MAKE) --no-print-directory BUILD=build/fuzz SAN=fuzz fuzz-bins
	@$(MAKE) --no-print-directory clang-build
	@$(MAKE) --no-print-directory headers-check
	@FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) sh tests/run.sh

# Each public header alone, as C99 -pedantic and as C++11 (run.sh runs it too).
headers-check:
	@UPQR_BUILD=$(BUILD) sh tests/cli/test_headers.sh

# Everything once more with clang, warnings as errors (compile and link only).
clang-build: deps
	@$(MAKE) --no-print-directory BUILD=build/clang CC=$(CLANG) all tests benches java

fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz SAN=fuzz fuzz-bins
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh build/fuzz/fuzzers

# The Swift binding's XCTest suite alone (tests/run.sh runs it in `make check`).
swift-test: lib pki sim
	@sh bindings/swift/test.sh $(BUILD)

# ---- bench, demo ---------------------------------------------------------

# The acquirer's crash and thread tests at full size (200 orders killed at
# random, 4 threads x 250 orders); the normal suite runs 40 and 4 x 25.
# The PostgreSQL fleet test (4 processes x 250 orders, kill -9, recovery; the
# suite runs 4 x 25) starts and stops its own server unless UPQR_PG_URL names one.
soak: all tests
	@UPQR_SOAK=1 UPQR_BUILD=$(BUILD) $(BUILD)/tests/test_acquirer_sim
	@UPQR_SOAK=1 UPQR_TEST_FILTER=test_fleet_kill_and_recover $(BUILD)/tests/test_journal_pg

# The degraded scan corpus drawn from seeds the pass table was not tuned on
# (test_scan_corpus's assertions per seed: >= 97%, at least ZBar, zxing-cpp
# and the WeChat decoder in every family, no wrong payload). 400 images a seed.
SCAN_EVAL_SEEDS ?= 61 62 63 64 65 66 67 68 69 70
scan-eval: $(BUILD)/tests/test_scan_corpus
	@fail=0; for s in $(SCAN_EVAL_SEEDS); do \
		UPQR_SCAN_SEED=$$s $(BUILD)/tests/test_scan_corpus > $(BUILD)/scan-eval-$$s.log 2>&1 || fail=1; \
		printf 'seed %-4s %s\n' $$s "$$(grep '^# all' $(BUILD)/scan-eval-$$s.log)"; \
		grep '^ERROR' $(BUILD)/scan-eval-$$s.log || true; \
	done; \
	awk '/^# all/ { n += $$3; r += $$3 * $$4 / 100; z += $$3 * $$5 / 100; w += $$3 * $$7 / 100 } \
		END { if (n) printf "all seeds: %d images, upqr %.2f%%, zbar %.2f%%, wechat %.2f%%\n", \
		n, 100 * r / n, 100 * z / n, 100 * w / n }' $(foreach s,$(SCAN_EVAL_SEEDS),$(BUILD)/scan-eval-$(s).log); \
	exit $$fail

bench: all $(BENCH_BINS) java
	@sh bench/run.sh $(BUILD)

demo: all samples
	@sh scripts/demo.sh $(BUILD)

# ---- install -------------------------------------------------------------

# Everything `make install` puts in place, so `make uninstall` removes exactly that.
HEADERS    := $(notdir $(wildcard include/upqr/*.h))
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# The .pc file finds the tree relative to itself (${pcfiledir}), so it works
# as installed, staged under DESTDIR, or moved, without PKG_CONFIG_SYSROOT_DIR.
PC_PREFIX  = $${pcfiledir}/$(shell realpath -m --relative-to=$(LIBDIR)/pkgconfig $(PREFIX))
PC_LIBDIR  = $${pcfiledir}/$(shell realpath -m --relative-to=$(LIBDIR)/pkgconfig $(LIBDIR))
INSTALLED  = $(PREFIX)/include/upqr.h $(HEADERS:%=$(PREFIX)/include/upqr/%) \
	$(LIBDIR)/libupqr.a $(LIBDIR)/libupqr.so.$(VERSION) $(LIBDIR)/libupqr.so.$(SOMAJOR) \
	$(LIBDIR)/libupqr.so $(LIBDIR)/pkgconfig/upqr.pc $(PREFIX)/bin/upqr \
	$(LIBDIR)/libupqr-core.a $(LIBDIR)/libupqr-core.so.$(VERSION) $(LIBDIR)/libupqr-core.so.$(SOMAJOR) \
	$(LIBDIR)/libupqr-core.so $(LIBDIR)/pkgconfig/upqr-core.pc \
	$(MANDIR)/man1/upqr.1 $(BASHCOMPDIR)/upqr

install: all
	install -d $(DESTDIR)$(PREFIX)/include/upqr $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 include/upqr.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/upqr/*.h $(DESTDIR)$(PREFIX)/include/upqr/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf libupqr.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libupqr.so.$(SOMAJOR)
	ln -sf libupqr.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libupqr.so
	install -m 644 $(CORE_STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(CORE_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf libupqr-core.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libupqr-core.so.$(SOMAJOR)
	ln -sf libupqr-core.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libupqr-core.so
	install -m 755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/upqr.1 $(DESTDIR)$(MANDIR)/man1/upqr.1
	install -m 644 tools/upqr/upqr.bash $(DESTDIR)$(BASHCOMPDIR)/upqr
	sed -e 's|@PREFIX@|$(PC_PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@REQUIRES@|$(LIB_PKGS)|' upqr.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/upqr.pc
	sed -e 's|@PREFIX@|$(PC_PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@REQUIRES@|$(CORE_PKGS)|' upqr-core.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/upqr-core.pc

# Removes the files install wrote, and include/upqr if that leaves it empty;
# shared folders (bin, lib, man1 ...) stay.
uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)
	rmdir $(DESTDIR)$(PREFIX)/include/upqr 2>/dev/null || true

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
