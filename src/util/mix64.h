/* mix64.h — the 64-bit finaliser behind the flow table's and the
 * reassembly table's seeded hashes (splitmix64's, Steele et al. 2014):
 * cheap, and every input bit reaches every output bit, so a seed XORed
 * into the key scatters crafted keys as well as honest ones. */
#ifndef EA_MIX64_H
#define EA_MIX64_H

#include <stdint.h>

static inline uint64_t ea_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

#endif
