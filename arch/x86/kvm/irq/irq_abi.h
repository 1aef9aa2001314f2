/* SPDX-License-Identifier: GPL-2.0 */
/* The irqchip state layouts (KVM_GET/SET_IRQCHIP, KVM_GET/SET_LAPIC) are part
 * of the project's /dev/kvm ABI header. */
#ifndef KVMPP_X86_IRQ_ABI_H
#define KVMPP_X86_IRQ_ABI_H

#include <abi/kvm_abi.h>

#endif /* KVMPP_X86_IRQ_ABI_H */
