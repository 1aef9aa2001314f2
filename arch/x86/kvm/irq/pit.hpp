// SPDX-License-Identifier: GPL-2.0
// A model of the Intel 8254 programmable interval timer as the PC wires it:
// three counters at 1.193182 MHz on ports 0x40-0x43, channel 0's OUT on
// IRQ0, channel 2 gated and read back through port 0x61 (8254 datasheet;
// the PC's "system control port B"). Pure: time comes in as monotonic
// nanoseconds; the caller owns the lock, the host timer and the IRQ line.
#pragma once

#include <abi/kvm_abi.h>
#include <kxx/types.hpp>

namespace kvmpp::x86 {

namespace pit {
inline constexpr uint64_t kHz = 1193182;
inline constexpr uint16_t kCounter0 = 0x40, kControl = 0x43, kPortB = 0x61;
// The shortest period channel 0 gets when periodic (upstream's
// min_timer_period_us): a guest cannot make the host timer spin.
inline constexpr uint64_t kMinPeriodNs = 200000;
inline constexpr uint8_t kNoMode = 0xff;  // after reset, until programmed
}  // namespace pit

class Pit {
 public:
  Pit() { reset(0); }
  void reset(uint64_t now);

  // Ports 0x40-0x43 (byte accesses). False for other ports.
  bool write(uint16_t port, uint8_t value, uint64_t now);
  bool read(uint16_t port, uint8_t* value, uint64_t now);
  // Port 0x61: bit 0 channel 2's gate, bit 1 speaker data; reads add bit 4
  // (a refresh toggle from the clock) and bit 5 (channel 2's OUT).
  void write_port_b(uint8_t value, uint64_t now);
  uint8_t read_port_b(uint64_t now) const;

  // Channel 0's interrupt: when the next IRQ0 edge is due (0: none), and
  // whether it repeats (then every period_ns()). The caller arms a timer
  // for next_irq_ns() and calls expired() when it fires; expired() returns
  // the next expiry (0: none).
  uint64_t next_irq_ns() const { return next_irq_; }
  uint64_t period_ns() const { return period_; }
  uint64_t expired(uint64_t now);

  // The counter and OUT of channel @c at @now.
  uint32_t count(unsigned c, uint64_t now) const;
  bool out(unsigned c, uint64_t now) const;

  // KVM_GET/SET_PIT2 (KVM_GET/SET_PIT are the channels alone). Setting
  // reloads every channel's count at @now, as upstream does; the HPET
  // legacy flag stops channel 0's interrupt.
  void get_state(kvm_pit_state2* s) const;
  void set_state(const kvm_pit_state2& s, uint64_t now);

 private:
  struct Channel {
    uint32_t count = 0x10000;  // the initial count (0 means 65536)
    uint16_t latched_count = 0;
    uint8_t count_latched = 0;  // which bytes of latched_count are left (rw_mode form)
    uint8_t status_latched = 0;
    uint8_t status = 0;
    uint8_t read_state = 0;   // the rw_mode byte order for live reads
    uint8_t write_state = 0;  // likewise for writes
    uint8_t write_latch = 0;  // the LSB of a word write
    uint8_t rw_mode = 0;      // 1 LSB, 2 MSB, 3 LSB then MSB
    uint8_t mode = pit::kNoMode;
    uint8_t bcd = 0;
    uint8_t gate = 0;
    uint64_t load_time = 0;
  };
  uint64_t ticks(const Channel& ch, uint64_t now) const;
  void load(unsigned c, uint32_t value, uint64_t now);
  void latch_count(Channel& ch, uint64_t now);
  void set_gate(unsigned c, bool gate, uint64_t now);
  void rearm(uint64_t now);
  uint8_t read_counter(unsigned c, uint64_t now);

  Channel ch_[3];
  uint32_t flags_ = 0;  // KVM_PIT_FLAGS_*
  uint64_t next_irq_ = 0, period_ = 0;
};

}  // namespace kvmpp::x86
