#include "bench/case/case.hpp"

#include "support/event_peak.hpp"
#include "support/system.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <new>
#include <sstream>
#include <utility>
#include <vector>

namespace simul {

case_spec::case_spec(const workload* w, simul::params p, model_spec m, simul::arrival_pattern a)
    : work(w), params(std::move(p)), model(std::move(m)), arrival(a) {
    if (work != nullptr) work->refuse_bad_params(params);
}

std::string case_spec::name() const {
    return fmt::format("{}/{}/{}{}", work->name(), model.name(), params.name(), arrival.name());
}

double case_spec::ideal_s(const prepared_tasks* prepared) const {
    const auto shape = model.shape(task_count());
    const auto measured = prepared != nullptr ? prepared->measured_ideal_s(shape) : std::nullopt;
    const double burst = measured ? *measured : work->ideal_s(params, shape);
    if (arrival.how == arrival_pattern::kind::burst) return burst;
    const double last_arrival = double(task_count() - 1) / arrival.per_second;
    return std::max(burst, last_arrival + work->service_s(params));
}

double case_spec::predicted_s() const {
    const double ideal = ideal_s(), cap = capacity();
    if (arrival.how == arrival_pattern::kind::burst || cap <= 0) return ideal;
    return std::max(ideal, double(task_count()) / cap + work->service_s(params));
}

namespace {

// Per task, for the whole case: the trace's slots (due, arrived, start, end,
// failed, checksum), then the latencies and start/end events that summarize()
// sorts while the trace is still held.
constexpr double record_bytes = 4 * sizeof(std::int64_t) + sizeof(std::atomic<bool>) + sizeof(std::uint64_t) +
                                sizeof(std::int64_t) + 2 * sizeof(std::pair<std::int64_t, int>);

// Per task in flight, at the least. A thread: its kernel stack (four pages
// on x86-64) and the first page of its own stack. A coroutine: the task's
// frame and Asio's bookkeeping: a few hundred bytes. A stackful coroutine:
// the top page of its stack, which the fiber's record and the task's first
// calls touch (malloc's header below a malloc'd stack often shares a page
// with its neighbour's top: 10,000 sleeps measured 5.4 KiB a task).
double in_flight_bytes(colour c) {
    const double page = double(::sysconf(_SC_PAGESIZE));
    switch (c) {
        case colour::blocking:
            return 5 * page;
        case colour::coroutine:
            return 2 * 256.0;
        case colour::stackful:
            return 2 * page;
        case colour::external:  // another runtime's task: no less than a coroutine's
            return 2 * 256.0;
    }
    return 0;
}

double read_limit(const char* file) {
    double v = 0;
    return std::ifstream(file) >> v && v > 0 ? v : 1e18;
}

// Tasks that can be in flight at once before a limit refuses the next (a
// result the case reports), not the memory: threads past pid_max or
// threads-max, guarded stacks past vm.max_map_count (two mappings each).
double alive_cap(const model_spec& m) {
    if (m.colour() == colour::blocking)
        return std::min(read_limit("/proc/sys/kernel/pid_max"), read_limit("/proc/sys/kernel/threads-max"));
    if (m.colour() == colour::stackful && m.stack.guarded) return read_limit("/proc/sys/vm/max_map_count") / 2;
    return 1e18;
}

}  // namespace

double case_spec::memory_bytes() const {
    const double n = double(task_count());
    double in_flight = work->in_flight(params, model.shape(task_count()));
    in_flight = std::min(in_flight, alive_cap(model));
    // At a rate the model keeps up with, only rate × service are in flight.
    if (arrival.how != arrival_pattern::kind::burst)
        in_flight = std::min(in_flight, std::ceil(arrival.per_second * work->service_s(params)) + 1);
    return n * record_bytes + in_flight * in_flight_bytes(model.colour());
}

std::int64_t available_memory_bytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string line;
    while (std::getline(meminfo, line)) {
        std::istringstream fields(line);
        std::string key;
        std::int64_t kib = -1;
        if (fields >> key >> kib && key == "MemAvailable:") return kib * 1024;
    }
    return -1;
}

std::size_t in_flight_peak(const trace& tr) {
    // +1 at each start, −1 at each end; ends sort before starts at the same
    // instant, so back-to-back tasks do not count as overlapping.
    std::vector<std::pair<std::int64_t, int>> events;
    events.reserve(2 * tr.size());
    for (std::size_t i = 0; i < tr.size(); ++i) {
        if (tr.start_ns(i) == trace::not_done) continue;
        events.emplace_back(tr.start_ns(i), +1);
        if (tr.end_ns(i) != trace::not_done) events.emplace_back(tr.end_ns(i), -1);
    }
    return event_peak(std::move(events));
}

