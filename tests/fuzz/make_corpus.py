#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/).

Each seed is a short script in the target's input format (see the
harnesses: fuzz_input.hpp's reads, and each target's operations) that does
something a VMM or guest typically does, so that fuzzing starts from
meaningful states: programmed interrupt controllers, MMIO instructions,
filters and CPUID tables. The operation weights of the irqchip targets are
read from their sources, so the seeds follow them.

  tests/fuzz/make_corpus.py            rewrite every corpus
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MASK64 = (1 << 64) - 1


class Enc:
    """The writing side of fuzz_input.hpp's Input."""

    def __init__(self):
        self.b = bytearray()

    def u8(self, v):
        self.b.append(v & 0xFF)
        return self

    def u16(self, v):
        self.b += (v & 0xFFFF).to_bytes(2, "little")
        return self

    def u32(self, v):
        self.b += (v & 0xFFFFFFFF).to_bytes(4, "little")
        return self

    def u64(self, v):
        self.b += (v & MASK64).to_bytes(8, "little")
        return self

    def flag(self, v):
        return self.u8(1 if v else 0)

    def val(self, x):
        """Input::value64() (and value32()) returning exactly @x."""
        x &= MASK64
        if x < 0x100:
            return self.u8(3).u8(x)
        if x < 0x10000:
            return self.u8(7).u16(x)
        if x < 1 << 32:
            return self.u8(2).u32(x)
        return self.u8(0).u64(x)

    def raw(self, data):
        self.b += bytes(data)
        return self


# ---- fuzz_emulate -----------------------------------------------------------

def mix(x):
    x &= MASK64
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & MASK64
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & MASK64
    x ^= x >> 33
    return x


KINDS = ["ram", "ram", "ram", "ram", "mmio", "mmio", "pf", "gp"]


def page_kind(seed, linear):
    return KINDS[mix((linear >> 12) ^ seed) % 8]


def find_page(seed, kind, start=0x10000, avoid=()):
    page = start >> 12
    while True:
        if page_kind(seed, page << 12) == kind and page not in avoid:
            return page << 12
        page += 1


MODES = {"real": 0, "prot16": 1, "prot32": 2, "long64": 3}


def emulate_seed(mode, seed, regs, insns, rflags=2, segs=None, mmio=()):
    """regs: name -> value; insns: list of byte strings; mmio: values the
    MMIO reads get, in order."""
    names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"] + [
        "r%d" % i for i in range(8, 16)
    ]
    e = Enc().u8(MODES[mode]).u64(seed)
    for n in names:
        e.val(regs.get(n, 0))
    e.val(regs.get("rip", 0x1000))
    e.val(rflags)
    for i in range(6):
        base = (segs or {}).get(i)
        e.flag(base is not None)
        if base is not None:
            e.val(base)
    for insn in insns:
        # Bytes that fall on a page that is not RAM are not read from the
        # input: keep instructions inside the code page.
        e.u8(len(insn)).raw(insn)
        for v in mmio:
            e.val(v)
    return e.b


