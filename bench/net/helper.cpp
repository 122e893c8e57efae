#include "bench/net/helper.hpp"

#include "bench/net/address.hpp"
#include "support/poll_until.hpp"
#include "support/usage_error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
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

namespace {

constexpr const char* parent_variable = "SIMUL_PARENT_PID";

// PR_SET_PDEATHSIG fires when the *thread* that started the child ends, not
// the process. So every helper is started by this one thread, which lives
// as long as the process does, whichever thread asked for the helper.
class spawner {
public:
    static spawner& instance() {
        static spawner* s = new spawner;  // never destroyed: its thread must outlive every helper
        return *s;
    }

    int run(std::function<int()> job) {
        std::packaged_task<int()> task(std::move(job));
        auto result = task.get_future();
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(task));
        }
        ready_.notify_one();
        return result.get();
    }

private:
    spawner() {
        std::thread([this] { loop(); }).detach();
    }

    void loop() {
        for (;;) {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return !jobs_.empty(); });
            auto task = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            task();
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::packaged_task<int()>> jobs_;
};

// set_helper_via's command, and the folder of the tools at its end.
struct via_command {
    std::vector<std::string> words;
    std::string tools_dir;
};
via_command& via() {
    static via_command v;
    return v;
}

}  // namespace

void set_helper_netns(const std::string& name) {
    std::string why;
    spawner::instance().run([&] {
        const std::string path = name.find('/') == std::string::npos ? "/run/netns/" + name : name;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            why = errno == ENOENT ? fmt::format("there is no network namespace '{}' ({} is missing: make it with "
                                                "ip netns add {})",
                                                name, path, name)
                                  : fmt::format("cannot open {}: {}", path, std::strerror(errno));
            return 0;
        }
        if (::setns(fd, CLONE_NEWNET) != 0)
            why = fmt::format("cannot enter network namespace '{}': {}{}", name, std::strerror(errno),
                              errno == EPERM ? " (it needs root: CAP_SYS_ADMIN)" : "");
        ::close(fd);
        return 0;
    });
    if (!why.empty()) throw std::runtime_error(why);
}

void set_helper_via(std::vector<std::string> words, std::string tools_dir) {
    via() = {std::move(words), std::move(tools_dir)};
}

void die_with_parent() {
    const char* parent = std::getenv(parent_variable);
    if (parent == nullptr) return;  // started by hand: lives on its own
    pid_t expected = 0;
    std::from_chars(parent, parent + std::strlen(parent), expected);
    ::unsetenv(parent_variable);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died before the prctl: then nobody would tell us.
    if (::getppid() != expected) std::_Exit(1);
}

