// SPDX-License-Identifier: GPL-2.0
#include "pit.hpp"

namespace kvmpp::x86 {
namespace {

// Read/write states (the ABI's values): one byte, or a word low byte first.
constexpr uint8_t kLsb = 1, kMsb = 2, kWord0 = 3, kWord1 = 4;
constexpr uint64_t kNsPerSec = 1000000000;

uint32_t from_bcd(uint32_t v) {
  return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
}

uint32_t to_bcd(uint32_t v) {
  v %= 10000;
  return (v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) | ((v / 1000) << 12);
}

uint64_t ticks_to_ns(uint64_t ticks) { return ticks * kNsPerSec / pit::kHz; }

}  // namespace

void Pit::reset(uint64_t now) {
  for (unsigned c = 0; c < 3; c++) {
    ch_[c] = Channel{};
    ch_[c].gate = c != 2;  // channels 0 and 1 are gated on; 2 through port 0x61
    ch_[c].load_time = now;
  }
  flags_ = 0;
  next_irq_ = period_ = 0;
}

uint64_t Pit::ticks(const Channel& ch, uint64_t now) const {
  if (now <= ch.load_time) return 0;
  uint64_t d = now - ch.load_time;
  // Split so that the product cannot overflow for any elapsed time.
  return d / kNsPerSec * pit::kHz + d % kNsPerSec * pit::kHz / kNsPerSec;
}

uint32_t Pit::count(unsigned c, uint64_t now) const {
  const Channel& ch = ch_[c];
  uint64_t d = ticks(ch, now), n = ch.count;
  uint32_t v;
  switch (ch.mode) {
    case 2: v = uint32_t(n - d % n); break;
    case 3: v = uint32_t(n - (2 * d) % n); break;
    default: v = uint32_t((n - d) & 0xffff); break;  // 0, 1, 4, 5 count down and wrap
  }
  return v;
}

bool Pit::out(unsigned c, uint64_t now) const {
  const Channel& ch = ch_[c];
  uint64_t d = ticks(ch, now), n = ch.count;
  switch (ch.mode) {
    case 0:
    case 1: return d >= n;                           // low while counting, high at terminal count
    case 2: return !ch.gate || d % n != n - 1;       // low for the clock at count 1
    case 3: return !ch.gate || d % n < (n + 1) / 2;  // high for the first half
    case 4:
    case 5: return d != n;  // a one-clock low pulse at terminal count
    default: return false;
  }
}

void Pit::load(unsigned c, uint32_t value, uint64_t now) {
  Channel& ch = ch_[c];
  ch.count = value ? value : 0x10000;
  ch.load_time = now;
  if (c == 0) rearm(now);
}

void Pit::rearm(uint64_t now) {
  const Channel& ch = ch_[0];
  next_irq_ = period_ = 0;
  if (flags_ & KVM_PIT_FLAGS_HPET_LEGACY) return;  // the HPET drives IRQ0
  uint64_t interval = ticks_to_ns(ch.count);
  switch (ch.mode) {
    case 2:
    case 3:
      period_ = interval < pit::kMinPeriodNs ? pit::kMinPeriodNs : interval;
      next_irq_ = ch.load_time + period_;
      break;
    case 0:
    case 1:
    case 4:
    case 5: next_irq_ = ch.load_time + interval; break;
    default: break;  // not programmed
  }
  (void)now;
}

uint64_t Pit::expired(uint64_t now) {
  if (!next_irq_ || now < next_irq_) return next_irq_;
  if (!period_) return next_irq_ = 0;
  next_irq_ += period_;
  // Far behind (the host slept): start again from now rather than replay
  // every period (the reinjection count bounds what the guest sees).
  if (next_irq_ + kNsPerSec < now) next_irq_ = now + period_;
  return next_irq_;
}

void Pit::latch_count(Channel& ch, uint64_t now) {
  if (ch.count_latched) return;  // the first latch holds until read
  uint32_t v = count(unsigned(&ch - ch_), now);
  ch.latched_count = uint16_t(ch.bcd ? to_bcd(v) : v);
  ch.count_latched = ch.rw_mode;
}

void Pit::set_gate(unsigned c, bool gate, uint64_t now) {
  Channel& ch = ch_[c];
  // A rising edge (re)starts modes 1, 2, 3 and 5; modes 0 and 4 count
  // regardless here (their gate only pauses counting).
  if (gate && !ch.gate && (ch.mode == 1 || ch.mode == 2 || ch.mode == 3 || ch.mode == 5))
    load(c, ch.count == 0x10000 ? 0 : ch.count, now);
  ch.gate = gate;
}

bool Pit::write(uint16_t port, uint8_t value, uint64_t now) {
  if (port < pit::kCounter0 || port > pit::kControl) return false;
  if (port == pit::kControl) {
    unsigned c = value >> 6;
    if (c == 3) {
      // Read-back: bit 5 clear latches counts, bit 4 clear latches status,
      // bits 3:1 select the counters.
      for (unsigned i = 0; i < 3; i++) {
        if (!(value & (2u << i))) continue;
        Channel& ch = ch_[i];
        if (!(value & 0x20)) latch_count(ch, now);
        if (!(value & 0x10) && !ch.status_latched) {
          ch.status =
              uint8_t((out(i, now) << 7) | (ch.rw_mode << 4) | ((ch.mode & 7) << 1) | ch.bcd);
          ch.status_latched = 1;
        }
      }
      return true;
    }
    Channel& ch = ch_[c];
    uint8_t access = (value >> 4) & 3;
    if (!access) {
      latch_count(ch, now);
      return true;
    }
    ch.rw_mode = access;
    ch.read_state = ch.write_state = access;
    ch.mode = (value >> 1) & 7;
    if (ch.mode > 5) ch.mode -= 4;  // 6 and 7 are modes 2 and 3
    ch.bcd = value & 1;
    return true;
  }
  unsigned c = port - pit::kCounter0;
  Channel& ch = ch_[c];
  auto decode = [&](uint32_t v) { return ch.bcd ? from_bcd(v) : v; };
  switch (ch.write_state) {
    case kLsb: load(c, decode(value), now); break;
    case kMsb: load(c, decode(uint32_t(value) << 8), now); break;
    case kWord0:
      ch.write_latch = value;
      ch.write_state = kWord1;
      break;
    case kWord1:
      load(c, decode(ch.write_latch | (uint32_t(value) << 8)), now);
      ch.write_state = kWord0;
      break;
    default: break;  // not programmed yet: ignored
  }
  return true;
}

uint8_t Pit::read_counter(unsigned c, uint64_t now) {
  Channel& ch = ch_[c];
  if (ch.status_latched) {
    ch.status_latched = 0;
    return ch.status;
  }
  if (ch.count_latched) {
    uint16_t v = ch.latched_count;
    switch (ch.count_latched) {
      case kMsb: ch.count_latched = 0; return uint8_t(v >> 8);
      case kWord0: ch.count_latched = kMsb; return uint8_t(v);
      default: ch.count_latched = 0; return uint8_t(v);
    }
  }
  uint32_t v = count(c, now);
  if (ch.bcd) v = to_bcd(v);
  switch (ch.read_state) {
    case kLsb: return uint8_t(v);
    case kMsb: return uint8_t(v >> 8);
    case kWord0: ch.read_state = kWord1; return uint8_t(v);
    case kWord1: ch.read_state = kWord0; return uint8_t(v >> 8);
    default: return 0;
  }
}

bool Pit::read(uint16_t port, uint8_t* value, uint64_t now) {
  if (port < pit::kCounter0 || port > pit::kControl) return false;
  // The control register cannot be read.
  *value = port == pit::kControl ? 0 : read_counter(port - pit::kCounter0, now);
  return true;
}

void Pit::write_port_b(uint8_t value, uint64_t now) {
  flags_ = (value & 2) ? flags_ | KVM_PIT_FLAGS_SPEAKER_DATA_ON
                       : flags_ & ~uint32_t(KVM_PIT_FLAGS_SPEAKER_DATA_ON);
  set_gate(2, value & 1, now);
}

uint8_t Pit::read_port_b(uint64_t now) const {
  bool speaker = flags_ & KVM_PIT_FLAGS_SPEAKER_DATA_ON;
  // Bit 4 toggles every 15 us or so, like the refresh request it stood for.
  return uint8_t((speaker << 1) | ch_[2].gate | (out(2, now) << 5) | (((now >> 14) & 1) << 4));
}

void Pit::get_state(kvm_pit_state2* s) const {
  *s = {};
  for (unsigned c = 0; c < 3; c++) {
    const Channel& ch = ch_[c];
    kvm_pit_channel_state& o = s->channels[c];
    o.count = ch.count;
    o.latched_count = ch.latched_count;
    o.count_latched = ch.count_latched;
    o.status_latched = ch.status_latched;
    o.status = ch.status;
    o.read_state = ch.read_state;
    o.write_state = ch.write_state;
    o.write_latch = ch.write_latch;
    o.rw_mode = ch.rw_mode;
    o.mode = ch.mode;
    o.bcd = ch.bcd;
    o.gate = ch.gate;
    o.count_load_time = int64_t(ch.load_time);
  }
  s->flags = flags_;
}

void Pit::set_state(const kvm_pit_state2& s, uint64_t now) {
  flags_ = s.flags & (KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON);
  for (unsigned c = 0; c < 3; c++) {
    const kvm_pit_channel_state& i = s.channels[c];
    Channel& ch = ch_[c];
    ch.latched_count = i.latched_count;
    ch.count_latched = i.count_latched;
    ch.status_latched = i.status_latched;
    ch.status = i.status;
    ch.read_state = i.read_state;
    ch.write_state = i.write_state;
    ch.write_latch = i.write_latch;
    ch.rw_mode = i.rw_mode;
    ch.mode = i.mode;
    ch.bcd = i.bcd;
    ch.gate = i.gate;
    // As upstream: every count is loaded again now (count_load_time is the
    // source's clock, meaningless here).
    load(c, i.count > 0xffff ? 0 : i.count, now);
  }
}

}  // namespace kvmpp::x86
