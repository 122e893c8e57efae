#pragma once
// Helper processes (the delay server, the load generator) run as separate
// executables, so their CPU and memory never count against the model under
// test. A helper_process starts one with its stdout on a pipe, reads from it
// with deadlines, and stops it when destroyed (SIGTERM, then SIGKILL).
// A helper holds no descriptor of ours but stdin and stderr, and dies with
// the process that started it, even a killed one (die_with_parent).
//
// Where helpers run: on this machine, in this process's network namespace,
// unless told otherwise once, before the first helper starts:
// set_helper_netns() starts them in another network namespace (the two
// hosts on one machine of bench.sh --netns), set_helper_via() through a
// command such as ssh (a load generator on another host).

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace simul {

// The path of a helper executable: beside the running executable, else in the
// build folder it was built in.
std::string tool_path(std::string_view name);

// Called first thing by each helper tool: when a helper_process started it,
// it is killed (SIGKILL) as soon as that process ends, so a killed run leaves
// no helper holding a port or the console's pipe.
void die_with_parent();

// Every helper started from now on runs in the network namespace NAME, as
// `ip netns exec NAME` would run it (/run/netns/NAME): the one thread that
// starts helpers enters it (setns), and what it spawns is born there; this
// process stays where it is. A NAME with a '/' is a path instead, e.g.
// /proc/self/ns/net: back to this process's own. Throws std::runtime_error
// saying why it cannot (no such namespace, no privilege: CAP_SYS_ADMIN).
void set_helper_netns(const std::string& name);

// Every helper started from now on runs as WORDS... DIR/TOOL ARGS..., e.g.
// {"ssh", "-o", "BatchMode=yes", "loadhost"} with DIR the build folder on
// that host (empty: the same path as here). It is not pinned here (the
// other host's CPUs are its own), and a helper that outlives the command
// (ssh killed) is that host's to end: simul-load ends with its schedule.
void set_helper_via(std::vector<std::string> words, std::string tools_dir);

// What some helpers need beyond stdout. A peer (docs/PEERS.md) is spoken to
// on its stdin, learns its case from its environment, may start processes of
// its own, which must end with it, and is the model under test: it runs
// here, beside simul-bench, never in the helpers' namespace or through
// set_helper_via's command.
struct helper_options {
    std::string name = {};              // in messages; empty: the executable's file name
    std::vector<int> cpus = {};         // the CPUs it runs on (empty: those of the thread that starts it)
    std::vector<std::string> env = {};  // "NAME=value", added to ours
    bool stdin_pipe = false;            // write_line() feeds its stdin
    bool own_group = false;             // its own process group, killed whole (SIGKILL) when it is stopped
    int pass_fd = -1;                   // a descriptor of ours it gets as its fd 3 (a listening socket)
    bool here = false;                  // started by the calling thread: its namespace and its CPUs
};

class helper_process {
public:
    // Helpers are started by one thread, which lives as long as the process
    // (see die_with_parent), unless opt.here.
    helper_process(const std::string& exe, const std::vector<std::string>& args, const helper_options& opt = {});
    ~helper_process();
    helper_process(const helper_process&) = delete;
    helper_process& operator=(const helper_process&) = delete;

    // The next line of its stdout; throws if none comes within the timeout or
    // the process ends first.
    std::string read_line(std::chrono::milliseconds timeout);

    // Waits for it to exit and returns the rest of its stdout; throws if it
    // does not exit in time or exits with an error.
    std::string wait_output(std::chrono::milliseconds timeout);

    // One line to its stdin (helper_options::stdin_pipe); throws if it is gone.
    void write_line(std::string_view line);

    // Stops it now (its group too, with own_group) and says how it ended:
    // "exited with code 1", "was killed by signal 9", or "was stopped" if
    // it was still running.
    std::string stop_and_tell();

    pid_t pid() const { return pid_; }

private:
    bool read_more(std::chrono::steady_clock::time_point deadline);  // false at EOF
    void stop();

    std::string name_;
    bool own_group_ = false;
    pid_t pid_ = -1;
    int out_ = -1;
    int in_ = -1;
    std::string pending_;
    bool exited_ = false;
};

// Starts the delay server on `bind` (127.0.0.1 unless told) with an
// ephemeral port, and takes where it listens from the line it prints.
struct delay_server {
    explicit delay_server(const boost::asio::ip::address& bind = boost::asio::ip::address_v4::loopback());
    helper_process process;
    boost::asio::ip::tcp::endpoint at;
    unsigned short port = 0;
};

}  // namespace simul
