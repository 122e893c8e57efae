#pragma once
// Splitting the CPUs between a server under test and the load that drives it.
//
// On one machine the load generator competes with the server for the same
// cores unless told otherwise: the scheduler moves both about, and a figure
// then depends on where each happened to run. Pinning the load to one CPU and
// the server to the others is the one-machine version of putting the client
// on another host. With a single CPU there is nothing to split: the split is
// empty and says so.
//
// Affinity is per thread on Linux: a process is pinned by pinning each of its
// threads (/proc/self/task), and a thread or child process inherits the mask
// of the thread that creates it. A helper process is started on its CPUs by
// helper_process (bench/net/helper.hpp), on the thread that starts helpers.

#include <dirent.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sched.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace simul {

class cpu_split {
public:
    // From the CPUs this thread may run on: the first for the load, the rest
    // for the server. Empty (pinned() false) with fewer than two.
    static cpu_split choose() {
        cpu_split s;
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return s;
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(static_cast<std::size_t>(c), &allowed)) (s.load_.empty() ? s.load_ : s.server_).push_back(c);
        if (s.server_.empty()) s.load_.clear();
        s.allowed_ = CPU_COUNT(&allowed);
        return s;
    }

    bool pinned() const { return !server_.empty(); }
    const std::vector<int>& load_cpus() const { return load_; }
    const std::vector<int>& server_cpus() const { return server_; }

    // For a case's label: what ran where, or why nothing was pinned.
    std::string describe() const {
        if (!pinned()) return fmt::format("not pinned: {} CPU", allowed_);
        return fmt::format("pinned: server on CPU {}, load on CPU {}", fmt::join(server_, ","), fmt::join(load_, ","));
    }

    static cpu_set_t mask(const std::vector<int>& cpus) {
        cpu_set_t m;
        CPU_ZERO(&m);
        for (int c : cpus) CPU_SET(static_cast<std::size_t>(c), &m);
        return m;
    }

private:
    std::vector<int> load_, server_;
    int allowed_ = 0;
};

// Every thread of this process on `cpus` while it lives; each thread's own
// mask back afterwards (threads created meanwhile get the first one's). A
// thread that ends meanwhile is simply gone.
class process_pinning {
public:
    explicit process_pinning(const std::vector<int>& cpus) {
        const cpu_set_t to = cpu_split::mask(cpus);
        for (pid_t tid : threads()) {
            cpu_set_t was;
            if (::sched_getaffinity(tid, sizeof was, &was) != 0) continue;
            saved_.emplace_back(tid, was);
            ::sched_setaffinity(tid, sizeof to, &to);
        }
    }
    ~process_pinning() {
        if (saved_.empty()) return;
        for (pid_t tid : threads()) {
            const cpu_set_t* was = &saved_.front().second;
            for (const auto& [t, m] : saved_)
                if (t == tid) was = &m;
            ::sched_setaffinity(tid, sizeof *was, was);
        }
    }
    process_pinning(const process_pinning&) = delete;
    process_pinning& operator=(const process_pinning&) = delete;

private:
    static std::vector<pid_t> threads() {
        std::vector<pid_t> out;
        if (DIR* d = ::opendir("/proc/self/task")) {
            while (const dirent* e = ::readdir(d))
                if (e->d_name[0] != '.') out.push_back(pid_t(std::atoi(e->d_name)));
            ::closedir(d);
        }
        return out;
    }

    std::vector<std::pair<pid_t, cpu_set_t>> saved_;
};

}  // namespace simul
