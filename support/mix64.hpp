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

// The chess master's thinking: `steps` mixing steps, a dependent chain the
// compiler cannot skip. Never inlined, so that the calibration of steps per
// microsecond (bench/workloads/chess.cpp), every model and the bare programs
// run the same machine code: inlined, GCC gave the chain a two-cycle LEA at
// one call site and not at another, and the same steps took 7% longer there
// (the chess ideal came out 4% slow, efficiency 1.04).
[[gnu::noinline]] constexpr std::uint64_t think(std::uint64_t position, std::uint64_t steps) {
    for (std::uint64_t s = 0; s < steps; ++s) position = mix64(position);
    return position;
}

// One of the chess master's moves: think for `steps`, then the move,
// mix64(position). The move does
// not depend on how many steps the thinking took, because other runtimes
// think for the same time, not the same steps (docs/PEERS.md), and must
// reach the same position. The thinking still feeds the result, through a
// branch no position takes (a chain of mix64 meets 0 once in 2^64 steps).
constexpr std::uint64_t chess_move(std::uint64_t position, std::uint64_t steps) {
    return mix64(position) ^ (think(position, steps) == 0 ? 1 : 0);
}

}  // namespace simul
