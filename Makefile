# ppdl — build, test, install.  `make` builds ./ppdl; `make test` runs every CUnit
# suite and every script test and ends with one line "N passed, N failed".
# Missing Debian packages are installed by `make deps` (run automatically when a
# tool or header is missing).  Lemon's output goes to $(BUILD)/, never committed.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man/man1
DATADIR ?= $(PREFIX)/share/ppdl
DESTDIR ?=

CC      ?= cc
BUILD   ?= build
LEMON   ?= lemon
OPT     ?= -O2
SAN     ?=
# CI sets WERROR=-Werror: a warning fails the build there.
WERROR  ?=
VERSION := 0.1.0

PKGS    := gmp readline zlib msgpack libzmq libsodium jansson
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -D_GNU_SOURCE -DPPDL_VERSION='"$(VERSION)"' -DPPDL_DATADIR='"$(DATADIR)"' \
            -Igrammar -Iinterp -Iruntime -Istdlib -I$(BUILD)/grammar
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 $(WARN) $(WERROR) -MMD -MP -pthread $(SAN) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -I/usr/include/x86_64-linux-gnu/openblas-pthread
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lgmp -lreadline -lz -lmsgpackc -lzmq -lsodium -ljansson) -lopenblas -lm -pthread
TESTLIBS := -lcunit

ifneq ($(SAN),)
  CFLAGS += -fno-omit-frame-pointer
endif

