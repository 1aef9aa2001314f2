// SPDX-License-Identifier: GPL-2.0
/* Helper for svm_enable_test.sh: print an MSR of one CPU (needs msr.ko).
 *   msr_read CPU MSR      prints the value in hex */
#include "lib/test.h"

int main(int argc, char **argv)
{
	char path[64];
	uint64_t val;
	int fd;

	if (argc != 3)
		return 2;
	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", atoi(argv[1]));
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &val, sizeof(val), strtoul(argv[2], NULL, 0)) != sizeof(val)) {
		perror(path);
		return 1;
	}
	printf("0x%llx\n", (unsigned long long)val);
	return 0;
}
