// SPDX-License-Identifier: GPL-2.0
/* Glue: kvm-intel.ko module entry and parameters. */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <glue/core.h>

#include "vmx_glue.h"

MODULE_AUTHOR("kvmpp authors");
MODULE_DESCRIPTION("KVM support for Intel VMX, reimplemented in C++");
MODULE_LICENSE("GPL");

static struct vmx_params params = { .ept = true, .nested = false };

/* Upstream names and meaning: tools read /sys/module/kvm_intel/parameters/. */
module_param_named(ept, params.ept, bool, 0444);
MODULE_PARM_DESC(ept, "Use extended page tables (required: shadow paging is not implemented)");
module_param_named(nested, params.nested, bool, 0444);
MODULE_PARM_DESC(nested, "Expose VMX to guests (not implemented: always N)");
/* Guests in real mode without paging need unrestricted guest; the VMX run
 * loop that would use it is not written. */
static bool unrestricted_guest;
module_param(unrestricted_guest, bool, 0444);
MODULE_PARM_DESC(unrestricted_guest, "Use unrestricted guest (not implemented: always N)");

static int __init vmx_init(void)
{
	int r = vmx_backend_init(&params);

	if (r)
		return r;
	r = kvm_backend_register(vmx_backend_ops(), THIS_MODULE);
	if (r)
		vmx_backend_exit();
	return r;
}

static void __exit vmx_exit(void)
{
	kvm_backend_unregister(vmx_backend_ops());
	vmx_backend_exit();
}

module_init(vmx_init);
module_exit(vmx_exit);