def emulate_corpus():
    seeds = {}
    s = 0x1234
    code = find_page(s, "ram", 0x100000)
    ram = find_page(s, "ram", 0x200000, avoid=(code >> 12,))
    mmio = find_page(s, "mmio", 0x300000)
    # A RAM page followed by an MMIO page, for accesses across the boundary.
    split = next(
        p << 12
        for p in range(0x400, 0x100000)
        if page_kind(s, p << 12) == "ram" and page_kind(s, (p + 1) << 12) == "mmio"
    )
    rip = {"rip": code}
    seeds["long64-mov-load-mmio"] = emulate_seed(
        "long64", s, {**rip, "rax": mmio + 0x40}, [b"\x48\x8b\x08", b"\x8b\x08"], mmio=[0x1122334455667788]
    )
    seeds["long64-mov-store-mmio"] = emulate_seed(
        "long64", s, {**rip, "rax": mmio + 0x10, "rcx": 0xDEADBEEF}, [b"\x89\x08", b"\x88\x48\x04"]
    )
    seeds["long64-rep-stosb"] = emulate_seed(
        "long64", s, {**rip, "rdi": ram + 0x100, "rcx": 5, "rax": 0x5C}, [b"\xf3\xaa"]
    )
    seeds["long64-rep-movsd-down"] = emulate_seed(
        "long64",
        s,
        {**rip, "rsi": mmio + 0x20, "rdi": ram + 0x20, "rcx": 3},
        [b"\xf3\xa5"],
        rflags=2 | (1 << 10),
        mmio=[1, 2, 3],
    )
    seeds["long64-lock-or-mmio"] = emulate_seed(
        "long64", s, {**rip, "rax": mmio}, [b"\xf0\x81\x08\x00\x00\x00\x80"], mmio=[1]
    )
    seeds["long64-xchg-across-pages"] = emulate_seed(
        "long64", s, {**rip, "rax": split + 0xFFC, "rcx": 0x0102030405060708}, [b"\x48\x87\x08"], mmio=[7]
    )
    seeds["long64-bts-movzx-moffs"] = emulate_seed(
        "long64",
        s,
        {**rip, "rax": ram + 8, "rcx": 0x45, "rsi": mmio + 3},
        [b"\x0f\xab\x08", b"\x0f\xb6\x06", b"\x48\xa1" + (mmio + 8).to_bytes(8, "little")],
        mmio=[0xAB],
    )
    seeds["prot32-sib-add"] = emulate_seed(
        "prot32",
        s,
        {"rip": code, "rbx": ram, "rsi": 4, "rax": 0x7FFFFFFF},
        [b"\x01\x44\xb3\x10", b"\x66\xc7\x03\x34\x12"],
    )
    seeds["real-mode-segments"] = emulate_seed(
        "real",
        s,
        {"rip": 0x100, "rbx": 0x10, "rsi": 2, "rax": 0xBEEF},
        [b"\x89\x40\x04", b"\x26\x8b\x07", b"\xf6\x00\x01"],
        segs={0: ram, 1: code - 0x100, 3: mmio},
        mmio=[0x55],
    )
    seeds["prot16-movsx-bt-prefixes"] = emulate_seed(
        "prot16",
        s,
        {"rip": code & 0xFFFF, "rbx": 0x20, "rcx": 0x1F},
        [b"\x66\x0f\xbf\x07", b"\x0f\xa3\x0f", b"\x67\x66\x8b\x03"],
        segs={1: code - (code & 0xFFFF), 3: mmio},
        mmio=[0x8000, 0x1234],
    )
    return seeds


# ---- the irqchip VM script (irq_vm.hpp) ---------------------------------

OPS = [
    "apic_mmio", "ioapic_mmio", "port", "guest_msr", "host_msr", "set_lapic", "irq_line",
    "signal_msi", "events", "run", "time", "tpr", "set_irqchip", "pit_state", "routing",
    "fill_bus", "alloc_failure",
]
REGS = [0x20, 0x30, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0]
REGS += [0x100 + 0x10 * i for i in range(8)] + [0x180 + 0x10 * i for i in range(8)]
REGS += [0x200 + 0x10 * i for i in range(8)]
REGS += [0x280, 0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3E0]
PORTS = [0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x20, 0x21, 0xA0,
         0x4D0, 0x40, 0x43, 0x43]


def weights_of(target):
    src = open(os.path.join(HERE, target + ".cpp")).read()
    m = re.search(r"kWeights\[[^\]]*\]\s*=\s*\{(.*?)\};", src, re.S)
    w = [int(x) for x in re.findall(r"^\s*(\d+),", m.group(1), re.M)]
    assert len(w) == len(OPS), (target, w)
    return w