void summarize(const trace& tr, case_result& r) {
    std::vector<std::int64_t> latencies;
    latencies.reserve(tr.size());
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < tr.size(); ++i) {
        if (tr.failed(i) || tr.end_ns(i) == trace::not_done) {
            ++r.failed;
            continue;
        }
        latencies.push_back(tr.end_ns(i) - tr.due_ns(i));
        sum = (sum + tr.checksum(i)) & checksum_mask;
    }
    r.tasks = latencies.size();
    r.checksum = sum;
    r.latency = summarize_ns(std::move(latencies));
    r.in_flight_peak = in_flight_peak(tr);
    r.arrival_rate = arrival_rate(tr);
    r.backlog_peak = backlog_peak(tr);
    const double in_flight = double(std::max<std::size_t>(1, r.in_flight_peak));
    r.mem_per_task_bytes = double(r.cost.mem_peak_bytes) / in_flight;
    r.mem_total_per_task_bytes = double(r.cost.mem_peak_bytes + r.cost.mem_kernel_bytes) / in_flight;
    r.mem_virtual_per_task_bytes = double(r.cost.mem_virtual_bytes) / in_flight;
}

namespace {

// Runs a case; each step's exceptions become a case_error that says which
// step failed.
case_result run_steps(const case_spec& c, const progress_sink& progress, const trace_sink& on_trace) {
    std::unique_ptr<prepared_tasks> tasks;
    try {
        tasks = c.work->prepare(c.params);
    } catch (const std::exception& e) {
        throw case_error(fmt::format("set-up failed: {}", e.what()));
    }
    trace tr(tasks->size());
    c.arrival.schedule(tr);
    grow_descriptor_table(c.descriptors());  // now, not while the clock runs (support/system.hpp)
    scheduled_arrivals scheduled(tr);
    arrivals* own = tasks->own_arrivals();
    arrivals& arrive = own != nullptr ? *own : scheduled;

    const std::string name = c.name();
    meter::progress_fn report_progress;
    if (progress)
        report_progress = [&](std::chrono::duration<double> elapsed) {
            progress(fmt::format("  {}: {} of {} tasks ended after {:.0f} s", name, tr.count_ended(), tr.size(),
                                 elapsed.count()));
        };
    // Guarded stacks map memory per task: the meter counts the mappings' records.
    meter m(report_progress, c.model.colour() == colour::stackful && c.model.stack.guarded);
    m.start();
    std::unique_ptr<model> runner;
    try {
        runner = c.model.make();
    } catch (const std::exception& e) {
        m.stop();
        throw case_error(fmt::format("model {} could not start: {}", c.model.name(), e.what()));
    }

    const auto t0 = clock::now();
    tr.start(t0);
    try {
        tasks->on_start();
    } catch (const std::exception& e) {
        throw case_error(fmt::format("start failed: {}", e.what()));
    }
    std::string limit;
    try {
        limit = runner->run(*tasks, arrive, tr);
    } catch (const std::exception& e) {
        throw case_error(fmt::format("model {} failed: {}", c.model.name(), e.what()));
    }
    const auto t1 = clock::now();

    case_result r;
    r.cost = m.stop();
    runner.reset();  // teardown after the meter: a pool's exit is not its cost
    r.makespan_s = std::chrono::duration<double>(t1 - t0).count();
    summarize(tr, r);
    r.ideal_s = c.ideal_s(tasks.get());
    r.capacity = c.capacity();
    r.efficiency = r.makespan_s > 0 ? r.ideal_s / r.makespan_s : 0;
    r.label = !limit.empty() ? limit : r.failed > 0 ? fmt::format("{} failed: {}", r.failed, tr.first_error()) : "";
    try {
        tasks->on_end(r);
    } catch (const std::exception& e) {
        throw case_error(fmt::format("collecting the results failed: {}", e.what()));
    }
    if (on_trace) on_trace(tr);
    return r;
}

}  // namespace

case_result run_case(const case_spec& c, const progress_sink& progress, const trace_sink& on_trace) {
    // Whatever a case throws, from any step (the trace's allocation too), is
    // that case's failure: the sweep goes on.
    try {
        return run_steps(c, progress, on_trace);
    } catch (const case_error&) {
        throw;
    } catch (const std::bad_alloc& e) {
        throw case_error(fmt::format("out of memory ({})", e.what()));
    } catch (const std::exception& e) {
        throw case_error(e.what());
    } catch (...) {
        throw case_error("an exception that is not a std::exception");
    }
}

}  // namespace simul
