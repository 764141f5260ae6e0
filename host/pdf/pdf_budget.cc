/* pdf_budget.cc - a per-thread memory budget for what qpdf allocates.
 *
 * Why C++ (the only C++ file of mohur): qpdf allocates every object it
 * reads through the global operator new. A 6 MB PDF whose update holds an
 * array of three million zeros makes qpdf allocate about 830 MB, and a
 * 200 MB upload would take tens of GB. qpdf has no allocation limit of its
 * own, so this file replaces operator new/delete for the whole process and
 * counts, per thread, what is allocated while a budget is open (between
 * mh_pdf_budget_begin and mh_pdf_budget_end, i.e. while host/pdf holds a
 * qpdf document). Past the budget it throws std::bad_alloc, which qpdf's C
 * API catches and turns into an error; host/pdf then asks
 * mh_pdf_budget_tripped() and stops with a sentence. Outside a budget, and
 * in every other thread, allocation is plain malloc.
 *
 * After the first refusal, small allocations (what qpdf's error handling
 * needs to record the error) are still allowed up to a grace margin, so an
 * exception is never thrown from inside qpdf's own catch blocks; past the
 * grace everything is refused. Works unchanged under AddressSanitizer (its
 * malloc and malloc_usable_size stay in force).
 */
#include <cstddef>
#include <cstdlib>
#include <malloc.h>
#include <new>

extern "C" {
void mh_pdf_budget_begin(size_t limit);
void mh_pdf_budget_end(void);
int mh_pdf_budget_tripped(void);
size_t mh_pdf_budget_peak(void);
size_t mh_pdf_budget_limit(void);
}

namespace {

thread_local size_t tl_limit; /* 0: no budget open in this thread */
thread_local size_t tl_used;
thread_local size_t tl_peak;
thread_local unsigned tl_depth;
thread_local bool tl_tripped;

/* What one allocation costs beyond its usable size: glibc's chunk header;
 * under AddressSanitizer its redzones and header, and the shadow byte per 8
 * bytes, so the budget bounds the real footprint in that build too. */
#if defined(__SANITIZE_ADDRESS__)
#define MH_BUDGET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MH_BUDGET_ASAN 1
#endif
#endif
#ifdef MH_BUDGET_ASAN
constexpr size_t per_alloc = 48;
size_t cost(void *p)
{
    size_t n = malloc_usable_size(p);
    return n + per_alloc + n / 8;
}
#else
constexpr size_t per_alloc = 8;
size_t cost(void *p)
{
    return malloc_usable_size(p) + per_alloc;
}
#endif

/* what may still be allocated, in pieces of at most small_max, after the
 * first refusal */
constexpr size_t grace = (size_t)64 << 20;
constexpr size_t small_max = 4096;

void *counted_alloc(size_t n, bool nothrow)
{
    if (n == 0)
        n = 1;
    if (tl_limit) {
        size_t lim = tl_limit;
        if (tl_tripped)
            lim = n <= small_max ? tl_limit + grace : 0;
        if (n > lim || tl_used > lim - n) {
            tl_tripped = true;
            if (nothrow)
                return nullptr;
            throw std::bad_alloc();
        }
    }
    void *p = std::malloc(n);
    if (!p) {
        if (nothrow)
            return nullptr;
        throw std::bad_alloc();
    }
    if (tl_limit) {
        tl_used += cost(p);
        if (tl_used > tl_peak)
            tl_peak = tl_used;
    }
    return p;
}

void counted_free(void *p)
{
    if (!p)
        return;
    if (tl_limit) {
        size_t n = cost(p);
        /* memory from before the budget opened may be freed inside it */
        tl_used = n < tl_used ? tl_used - n : 0;
    }
    std::free(p);
}

} // namespace

void mh_pdf_budget_begin(size_t limit)
{
    if (tl_depth++ > 0)
        return;
    tl_used = 0;
    tl_peak = 0;
    tl_tripped = false;
    tl_limit = limit;
}

void mh_pdf_budget_end(void)
{
    if (tl_depth == 0 || --tl_depth > 0)
        return;
    tl_limit = 0;
}

int mh_pdf_budget_tripped(void)
{
    return tl_tripped ? 1 : 0;
}

size_t mh_pdf_budget_peak(void)
{
    return tl_peak;
}

size_t mh_pdf_budget_limit(void)
{
    return tl_limit;
}

void *operator new(size_t n)
{
    return counted_alloc(n, false);
}

void *operator new[](size_t n)
{
    return counted_alloc(n, false);
}

void *operator new(size_t n, const std::nothrow_t &) noexcept
{
    return counted_alloc(n, true);
}

void *operator new[](size_t n, const std::nothrow_t &) noexcept
{
    return counted_alloc(n, true);
}

void operator delete(void *p) noexcept
{
    counted_free(p);
}

void operator delete[](void *p) noexcept
{
    counted_free(p);
}

void operator delete(void *p, size_t) noexcept
{
    counted_free(p);
}

void operator delete[](void *p, size_t) noexcept
{
    counted_free(p);
}

void operator delete(void *p, const std::nothrow_t &) noexcept
{
    counted_free(p);
}

void operator delete[](void *p, const std::nothrow_t &) noexcept
{
    counted_free(p);
}
