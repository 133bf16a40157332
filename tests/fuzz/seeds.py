#!/usr/bin/env python3
"""seeds.py - writes the seed corpus (corpus/NAME/*): valid requests, definitions, stats and rings.

Run from tests/fuzz when an input layout changes; the files it writes are kept in git."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


class Ram:
    """Guest RAM as the virtio targets lay it out: queue q's rings at q * 0x300."""

    def __init__(self, size=0x4000):
        self.b = bytearray(size)

    def w(self, addr, data):
        self.b[addr:addr + len(data)] = data

    def desc(self, q, i, addr, length, flags=0, nxt=0):
        self.w(q * 0x300 + 16 * i, struct.pack("<QIHH", addr, length, flags, nxt))

    def avail(self, q, heads):
        self.w(q * 0x300 + 0x100, struct.pack("<HH", 0, len(heads)))
        for k, h in enumerate(heads):
            self.w(q * 0x300 + 0x104 + 2 * k, struct.pack("<H", h))


NEXT, WRITE = 1, 2


def device(sizes=(0, 0, 0, 0), feat=0x80, script=b"", ram=None):
    return bytes(sizes) + bytes([feat, len(script)]) + script + bytes(ram.b).rstrip(b"\0") if ram else b""


def blk():
    r = Ram()
    reqs = [(0, 1, 512), (1, 2, 1024), (4, 0, 0), (8, 0, 20)]  # read, write, flush, get-id
    heads = []
    for n, (typ, sector, length) in enumerate(reqs):
        base = 3 * n
        hdr = 0x1000 + 0x100 * n
        r.w(hdr, struct.pack("<IIQ", typ, 0, sector))
        heads.append(base)
        if typ == 1:  # data goes out: readable
            r.desc(0, base, hdr, 16, NEXT, base + 1)
            r.desc(0, base + 1, 0x2000, length, NEXT, base + 2)
        elif length:
            r.desc(0, base, hdr, 16, NEXT, base + 1)
            r.desc(0, base + 1, 0x2000 + 0x400 * n, length, WRITE | NEXT, base + 2)
        else:
            r.desc(0, base, hdr, 16, NEXT, base + 2)
        r.desc(0, base + 2, 0x3000 + n, 1, WRITE)
    r.avail(0, heads)
    put("virtio-blk", "rw-flush-id", b"\0" + device(script=b"\x00\x04\x07", ram=r))
    put("virtio-blk", "readonly-write", b"\1" + device(ram=r))


def rng():
    r = Ram()
    r.desc(0, 0, 0x1000, 64, WRITE | NEXT, 1)
    r.desc(0, 1, 0x1100, 16, WRITE)
    r.desc(0, 2, 0x1200, 8, WRITE)
    r.avail(0, [0, 2])
    put("virtio-rng", "two-chains", device(script=b"\x00\x04", ram=r))
    return r


def balloon():
    r = Ram()
    r.w(0x1000, struct.pack("<II", 5, 6))
    r.desc(0, 0, 0x1000, 8)
    r.avail(0, [0])
    r.w(0x1100, struct.pack("<I", 5))
    r.desc(1, 0, 0x1100, 4)
    r.avail(1, [0])
    stats = b"".join(struct.pack("<HQ", tag, (tag + 1) << 20) for tag in range(8))
    r.w(0x1200, stats)
    r.desc(2, 0, 0x1200, len(stats))
    r.avail(2, [0])
    put("virtio-balloon", "inflate-deflate-stats", device(script=b"\x09\x10\x02\x01", ram=r))


def net():
    r = Ram()
    r.desc(0, 0, 0x1000, 1526, WRITE)
    r.desc(0, 1, 0x1800, 12, WRITE | NEXT, 2)
    r.desc(0, 2, 0x1900, 64, WRITE)
    r.avail(0, [0, 1])
    r.w(0x2000, bytes(12) + b"\xff" * 6 + b"\x52\x54\x00\x01\x02\x03\x08\x00" + bytes(46))
    r.desc(1, 0, 0x2000, 12, NEXT, 1)
    r.desc(1, 1, 0x200c, 60)
    r.avail(1, [0])
    put("virtio-net", "rx-tx", device(script=b"\x01\x0b\x08\x00\x19", ram=r))


