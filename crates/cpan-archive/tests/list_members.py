#!/usr/bin/env python3
"""Lists the members of archives the way Python's tarfile/zipfile see them.

Reads archive paths on stdin, one per line. For each prints "BEGIN <path>", then one line per
member: kind TAB size TAB hex(name bytes), then "END ok" or "END error <message>".
kind is file, dir, symlink, hardlink or other. Names are given as raw bytes (tar names as
stored with surrogateescape; zip names re-encoded to the bytes that were stored).
"""
import sys, tarfile, zipfile, stat

def tar_members(path):
    with tarfile.open(path) as archive:
        for m in archive:
            if m.isreg():
                kind = "file"
            elif m.isdir():
                kind = "dir"
            elif m.issym():
                kind = "symlink"
            elif m.islnk():
                kind = "hardlink"
            else:
                kind = "other"
            yield kind, m.size, m.name.encode("utf-8", "surrogateescape")

def zip_members(path):
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            raw = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
            unix = info.external_attr >> 16
            if info.filename.endswith("/") or stat.S_ISDIR(unix):
                kind = "dir"
            elif stat.S_ISLNK(unix):
                kind = "symlink"
            else:
                kind = "file"
            yield kind, info.file_size, raw

for line in sys.stdin:
    path = line.rstrip("\n")
    print("BEGIN " + path)
    try:
        members = zip_members(path) if path.endswith(".zip") else tar_members(path)
        for kind, size, name in members:
            print(f"{kind}\t{size}\t{name.hex()}")
        print("END ok")
    except Exception as e:
        print("END error " + repr(e).replace("\n", " "))
    sys.stdout.flush()
