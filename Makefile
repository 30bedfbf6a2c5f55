# exodb: an exokernel-backed database storage engine.
#
#   make            build everything into build/
#   make test       run every test (unit, CLI, exokern in QEMU)
#   make bench      the main job: the benchmark suite
#   make crash      crash torture: power cuts, I/O errors, bit flips
#                   (CRASH_TRIALS random trials, default 200)
#   make deps       install missing Debian packages (the other targets call it)
#   make clean
#
# Library sources are found by wildcard: a new .c file in exokern/core,
# dblibos, dblibos/port, engine or sqlite-vfs joins libexodb; a new
# tests/unit/test_NAME.c becomes build/test/test_NAME, linked with the
# sanitizer build of the library.

BUILD   ?= build
CC      ?= gcc
Q       ?= @

WARN     = -Wall -Wextra -Werror
INCS     = -Iexokern/include -Iexokern/core -Idblibos -Iengine -Isqlite-vfs
BASEFLAGS = -std=gnu11 -g -D_GNU_SOURCE $(WARN) $(INCS) -MMD -MP -pthread
CFLAGS  ?= -O2
SANFLAGS = -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDLIBS   = -luring -laio -lpthread -lm -lsqlite3

# The SQLite VFS: its sources join libexodb; ext.c is the entry point of
# the loadable extension, which builds them again to call SQLite through
# the extension API table.
VFS_SRC  = $(filter-out sqlite-vfs/ext.c, $(wildcard sqlite-vfs/*.c))
VFSEXT_OBJ = $(patsubst %.c,$(BUILD)/vfsext/%.o,sqlite-vfs/ext.c $(VFS_SRC))

# port/exokern.c is bare metal: it is built by exokern/kernel.mk only.
LIB_SRC  = $(wildcard exokern/core/*.c) \
	   $(filter-out dblibos/port/exokern.c, \
	     $(wildcard dblibos/*.c dblibos/port/*.c)) \
	   $(wildcard engine/*.c) $(VFS_SRC)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
SAN_OBJ  = $(LIB_SRC:%.c=$(BUILD)/san/%.o)

CLI_SRC  = $(wildcard engine/cli/*.c)
BENCH_SRC = $(wildcard bench/*.c)
TEST_SRC = $(wildcard tests/unit/test_*.c)
TEST_BIN = $(TEST_SRC:tests/unit/%.c=$(BUILD)/test/%)
TESTLIB_SRC = $(wildcard tests/unit/lib/*.c)

BENCH_LDLIBS = -llmdb -lsqlite3

LIBA     = $(BUILD)/lib/libexodb.a
LIBSAN   = $(BUILD)/lib/libexodb-san.a

.PHONY: install all deps test test-unit test-cli test-fuzz fuzz bench clean \
	test-sqlite test-sqlite-quick
.SECONDARY:
all: $(BUILD)/bin/exodb $(BUILD)/bin/exobench $(LIBA) \
     $(BUILD)/lib/libexodb_vfs.so

deps:
	$(Q)sh tools/deps.sh

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(BUILD)/san/%.o: %.c | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(SANFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSAN): $(SAN_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/vfsext/%.o: %.c | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -fPIC -DEXODB_VFS_EXT -c $< -o $@

$(BUILD)/lib/libexodb_vfs.so: $(VFSEXT_OBJ) \
		$(filter-out $(BUILD)/obj/engine/% $(VFS_SRC:%.c=$(BUILD)/obj/%.o),$(LIB_OBJ))
	@mkdir -p $(@D)
	$(Q)$(CC) -shared -pthread -o $@ $^ -luring -laio -lpthread -lm

$(BUILD)/bin/exodb: $(CLI_SRC:%.c=$(BUILD)/obj/%.o) $(LIBA)
	@mkdir -p $(@D)
	$(Q)$(CC) -pthread -o $@ $^ $(LDLIBS)

$(BUILD)/bin/exobench: $(BENCH_SRC:%.c=$(BUILD)/obj/%.o) $(LIBA)
	@mkdir -p $(@D)
	$(Q)$(CC) -pthread -o $@ $^ $(LDLIBS) $(BENCH_LDLIBS)

$(BUILD)/test/%: tests/unit/%.c $(TESTLIB_SRC:%.c=$(BUILD)/san/%.o) $(LIBSAN) | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(SANFLAGS) -Itests/unit -o $@ $^ -lcmocka $(LDLIBS)

# The benchmark's tests (tests/unit/test_bench*.c) also link its workload
# code (not the driver, which has main), sanitized, with LMDB and SQLite.
BENCH_WL_SRC = $(filter-out bench/exobench.c bench/raw.c bench/driver.c \
	bench/measure.c bench/report.c bench/syncount.c,$(BENCH_SRC))
$(BUILD)/test/test_bench%: tests/unit/test_bench%.c \
		$(BENCH_WL_SRC:%.c=$(BUILD)/san/%.o) \
		$(TESTLIB_SRC:%.c=$(BUILD)/san/%.o) $(LIBSAN) | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(SANFLAGS) -Itests/unit -Ibench -o $@ $^ \
		-lcmocka $(LDLIBS) $(BENCH_LDLIBS)

# libFuzzer harnesses (clang): tests/fuzz/fuzz_NAME.c -> build/fuzz/fuzz_NAME,
# linked with every library source built by clang with the fuzzer's
# instrumentation.  `make fuzz` runs each for FUZZ_SECONDS; `make test`
# runs each briefly (FUZZ_SMOKE seconds) so they always build and run.
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ  = $(LIB_SRC:%.c=$(BUILD)/fuzzobj/%.o) \
	    $(TESTLIB_SRC:%.c=$(BUILD)/fuzzobj/%.o)
FUZZFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined
FUZZ_SECONDS ?= 60
FUZZ_SMOKE ?= 5

$(BUILD)/fuzzobj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(Q)clang $(BASEFLAGS) $(FUZZFLAGS) -Itests/unit -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ) | deps
	@mkdir -p $(@D)
	$(Q)clang $(BASEFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
		-Itests/unit -o $@ $(filter-out %.h,$^) $(LDLIBS)

fuzz: $(FUZZ_BIN)
	$(Q)sh tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)
test-fuzz: $(FUZZ_BIN)
	$(Q)sh tests/run-fuzz.sh $(FUZZ_SMOKE) $(FUZZ_BIN)

# Crash torture: tests/crash/crash_NAME.c -> build/crash/crash_NAME, linked
# with tests/crash's other sources and the sanitizer build of the library.
# `make crash` runs each with CRASH_TRIALS random trials (their exhaustive
# parts always run whole); `make test` runs CRASH_SMOKE trials.
CRASH_SRC = $(wildcard tests/crash/crash_*.c)
CRASH_BIN = $(CRASH_SRC:tests/crash/%.c=$(BUILD)/crash/%)
CRASHLIB_SRC = $(filter-out $(CRASH_SRC),$(wildcard tests/crash/*.c))
CRASH_TRIALS ?= 200
CRASH_SMOKE ?= 30
.PHONY: crash test-crash

$(BUILD)/crash/%: tests/crash/%.c $(CRASHLIB_SRC:%.c=$(BUILD)/san/%.o) \
		  $(LIBSAN) | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(SANFLAGS) -o $@ $(filter-out %.h,$^) \
		$(LDLIBS)

crash: $(CRASH_BIN)
	$(Q)sh tests/crash/run.sh $(CRASH_TRIALS) $(CRASH_BIN)
test-crash: $(CRASH_BIN)
	$(Q)sh tests/crash/run.sh $(CRASH_SMOKE) $(CRASH_BIN)

test: test-unit test-cli test-fuzz test-crash test-sqlite-quick
test-unit: $(TEST_BIN)
	$(Q)sh tests/run-unit.sh $(TEST_BIN)
test-cli: all
	$(Q)BUILD=$(BUILD) sh tests/run-cli.sh

# SQLite built from Debian's source package (tests/sqlite/build.sh), with
# SQLITE_ENABLE_BATCH_ATOMIC_WRITE (Debian's library lacks it), for the
# batch-atomic test and the VFS benchmark.
SQLITE_DIR = $(BUILD)/sqlite
SQLITE_OPTS = -DSQLITE_ENABLE_BATCH_ATOMIC_WRITE -DSQLITE_THREADSAFE=1 \
	      -DSQLITE_USE_URI=1 -DSQLITE_DEFAULT_PAGE_SIZE=4096 \
	      -DSQLITE_ENABLE_LOAD_EXTENSION

$(SQLITE_DIR)/sqlite3.c: tests/sqlite/build.sh tests/sqlite/fetch-src.sh | deps
	$(Q)sh tests/sqlite/build.sh $(SQLITE_DIR) amalgamation

$(SQLITE_DIR)/sqlite3-batch.o: $(SQLITE_DIR)/sqlite3.c
	$(Q)$(CC) -O2 -g -w -fPIC $(SQLITE_OPTS) -c $< -o $@

$(BUILD)/test/test_vfs_batch: $(SQLITE_DIR)/sqlite3-batch.o

# SQLite's Tcl test suite on the exodb VFS: testfixture built from the same
# source with exodb as its default VFS; the files to run are listed in
# tests/sqlite/tests.txt (those left out, with the reason, in
# tests/sqlite/excluded.txt); `make test` runs tests/sqlite/quick.txt.
$(SQLITE_DIR)/testfixture: $(SQLITE_DIR)/sqlite3.c tests/sqlite/exodb_init.c \
		$(LIBA)
	$(Q)sh tests/sqlite/build.sh $(SQLITE_DIR) testfixture $(LIBA)

test-sqlite: $(SQLITE_DIR)/testfixture
	$(Q)sh tests/sqlite/run.sh $< $(SQLITE_DIR)/src/sqlite3-* \
		tests/sqlite/tests.txt
test-sqlite-quick: $(SQLITE_DIR)/testfixture
	$(Q)sh tests/sqlite/run.sh $< $(SQLITE_DIR)/src/sqlite3-* \
		tests/sqlite/quick.txt

$(BUILD)/bin/vfs-tpcb: tests/sqlite/tpcb.c $(SQLITE_DIR)/sqlite3-batch.o \
		$(LIBA)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS) -ldl

bench: all
	$(Q)BUILD=$(BUILD) sh bench/run.sh

# The engine's shared library, pkg-config file and installation, and its
# benchmark against LMDB (engine/exodb.h; bench/engine/kvbench.c).
PREFIX ?= /usr/local
LIBSO   = $(BUILD)/lib/libexodb.so
PCFILE  = $(BUILD)/lib/exodb.pc
all: $(LIBSO) $(PCFILE)

$(LIBSO): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(Q)$(CC) -shared -pthread -Wl,-soname,libexodb.so -o $@ $^ $(LDLIBS)

$(PCFILE): exodb.pc.in
	@mkdir -p $(@D)
	$(Q)sed 's|@PREFIX@|$(PREFIX)|' $< >$@

$(BUILD)/bin/exodb-storebench: bench/dblibos/storebench.c $(LIBA)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/exodb-vs-lmdb: bench/engine/kvbench.c $(LIBA)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $^ -llmdb $(LDLIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/include/exo
	install -m 644 $(LIBA) $(LIBSO) $(DESTDIR)$(PREFIX)/lib
	sed 's|@PREFIX@|$(PREFIX)|' exodb.pc.in \
		>$(DESTDIR)$(PREFIX)/lib/pkgconfig/exodb.pc
	install -m 644 engine/exodb.h $(DESTDIR)$(PREFIX)/include
	install -m 644 exokern/include/exo/errno.h $(DESTDIR)$(PREFIX)/include/exo
	install -m 755 $(BUILD)/bin/exodb $(DESTDIR)$(PREFIX)/bin

clean:
	rm -rf $(BUILD)

-include exokern/kernel.mk
-include $(shell find $(BUILD) -path $(BUILD)/sqlite -prune -o \
	   -name '*.d' -print 2>/dev/null)
