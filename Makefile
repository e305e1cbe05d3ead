# ufork - build the runtime (statically linked), the unit tests and helpers.
CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
           -fno-stack-protector -fno-omit-frame-pointer -pthread
LDFLAGS += -static -pthread

SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=build/obj/%.o) build/obj/entry.o

all: build/ufork

build/obj/%.o: src/%.c src/ufork.h | build/obj
	$(CC) $(CFLAGS) -c -o $@ $<

build/obj/entry.o: src/entry.S | build/obj
	$(CC) -c -o $@ $<

build/ufork: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^

build/obj:
	mkdir -p $@

clean:
	rm -rf build

.PHONY: all clean