# Sources: one folder a layer.  New files are picked up by wildcard.
PARSER_Y := grammar/ppdl.y
PARSER_C := $(BUILD)/grammar/ppdl.c
GR_SRC   := $(wildcard grammar/*.c)
IN_SRC   := $(filter-out interp/main.c,$(wildcard interp/*.c))
RT_SRC   := $(wildcard runtime/*.c)
LIB_SRC  := $(wildcard stdlib/*.c)
CORE_SRC := $(RT_SRC) $(GR_SRC) $(IN_SRC) $(LIB_SRC)
PPDL_LIBS := $(sort $(wildcard stdlib/ppdl/*.ppdl))
EMBED_C  := $(BUILD)/stdlib/embedded_libs.c
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o) $(PARSER_C:.c=.o) $(EMBED_C:.c=.o)
MAIN_OBJ := $(BUILD)/interp/main.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := tests/fuzz/fuzz_ppdl.c

DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps test check-asan test-asan unit scripts demo diagrams install uninstall clean bench \
        bench-train bench-paillier bench-mpc bench-dp bench-speed bench-fl fuzz fuzz-wire samples-fl
all: ppdl

# --- dependencies ---------------------------------------------------------------
# The Debian packages ppdl needs to build and test.  Installed with apt-get (through
# sudo when not root) only when a tool or header is missing.
DEB_PKGS := lemon libreadline-dev libgmp-dev libcunit1-dev pkg-config zlib1g-dev \
            libopenblas-dev dataset-fashion-mnist bc python3 python3-click clang libmsgpack-dev libzmq3-dev \
            libsodium-dev libjansson-dev python3-numpy python3-scipy python3-attr python3-absl libxml2-utils
deps:
	@tools/deps.sh $(DEB_PKGS)

$(DEPS_STAMP):
	@tools/deps.sh --check-or-install $(DEB_PKGS)
	@mkdir -p $(dir $@) && touch $@

# --- build --------------------------------------------------------------------------
$(PARSER_C): $(PARSER_Y) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(LEMON) -q -d$(dir $@) $(PARSER_Y)

# The ppdl libraries (`import "federated"`) are compiled in from stdlib/ppdl/.
$(EMBED_C): $(PPDL_LIBS) tools/embed.sh
	@mkdir -p $(dir $@)
	tools/embed.sh $@ $(PPDL_LIBS)

$(EMBED_C:.c=.o): $(EMBED_C)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/runtime/%.o: runtime/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c | $(DEPS_STAMP) $(PARSER_C)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/grammar/ppdl.o: $(PARSER_C)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-unused-parameter -Wno-missing-prototypes -Igrammar -c $< -o $@

$(BUILD)/libppdl.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

ppdl: $(MAIN_OBJ) $(BUILD)/libppdl.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/librt.a: $(RT_SRC:%.c=$(BUILD)/%.o)
	@rm -f $@
	ar rcs $@ $^

# Runtime suites (test_rt_*) link the runtime alone; the others link everything.
$(BUILD)/tests/test_rt_%: tests/unit/test_rt_%.c $(BUILD)/librt.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/librt.a $(LDLIBS) $(TESTLIBS)

# Grammar suites (test_gr_*) link the grammar and the runtime.
GR_OBJ := $(GR_SRC:%.c=$(BUILD)/%.o) $(PARSER_C:.c=.o)
$(BUILD)/tests/test_gr_%: tests/unit/test_gr_%.c $(GR_OBJ) $(BUILD)/librt.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(GR_OBJ) $(BUILD)/librt.a $(LDLIBS) $(TESTLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libppdl.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libppdl.a $(LDLIBS) $(TESTLIBS)

# --- tests --------------------------------------------------------------------------
# the benchmarks' C programs are built by make test too, so that they cannot rot unseen
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

test: ppdl $(UNIT_BIN) $(BENCH_BIN)
	@tests/run.sh $(BUILD) ./ppdl

unit: $(UNIT_BIN)
	@tests/run.sh --unit-only $(BUILD) ./ppdl

# The sanitizer build uses clang: gcc's UBSan has no float-cast-overflow (a double
# outside the range of the integer it is converted to), which clang's has.
ASAN_SAN := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
check-asan:
	$(MAKE) BUILD=build-asan CC=clang OPT=-O1 SAN="$(ASAN_SAN)" WERROR="$(WERROR)" test-asan

# The sanitizer build's binary lives in its build folder, beside its test programs.
$(BUILD)/ppdl: $(MAIN_OBJ) $(BUILD)/libppdl.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

test-asan: $(BUILD)/ppdl $(UNIT_BIN)
	@ASAN_OPTIONS=detect_leaks=1 tests/run.sh $(BUILD) $(BUILD)/ppdl

demo: ppdl
	./ppdl samples/tour.ppdl

# The README's picture: the protocol of samples/secure_average.ppdl drawn by diagram().
diagrams: ppdl
	./ppdl -e 'import "samples/secure_average.ppdl"' -e 'diagram(file = "docs/secure_average.svg")' >/dev/null
	xmllint --noout docs/secure_average.svg
# The federated-learning samples (docs/federated.md): each ends with a "result:" line and
# stops with an error when its claim fails; too slow for `make test`.
samples-fl: ppdl
	./ppdl samples/fedavg_paillier.ppdl
	./ppdl samples/dssgd.ppdl
	./ppdl samples/fedavg.ppdl

# --- fuzzing (clang + libFuzzer) --------------------------------------------------
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 SAN="-fsanitize=fuzzer-no-link,address,undefined,float-cast-overflow" build-fuzz/libppdl.a
	clang -fsanitize=fuzzer,address,undefined,float-cast-overflow $(CPPFLAGS) -g -O1 -o build-fuzz/fuzz_ppdl $(FUZZ_SRC) build-fuzz/libppdl.a $(LDLIBS)
	@mkdir -p build-fuzz/corpus
	@cp samples/*.ppdl tests/scripts/*.ppdl tests/fuzz/seeds/* tests/fuzz/regress/* build-fuzz/corpus/ 2>/dev/null || true
	build-fuzz/fuzz_ppdl -max_total_time=$${FUZZ_SECONDS:-600} -seed=$${FUZZ_SEED:-0} -max_len=4096 -timeout=20 -rss_limit_mb=8192 -malloc_limit_mb=6000 \
	    -dict=tests/fuzz/ppdl.dict -artifact_prefix=build-fuzz/ build-fuzz/corpus

# The wire format's decoders (tests/fuzz/fuzz_wire.c): one frame an input.
fuzz-wire:
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 SAN="-fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libppdl.a
	clang -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -g -O1 -o build-fuzz/fuzz_wire tests/fuzz/fuzz_wire.c build-fuzz/libppdl.a $(LDLIBS)
	@mkdir -p build-fuzz/wire-corpus
	build-fuzz/fuzz_wire -max_total_time=$${FUZZ_SECONDS:-300} -max_len=65536 -rss_limit_mb=4096 \
	    -artifact_prefix=build-fuzz/wire- build-fuzz/wire-corpus

# --- benchmarks (print figures side by side; never part of `make test`) -------------
bench: ppdl
	@bench/loop.sh ./ppdl

bench-train: ppdl
	@bench/train.sh ./ppdl

bench-paillier: $(BUILD)/bench/bench_paillier
	@bench/paillier.sh $(BUILD)

# CrypTen's Python dependencies, for bench-mpc only (make test does not need them)
BENCH_DEB_PKGS := python3-torch python3-omegaconf python3-onnx python3-scipy python3-sklearn \
                  python3-pandas python3-torchvision libopenblas0-pthread
bench-mpc: ppdl $(BUILD)/bench/bench_mpc
	@tools/deps.sh --check-or-install $(BENCH_DEB_PKGS) || echo "bench-mpc: could not install $(BENCH_DEB_PKGS); CrypTen will not be measured"
	@bench/mpc.sh ./ppdl $(BUILD)

bench-dp: ppdl $(BUILD)/bench/chacha
	@$(BUILD)/bench/chacha
	@bench/dp.sh ./ppdl

# The C benchmarks, each one program over the runtime library.
$(BUILD)/bench/%: bench/%.c $(BUILD)/librt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/librt.a $(LDLIBS)

bench-speed: ppdl
	@bench/speed.sh ./ppdl

bench-fl: $(BUILD)/bench/bench_secagg
	@bench/fl.sh $(BUILD)

# --- install ------------------------------------------------------------------------
install: ppdl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DATADIR)/samples/data $(DESTDIR)$(DATADIR)/samples/lab $(DESTDIR)$(DATADIR)/docs/lab
	install -m 755 ppdl $(DESTDIR)$(BINDIR)/ppdl
	install -m 644 docs/ppdl.1 $(DESTDIR)$(MANDIR)/ppdl.1
	install -m 644 samples/*.ppdl $(DESTDIR)$(DATADIR)/samples/
	install -m 644 samples/data/* $(DESTDIR)$(DATADIR)/samples/data/
	install -m 644 samples/lab/*.ppdl $(DESTDIR)$(DATADIR)/samples/lab/
	install -m 644 docs/*.md $(DESTDIR)$(DATADIR)/docs/
	install -m 644 docs/lab/*.md $(DESTDIR)$(DATADIR)/docs/lab/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ppdl $(DESTDIR)$(MANDIR)/ppdl.1
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-asan build-fuzz ppdl

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
