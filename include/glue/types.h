/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed-width types for headers shared by the kernel C glue, the C++ side and
 * user space. Kernel C has no <stdint.h> (-nostdinc); <linux/types.h> defines
 * the same names there. C++ and user space use the compiler's own headers.
 */
#ifndef KVMPP_GLUE_TYPES_H
#define KVMPP_GLUE_TYPES_H

#if defined(__KERNEL__) && !defined(__cplusplus)
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif
#endif

#endif /* KVMPP_GLUE_TYPES_H */
