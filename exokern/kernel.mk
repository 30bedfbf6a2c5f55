# kernel.mk: build and run exokern.  Included by the top-level Makefile.
#
#   make                   also builds $(BUILD)/exokern.elf and the user
#                          programs in $(BUILD)/user/
#   make iso               $(BUILD)/exodb.iso, a GRUB image (ISO_MODULES)
#   make qemu              boot in QEMU, serial console on the terminal,
#                          with the modules QEMU_MODULES (comma-separated
#                          "program args", programs from $(BUILD)/user)
#                          and, if QEMU_DISK names an image (made by
#                          `exodb disk format`), that disk on virtio-blk
#   make qemu-gdb          the same, stopped for gdb on port 1234
#   make qemu-bench-kern   boot the in-guest measurements (bench)
#   make qemu-bench-disk   boot the disk measurements (diskbench) on a
#                          fresh 64 MiB image, $(BUILD)/bench-disk.img
#   make qemu-bench        exobench tpcb and tpcc (engine exodb) inside
#                          exokern, each on a fresh 2 GiB image
#                          (QEMU_BENCH_ARGS: exobench options)
#   make qemu-compare      the same TPC-B on exokern and on Debian's
#                          Linux in QEMU, side by side
#                          (tools/qemu-compare.sh; COMPARE_ARGS)
#   make test-exokern      the QEMU test suite (tests/exokern/run.sh)
#
# Kernel objects go to $(BUILD)/kern/ (exokern/core too, built again with
# the kernel's flags), user objects to $(BUILD)/user/.  The kernel is
# linked as a 64-bit ELF ($(BUILD)/kern/exokern64.elf, for gdb) and
# converted to the 32-bit ELF that Multiboot loaders accept.

KBUILD   = $(BUILD)/kern
UBUILD   = $(BUILD)/user
KINC     = -Iexokern/include -Iexokern/core -Iexokern/kern \
	   -Iexokern/arch/x86_64 -Iexokern/dev -Iexokern/lib
KFLAGS   = -std=gnu11 -O2 -g -ffreestanding -nostdlib -fno-common \
	   -fno-stack-protector -fno-pie -mno-red-zone -mcmodel=kernel \
	   -mno-sse -mno-mmx -mno-80387 -fno-asynchronous-unwind-tables \
	   $(WARN) $(KINC) -MMD -MP
UFLAGS   = -std=gnu11 -O2 -g -static -ffreestanding -nostdlib -fno-pie \
	   -fno-stack-protector -fno-common -fno-asynchronous-unwind-tables \
	   -fno-builtin-printf -fno-builtin-malloc $(WARN) -MMD -MP \
	   -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	   -isystem exokern/user/include -DKLIBC_FLOAT \
	   -Iexokern/include -Iexokern/core -Iexokern/lib -Iexokern/user/lib
ULDFLAGS = -static -nostdlib -no-pie -Wl,--build-id=none \
	   -Wl,-z,noexecstack -Wl,-z,max-page-size=4096

