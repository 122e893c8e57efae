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

// One of the chess master's moves: `steps` mixing steps of thinking (CPU work
// the compiler cannot skip), then the move, mix64(position). The move does
// not depend on how many steps the thinking took, because other runtimes
// think for the same time, not the same steps (docs/PEERS.md), and must
// reach the same position. The thinking still feeds the result, through a
// branch no position takes (a chain of mix64 meets 0 once in 2^64 steps).
constexpr std::uint64_t chess_move(std::uint64_t position, std::uint64_t steps) {
    std::uint64_t thought = position;
    for (std::uint64_t s = 0; s < steps; ++s) thought = mix64(thought);
    return mix64(position) ^ (thought == 0 ? 1 : 0);
}

}  // namespace simul
