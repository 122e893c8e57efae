#include "bench/core/system.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <fstream>

namespace simul {

std::uint64_t raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    std::uint64_t nr_open = 0;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    if (nr_open > rl.rlim_max) {
        rlimit more{nr_open, nr_open};
        if (setrlimit(RLIMIT_NOFILE, &more) == 0) return nr_open;  // root may raise the hard limit
    }
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

void ignore_sigpipe() { ::signal(SIGPIPE, SIG_IGN); }

}  // namespace simul
