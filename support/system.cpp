#include "support/system.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

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

std::uint64_t grow_descriptor_table(std::uint64_t n) {
    rlimit rl{};
    if (n == 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    n = std::min<std::uint64_t>(n, rl.rlim_cur);
    const int any = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (any < 0) return 0;
    const int last = ::fcntl(any, F_DUPFD_CLOEXEC, int(std::min<std::uint64_t>(n - 1, INT32_MAX)));
    if (last >= 0) ::close(last);
    ::close(any);
    return last >= 0 ? n : 0;
}

void ignore_sigpipe() { ::signal(SIGPIPE, SIG_IGN); }

host_sample sample_host() {
    host_sample h;
    std::ifstream("/proc/loadavg") >> h.load1;
    std::ifstream stat("/proc/stat");
    std::string cpu;
    // user nice system idle iowait irq softirq steal (guest time is inside user)
    std::uint64_t f[8] = {};
    if (stat >> cpu && cpu == "cpu" && stat >> f[0] >> f[1] >> f[2] >> f[3] >> f[4] >> f[5] >> f[6] >> f[7]) {
        for (auto v : f) h.total += v;
        h.idle = f[3] + f[4];
        h.steal = f[7];
    }
    // Fields 14 and 15 of /proc/self/stat, after the command in parentheses.
    std::ifstream self("/proc/self/stat");
    std::string line;
    std::getline(self, line);
    const auto close = line.rfind(')');
    if (close != std::string::npos) {
        std::istringstream rest(line.substr(close + 2));
        std::string skip;
        for (int i = 3; i < 14; ++i) rest >> skip;
        // With the children waited for (cutime, cstime): a case's helpers,
        // stopped before the case returns, count as its own, not as others.
        std::uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;
        if (rest >> utime >> stime >> cutime >> cstime) h.self = utime + stime + cutime + cstime;
    }
    return h;
}

host_activity host_between(const host_sample& before, const host_sample& after) {
    host_activity a;
    a.load1 = before.load1;
    if (after.total <= before.total) return a;  // too short to see, or unreadable
    const double total = double(after.total - before.total);
    const double steal = double(after.steal - before.steal);
    const double busy = total - double(after.idle - before.idle) - steal;
    const double self = double(after.self - before.self);
    a.steal_pct = 100 * steal / total;
    a.others_pct = 100 * std::max(0.0, busy - self) / total;
    return a;
}

}  // namespace simul
