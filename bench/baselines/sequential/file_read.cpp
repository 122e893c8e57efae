// The bare sequential reader: the files one after another, each read whole
// with pread into the one buffer, every byte hashed as simul's file_read does.
// Usage: bare-sequential-file_read DIR FILES FILE_KIB CHUNK_KIB PASSES
#include "bench/baselines/files.hpp"

int main(int argc, char** argv) {
    const auto set = simul::bare::file_set::from_args(argc, argv, "DIR FILES FILE_KIB CHUNK_KIB PASSES");
    const auto buf = simul::bare::page_aligned(set.chunk);
    simul::bare::time_passes(set, "sequential", 1, [&] {
        std::uint64_t sum = 0;
        for (std::uint64_t i = 0; i < set.files; ++i) sum += set.read(i, buf.get());
        return sum;
    });
}
