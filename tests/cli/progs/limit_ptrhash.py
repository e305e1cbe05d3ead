"""tests/cli/progs/limit_ptrhash.py - CPython's address hashes across fork.

object.__hash__ (and that of classes and functions) is the object's address
rotated by 4 bits; sets and dicts store each key's hash.  The parent fills a
set, a dict and a tuple-keyed dict with such keys, forks, and parent and
child each print what they find.  On Linux the child's objects keep their
addresses and everything is found.  Under ufork the child's copy is at
another address: its hashes differ from the stored ones, so set lookups
(which compare the stored hash before identity) and tuple keys miss, while
dict lookups of the object itself (identity first) still hit.
"""
import os


class C:
    pass


objs = [C() for _ in range(500)]
s = set(objs)
cs = {C}
d = {C: 1, len: 2}
tk = {(C, 1): 3}
h0 = hash(C)


def report(who):
    print(who,
          "set-of-objects %d/%d" % (sum(o in s for o in objs), len(objs)),
          "class-in-set", C in cs,
          "class-in-dict", C in d,
          "func-in-dict", len in d,
          "tuple-key", (C, 1) in tk,
          "hash-unchanged", hash(C) == h0, flush=True)


pid = os.fork()
if pid == 0:
    report("child")
    os._exit(0)
_, st = os.waitpid(pid, 0)
report("parent")
print("child status", st)
