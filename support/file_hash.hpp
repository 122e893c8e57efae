#pragma once
// The checksum of file_read's data, shared by the workload and the bare
// readers in bench/baselines/, which must return the same value.

#include "support/mix64.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace simul {

// The checksum of a file sees every bit and every position: each 4 KiB block
// is hashed on its own, and the block hashes are summed. A block's hash runs
// sixteen lanes over its words, lane = rotl((lane + word) × odd, 29), each
// lane seeded with the block's offset, then folds the lanes with mix64. Every
// step is a bijection in the word and in the lane, so a change to one word
// always changes its lane and the block's hash (the file's sum, mod 2^52,
// then misses it only by a 1 in 2^52 chance); order counts because the steps
// do not commute, and the seed places the block. Blocks, not reads, are the
// unit, so the value is the same whatever the reads return (chunk size, short
// reads, io path).
//
// Why sixteen lanes and an AVX-512 clone: the checksum is simul's cost, not
// the model's, and every nanosecond of it hides part of the read it follows.
// Sixteen independent lanes are two AVX-512 registers whose multiplies
// overlap; the compiler vectorises them where the CPU has AVX-512 (x86-64-v4,
// picked at load time) and runs the same arithmetic in scalar code elsewhere,
// so the value never depends on the CPU. Measured on this machine's EPYC, 64
// KiB hashed over and over: 8 lanes scalar 21 GB/s, 16 lanes with the clone
// 44 GB/s (32 lanes vectorise worse: 24 GB/s).
constexpr std::size_t hash_block_size = 4096;  // bytes

// Not under ThreadSanitizer: the clone is picked by an ifunc resolver, which
// runs before TSan's runtime is set up, and the program dies at start.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
#define SIMUL_AVX512_CLONE __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define SIMUL_AVX512_CLONE
#endif

SIMUL_AVX512_CLONE inline std::uint64_t hash_block(const char* data, std::uint64_t offset) {
    constexpr int lanes = 16;
    std::uint64_t lane[lanes];
    for (int l = 0; l < lanes; ++l) lane[l] = mix64(offset + std::uint64_t(l));
    for (std::size_t k = 0; k < hash_block_size; k += 8 * lanes) {
        std::uint64_t w[lanes];
        std::memcpy(w, data + k, sizeof w);
        for (int l = 0; l < lanes; ++l) lane[l] = std::rotl((lane[l] + w[l]) * 0x9e3779b185ebca87ULL, 29);
    }
    std::uint64_t h = 0;
    for (int l = 0; l < lanes; ++l) h = mix64(h ^ lane[l]);
    return h;
}

// Adds the whole blocks of data, which starts at `offset` of its file, to
// sum; returns how many bytes that was.
inline std::size_t hash_blocks(const char* data, std::size_t n, std::uint64_t offset, std::uint64_t& sum) {
    const std::size_t whole = n - n % hash_block_size;
    for (std::size_t k = 0; k < whole; k += hash_block_size) sum += hash_block(data + k, offset + k);
    return whole;
}

}  // namespace simul