class IrqScript:
    """An IrqVm script: setup(), then operations."""

    def __init__(self, target, e=None, prefix=None):
        self.e = e or Enc()
        self.w = weights_of(target)
        assert sum(self.w) <= 256
        self.n = 1
        self.prefix = prefix  # a byte before each operation (fuzz_routing's)

    def setup(self, cfg, ids=(0,), features=(3,), pins=0, faults=0):
        # cfg: bits 0-1 X2APIC_API, 2 split, 3 PIT, 4 speaker port; vCPUs
        # from bits 5-7. faults: creations that first fail an allocation.
        cfg = (cfg & 0x1F) | ((len(ids) - 1) << 5)
        self.e.u8(cfg).u8(faults)
        if cfg & 4:
            self.e.u8(pins)
        for i, vid in enumerate(ids):
            if i and vid <= 16:
                self.e.u8(vid - 1)
            elif i:
                self.e.u8(240).u16(vid - 240)
            self.e.u8(features[i] if i < len(features) else 3)
        self.n = len(ids)
        return self

    def op(self, name):
        k = OPS.index(name)
        if self.prefix is not None:
            self.e.u8(self.prefix)
        self.e.u8(sum(self.w[:k]))
        return self.e

    def apic_write(self, vcpu, reg, value):
        e = self.op("apic_mmio")
        e.u8(vcpu).u8(vcpu).u8(0).u16(reg).u8(0).val(value).flag(1)

    def apic_read(self, vcpu, reg):
        e = self.op("apic_mmio")
        e.u8(vcpu).u8(vcpu).u8(0).u16(reg).u8(0).val(0).flag(0)

    def wrmsr(self, vcpu, msr, value):
        e = self.op("guest_msr").u8(vcpu)
        if msr == 0x1B:
            # IA32_APIC_BASE at the default page: bits BSP, EXTD, EN.
            bits = (1 if value & 0x100 else 0) | (2 if value & 0x400 else 0) | (4 if value & 0x800 else 0)
            e.u8(0).flag(1).u8(bits)
        elif msr == 0x6E0:
            e.u8(1).flag(1).val(value)
        elif 0x800 <= msr <= 0x8FF:
            e.u8(5).u8(msr - 0x800).flag(1).val(value)
        else:
            e.u8(4).val(msr).flag(1).val(value)

    def set_lapic(self, vcpu, changes):
        e = self.op("set_lapic").u8(vcpu).u8(len(changes))
        for reg, value in changes:
            e.u8(REGS.index(reg)).val(value)
        e.u8(0).u8(0)

    def irq_line(self, gsi, level, status=True):
        self.op("irq_line").u8(0).u8(gsi).flag(level).flag(status)

    def msi(self, dest, vector, mode=0, level=False):
        e = self.op("signal_msi").u8(0).u8(dest).u8(0).u8(vector).u8(mode)
        e.flag(level).flag(level)

    def run(self, vcpu, how=1):
        self.op("run").u8(vcpu).u8(how)

    def time(self, shift):
        e = self.op("time").u8(64).u8(shift)
        for _ in range(self.n):
            e.u8(1)

    def out(self, vcpu, port, value):
        e = self.op("port").u8(vcpu).u8(36 + PORTS.index(port)).u8(1).u8(0).u8(value).flag(1)
        return e

    def inb(self, vcpu, port):
        self.op("port").u8(vcpu).u8(36 + PORTS.index(port)).u8(1).u8(0).u8(0).flag(0)

    def pic_init(self, vcpu, slave, base, mask, level=False, auto_eoi=False):
        icw1 = 0x08 if level else 0
        icw4 = 0x02 if auto_eoi else 0
        self.op("port").u8(vcpu).u8(1 if slave else 0).u8(icw1).u8(base).u8(icw4).u8(mask)

    def ioapic_write(self, vcpu, index, value):
        self.op("ioapic_mmio").u8(vcpu).u8(1).u8(index).val(value)

    def ioapic_read(self, vcpu, index):
        self.op("ioapic_mmio").u8(vcpu).u8(3).u8(index)

    def redirect(self, pin, vector, dest=0, level=False, masked=False):
        lo = vector | (0x8000 if level else 0) | (0x10000 if masked else 0)
        self.ioapic_write(0, 0x10 + 2 * pin + 1, dest << 24)
        self.ioapic_write(0, 0x10 + 2 * pin, lo)

    def events(self, vcpu, kind, arg=0):
        e = self.op("events").u8(vcpu).u8(kind)
        if kind in (1, 2):
            e.u8(0).u8(arg)

    def set_irqchip(self, chip, changes):
        e = self.op("set_irqchip").u8(0).u8(chip).u8(len(changes))
        for off, value in changes:
            if chip == 2 and isinstance(value, tuple):
                pin, bits = value
                e.u8(0).val(bits).u8(pin)  # redirection entry (@how even: as is)
            else:
                e.u8(200).u16(off).u8(value)
        e.u8(0)

    def pit_state(self, changes):
        e = self.op("pit_state").u8(0).u8(len(changes))
        for how, ch, value in changes:
            e.u8(how).u8(ch)
            if how == 0:
                e.u8(0).u8(value)
            elif how == 1:
                e.u8(0).u16(value)
            else:
                e.val(value)
        return e

    def reinject(self, on):
        self.op("pit_state").u8(3).u8(1 if on else 0)

    def routing(self, entries):
        e = self.op("routing").u8(len(entries))
        for ent in entries:
            e.u8(0).u8(ent[0])  # gsi
            if ent[1] == "chip":
                e.u8(0).u8(ent[2]).u8(ent[3])
            else:
                e.u8(120).u8(ent[2]).u8(0).u8(0).u8(ent[3]).u8(0).flag(0)
            e.u8(0)

    def tpr(self, vcpu, cr8):
        self.op("tpr").u8(vcpu).u8(0).u8(cr8)

    def guest_debug(self, vcpu, blockirq):
        self.op("events").u8(vcpu).u8(4).u8(1 if blockirq else 0)


def apic_enable(s, vcpu):
    s.apic_write(vcpu, 0xF0, 0x1FF)


def irq_model_prefix(target):
    return Enc().u8(0)  # even: the VM script


