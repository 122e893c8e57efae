#include "bench/peer/peer_case.hpp"

#include "bench/case/meter.hpp"
#include "bench/net/helper.hpp"
#include "support/usage_error.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

namespace simul {
namespace {

using namespace std::chrono_literals;

// Start-up is the peer's own affair (an interpreter, a VM), but one that
// takes a minute to say "ready" is hung.
constexpr auto ready_timeout = 60s;

// A rate case's due times, for the peer to read before "ready"; removed
// with the case.
class due_file {
public:
    explicit due_file(const trace& tr) {
        char name[] = "/tmp/simul-due-XXXXXX";
        const int fd = ::mkstemp(name);
        if (fd < 0) throw std::runtime_error("cannot make a file for the due times in /tmp");
        path_ = name;
        std::FILE* f = ::fdopen(fd, "w");
        for (std::size_t i = 0; i < tr.size(); ++i) std::fprintf(f, "%lld\n", static_cast<long long>(tr.due_ns(i)));
        if (std::fclose(f) != 0) throw std::runtime_error("cannot write the due times to " + path_);
    }
    ~due_file() { std::filesystem::remove(path_); }
    due_file(const due_file&) = delete;
    due_file& operator=(const due_file&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The peer, as the protocol sees it: lines out, lines in, and one message
// for whatever goes wrong, which says how the peer ended (it is stopped,
// with everything it started, before the message is made).
class peer_link {
public:
    peer_link(const peer_command& peer, std::vector<std::string> env, int listen_fd)
        : name_(peer.name),
          process_(tool_path("simul-peer-exec"), peer.argv,
                   {.name = "peer " + peer.name,
                    .env = std::move(env),
                    .stdin_pipe = true,
                    .own_group = true,
                    .pass_fd = listen_fd,
                    .here = true}) {}

    pid_t pid() const { return process_.pid(); }
    void say(std::string_view line) {
        try {
            process_.write_line(line);
        } catch (const std::exception&) {
            fail(fmt::format("before it read '{}'", line), 0s);
        }
    }

    // The next line, which the peer must send within `timeout`; `awaited`
    // names it for the message.
    std::string next(std::string_view awaited, std::chrono::duration<double> timeout) {
        try {
            return process_.read_line(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
        } catch (const std::exception&) {
            fail(fmt::format("before it said '{}'", awaited), timeout);
        }
    }

    [[noreturn]] void fail(const std::string& when, std::chrono::duration<double> timeout) {
        const std::string how = process_.stop_and_tell();
        if (how == "was stopped")
            throw case_error(fmt::format("peer {} did not answer within {:.0f} s {}: stopped (--peer-timeout)", name_,
                                         timeout.count(), when));
        throw case_error(fmt::format("peer {} {} {} (its messages, if any, are above)", name_, how, when));
    }

    [[noreturn]] void garbage(const std::string& line, std::string_view expected) {
        process_.stop_and_tell();
        throw case_error(fmt::format("peer {} said '{}' where the protocol has {} (docs/PEERS.md)", name_,
                                     line.substr(0, 80), expected));
    }

    void wait_exit() {
        try {
            process_.wait_output(10s);
        } catch (const std::exception& e) {
            throw case_error(fmt::format("peer {}: {}", name_, e.what()));
        }
    }

private:
    std::string name_;
    helper_process process_;
};

template <class T>
bool parse_number(std::string_view text, T& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

std::string_view next_word(std::string_view& rest) {
    const auto space = rest.find(' ');
    const std::string_view word = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    return word;
}

// "I START END ok CHECKSUM" or "I START END fail MESSAGE" into the trace,
// each task once; a checksum that is not the one expected fails the task.
void read_records(peer_link& link, const prepared_tasks& tasks, trace& tr, std::chrono::duration<double> timeout) {
    constexpr std::string_view form = "'I START END ok CHECKSUM', 'I START END fail MESSAGE' or 'end'";
    std::vector<bool> seen(tr.size());
    std::size_t count = 0;
    for (;;) {
        const std::string line = link.next("end", timeout);
        if (line == "end") break;
        std::string_view rest = line;
        std::size_t i = 0;
        std::int64_t start = 0, end = 0;
        std::uint64_t sum = 0;
        const bool numbers = parse_number(next_word(rest), i) && parse_number(next_word(rest), start) &&
                             parse_number(next_word(rest), end);
        const std::string_view status = next_word(rest);
        if (!numbers || i >= tr.size() || seen[i] || (status != "ok" && status != "fail") ||
            (status == "ok" && !parse_number(rest, sum)))
            link.garbage(line, i < tr.size() && seen[i] ? "each task once" : form);
        seen[i] = true;
        ++count;
        std::string error = status == "fail" ? std::string(rest.empty() ? "failed" : rest) : std::string();
        if (const auto expected = tasks.expected_checksum(i); error.empty() && expected && *expected != sum)
            error = fmt::format("task {}: checksum {} is not the expected {}", i, sum, *expected);
        tr.set_recorded(i, start < 0 ? trace::not_done : start, end < 0 ? trace::not_done : end, sum, error);
    }
    if (count < tr.size()) link.fail(fmt::format("after it reported {} of {} tasks", count, tr.size()), timeout);
}

std::vector<std::string> environment(const case_spec& c, const prepared_tasks& tasks, std::size_t n,
                                     const due_file* due) {
    std::vector<std::string> env = {"SIMUL_PEER=1", fmt::format("SIMUL_WORKLOAD={}", c.work->name()),
                                    "SIMUL_PARAMS=" + peer_params(c.params), fmt::format("SIMUL_TASKS={}", n)};
    if (due != nullptr) env.push_back("SIMUL_DUE_FILE=" + due->path());
    for (const auto& [name, value] : tasks.peer_environment()) env.push_back(name + "=" + value);
    if (tasks.peer_listen_fd() >= 0) env.emplace_back("SIMUL_LISTEN_FD=3");
    return env;
}

case_result run_peer_steps(const case_spec& c, std::chrono::duration<double> timeout, const progress_sink& progress,
                           const trace_sink& on_trace) {
    std::unique_ptr<prepared_tasks> tasks;
    try {
        tasks = c.work->prepare(c.params);
    } catch (const std::exception& e) {
        throw case_error(fmt::format("set-up failed: {}", e.what()));
    }
    trace tr(tasks->size());
    c.arrival.schedule(tr);
    std::optional<due_file> due;
    if (c.arrival.how != arrival_pattern::kind::burst) due.emplace(tr);

    const auto spawned = clock::now();
    peer_link peer(*c.model.peer, environment(c, *tasks, tr.size(), due ? &*due : nullptr), tasks->peer_listen_fd());
    const std::string hello = peer.next("ready", ready_timeout);
    if (hello.starts_with("skip "))
        throw case_skipped(fmt::format("skipped: {} says: {}", c.model.name(), hello.substr(5)));
    if (hello != "ready") peer.garbage(hello, "'ready' or 'skip REASON'");
    const double startup_s = std::chrono::duration<double>(clock::now() - spawned).count();
    const std::string proc = fmt::format("/proc/{}", peer.pid());
    const std::int64_t startup_bytes = proc_status_field("VmRSS", proc);

    const std::string name = c.name();
    meter m(progress ? meter::progress_fn([&](std::chrono::duration<double> elapsed) {
                progress(fmt::format("  {}: running in its own process for {:.0f} s", name, elapsed.count()));
            })
                     : meter::progress_fn{},
            false, peer.pid());
    m.start();
    const auto t0 = clock::now();
    tr.start(t0);
    peer.say("go");
    try {
        tasks->on_start();
    } catch (const std::exception& e) {
        throw case_error(fmt::format("start failed: {}", e.what()));
    }
    const std::string done = peer.next("done", timeout);
    const auto t1 = clock::now();
    case_result r;
    r.cost = m.stop();
    if (done != "done") peer.garbage(done, "'done'");
    peer.say("send");
    read_records(peer, *tasks, tr, timeout);
    peer.wait_exit();

    r.makespan_s = std::chrono::duration<double>(t1 - t0).count();
    summarize(tr, r);
    // The nominal ideal, not one timed in this process: a peer thinks for
    // think_us on its own clock (docs/PEERS.md), so think_us is its bound.
    r.ideal_s = c.ideal_s();
    r.capacity = c.capacity();
    r.efficiency = r.makespan_s > 0 ? r.ideal_s / r.makespan_s : 0;
    r.label = r.failed > 0 ? fmt::format("{} failed: {}", r.failed, tr.first_error()) : "";
    try {
        tasks->on_end(r);
    } catch (const std::exception& e) {
        throw case_error(fmt::format("collecting the results failed: {}", e.what()));
    }
    r.extra.emplace_back("startup_s", startup_s);  // after on_end, which may replace the extras (serve)
    r.extra.emplace_back("mem_startup_bytes", double(std::max<std::int64_t>(0, startup_bytes)));
    if (on_trace) on_trace(tr);
    return r;
}

bool runnable(const std::string& program) {
    if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':'))
        if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    return false;
}

}  // namespace

std::string peer_params(const params& p) {
    std::string out = p.name();  // "tasks:1000/wait_ms:100"
    std::replace(out.begin(), out.end(), ':', '=');
    std::replace(out.begin(), out.end(), '/', ' ');
    return out;
}

peer_command parse_peer(std::string_view text) {
    const auto eq = text.find('=');
    const std::string name(text.substr(0, eq));
    const bool good_name = !name.empty() && name.size() <= 40 && name[0] >= 'a' && name[0] <= 'z' &&
                           std::all_of(name.begin(), name.end(), [](char ch) {
                               return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
                           });
    if (eq == std::string_view::npos || !good_name)
        throw usage_error(fmt::format("--peer: '{}' is not NAME=COMMAND with NAME of lower-case letters, digits "
                                      "and _ (e.g. --peer='go=build/peers/go/peer')",
                                      text));
    if (find_model_kind(name) != nullptr)
        throw usage_error(
            fmt::format("--peer: '{}' is the name of one of simul's models; give the peer another", name));
    peer_command peer{name, {}};
    std::istringstream words{std::string(text.substr(eq + 1))};
    for (std::string w; words >> w;) peer.argv.push_back(w);
    if (peer.argv.empty()) throw usage_error(fmt::format("--peer: {} has no command", name));
    if (!runnable(peer.argv[0]))
        throw usage_error(fmt::format("--peer: {}: '{}' is not a program this machine can run (install the peers: "
                                      "scripts/peers.sh --install)",
                                      name, peer.argv[0]));
    return peer;
}

case_result run_peer_case(const case_spec& c, std::chrono::duration<double> timeout, const progress_sink& progress,
                          const trace_sink& on_trace) {
    // As run_case: whatever a step throws is this case's failure, and the
    // sweep goes on.
    try {
        return run_peer_steps(c, timeout, progress, on_trace);
    } catch (const case_error&) {
        throw;
    } catch (const std::bad_alloc& e) {
        throw case_error(fmt::format("out of memory ({})", e.what()));
    } catch (const std::exception& e) {
        throw case_error(fmt::format("peer {}: {}", c.model.name(), e.what()));
    }
}

}  // namespace simul
