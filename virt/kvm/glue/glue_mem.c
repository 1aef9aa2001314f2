// SPDX-License-Identifier: GPL-2.0
/* Glue: memory allocation for the C++ side, with leak accounting. */
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <glue/glue.h>

static_assert(KVMG_PAGE_SIZE == PAGE_SIZE);

static atomic_long_t kvmg_outstanding = ATOMIC_LONG_INIT(0);

void *kvmg_alloc(size_t size, unsigned int flags)
{
	gfp_t gfp = (flags & KVMG_ALLOC_ATOMIC) ? GFP_ATOMIC : GFP_KERNEL_ACCOUNT;
	void *p;

	if (flags & KVMG_ALLOC_ZERO)
		gfp |= __GFP_ZERO;
	/* kvmalloc falls back to vmalloc for large sleeping allocations only. */
	p = (flags & KVMG_ALLOC_ATOMIC) ? kmalloc(size, gfp) : kvmalloc(size, gfp);
	if (p)
		atomic_long_inc(&kvmg_outstanding);
	return p;
}
EXPORT_SYMBOL_GPL(kvmg_alloc);

void kvmg_free(void *p)
{
	if (!p)
		return;
	kvfree(p);
	atomic_long_dec(&kvmg_outstanding);
}
EXPORT_SYMBOL_GPL(kvmg_free);

void *kvmg_page_alloc(void)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return NULL;
	atomic_long_inc(&kvmg_outstanding);
	return page_address(page);
}
EXPORT_SYMBOL_GPL(kvmg_page_alloc);

void kvmg_page_free(void *va)
{
	if (!va)
		return;
	free_page((unsigned long)va);
	atomic_long_dec(&kvmg_outstanding);
}
EXPORT_SYMBOL_GPL(kvmg_page_free);

void *kvmg_pages_alloc(unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, order);

	if (!page)
		return NULL;
	atomic_long_inc(&kvmg_outstanding);
	return page_address(page);
}
EXPORT_SYMBOL_GPL(kvmg_pages_alloc);

void kvmg_pages_free(void *va, unsigned int order)
{
	if (!va)
		return;
	free_pages((unsigned long)va, order);
	atomic_long_dec(&kvmg_outstanding);
}
EXPORT_SYMBOL_GPL(kvmg_pages_free);

uint64_t kvmg_virt_to_phys(const void *va)
{
	return __pa(va);
}
EXPORT_SYMBOL_GPL(kvmg_virt_to_phys);

void *kvmg_phys_to_virt(uint64_t pa)
{
	return __va(pa);
}
EXPORT_SYMBOL_GPL(kvmg_phys_to_virt);

long kvmg_alloc_outstanding(void)
{
	return atomic_long_read(&kvmg_outstanding);
}
EXPORT_SYMBOL_GPL(kvmg_alloc_outstanding);