KERN_SRC = $(wildcard exokern/arch/x86_64/*.S exokern/arch/x86_64/*.c \
		      exokern/kern/*.c exokern/dev/*.c exokern/core/*.c) \
	   exokern/lib/string.c exokern/lib/fmt.c
KERN_OBJ = $(patsubst %,$(KBUILD)/%.o,$(basename $(KERN_SRC)))
ULIB_SRC = $(wildcard exokern/user/lib/*.c) \
	   $(filter-out %/crt0.S,$(wildcard exokern/user/lib/*.S)) \
	   exokern/lib/string.c exokern/lib/fmt.c exokern/core/errstr.c
ULIB_OBJ = $(patsubst %,$(UBUILD)/%.o,$(basename $(ULIB_SRC)))
UCRT0    = $(UBUILD)/exokern/user/lib/crt0.o
UPROG_SRC = $(wildcard exokern/user/prog/*.c)
UPROGS   = $(UPROG_SRC:exokern/user/prog/%.c=$(UBUILD)/%)
LIBGCC   = $(shell $(CC) -print-libgcc-file-name)

# The database libOS as exokern user code, $(UBUILD)/libexodb.a: the
# engine and dblibos above exo.h, unchanged, with port/exokern.c below it
# and exokern/core's CRC32C, built with -DEXOKERN (dblibos/sync.h then
# maps its locks to uthread.h).  Programs in exokern/user/libos/ link it,
# and so does the exodb CLI ($(UBUILD)/exodb, from engine/cli).
LIBOS_SRC = $(wildcard engine/*.c dblibos/*.c) dblibos/port/exokern.c \
	    exokern/core/crc32c.c
LIBOS_OBJ = $(patsubst %,$(UBUILD)/libos/%.o,$(basename $(LIBOS_SRC)))
LIBOS_FLAGS = $(UFLAGS) -DEXOKERN -Idblibos -Iengine
LPROG_SRC = $(wildcard exokern/user/libos/*.c)
LPROGS   = $(LPROG_SRC:exokern/user/libos/%.c=$(UBUILD)/%)
UCLI_OBJ = $(patsubst %.c,$(UBUILD)/libos/%.o,$(wildcard engine/cli/*.c) \
	     exokern/user/glue/mainstack.c)

# The benchmarks in the guest.  $(UBUILD)/libbench.a holds bench/ as it
# is, but for kv_lmdb.c (LMDB maps files: exokern/user/glue/kv_lmdb.c
# says so instead) and exobench.c (its main), with SQLite built for
# exokern (SQLITE_OS_OTHER; its mutexes and OS hooks in
# glue/sqlite_os.c) over the exodb VFS of sqlite-vfs/.  exobench is
# exobench.c over it; the programs in exokern/user/bench/ use its
# workloads.  (UBENCH_DIR: another copy of bench/, to try changes.)
UBENCH_DIR ?= bench
UBENCH_SRC = $(filter-out %/kv_lmdb.c %/exobench.c, \
		$(wildcard $(UBENCH_DIR)/*.c)) \
	     $(filter-out %/ext.c,$(wildcard sqlite-vfs/*.c)) \
	     $(wildcard exokern/user/glue/*.c)
UBENCH_OBJ = $(patsubst %.c,$(UBUILD)/libos/%.o,$(UBENCH_SRC))
BPROG_SRC = $(wildcard exokern/user/bench/*.c)
BPROGS   = $(BPROG_SRC:exokern/user/bench/%.c=$(UBUILD)/%)
UBENCH_ALL = $(UBENCH_OBJ) $(UBUILD)/libos/$(UBENCH_DIR)/exobench.o \
	     $(BPROG_SRC:%.c=$(UBUILD)/libos/%.o)
USQLITE_OPTS = -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=1 \
	       -DSQLITE_MUTEX_APPDEF=1 -DSQLITE_OMIT_LOAD_EXTENSION \
	       -DSQLITE_OMIT_LOCALTIME -DSQLITE_DEFAULT_PAGE_SIZE=4096 \
	       -DSQLITE_USE_URI=1

QEMU     = qemu-system-x86_64
QEMU_MEM ?= 128M
QEMU_FLAGS = -accel tcg -m $(QEMU_MEM) -display none -no-reboot \
	     -device isa-debug-exit,iobase=0xf4,iosize=4
QEMU_MODULES ?= hello from exokern,ulibtest,pages
ISO_MODULES  ?= hello booted by grub,ulibtest,pages
QEMU_DISK    ?=
qemu_drive = -drive file=$(1),if=none,id=d0,format=raw,cache=none \
	     -device virtio-blk-pci,drive=d0
QEMU_DRIVE = $(if $(QEMU_DISK),$(call qemu_drive,$(QEMU_DISK)))
comma   := ,
# "prog args,prog args" -> "$(UBUILD)/prog args,$(UBUILD)/prog args"
qemu_initrd = $(UBUILD)/$(subst $(comma),$(comma)$(UBUILD)/,$(1))

.PHONY: exokern iso qemu qemu-gdb qemu-bench-kern qemu-bench-disk \
	qemu-bench qemu-compare test-exokern
all: exokern
exokern: $(BUILD)/exokern.elf $(UPROGS) $(LPROGS) $(UBUILD)/exodb

$(KBUILD)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(KFLAGS) -c $< -o $@

$(KBUILD)/%.o: %.S | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(KFLAGS) -c $< -o $@

$(KBUILD)/exokern64.elf: $(KERN_OBJ) exokern/arch/x86_64/kernel.ld
	$(Q)$(LD) -n -nostdlib --no-warn-rwx-segments \
		-T exokern/arch/x86_64/kernel.ld -o $@ $(KERN_OBJ)

$(BUILD)/exokern.elf: $(KBUILD)/exokern64.elf
	$(Q)objcopy -O elf32-i386 $< $@

$(UBUILD)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(UFLAGS) -c $< -o $@

$(UBUILD)/%.o: %.S | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(UFLAGS) -c $< -o $@

$(UBUILD)/libexouser.a: $(ULIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# A program: crt0.o, its object, the runtime.
$(UPROGS): $(UBUILD)/%: $(UCRT0) $(UBUILD)/exokern/user/prog/%.o \
		$(UBUILD)/libexouser.a
	$(Q)$(CC) $(ULDFLAGS) -o $@ $^

$(UBUILD)/libos/%.o: %.c | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(LIBOS_FLAGS) -c $< -o $@

$(UBUILD)/libexodb.a: $(LIBOS_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# A libOS program: crt0.o, its objects, the libOS, the runtime.
$(LPROGS): $(UBUILD)/%: $(UCRT0) $(UBUILD)/libos/exokern/user/libos/%.o \
		$(UBUILD)/libexodb.a $(UBUILD)/libexouser.a
	$(Q)$(CC) $(ULDFLAGS) -o $@ $^ $(LIBGCC)

$(UBUILD)/exodb: $(UCRT0) $(UCLI_OBJ) $(UBUILD)/libexodb.a \
		$(UBUILD)/libexouser.a
	$(Q)$(CC) $(ULDFLAGS) -o $@ $^ $(LIBGCC)

$(UBENCH_ALL): LIBOS_FLAGS += -I$(UBENCH_DIR) -Isqlite-vfs \
	-isystem $(SQLITE_DIR)/bld
$(UBENCH_ALL): | $(SQLITE_DIR)/sqlite3.c

$(UBUILD)/sqlite3.o: $(SQLITE_DIR)/sqlite3.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out $(WARN) -MMD -MP,$(UFLAGS)) -w \
		$(USQLITE_OPTS) -c $< -o $@

$(UBUILD)/libbench.a: $(UBENCH_OBJ) $(UBUILD)/sqlite3.o
	$(Q)rm -f $@ && ar rcs $@ $^

$(UBUILD)/exobench: $(UCRT0) $(UBUILD)/libos/$(UBENCH_DIR)/exobench.o \
		$(UBUILD)/libbench.a $(UBUILD)/libexodb.a $(UBUILD)/libexouser.a
	$(Q)$(CC) $(ULDFLAGS) -o $@ $^ $(LIBGCC)

$(BPROGS): $(UBUILD)/%: $(UCRT0) $(UBUILD)/libos/exokern/user/bench/%.o \
		$(UBUILD)/libbench.a $(UBUILD)/libexodb.a $(UBUILD)/libexouser.a
	$(Q)$(CC) $(ULDFLAGS) -o $@ $^ $(LIBGCC)

# The same programs for a Linux guest (tools/qemu-compare.sh): built like
# the host's exobench, linked statically with the hosted libexodb.
LBUILD   = $(BUILD)/linux
LBENCH_OBJ = $(filter-out %/exobench.o,$(BENCH_SRC:%.c=$(BUILD)/obj/%.o))

$(LBUILD)/libbench.a: $(LBENCH_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LBUILD)/%.o: exokern/user/bench/%.c | deps
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Ibench -c $< -o $@

$(LBUILD)/qtpcb: $(LBUILD)/qtpcb.o $(LBUILD)/libbench.a $(LIBA)
	$(Q)$(CC) -static -pthread -Wl,--no-warnings -o $@ $^ -luring -laio \
		-llmdb -lsqlite3 -lm

$(BUILD)/exodb.iso: $(BUILD)/exokern.elf $(UPROGS)
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	$(Q)cp $(BUILD)/exokern.elf $(UPROGS) $(BUILD)/iso/boot/
	$(Q){ printf 'set timeout=0\nmenuentry exokern {\n'; \
	  printf '\tmultiboot /boot/exokern.elf\n'; \
	  echo "$(ISO_MODULES)" | tr ',' '\n' | while read -r p a; do \
	    printf '\tmodule /boot/%s %s %s\n' "$$p" "$$p" "$$a"; done; \
	  printf '}\n'; } > $(BUILD)/iso/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $@ $(BUILD)/iso 2> $(BUILD)/iso.log || \
		{ cat $(BUILD)/iso.log; exit 1; }
iso: $(BUILD)/exodb.iso

qemu: exokern
	$(QEMU) $(QEMU_FLAGS) -serial mon:stdio -kernel $(BUILD)/exokern.elf \
		$(QEMU_DRIVE) \
		-initrd "$(call qemu_initrd,$(QEMU_MODULES))" || true

qemu-gdb: exokern
	@echo "*** run: gdb $(KBUILD)/exokern64.elf -ex 'target remote :1234'"
	$(QEMU) $(QEMU_FLAGS) -serial mon:stdio -S -s \
		-kernel $(BUILD)/exokern.elf $(QEMU_DRIVE) \
		-initrd "$(call qemu_initrd,$(QEMU_MODULES))" || true

qemu-bench-kern: exokern
	$(QEMU) $(QEMU_FLAGS) -serial stdio -monitor none \
		-kernel $(BUILD)/exokern.elf -initrd "$(UBUILD)/bench" || true

qemu-bench-disk: exokern $(BUILD)/bin/exodb
	$(Q)rm -f $(BUILD)/bench-disk.img
	$(Q)$(BUILD)/bin/exodb disk format $(BUILD)/bench-disk.img --size 64M
	$(QEMU) $(QEMU_FLAGS) -serial stdio -monitor none \
		-kernel $(BUILD)/exokern.elf \
		$(call qemu_drive,$(BUILD)/bench-disk.img) \
		-initrd "$(UBUILD)/diskbench" || true

# exobench inside exokern: TPC-B, then TPC-C, each on a fresh disk
# image, engine exodb (QEMU_BENCH_ARGS: more exobench options).
QEMU_BENCH_MEM  ?= 1G
QEMU_BENCH_ARGS ?= --terminals 4 --seconds 10 --cache-mb 64
QEMU_BENCH_RUN = --engine exodb --device /dev/vda --quiet $(QEMU_BENCH_ARGS)
qemu-bench: exokern $(UBUILD)/exobench $(BUILD)/bin/exodb
	$(Q)for w in tpcb tpcc; do \
	  rm -f $(BUILD)/qemu-bench.img; \
	  $(BUILD)/bin/exodb disk format $(BUILD)/qemu-bench.img \
		--size 2G >/dev/null || exit 1; \
	  $(QEMU) $(QEMU_FLAGS) -m $(QEMU_BENCH_MEM) -serial stdio \
		-monitor none -kernel $(BUILD)/exokern.elf \
		$(call qemu_drive,$(BUILD)/qemu-bench.img) \
		-initrd "$(UBUILD)/exobench $$w $(QEMU_BENCH_RUN)" \
		</dev/null | grep -v '^exokern: ' || exit 1; \
	done

# The same TPC-B on exokern and on Linux in QEMU (tools/qemu-compare.sh;
# COMPARE_ARGS: terminals, seconds, memory).
qemu-compare: exokern $(UBUILD)/qtpcb $(LBUILD)/qtpcb $(BUILD)/bin/exodb
	$(Q)BUILD=$(BUILD) sh tools/qemu-compare.sh $(COMPARE_ARGS)

test-exokern: exokern $(BPROGS) iso $(BUILD)/bin/exodb
	$(Q)BUILD=$(BUILD) sh tests/exokern/run.sh

test: test-exokern
