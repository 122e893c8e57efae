#pragma once
// Per-task traces beside the JSON (--trace-dir), for the report's timelines.
//
// One file per case, DIR/<case>.csv, where <case> is the case's name with
// '/' written as "__" and ':' as "-". The format, for readers other than
// scripts/report.py:
//
//   # simul-bench task trace: times in microseconds from the case's start
//   # case: chess/sequential/boards:24/moves:30/think_us:500/reply_us:5500
//   task,due_us,start_us,end_us,failed
//   0,0,3,180412,0
//
// due_us is when the task became available, start_us and end_us when the
// model began and ended it (empty: it never began or never ended); failed is
// 1 for a task that failed or never started. The thread a task ran on is not
// recorded (the trace has no slot for it). A case with more tasks than the
// limit gets no file but a line in DIR/not_traced.txt saying why. With
// repetitions the last one's trace is kept.

#include "models/trace.hpp"

#include <cstddef>
#include <string>

namespace simul {

struct trace_options {
    std::string dir;           // empty: no traces
    std::size_t limit = 2000;  // the most tasks a case may have and be traced
};

// "chess/thread_pool:2/boards:24" → "chess__thread_pool-2__boards-24.csv"
std::string trace_file_name(const std::string& case_name);

// Writes the case's trace to opt.dir (whole or not at all: a temporary file
// renamed into place), or, over the limit, a line in not_traced.txt.
// Throws std::runtime_error, naming the file, when it cannot write.
void save_trace(const trace_options& opt, const std::string& case_name, const trace& tr);

}  // namespace simul
