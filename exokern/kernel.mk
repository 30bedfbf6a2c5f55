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
	   -Iexokern/include -Iexokern/core -Iexokern/lib -Iexokern/user/lib
ULDFLAGS = -static -nostdlib -no-pie -Wl,--build-id=none \
	   -Wl,-z,noexecstack -Wl,-z,max-page-size=4096

KERN_SRC = $(wildcard exokern/arch/x86_64/*.S exokern/arch/x86_64/*.c \
		      exokern/kern/*.c exokern/dev/*.c exokern/core/*.c) \
	   exokern/lib/string.c exokern/lib/fmt.c
KERN_OBJ = $(patsubst %,$(KBUILD)/%.o,$(basename $(KERN_SRC)))
ULIB_SRC = $(wildcard exokern/user/lib/*.c) \
	   exokern/lib/string.c exokern/lib/fmt.c exokern/core/errstr.c
ULIB_OBJ = $(patsubst %,$(UBUILD)/%.o,$(basename $(ULIB_SRC)))
UCRT0    = $(UBUILD)/exokern/user/lib/crt0.o
UPROG_SRC = $(wildcard exokern/user/prog/*.c)
UPROGS   = $(UPROG_SRC:exokern/user/prog/%.c=$(UBUILD)/%)

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
	test-exokern
all: exokern
exokern: $(BUILD)/exokern.elf $(UPROGS)

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

test-exokern: exokern iso $(BUILD)/bin/exodb
	$(Q)BUILD=$(BUILD) sh tests/exokern/run.sh

test: test-exokern
