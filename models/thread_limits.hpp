#pragma once
// Which OS limit refused a new thread. pthread_create says only EAGAIN (or
// ENOMEM) whichever limit it hit, so the limits are read and the one that
// is (nearly) reached is named, with its value and what raises it.

#include <string>
#include <system_error>

namespace simul {

// e.g. "kernel.pid_max (32768) reached: 32750 threads on the system (raise
// it with sysctl)"; the error's own message when no limit is near.
std::string thread_limit_reason(const std::error_code& error);

}  // namespace simul
