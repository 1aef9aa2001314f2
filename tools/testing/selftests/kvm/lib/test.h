/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small kselftest/TAP harness for the project's own KVM selftests.
 *
 *   static void test_api_version(void) { EXPECT_EQ(ioctl(...), 12); }
 *   int main(void) { return run_tests((struct test[]){ TEST(test_api_version), {} }); }
 *
 * Each test runs in a forked child so a crash or failed assertion in one
 * does not hide the others; the child's exit status decides ok/not ok.
 */
#ifndef KVMPP_SELFTEST_TEST_H
#define KVMPP_SELFTEST_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <abi/kvm_abi.h>

struct test {
	const char *name;
	void (*fn)(void);
};
#define TEST(fn) { #fn, fn }

extern int test_failures; /* in the current (child) test */

void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int run_tests(const struct test *tests);

/* Skip the current test (reported as "ok N name # SKIP why"). */
void test_skip(const char *why) __attribute__((noreturn));

#define EXPECT_TRUE(c)                                                         \
	do {                                                                   \
		if (!(c))                                                      \
			test_fail(__FILE__, __LINE__, "expected %s", #c);       \
	} while (0)
#define EXPECT_EQ(a, b)                                                        \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_)                                                  \
			test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
				  #a, a_, #b, b_);                             \
	} while (0)
/* An ioctl (or other -1/errno call) fails with exactly this errno. */
#define EXPECT_ERRNO(call, err)                                                \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (long)(call);                                        \
		int e_ = errno;                                                \
		if (r_ != -1 || e_ != (err))                                   \
			test_fail(__FILE__, __LINE__,                          \
				  "%s returned %ld errno %d (%s), expected errno %d (%s)", \
				  #call, r_, e_, strerror(e_), err, strerror(err)); \
	} while (0)
/* Fatal: stop the current test. */
#define ASSERT_TRUE(c)                                                         \
	do {                                                                   \
		if (!(c)) {                                                    \
			test_fail(__FILE__, __LINE__, "required %s (errno %d %s)", \
				  #c, errno, strerror(errno));                 \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* Helpers every test uses. */
int open_kvm(void);               /* /dev/kvm, or a fatal failure */
int create_vm(int kvm);           /* KVM_CREATE_VM type 0 */
int create_vcpu(int vm, long id); /* KVM_CREATE_VCPU */

#endif
