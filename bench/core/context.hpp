#pragma once
// The machine and build, recorded in the Google Benchmark JSON's "context".

#include <string>

namespace simul {

// Adds kernel, compiler, build type, library versions and the OS limits that
// bound the models (threads, descriptors, memory maps) to the JSON context.
void add_context(const std::string& command_line);

}  // namespace simul
