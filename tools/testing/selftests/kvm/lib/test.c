// SPDX-License-Identifier: GPL-2.0
#include "test.h"

#include <signal.h>
#include <sys/prctl.h>

int test_failures;

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("#   %s:%d: ", file, line);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	test_failures++;
}

#define SKIP_EXIT 4

void test_skip(const char *why)
{
	printf("#   skip: %s\n", why);
	fflush(stdout);
	exit(SKIP_EXIT);
}

int run_tests(const struct test *tests)
{
	int n = 0, failed = 0, i;

	for (i = 0; tests[i].name; i++)
		n++;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			/* Die with the runner (a timeout kills the runner). */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			tests[i].fn();
			fflush(stdout);
			_exit(test_failures ? 1 : 0);
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_EXIT) {
			printf("ok %d %s # SKIP\n", i + 1, tests[i].name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %d %s\n", i + 1, tests[i].name);
		} else {
			if (WIFSIGNALED(status))
				printf("#   killed by signal %d\n", WTERMSIG(status));
			printf("not ok %d %s\n", i + 1, tests[i].name);
			failed++;
		}
		fflush(stdout);
	}
	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}

int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	ASSERT_TRUE(fd >= 0);
	return fd;
}

int create_vm(int kvm)
{
	int fd = ioctl(kvm, KVM_CREATE_VM, 0);

	ASSERT_TRUE(fd >= 0);
	return fd;
}

int create_vcpu(int vm, long id)
{
	int fd = ioctl(vm, KVM_CREATE_VCPU, id);

	ASSERT_TRUE(fd >= 0);
	return fd;
}
