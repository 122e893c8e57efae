// simul-peer-exec: how simul-bench starts a peer (docs/PEERS.md). A peer is
// another runtime's program, which cannot be asked to die with simul-bench
// as the project's own helpers do (die_with_parent). So this small program
// does it for it, then becomes it: the parent-death signal survives exec,
// so a killed simul-bench leaves no peer behind.
// Usage: simul-peer-exec PROGRAM [ARGS...]   (PROGRAM: a path, or found on PATH)

#include "bench/net/helper.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    simul::die_with_parent();
    if (argc < 2) {
        std::fprintf(stderr, "usage: simul-peer-exec PROGRAM [ARGS...]\n");
        return 2;
    }
    ::execvp(argv[1], argv + 1);
    std::fprintf(stderr, "simul-peer-exec: cannot run '%s': %s\n", argv[1], std::strerror(errno));
    return 127;
}
