/*
 * divdi3.c - 64-bit division for the freestanding guests.
 *
 * gcc -m32 compiles 64-bit '/' and '%' into calls to these libgcc helpers;
 * the guests link without libgcc, so the library provides them: a plain
 * shift-and-subtract long division (guests divide 64-bit numbers rarely,
 * and this code must not itself use 64-bit '/').
 */
#include <stdint.h>

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
int64_t __divmoddi4(int64_t n, int64_t d, int64_t *rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divdi3(int64_t n, int64_t d);
int64_t __moddi3(int64_t n, int64_t d);

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;

	if (d == 0) { /* as the divl instruction would: raise #DE */
		volatile uint32_t zero = 0;
		q = 1u / zero;
	}
	for (int bit = 63; bit >= 0; bit--) {
		r = r << 1 | ((n >> bit) & 1);
		if (r >= d) {
			r -= d;
			q |= (uint64_t)1 << bit;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

int64_t __divmoddi4(int64_t n, int64_t d, int64_t *rem)
{
	uint64_t un = n < 0 ? -(uint64_t)n : (uint64_t)n;
	uint64_t ud = d < 0 ? -(uint64_t)d : (uint64_t)d;
	uint64_t ur;
	uint64_t uq = __udivmoddi4(un, ud, &ur);

	if (rem)
		*rem = n < 0 ? -(int64_t)ur : (int64_t)ur;
	return (n < 0) != (d < 0) ? -(int64_t)uq : (int64_t)uq;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	return __udivmoddi4(n, d, 0);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	__udivmoddi4(n, d, &r);
	return r;
}

int64_t __divdi3(int64_t n, int64_t d)
{
	return __divmoddi4(n, d, 0);
}

int64_t __moddi3(int64_t n, int64_t d)
{
	int64_t r;

	__divmoddi4(n, d, &r);
	return r;
}