def mmio(ram):
    def op(write, off, val):
        return bytes([7 if write else 6]) + struct.pack("<H", off) + struct.pack("<Q", val)
    seq = [op(0, 0x000, 0), op(0, 0x008, 0), op(1, 0x070, 3), op(1, 0x024, 1), op(1, 0x020, 1),
           op(1, 0x070, 11), op(0, 0x070, 0), op(1, 0x030, 0), op(0, 0x034, 0), op(1, 0x038, 16),
           op(1, 0x080, 0), op(1, 0x090, 0x100), op(1, 0x0a0, 0x200), op(1, 0x044, 1),
           op(1, 0x070, 15), op(1, 0x050, 0), op(0, 0x060, 0), op(1, 0x064, 1), op(1, 0x070, 0)]
    put("virtio-mmio", "rng-handshake", bytes([0, len(seq)]) + b"".join(seq) + bytes(ram.b).rstrip(b"\0"))
    cfg = [op(0, 0x100, 0), op(0, 0x104, 0), op(1, 0x104, 0x1234)]
    put("virtio-mmio", "balloon-config", bytes([1, len(cfg)]) + b"".join(cfg) + bytes(ram.b).rstrip(b"\0"))


def virtq():
    r = Ram()
    r.w(0x1000, b"request!")
    r.desc(0, 0, 0x1000, 8, NEXT, 1)
    r.desc(0, 1, 0x1100, 32, WRITE)
    r.desc(0, 2, 0x1200, 4, WRITE)
    r.avail(0, [0, 2])
    hdr = struct.pack("<HQQQHHB", 16, 0, 0x100, 0x200, 0, 0, 3) + bytes(64)
    put("virtq", "two-chains", hdr + bytes(r.b).rstrip(b"\0"))


def ports():
    def w(port, v, serial=True):
        return bytes([1 | (2 if serial else 0), port, v])

    def rd(port, serial=True):
        return bytes([0 | (2 if serial else 0), port, 0])
    seq = [w(3, 0x80), w(0, 0x0c), w(1, 0), w(3, 0x03), w(1, 0x03), w(0, ord("h")), w(0, ord("i")),
           rd(5), rd(2), bytes([0x0e, 0, ord("x")]), rd(0), rd(5), w(4, 0x10), rd(6),
           w(4, 0x20, False), rd(0, False), w(4, 0x60, False), w(0, 0x47, False), w(0, 0xff, False),
           rd(0, False), rd(4, False), bytes([0x08, 0, 0]), rd(0, False), w(4, 0xfe, False)]
    put("vmm-ports", "uart-and-kbd", b"".join(seq))


def lines(*objs):
    return "".join(o + "\n" for o in objs)


def ctl():
    put("ctl-line", "requests", b"\x00\x07" + lines('{"cmd":"status"}', '{"op":"kill","signal":9}',
                                                    '{"ok":false,"code":2,"error":"no such guest"}',
                                                    '{"ok":true,"cpus":0.5,"mem_bytes":268435456}').encode())
    put("ctl-line", "not-json", b"\x01\xff" + b"{\"cmd\":\n[1,2]\n\"x\"\n")
    put("vmm-ctl", "every-command", b"\x01" + lines(
        '{"cmd":"status"}', '{"cmd":"stats"}', '{"cmd":"pause"}', '{"cmd":"resume"}',
        '{"cmd":"balloon","bytes":134217728}', '{"cmd":"shutdown","timeout":5}', '{"cmd":"kill"}',
        '{"cmd":"console"}', '{"cmd":"nope"}').encode())
    put("vmm-ctl", "no-balloon", b"\x02" + lines('{"cmd":"balloon","bytes":100}', '{"cmd":"resume"}').encode())
    put("ct-super", "every-request", b"\x00" + lines(
        '{"op":"status"}', '{"op":"stats"}', '{"op":"pause"}', '{"op":"resume"}',
        '{"op":"resize","mem_bytes":268435456,"cpus":1.5}', '{"op":"winsize","rows":50,"cols":132}',
        '{"op":"kill","signal":15}', '{"op":"nope"}', '{"op":"stop","timeout_s":3}').encode())
    put("ct-super", "console", b"\x00" + lines('{"op":"console"}').encode() + b"ls -l\r\x03")


