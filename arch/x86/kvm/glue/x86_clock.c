// SPDX-License-Identifier: GPL-2.0
/* Glue: the host's clocks read together, for kvmclock (include/glue/clock.h). */
#include <linux/module.h>
#include <linux/timekeeping.h>
#include <linux/clocksource_ids.h>
#include <asm/msr.h>

#include <glue/clock.h>

void kvmg_host_clock_read(struct kvmg_host_clock *c)
{
	/* kvmclock counts from boot, suspend included, at the raw rate. */
	u64 boot_offset = ktime_to_ns(ktime_mono_to_any(0, TK_OFFS_BOOT));
#ifdef KVMPP_CSID_X86_TSC
	struct system_time_snapshot snap;

	ktime_get_snapshot(&snap);
	if (snap.cs_id == CSID_X86_TSC) {
		c->tsc = snap.cycles;
		c->base_ns = ktime_to_ns(snap.raw) + boot_offset;
		c->real_ns = ktime_to_ns(snap.real);
		c->tsc_exact = true;
		return;
	}
#endif
	/* Another clocksource, or a kernel that cannot tell (no CSID_X86_TSC). */
	c->tsc = rdtsc_ordered();
	c->base_ns = ktime_get_raw_ns() + boot_offset;
	c->real_ns = ktime_get_real_ns();
	c->tsc_exact = false;
}
EXPORT_SYMBOL_GPL(kvmg_host_clock_read);
