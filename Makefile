# ufork - build the runtime (statically linked), the unit tests and helpers.
CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
           -fno-stack-protector -fno-omit-frame-pointer -pthread
LDFLAGS += -static -pthread
LDLIBS  += -lcapstone       # Debian's libcapstone-dev (static libcapstone.a)

SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=build/obj/%.o) build/obj/entry.o build/obj/vdso_image.o

all: build/ufork

build/obj/%.o: src/%.c src/ufork.h | build/obj
	$(CC) $(CFLAGS) -c -o $@ $<

build/obj/entry.o: src/entry.S | build/obj
	$(CC) -c -o $@ $<

# The vDSO µprocesses get (src/vdso.c): a one-segment shared object without
# relocations, embedded in the runtime as bytes.
VDSO_CFLAGS := -O2 -fPIC -fvisibility=hidden -fno-stack-protector -fno-asynchronous-unwind-tables \
               -fno-builtin -nostdlib -shared -Wall -Wextra -Werror \
               -Wl,--hash-style=sysv -Wl,-T,src/vdso/image.lds -Wl,-soname,linux-vdso.so.1 \
               -Wl,--no-undefined -Wl,-z,norelro -Wl,--build-id=none
build/vdso.so: src/vdso/image.c src/vdso/image.lds | build/obj
	$(CC) $(VDSO_CFLAGS) -o $@ src/vdso/image.c

build/obj/vdso_image.o: src/vdso_image.S build/vdso.so | build/obj
	$(CC) -c -DVDSO_FILE='"build/vdso.so"' -o $@ src/vdso_image.S

build/ufork: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/obj:
	mkdir -p $@

clean:
	rm -rf build

.PHONY: all clean

# Unit tests: pure pieces of the runtime, built with ASan and UBSan.  Each test
# binary prints "PASS name" / "FAIL name" lines.
UNIT_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
               -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_TESTS := build/unit/test_vma build/unit/test_reloc build/unit/test_elf build/unit/test_fdshare \
              build/unit/test_pkey

build/unit/test_vma: tests/unit/test_vma.c src/vma.c src/ufork.h tests/unit/unit.h
build/unit/test_reloc: tests/unit/test_reloc.c src/reloc.c src/reloc.h tests/unit/unit.h
build/unit/test_elf: tests/unit/test_elf.c src/elf.c src/rewrite.c src/vma.c src/ufork.h tests/unit/unit.h
build/unit/test_fdshare: tests/unit/test_fdshare.c src/fdshare.c src/ufork.h tests/unit/unit.h
build/unit/test_pkey: tests/unit/test_pkey.c src/pkey.c src/ufork.h tests/unit/unit.h

$(UNIT_TESTS):
	@mkdir -p build/unit
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^) $(if $(filter %/rewrite.c,$^),-lcapstone)

unit: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do ASAN_OPTIONS=detect_leaks=1 $$t || status=1; done; exit $$status

.PHONY: unit

# The runtime itself under AddressSanitizer and UBSan (dynamically linked:
# ASan cannot link statically).  Run the suite with it:
#   make asan && ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:use_sigaltstack=0 \
#       UFORK=build/ufork-asan bash tests/run.sh
# (the runtime's own signal handlers must stay in charge; the tests that
# check the runtime's memory stays flat, cli/fork_flat, cli/redis_bgsave and
# cli/fast_syscalls_redis, see ASan's quarantine and allocator metadata grow
# instead)
ASAN_OBJS := $(SRCS:src/%.c=build/asan/%.o) build/asan/entry.o build/obj/vdso_image.o
build/asan/%.o: src/%.c src/ufork.h src/reloc.h
	@mkdir -p build/asan
	$(CC) $(filter-out -O2,$(CFLAGS)) -O1 -fsanitize=address,undefined -c -o $@ $<
build/asan/entry.o: src/entry.S
	@mkdir -p build/asan
	$(CC) -c -o $@ $<
build/ufork-asan: $(ASAN_OBJS)
	$(CC) -pthread -fsanitize=address,undefined -o $@ $^ -lcapstone
asan: build/ufork-asan
.PHONY: asan

# The static-PIE shell that µprocesses get as /bin/sh (Debian's dash, built
# from Debian's source package by apps/dash/build.sh).
dash:
	sh apps/dash/build.sh
.PHONY: dash

# Redis 7 from Debian's source package as static-PIE executables
# (build/apps/redis-server, redis-cli, redis-benchmark, redis-check-rdb).
redis:
	sh apps/redis/build.sh
.PHONY: redis

# nginx 1.22 from Debian's source package as a static-PIE executable
# (build/apps/nginx).
nginx:
	sh apps/nginx/build.sh
.PHONY: nginx

# CPython 3.11 from Debian's source package as a static-PIE executable
# (build/apps/python, stdlib in build/apps/python3.11/).
python:
	sh apps/python/build.sh
.PHONY: python
