#pragma once
// The machine and build, recorded in the Google Benchmark JSON's "context".

#include "bench/harness/rounds.hpp"

#include <string>

namespace simul {

// Adds kernel, compiler, build type, library versions and the OS limits that
// bound the models (threads, descriptors, memory maps) to the JSON context,
// with the CPU frequency governor and the rounds rule of the sweep.
void add_context(const std::string& command_line, const round_rule& rounds);

}  // namespace simul
