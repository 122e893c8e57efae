#include "bench/core/helper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <charconv>
#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace simul {

std::string tool_path(std::string_view name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (const fs::path& dir : {self.parent_path(), self.parent_path().parent_path()})
            if (fs::exists(dir / name)) return (dir / name).string();
    }
    return (fs::path(SIMUL_TOOLS_DIR) / name).string();
}

helper_process::helper_process(const std::string& exe, const std::vector<std::string>& args)
    : name_(std::filesystem::path(exe).filename().string()) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("{}: pipe: {}", name_, strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // posix_spawn, not fork: the parent may have thousands of threads.
    const int err = ::posix_spawn(&pid_, exe.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (err != 0) {
        ::close(fds[0]);
        throw std::runtime_error(fmt::format("cannot start {}: {} (build it: cmake --build --preset release)", exe,
                                             strerror(err)));
    }
    out_ = fds[0];
}

helper_process::~helper_process() {
    stop();
    if (out_ >= 0) ::close(out_);
}

void helper_process::stop() {
    if (pid_ <= 0 || exited_) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {  // up to 2 s, then no more asking
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
            exited_ = true;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    exited_ = true;
}

bool helper_process::read_more(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error(fmt::format("{} did not answer in time", name_));
        pollfd p{out_, POLLIN, 0};
        const int r = ::poll(&p, 1, int(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char buf[4096];
        const ssize_t n = ::read(out_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        pending_.append(buf, std::size_t(n));
        return true;
    }
}

std::string helper_process::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto nl = pending_.find('\n');
        if (nl != std::string::npos) {
            std::string line = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            return line;
        }
        if (!read_more(deadline)) throw std::runtime_error(fmt::format("{} exited before it was ready", name_));
    }
}

std::string helper_process::wait_output(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_more(deadline)) {
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);  // its stdout closed: it has exited or is exiting
    exited_ = true;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(fmt::format("{} failed (status {})", name_, status));
    return std::move(pending_);
}

delay_server::delay_server()
    : process(tool_path("simul-delay-server"), {"--port=0"}) {
    // It prints "listening on 127.0.0.1:PORT" once it accepts connections.
    const std::string line = process.read_line(std::chrono::seconds(10));
    const auto colon = line.rfind(':');
    unsigned p = 0;
    if (colon == std::string::npos ||
        std::from_chars(line.data() + colon + 1, line.data() + line.size(), p).ec != std::errc{} || p == 0 ||
        p > 65535)
        throw std::runtime_error(fmt::format("simul-delay-server said '{}', not where it listens", line));
    port = static_cast<unsigned short>(p);
}

}  // namespace simul