def defs():
    put("ct-def", "full", "# a comment\n[container]\nrootfs = /srv/rootfs\nhostname = web1\n"
        "cmd = /bin/sh -c 'echo \"hi\" there'\ncwd = /tmp\ncgroups = true\nseccomp = false\n"
        "userns_base = 100000\nuserns_size = 65536\n"
        "[resources]\nmemory = 256M\nmemory_high = 200M\ncpus = 0.5\ncpu_weight = 100\n"
        "cpuset = 0-1\npids_max = 64\nnofile = 4096\n"
        "[network]\nnet = bridge\nbridge = br9\nsubnet = 10.9.0.0/24\n")
    put("ct-def", "minimal", "rootfs=/r\n")
    put("vm-def", "full", "# VM\n[vm]\nname=web\nvcpus=2\nmemory=512M\nkernel=/boot/vmlinuz\n"
        "initrd=/boot/initrd.img\ncmdline=console=ttyS0 quiet\ndisk=/srv/web.img\n"
        "disk_readonly=yes\nnet=vdbr0\nballoon=no\nrng=yes\nksm=on\n")
    put("vm-def", "minimal", "[vm]\nname=a\nkernel=/k\n")


def config():
    with open(os.path.join(HERE, "..", "..", "data", "virtdeck.ini"), "rb") as f:
        put("config", "shipped", f.read())
    put("config", "every-section", "[display]\ninterval = 0.5\ntheme = light\ncolor = never\n"
        "graphs = block\ncolumns = name, state, cpu_pct_alloc, mem_used\nsort = mem_used\n"
        "sort_order = asc\nvi_keys = yes\nmouse = no\n[keys]\nquit = q, F10\nkill = C-k\n"
        "[connection lab1]\nuri = qemu+ssh://root@lab1/system\n[advice]\nwindow = 7d\n"
        "stray line\n[broken\n")


def lv_stats():
    INT, UINT, LLONG, ULLONG, DOUBLE = 1, 2, 3, 4, 5

    def f(t, name, v):
        val = struct.pack("<d", v) if t == DOUBLE else struct.pack("<Q", v & (2**64 - 1))
        return bytes([t - 1, len(name)]) + name.encode() + val
    fields = [f(INT, "state.state", 1), f(ULLONG, "cpu.time", 5 * 10**9),
              f(ULLONG, "balloon.current", 262144), f(ULLONG, "balloon.maximum", 524288),
              f(ULLONG, "balloon.available", 200000), f(ULLONG, "balloon.usable", 100000),
              f(ULLONG, "balloon.rss", 300000), f(ULLONG, "balloon.last-update", 1700000000),
              f(UINT, "vcpu.current", 2), f(ULLONG, "net.0.rx.bytes", 150),
              f(ULLONG, "net.0.tx.bytes", 7), f(ULLONG, "block.0.rd.bytes", 4096),
              f(LLONG, "block.0.wr.bytes", 512), f(DOUBLE, "balloon.swap_in", 1.5)]
    xml = ("<domain type='kvm'><devices><disk type='file' device='disk'><source file='/a.img'/>"
           "<target dev='vda' bus='virtio'/></disk><interface type='bridge'>"
           "<mac address='52:54:00:aa:bb:cc'/><target dev=\"vnet0\"/></interface>"
           "<interface type='user'><mac address='52:54:00:00:00:01'/></interface></devices></domain>")
    put("lv-stats", "running-vm", bytes([0, len(fields)]) + b"".join(fields) + xml.encode())
    put("lv-stats", "lxc", bytes([1, 2]) + f(INT, "state.state", 5) + f(ULLONG, "cpu.time", 1))


if __name__ == "__main__":
    blk()
    mmio(rng())
    balloon()
    net()
    virtq()
    ports()
    ctl()
    defs()
    config()
    lv_stats()
