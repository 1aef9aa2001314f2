/* SPDX-License-Identifier: GPL-2.0 */
/* Between kvm-intel.ko's module glue (C) and the VMX backend (C++). */
#ifndef KVMPP_VMX_GLUE_H
#define KVMPP_VMX_GLUE_H

#include <glue/backend_ops.h>
#include <glue/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Module parameters (upstream names and meaning), owned by vmx_module.c. */
struct vmx_params {
	bool ept;
	bool nested;
};

/* Check the CPU and the parameters, allocate per-CPU state: 0 or -errno,
 * with a one-line kernel-log reason. */
int vmx_backend_init(struct vmx_params *params);
void vmx_backend_exit(void);
const struct kvm_backend_ops *vmx_backend_ops(void);

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_VMX_GLUE_H */
