/* SPDX-License-Identifier: GPL-2.0 */
/* Between kvm-amd.ko's module glue (C) and the SVM backend (C++). */
#ifndef KVMPP_SVM_GLUE_H
#define KVMPP_SVM_GLUE_H

#include <glue/backend_ops.h>
#include <glue/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Module parameters (upstream names and meaning), owned by svm_module.c. */
struct svm_params {
	bool npt;
	int nested;
};

/* Check the CPU and the parameters, allocate per-CPU state: 0 or -errno,
 * with a one-line kernel-log reason. */
int svm_backend_init(struct svm_params *params);
void svm_backend_exit(void);
const struct kvm_backend_ops *svm_backend_ops(void);

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_SVM_GLUE_H */
