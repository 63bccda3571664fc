#!/usr/bin/env python3
"""Turn reports/schema.sql into a C string literal, so the schema lives in one file."""
import sys

with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        line = line.split("--", 1)[0].rstrip()
        if line:
            out.write('"' + line.replace("\\", "\\\\").replace('"', '\\"') + '\\n"\n')
