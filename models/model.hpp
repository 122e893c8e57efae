#pragma once
// A model decides who runs the tasks and on how many threads. It sees only
// the two-colour task_source and the trace (which tells it when each task is
// due); it never knows which workload it runs.
//
// Life of a model in one case:
//   constructor  get ready (a pool starts its workers): metered for memory
//                and threads, but not timed
//   run()        every task, each once it has arrived: timed
//   destructor   tear down (a pool waits for its workers to exit) so the next
//                case starts from a clean process

#include "models/arrivals.hpp"
#include "models/kinds.hpp"
#include "models/stacks.hpp"
#include "models/task.hpp"
#include "models/trace.hpp"

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace simul {

// What the ideal makespan depends on: how many tasks can be in flight at once,
// and how many of them can use a CPU at the same time.
struct model_shape {
    double concurrency = 1;
    double cpu_parallelism = 1;
};

class model {
public:
    virtual ~model() = default;

    // Run every task once, each after arrivals says it has arrived. Returns
    // an empty string, or the limit the model hit ("thread limit: ...");
    // tasks it could not start are marked failed.
    virtual std::string run(task_source& tasks, arrivals& arrive, trace& tr) = 0;
};

// A model as named on the command line and in case names: "sequential",
// "thread_per_task", "thread_pool:24", "coroutine_loop" (one thread),
// "coroutine_loop:2" (a loop per thread), "shared_loop:2" (one loop, 2 threads),
// "stackful_loop:2/stack:16/guarded" (the stackful loops take options after
// the form: /stack:K, a stack of K KiB; /guarded, mmap'd with a guard page).
// Everything but its name comes from its kind's row; a kind with no row
// throws model_error.
//
// A peer (--peer=NAME=COMMAND) is a model too, outside the table: a program
// of another runtime that runs the tasks in its own process (docs/PEERS.md).
// Its kind is its NAME; it has the colour external, and every task in
// flight at once on all the machine's cores, the shape no runtime can beat.
struct peer_command {
    std::string name;
    std::vector<std::string> argv;  // argv[0]: a path, or a program on PATH
};

struct model_spec {
    std::string kind;
    int threads = 0;                                // P: a pool's threads, or a loop model's; 0 for models without one
    stack_options stack = {};                       // the stackful colour's stacks
    std::shared_ptr<const peer_command> peer = {};  // set for a peer; then kind == peer->name

    std::string name() const;  // "thread_pool:24", "stackful_loop/stack:16" (options that differ from the default)
    const model_kind& row() const;
    simul::colour colour() const;
    bool runs_async() const;  // on a loop: the coroutine or the stackful colour
    model_shape shape(std::size_t tasks) const;
    std::unique_ptr<model> make() const;  // throws model_error for a peer: it runs outside (bench/peer)
};

// Bad model names and sizes on the command line.
struct model_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Parses "thread_pool:24" and friends; throws model_error with a message that
// says what is accepted.
model_spec parse_model(std::string_view text);

// The most threads a sized model will start, each with its own stack, so a
// typo like thread_pool:1000000 is refused, not tried.
inline constexpr int max_pool_threads = 4096;

// Bounds of /stack:K, in KiB: below 8 KiB not even the fiber's own record and
// a few calls fit; 64 MiB is far past any task's needs.
inline constexpr std::size_t min_stack_kib = 8, max_stack_kib = 65536;

}  // namespace simul
