#pragma once
// Every model in one table. Adding a model is its own file (models/<name>.*)
// and one row in models/kinds.cpp: parse_model and model_spec (shape, colour,
// make), simul-bench's default sweep and --help, simul-serve's --help and the
// tests that run every model all read the table. models/model.hpp includes
// this header.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace simul {

class model;
struct model_shape;
struct model_spec;

// Whether a model takes a size, as in "thread_pool:24".
enum class sizing {
    none,      // "sequential" only
    optional,  // "coroutine_loop" and "coroutine_loop:2" are two models
    required,  // "thread_pool:24", never "thread_pool"
};

// Which of task_source's colours a model calls (models/task.hpp); external:
// none, a peer's program runs the tasks in its own runtime (docs/PEERS.md).
enum class colour { blocking, coroutine, stackful, external };

// Sizes of the default sweep that are not a number of threads.
inline constexpr int no_size = 0;    // the kind without a size (sizing::none or optional)
inline constexpr int per_core = -1;  // as many threads as the machine has cores

struct model_kind {
    std::string_view name;  // on the command line and in case names, before any ':'
    sizing size;
    std::string_view size_means;  // for --help: what P counts; empty for sizing::none
    simul::colour colour;
    // How many tasks can be in flight at once and how many can use a CPU
    // (p: the size, 0 without one; tasks: the case's task count).
    model_shape (*shape)(int p, double tasks, double cores);
    std::unique_ptr<model> (*make)(const model_spec& m);
    std::string_view help;  // for --help: how it runs the tasks, one line
    // Its sizes in simul-bench's default sweep at --scale=quick and full
    // (no_size, per_core or a thread count), run in increasing order with
    // no_size first; empty: the default sweep leaves the kind out.
    std::vector<int> quick, full;
};

// Every row, in the order of --help and of the default sweep.
const std::vector<model_kind>& model_kinds();

// The row named `name`, or nullptr.
const model_kind* find_model_kind(std::string_view name);

// Every accepted form: "sequential, thread_per_task, thread_pool:P, ...".
std::string known_models();

// The forms as --help lists them, one entry per row:
// "  thread_pool:P       a oneTBB task arena; P: its worker threads".
std::string models_help(std::size_t column, std::size_t width = 79);

// The form of a kind at a size of the default sweep: "thread_pool:24",
// "coroutine_loop", "shared_loop:C" (per_core, with `cores` for C).
std::string sweep_form(const model_kind& kind, int size, std::string_view cores);

}  // namespace simul