helper_process::helper_process(const std::string& exe, const std::vector<std::string>& args,
                               const helper_options& opt)
    : name_(opt.name.empty() ? std::filesystem::path(exe).filename().string() : opt.name),
      own_group_(opt.own_group) {
    int fds[2], in[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("{}: pipe: {}", name_, strerror(errno)));
    if (opt.stdin_pipe && ::pipe2(in, O_CLOEXEC) != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw std::runtime_error(fmt::format("{}: pipe: {}", name_, strerror(errno)));
    }
    // The child gets stdin, stderr and the pipe as stdout, nothing else: not
    // the results file, not another helper's pipe, not a socket, whoever
    // opened them and however.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    if (opt.stdin_pipe) posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    constexpr int passed_fd = STDERR_FILENO + 1;
    if (opt.pass_fd >= 0) posix_spawn_file_actions_adddup2(&actions, opt.pass_fd, passed_fd);
    posix_spawn_file_actions_addclosefrom_np(&actions, opt.pass_fd >= 0 ? passed_fd + 1 : passed_fd);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (opt.own_group) {
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
    }
    // Through set_helper_via's command, the tool named by its path there;
    // a helper that runs here (a peer) never.
    const via_command none;
    const via_command& through = opt.here ? none : via();
    std::vector<std::string> words = through.words;
    if (words.empty()) words.push_back(exe);
    else if (through.tools_dir.empty()) words.push_back(exe);
    else words.push_back((std::filesystem::path(through.tools_dir) / name_).string());
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : words) argv.push_back(a.data());
    argv.push_back(nullptr);
    const bool pin = !opt.cpus.empty() && through.words.empty();
    // Tells the helper to die with us (die_with_parent).
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e)
        if (!std::string_view(*e).starts_with(std::string(parent_variable) + "=")) env_text.emplace_back(*e);
    env_text.push_back(fmt::format("{}={}", parent_variable, ::getpid()));
    env_text.insert(env_text.end(), opt.env.begin(), opt.env.end());
    std::vector<char*> env;
    for (auto& e : env_text) env.push_back(e.data());
    env.push_back(nullptr);
    // posix_spawn, not fork: the parent may have thousands of threads.
    // The child takes the CPUs and the network namespace of the thread that
    // spawns it: the spawner's, on `cpus` for the spawn; or, for a helper
    // that runs here, the caller's.
    const auto spawn = [&] {
        cpu_set_t was;
        const bool pinned = pin && ::sched_getaffinity(0, sizeof was, &was) == 0;
        if (pinned) {
            cpu_set_t to;
            CPU_ZERO(&to);
            for (int c : opt.cpus) CPU_SET(static_cast<std::size_t>(c), &to);
            ::sched_setaffinity(0, sizeof to, &to);
        }
        const int e = ::posix_spawnp(&pid_, argv[0], &actions, &attr, argv.data(), env.data());
        if (pinned) ::sched_setaffinity(0, sizeof was, &was);
        return e;
    };
    const int err = opt.here ? spawn() : spawner::instance().run(spawn);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    if (opt.stdin_pipe) ::close(in[0]);
    if (err != 0) {
        ::close(fds[0]);
        if (opt.stdin_pipe) ::close(in[1]);
        throw std::runtime_error(
            fmt::format("cannot start {}: {}{}", argv[0], strerror(err),
                        through.words.empty() ? " (build it: cmake --build --preset release)" : ""));
    }
    out_ = fds[0];
    in_ = in[1];
}

helper_process::~helper_process() {
    stop();
    if (out_ >= 0) ::close(out_);
    if (in_ >= 0) ::close(in_);
}

void helper_process::write_line(std::string_view line) {
    std::string text(line);
    text += '\n';
    // SIGPIPE is ignored in this process (support/system.hpp): a closed pipe is EPIPE.
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(in_, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error(fmt::format("{} is gone: writing to it: {}", name_, strerror(errno)));
        done += std::size_t(n);
    }
}

std::string helper_process::stop_and_tell() {
    int status = 0;
    std::string how = "was stopped";
    // Its stdout may close a moment before it can be reaped: a short grace.
    for (int i = 0; i < 20 && !exited_; ++i) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            exited_ = true;
            how = WIFSIGNALED(status) ? fmt::format("was killed by signal {}", WTERMSIG(status))
                                      : fmt::format("exited with code {}", WEXITSTATUS(status));
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    stop();
    return how;
}

void helper_process::stop() {
    if (pid_ <= 0) return;
    // A group's other members may outlive its leader: they are killed too.
    if (own_group_) ::kill(-pid_, SIGKILL);
    if (exited_) return;
    if (own_group_) {
        ::waitpid(pid_, nullptr, 0);
        exited_ = true;
        return;
    }
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
        const auto waited = poll_until(out_, POLLIN, deadline);
        if (waited == poll_result::timed_out) throw std::runtime_error(fmt::format("{} did not answer in time", name_));
        if (waited == poll_result::failed)
            throw std::runtime_error(fmt::format("reading {}: {}", name_, std::strerror(errno)));
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
    if (WIFSIGNALED(status))
        throw std::runtime_error(fmt::format("{} was killed by signal {}", name_, WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(
            fmt::format("{} failed with exit code {} (its message is above)", name_, WEXITSTATUS(status)));
    return std::move(pending_);
}

delay_server::delay_server(const boost::asio::ip::address& bind)
    : process(tool_path("simul-delay-server"), {"--port=0", "--bind=" + bind.to_string()}) {
    // It prints "listening on ADDRESS:PORT" once it accepts connections.
    const std::string line = process.read_line(std::chrono::seconds(10));
    const std::string_view head = "listening on ";
    try {
        if (!line.starts_with(head)) throw usage_error("");
        at = parse_endpoint("simul-delay-server", std::string_view(line).substr(head.size()));
    } catch (const usage_error&) {
        throw std::runtime_error(fmt::format("simul-delay-server said '{}', not where it listens", line));
    }
    port = at.port();
}

}  // namespace simul
