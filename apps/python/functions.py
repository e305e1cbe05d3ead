"""apps/python/functions.py - the function module the zygote imports once.

handle(request) -> reply: what one forked child computes for one request.
The request is a JSON object {"id": ID, "values": [numbers...]}; the reply
carries the id, the child's pid, the sum, the sum of squares, the sorted
values' median and a CRC-32 of the canonical JSON of the values, so a client
can check every field itself.
"""
import binascii
import json
import os
import statistics


def handle(request):
    values = request["values"]
    canon = json.dumps(values, separators=(",", ":"))
    return {
        "id": request["id"],
        "pid": os.getpid(),
        "sum": sum(values),
        "sumsq": sum(v * v for v in values),
        "median": statistics.median(values) if values else None,
        "crc32": binascii.crc32(canon.encode()),
    }
