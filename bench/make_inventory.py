"""Writes an inventory CSV of N made-up projects over 20 spaces (or SPACES):
bench/make_inventory.py N FILE [SPACES]"""
import sys
import uuid

count, path = int(sys.argv[1]), sys.argv[2]
spaces = int(sys.argv[3]) if len(sys.argv) > 3 else 20
with open(path, "w") as out:
    out.write("space,project_id,token,label,tags,send_as\n")
    for index in range(count):
        project = uuid.UUID(int=(0xF1EE7 << 100) | index, version=4)
        out.write(f"bench{index % spaces},{project},PT{index:048x},Project {index},bench,+1555{index % 10000000:07d}\n")