def lapic_corpus():
    seeds = {}
    # Two vCPUs: enable, an IPI, EOI, priorities.
    s = IrqScript("fuzz_lapic", irq_model_prefix("fuzz_lapic"))
    s.setup(0, ids=(0, 1))
    apic_enable(s, 0)
    apic_enable(s, 1)
    s.apic_write(0, 0x310, 1 << 24)
    s.apic_write(0, 0x300, 0x4041)
    s.run(1)
    s.apic_write(1, 0x80, 0x30)
    s.apic_write(1, 0xB0, 0)
    s.apic_read(1, 0xA0)
    seeds["ipi-eoi-tpr"] = s.e.b
    # The timer: one-shot, periodic, TSC deadline through the MSR.
    s = IrqScript("fuzz_lapic", irq_model_prefix("fuzz_lapic"))
    s.setup(0, ids=(0,), features=(3,))
    apic_enable(s, 0)
    s.apic_write(0, 0x3E0, 0xB)
    s.apic_write(0, 0x320, 0x20030)
    s.apic_write(0, 0x380, 1000)
    s.time(12)
    s.run(0)
    s.apic_write(0, 0x320, 0x40031)
    s.wrmsr(0, 0x6E0, 0x2000000)
    s.time(30)
    s.run(0)
    seeds["timer-modes"] = s.e.b
    # x2APIC with 32-bit IDs, self IPIs and an ICR through the MSR.
    s = IrqScript("fuzz_lapic", irq_model_prefix("fuzz_lapic"))
    s.setup(1, ids=(0, 2), features=(1, 1))
    s.wrmsr(0, 0x1B, 0xFEE00D00)
    s.wrmsr(0, 0x80F, 0x1FF)
    s.wrmsr(0, 0x83F, 0x40)
    s.wrmsr(0, 0x830, (2 << 32) | 0x4050)
    s.wrmsr(0, 0x80B, 0)
    s.run(0)
    s.set_lapic(1, [(0xF0, 0x1FF), (0x200, 0x10000)])
    seeds["x2apic-msrs"] = s.e.b
    # Split irqchip: MSIs, KVM_INTERRUPT through LINT0, INIT and SIPI.
    s = IrqScript("fuzz_lapic", irq_model_prefix("fuzz_lapic"))
    s.setup(4, ids=(0, 1), pins=24)
    apic_enable(s, 0)
    apic_enable(s, 1)
    s.msi(0, 0x41)
    s.msi(1, 0x0, mode=5)
    s.msi(1, 0x10, mode=6)
    s.events(0, 1, 0x30)
    s.run(0)
    s.run(1)
    seeds["split-msi-init-sipi"] = s.e.b
    # Split irqchip: a level-triggered MSI of user space's I/O APIC, EOIed
    # (KVM_EXIT_IOAPIC_EOI), with a debugger holding interrupts meanwhile.
    s = IrqScript("fuzz_lapic", irq_model_prefix("fuzz_lapic"))
    s.setup(4, ids=(0,), pins=8, faults=(3 << 3) | 4)
    apic_enable(s, 0)
    s.routing([(3, "msi", 0, 0x53)])
    e = s.op("signal_msi").u8(0).u8(0).u8(0).u8(0x53).u8(0).flag(1).flag(1)
    s.guest_debug(0, True)
    s.run(0)
    s.guest_debug(0, False)
    s.run(0)
    s.apic_write(0, 0xB0, 0)
    seeds["split-level-msi-eoi"] = s.e.b
    # The model alone: enable, interrupts in, ack, EOI, state round trip.
    e = Enc().u8(1).u8(1)
    e.u8(4).u8(9).val(0x1FF)  # write SVR
    e.u8(8).u8(0x45).flag(0)  # accept 0x45
    e.u8(9).u8(0x61).flag(1)  # accept 0x61, level
    e.u8(10)  # ack
    e.u8(4).u8(2).val(0x50)  # TPR
    e.u8(4).u8(5).val(0)  # EOI
    e.u8(4).u8(37).val(0x20040)  # LVT timer periodic
    e.u8(4).u8(43).val(100)  # TMICT
    e.u8(11).u8(0).u16(5000)
    e.u8(12)
    e.u8(15).flag(0)  # round trip
    e.u8(2).u8(0x06)  # x2APIC
    e.u8(7).flag(1).u8(35).val(0x40041)  # ICR via MSR
    seeds["model-basics"] = e.b
    return seeds


