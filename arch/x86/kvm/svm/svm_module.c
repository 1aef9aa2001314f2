// SPDX-License-Identifier: GPL-2.0
/* Glue: kvm-amd.ko module entry and parameters. */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <glue/core.h>

#include "svm_glue.h"

MODULE_AUTHOR("kvmpp authors");
MODULE_DESCRIPTION("KVM support for AMD SVM, reimplemented in C++");
MODULE_LICENSE("GPL");

static struct svm_params params = { .npt = true, .nested = 0 };

/* Upstream names and meaning: tools read /sys/module/kvm_amd/parameters/. */
module_param_named(npt, params.npt, bool, 0444);
MODULE_PARM_DESC(npt, "Use nested paging (required: shadow paging is not implemented)");
module_param_named(nested, params.nested, int, 0444);
MODULE_PARM_DESC(nested, "Expose SVM to guests (not implemented: always 0)");
/* No AVIC: there is no in-kernel local APIC to accelerate. */
static bool avic;
module_param(avic, bool, 0444);
MODULE_PARM_DESC(avic, "Use AVIC (not implemented: always N)");

static int __init svm_init(void)
{
	int r = svm_backend_init(&params);

	if (r)
		return r;
	r = kvm_backend_register(svm_backend_ops(), THIS_MODULE);
	if (r)
		svm_backend_exit();
	return r;
}

static void __exit svm_exit(void)
{
	kvm_backend_unregister(svm_backend_ops());
	svm_backend_exit();
}

module_init(svm_init);
module_exit(svm_exit);
