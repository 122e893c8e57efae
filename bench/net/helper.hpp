#pragma once
// Helper processes (the delay server, the load generator) run as separate
// executables, so their CPU and memory never count against the model under
// test. A helper_process starts one with its stdout on a pipe, reads from it
// with deadlines, and stops it when destroyed (SIGTERM, then SIGKILL).
// A helper holds no descriptor of ours but stdin and stderr, and dies with
// the process that started it, even a killed one (die_with_parent).

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

// What some helpers need beyond stdout: a peer (docs/PEERS.md) is spoken to
// on its stdin, learns its case from its environment, and may start
// processes of its own, which must end with it.
struct helper_options {
    std::string name = {};              // in messages; empty: the executable's file name
    std::vector<std::string> env = {};  // "NAME=value", added to ours
    bool stdin_pipe = false;            // write_line() feeds its stdin
    bool own_group = false;             // its own process group, killed whole (SIGKILL) when it is stopped
    int pass_fd = -1;                   // a descriptor of ours it gets as its fd 3 (a listening socket)
};

class helper_process {
public:
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

// Starts the delay server on 127.0.0.1 with an ephemeral port and returns
// the port it listens on.
struct delay_server {
    delay_server();
    helper_process process;
    unsigned short port = 0;
};

}  // namespace simul