def ioapic_corpus():
    seeds = {}
    s = IrqScript("fuzz_ioapic", irq_model_prefix("fuzz_ioapic"))
    s.setup(0, ids=(0, 1))
    apic_enable(s, 0)
    apic_enable(s, 1)
    s.redirect(4, 0x34, dest=1)
    s.redirect(9, 0x39, dest=0, level=True)
    s.irq_line(4, 1)
    s.irq_line(4, 0)
    s.irq_line(9, 1)
    s.run(0)
    s.apic_write(0, 0xB0, 0)
    s.irq_line(9, 0)
    s.ioapic_read(0, 0x12)
    seeds["edge-level-eoi"] = s.e.b
    s = IrqScript("fuzz_ioapic", irq_model_prefix("fuzz_ioapic"))
    s.setup(2, ids=(0,), faults=(1 << 3) | 1)
    apic_enable(s, 0)
    s.set_irqchip(2, [(0, (3, 0x0000000000008033)), (0, (5, 0x0000000000000035))])
    s.irq_line(3, 1)
    s.irq_line(5, 1)
    s.run(0)
    s.ioapic_write(0, 0, 0x0F000000)
    s.ioapic_read(0, 1)
    seeds["set-irqchip"] = s.e.b
    e = Enc().u8(1)
    e.u8(0).u8(0x10 + 2 * 2).val(0x8042).flag(0)  # write_reg: pin 2 level vector 0x42
    e.u8(4).u8(2).flag(1)  # assert pin 2
    e.u8(6).flag(0).u8(0x42)  # EOI 0x42
    e.u8(4).u8(2).flag(0)
    e.u8(1).u8(0x10 + 2 * 7).val(0x37).flag(1)  # through the window: pin 7 edge
    e.u8(4).u8(7).flag(1)
    e.u8(8)  # round trip
    seeds["model-basics"] = e.b
    return seeds


def pic_corpus():
    seeds = {}
    s = IrqScript("fuzz_pic", irq_model_prefix("fuzz_pic"))
    s.setup(0, ids=(0,))
    s.pic_init(0, False, 0x20, 0xF8)
    s.pic_init(0, True, 0x28, 0xFE)
    s.irq_line(1, 1)
    s.irq_line(1, 0)
    s.run(0)
    s.out(0, 0x20, 0x20)
    s.irq_line(8, 1)
    s.run(0)
    s.out(0, 0xA0, 0x20)
    s.out(0, 0x20, 0x20)
    s.out(0, 0x20, 0x0B)
    s.inb(0, 0x20)
    s.out(0, 0x4D1, 0x02)
    s.irq_line(9, 1)
    s.run(0)
    seeds["init-both-ack-eoi"] = s.e.b
    s = IrqScript("fuzz_pic", irq_model_prefix("fuzz_pic"))
    s.setup(0, ids=(0,))
    s.pic_init(0, False, 0x08, 0x00, auto_eoi=True)
    s.out(0, 0x20, 0x0C)  # poll
    s.irq_line(0, 1)
    s.inb(0, 0x20)
    s.out(0, 0x20, 0xC5)  # set priority
    s.out(0, 0x20, 0x68)  # special mask mode
    s.set_irqchip(0, [(1, 0x10), (5, 0x70)])
    s.run(0)
    seeds["poll-aeoi-rotate"] = s.e.b
    e = Enc().u8(1)
    for port, v in ((0x20, 0x11), (0x21, 0x20), (0x21, 4), (0x21, 1), (0x21, 0)):
        e.u8(0).u8(PORTS.index(port)).u8(v)
    for port, v in ((0xA0, 0x11), (0xA1, 0x28), (0xA1, 2), (0xA1, 1), (0xA1, 0)):
        e.u8(0).u8(PORTS.index(port)).u8(v)
    e.u8(3).u8(3).flag(1)  # IRQ 3
    e.u8(5)  # INTA
    e.u8(3).u8(12).flag(1)  # IRQ 12 (slave)
    e.u8(5)
    e.u8(0).u8(0).u8(0x20)  # EOI
    e.u8(6).flag(0).u8(0)  # state round trip of the master
    seeds["model-basics"] = e.b
    return seeds


