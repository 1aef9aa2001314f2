// SPDX-License-Identifier: GPL-2.0
/*
 * Helper for module_cycle_test.sh: create VMs and vCPUs, then either exit
 * (leaving the kernel to close everything) or hold them until killed.
 *   vm_hold CREATE_COUNT [hold]
 */
#include "lib/test.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, hold = argc > 2, kvm = open_kvm(), i;

	for (i = 0; i < n; i++) {
		int vm = create_vm(kvm);

		create_vcpu(vm, 0);
		create_vcpu(vm, 1);
		if (i % 2)
			close(vm); /* half the VMs live on through their vCPU fds */
	}
	if (hold) {
		printf("holding\n");
		fflush(stdout);
		pause();
	}
	return 0;
}
