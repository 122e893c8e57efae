// The bare sequential reader: the files one after another, each read whole
// with pread into the one buffer, every byte hashed as simul's file_read does.
// With `nohash` it only reads: the difference is what the checksum costs in
// place, on data the read has just copied (not the same as hashing a buffer
// already in the cache, which is what a case's ideal counts).
// Usage: bare-sequential-file_read DIR FILES FILE_KIB CHUNK_KIB PASSES [nohash]
#include "bench/baselines/files.hpp"

#include <string_view>

int main(int argc, char** argv) {
    auto set = simul::bare::file_set::from_args(argc, argv, "DIR FILES FILE_KIB CHUNK_KIB PASSES [nohash]");
    set.hash = !(argc > 6 && std::string_view(argv[6]) == "nohash");
    const auto buf = simul::bare::page_aligned(set.chunk);
    simul::bare::time_passes(set, "sequential", 1, [&] {
        std::uint64_t sum = 0;
        for (std::uint64_t i = 0; i < set.files; ++i) sum += set.read(i, buf.get());
        return sum;
    });
}