def pit_corpus():
    seeds = {}
    s = IrqScript("fuzz_pit", irq_model_prefix("fuzz_pit"))
    s.setup(8 | 16, ids=(0,))
    s.pic_init(0, False, 0x20, 0xFE)
    s.out(0, 0x43, 0x34)
    s.out(0, 0x40, 0x9C)
    s.out(0, 0x40, 0x2E)
    s.time(24)
    s.run(0)
    s.out(0, 0x20, 0x20)
    s.time(24)
    s.run(0)
    s.out(0, 0x43, 0xC2)  # read-back
    s.inb(0, 0x40)
    s.out(0, 0x61, 0x01)
    s.out(0, 0x43, 0xB0)
    s.out(0, 0x42, 0xFF)
    s.out(0, 0x42, 0xFF)
    s.inb(0, 0x61)
    seeds["periodic-irq0-calibration"] = s.e.b
    s = IrqScript("fuzz_pit", irq_model_prefix("fuzz_pit"))
    s.setup(8, ids=(0,))
    s.pit_state([(0, 0, 2), (1, 0, 1), (2, 0, 0)])
    s.time(20)
    s.reinject(False)
    s.pit_state([(2, 0, 1)])  # HPET legacy
    s.time(20)
    seeds["state-reinject"] = s.e.b
    e = Enc().u8(1)
    e.u8(0).u8(0x36)  # channel 0, LSB then MSB, mode 3
    e.u8(2).u8(0).u8(0x00).u8(2).u8(0).u8(0x10)
    e.u8(6).u8(0).u16(50000)
    e.u8(8)  # expired
    e.u8(0).u8(0x00)  # latch channel 0
    e.u8(4).u8(0).u8(4).u8(0)
    e.u8(5).u8(0x03)  # port 0x61: gate
    e.u8(0).u8(0xE2)  # read-back status of channel 0
    e.u8(4).u8(0)
    e.u8(11).flag(1)  # round trip
    seeds["model-basics"] = e.b
    return seeds


def routing_corpus():
    seeds = {}
    # RoutingVm::step: 0-1 KVM_SET_GSI_ROUTING, 2 KVM_IRQFD, 3 eventfds,
    # 4-7 an IrqVm operation.
    s = IrqScript("fuzz_routing", irq_model_prefix("fuzz_routing"), prefix=4)
    s.setup(0, ids=(0, 1))
    apic_enable(s, 0)
    apic_enable(s, 1)
    e = s.e
    e.u8(0)  # KVM_SET_GSI_ROUTING
    e.u8(0).u8(3)  # nr 3
    e.u8(0)  # flags
    e.u8(20)  # GSIs 0-19
    for gsi, kind in ((5, "msi"), (6, "chip"), (6, "chip2")):
        e.u8(0).u8(gsi)
        if kind == "msi":
            e.u8(120).val(0xFEE01000).u8(0).val(0x4030).u8(0)
        else:
            e.u8(0).u8(0).u8(2 if kind == "chip" else 0).u8(0).u8(6)
        e.u8(0)
    e.u8(0)  # not a bad pointer
    e.u8(2).u8(0).u8(0).u8(0).u8(5).u8(0)  # KVM_IRQFD: a new eventfd, GSI 5
    e.u8(3).u8(0).u8(2)  # signal it
    e.u8(3).u8(0).u8(0)  # from interrupt context
    e.u8(2).u8(0).u8(1).u8(0).u8(6).u8(200).u8(2)  # a resampling irqfd on GSI 6
    s.redirect(6, 0x36, dest=0, level=True)
    e.u8(3).u8(1).u8(2)  # signal the resampling irqfd: GSI 6 up
    s.run(0)
    s.apic_write(0, 0xB0, 0)  # EOI: the line is resampled
    e.u8(3).u8(0).u8(1)  # close the first eventfd
    seeds["msi-irqfd-resample"] = s.e.b
    e = Enc().u8(1)
    e.u8(0).u8(16).u8(4)  # policy, 16 GSIs, 4 entries
    for gsi, chip, pin in ((0, 0, 0), (0, 2, 2), (1, 0, 1), (1, 2, 1)):
        e.u8(0).u8(gsi).u8(0).u8(0).u8(chip).u8(0).u8(pin).u8(0)
    e.val(0xFEE00000).val(0).val(0x30)
    e.u8(2).u8(8).u8(2)  # x2APIC IDs: MSIs
    e.u8(0).u8(3).u8(120).val(0xFEE0300C).u8(200).val(0x100).val(0x8031).u8(0).u8(0)
    e.u8(0).u8(3).u8(0).u8(0).u8(2).u8(0).u8(3).u8(0)
    e.val(0xFEE0F000).val(0x100).val(0x4041)
    seeds["model-tables"] = e.b
    return seeds


