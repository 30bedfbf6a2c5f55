#!/bin/sh
# layering.sh: the layering rules of DESIGN.md, checked with grep.
# Each rule lists the files allowed to break it; anything else fails.
set -u
fail=0

# rule NAME PATTERN ALLOWED FILES...: files matching PATTERN must be ALLOWED
rule() {
	name=$1 pat=$2 allowed=$3; shift 3
	bad=$(grep -l -E "$pat" "$@" 2>/dev/null | grep -v -E "$allowed")
	if [ -n "$bad" ]; then
		echo "layering: $name:"; echo "$bad" | sed 's/^/  /'
		fail=1
	else
		echo "ok: $name"
	fi
}

# Sources above the exo interface (headers declare, sources use).
above=$(ls dblibos/*.c engine/*.c engine/cli/*.c sqlite-vfs/*.c bench/*.c \
	2>/dev/null)

rule "nothing above the ports includes a port header" \
	'#include *"(port/|host\.h|fault\.h)' '^$' $above
rule "only cache.c and wal.c submit data I/O (through dio.c)" \
	'dio_submit|exo_io_submit|exo_io_reap' \
	'^(dblibos/(cache|wal|dio)\.c|bench/raw\.c)$' $above
rule "only the cache and the WAL write blocks" 'EXO_OP_WRITE' \
	'^(dblibos/(cache|wal)\.c|bench/raw\.c)$' $above
rule "only ports include liburing, libaio or system I/O headers" \
	'#include *<(liburing|libaio|sys/|unistd\.h|fcntl\.h|linux/)' \
	'^(engine/cli/|bench/)' $above
rule "the engine and the VFS reach the machine only through dblibos" \
	'#include *[<"](exo\.h|core\.h|exo/(types|io|info|disk|syscall)\.h)' '^$' \
	$(ls engine/*.c engine/*.h sqlite-vfs/*.c sqlite-vfs/*.h 2>/dev/null)
rule "exokern/core is freestanding" \
	'#include *<(assert|errno|std(io|lib|arg)|string|pthread|unistd|sys/)' \
	'^$' exokern/core/*.c exokern/core/*.h
exit $fail
