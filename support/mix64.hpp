#pragma once
// Small helpers shared by workloads.

#include <cstdint>

namespace simul {

// SplitMix64's finaliser: a well-mixed, deterministic 64-bit digest of x.
constexpr std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace simul