class MsrScript:
    """fuzz_msr_filter's Harness::step operations."""

    BASES = [0, 0x10, 0x1B, 0x174, 0x800, 0x7F0, 0x8F0, 0xC0000000, 0xC0000080, 0xC0010000,
             0xFFFFFFF0, 0xFFFFFFC0]

    def __init__(self):
        self.e = Enc()

    def user_exits(self, mask):
        self.e.u8(8).u8(1).u8(mask)  # KVM_CAP_X86_USER_SPACE_MSR (odd @how)

    def base(self, b):
        i = max(k for k, v in enumerate(self.BASES) if v <= b)
        self.e.u8(i).u8(b - self.BASES[i])

    def set_filter(self, deny, ranges):
        """ranges: (slot, flags, base, nmsrs, fill, first bytes)."""
        e = self.e.u8(0).u8(1 if deny else 0).u8(len(ranges))
        for slot, flags, base, n, _, _ in ranges:
            e.u8(slot).u8(flags)
            self.base(base)
            e.u8(0).u8(n)  # nmsrs < 256
        for slot, flags, base, n, fill, first in sorted(ranges):
            size = (n + 63) // 64 * 8
            e.u8(100).u8(fill).raw((first * 16)[: min(size, 16)])
        e.u8(0)  # no allocation failure

    def query(self, msrs):
        e = self.e.u8(3).u8(len(msrs) - 1)
        for msr, write in msrs:
            e.u8(200).val(msr).flag(write)

    def access(self, msr, write, value=0, answer=None):
        e = self.e.u8(5).u8(200).val(msr).flag(write).u32(0).val(value & 0xFFFFFFFF)
        e.val(value >> 32)
        if answer is not None:  # the exit to user space: error, data, RIP kept
            e.u8(answer[0]).val(answer[1]).u8(100)

    def scribble(self):
        self.e.u8(9)


def msr_filter_corpus():
    seeds = {}
    m = MsrScript()
    m.user_exits(7)
    m.set_filter(True, [(0, 3, 0x1B, 64, 0x33, b"\x0f"), (1, 1, 0x800, 0x20, 0x11, b"\xff")])
    m.query([(0x1B, True), (0x1C, False), (0x5B, False), (0x810, False)])
    m.access(0x1B, False)
    m.access(0xC0000080, True, 0x500, answer=(1, 0))
    m.scribble()
    m.query([(0x1B, False), (0x20, True)])
    seeds["deny-by-default"] = m.e.b
    m = MsrScript()
    m.set_filter(False, [(0, 1, 0, 200, 0, b"\x00"), (5, 2, 7, 20, 0x55, b"\xaa"),
                         (15, 3, 0xC0000080, 100, 0x80, b"\x01")])
    m.query([(0x10, False), (0x10, True), (0x8, True), (0xC0000080, True), (0xC0000081, False)])
    m.access(0xC0000080, True, 0x500)
    m.access(0x10, False)
    m.set_filter(False, [(3, 3, 0xFFFFFFC0, 0x80, 0x0F, b"\x00")])
    m.query([(0xFFFFFFC0, False), (0x3F, True)])
    seeds["ranges-and-replace"] = m.e.b
    return seeds


CPUID_LEAVES = [0, 1, 2, 4, 7, 0xB, 0xD, 0x1F, 0x20, 0x40000000, 0x40000001, 0x40000100,
                0x80000000, 0x80000001, 0x80000008, 0x8000001D, 0x80000021, 0x80000022,
                0xC0000000, 0xC0000001]


def leaf(e, fn):
    if fn in CPUID_LEAVES:
        e.u8(CPUID_LEAVES.index(fn))
    else:
        e.u8(230).val(fn)


def cpuid_entry(e, fn, index, sig, regs):
    """pick_entry(): the leaf, the subleaf, the flags, then the registers
    (a leaf 0 entry is written out, with @how's bits 4-5 clear)."""
    leaf(e, fn)
    e.u8(index)
    if sig:
        e.u8(0)
    else:
        e.u8(200).u8(0)
    for r in regs:
        e.val(r)


class CpuidScript:
    """fuzz_cpuid's Harness: the host's CPUID and XCR0, then steps."""

    def __init__(self, host=(), xcr0_index=0):
        self.e = Enc().u8(0)
        self.e.u8(len(host))
        for fn, sub, regs in host:
            leaf(self.e, fn)
            self.e.u8(sub)
            for r in regs:
                self.e.val(r)
        self.e.u8(xcr0_index)

    def supported(self, nent, install):
        self.e.u8(0).u8(150).u8((nent - 8) // 2).flag(install)

    def set_cpuid2(self, entries):
        e = self.e.u8(2).u8(100).u8(len(entries))
        for fn, index, sig, regs in entries:
            cpuid_entry(e, fn, index, sig, regs)
        e.u8(0)  # a good pointer

    def get_cpuid2(self):
        self.e.u8(5).u8(1)  # nent: the table's size

    def guest_cpuid(self, fn, index):
        e = self.e.u8(6).u8(0).u8(0).flag(0)
        leaf(e, fn)
        e.u8(0).u8(index).u32(0).u32(0)

    def msr(self, k, value, host=False):
        self.e.u8(8).u8(k).flag(host).val(value).flag(1)

    def xsetbv(self, value):
        self.e.u8(9).u8(0).u8(value).flag(0).flag(1).u8(0)

    def set_xcrs(self, value):
        self.e.u8(9).u8(0).u8(value).flag(1).u8(0).u8(0).u8(0)

    def paging(self, mode, cr3, ptes, linears):
        e = self.e.u8(10).u8(mode)
        if mode == 3:
            e.flag(0)
        e.u8(0).u16(cr3)
        e.u8(len(ptes))
        for at, pte in ptes:
            e.u16(at).u8(0).u16(pte & 0xF000).u8(pte & 0x87)
        e.u8(len(linears))
        for lin in linears:
            e.u8(0).u32(lin)

    def ran(self, yes):
        self.e.u8(11).flag(yes)


def cpuid_corpus():
    seeds = {}
    c = CpuidScript()
    c.supported(248, True)
    c.get_cpuid2()
    c.guest_cpuid(0, 0)
    c.guest_cpuid(1, 0)
    c.guest_cpuid(0xD, 1)
    c.xsetbv(7)
    c.msr(0, 0xD01)  # EFER
    c.ran(True)
    c.supported(248, True)  # the same table again: allowed
    c.set_cpuid2([(0, 0, False, (0xD, 0x68747541, 0x444D4163, 0x69746E65))])  # -EBUSY
    seeds["supported-install-query"] = c.e.b
    c = CpuidScript(host=[(1, 0, (0x00A00F11, 0, 0xFFFFFFFF, 0xFFFFFFFF)),
                          (0xD, 0, (0x2E7, 0x988, 0x988, 0))], xcr0_index=6)
    c.supported(248, False)
    c.set_cpuid2([(0, 0, False, (0x1F, 0x756E6547, 0x6C65746E, 0x49656E69)),
                  (0x80000008, 0, False, (0x3030, 0, 0, 0)),
                  (7, 0, True, (0, 0xFFFFFFFF, 0, 0)),
                  (0xB, 1, True, (1, 2, 0x201, 7))])
    c.guest_cpuid(0x20, 0)  # above the maximum: Intel answers with leaf 0x1F
    c.guest_cpuid(0xB, 5)
    c.set_xcrs(7)
    c.msr(1, 0xFEE00900, host=True)  # IA32_APIC_BASE
    c.msr(2, 0xFFFFFFF006)  # an MTRR base beyond MAXPHYADDR
    c.paging(3, 0x2000, [(0x2000, 0x3007), (0x3000, 0x4007), (0x4000, 0x5087)], [0x1000, 0x200000])
    c.guest_cpuid(0x80000008, 0)
    seeds["intel-host-paging"] = c.e.b
    e = Enc().u8(1)
    e.u8(4)  # a table of four entries
    cpuid_entry(e, 0, 0, False, (0x12, 0x68747541, 0x444D4163, 0x69746E65))
    cpuid_entry(e, 0xD, 0, True, (7, 0x340, 0x340, 0))
    cpuid_entry(e, 0xD, 2, True, (0x100, 0x240, 0, 0))
    cpuid_entry(e, 0xB, 1, True, (1, 2, 0x201, 3))
    e.val(0x40000).val(7).val(0xFEE00900)  # CR4, XCR0, APIC base
    for fn, index in ((0, 0), (0xD, 0), (0xB, 7), (0x13, 0), (0x80000000, 0), (0xD, 2), (1, 0),
                      (0x40000000, 0)):
        e.flag(0)
        leaf(e, fn)
        e.u8(0).u8(index)
    e.val(7).val(0x7)  # an XCR0 to check; XSAVE size features
    e.flag(1)
    seeds["model-tables"] = e.b
    return seeds


CORPORA = {
    "fuzz_emulate": emulate_corpus,
    "fuzz_lapic": lapic_corpus,
    "fuzz_ioapic": ioapic_corpus,
    "fuzz_pic": pic_corpus,
    "fuzz_pit": pit_corpus,
    "fuzz_routing": routing_corpus,
    "fuzz_msr_filter": msr_filter_corpus,
    "fuzz_cpuid": cpuid_corpus,
}


def main():
    for target, make in CORPORA.items():
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            # Regression inputs (fixed fuzzer findings) are kept.
            if not f.startswith("regress-"):
                os.unlink(os.path.join(d, f))
        seeds = make()
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(bytes(data))
        total = sum(len(v) for v in seeds.values())
        print("%s: %d seeds, %d bytes" % (target, len(seeds), total))


if __name__ == "__main__":
    sys.exit(main())
