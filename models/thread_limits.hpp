#pragma once
// Which OS limit refused a new thread. pthread_create says only EAGAIN (or
// ENOMEM) whichever limit it hit, so the limits are read and the one that
// is (nearly) reached is named, with its value and what raises it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

namespace simul {

// e.g. "kernel.pid_max (32768) reached: 32750 threads on the system (raise
// it with sysctl)"; the error's own message when no limit is near.
std::string thread_limit_reason(const std::error_code& error);

// Whether `threads` more threads, each with a stack of `stack_bytes`, fit in
// what the limits leave now: an empty string, or which limit would refuse them
// ("RLIMIT_NPROC (200) leaves room for 31 more threads of this user, not
// 100 (raise it: ulimit -u)"). For oneTBB, whose workers are made on its own
// threads, where a refused pthread_create is std::terminate: the pool asks
// before it makes them.
std::string thread_room_refusal(std::int64_t threads, std::int64_t stack_bytes);

// Which limit refused a stackful coroutine's stack of `stack_bytes` (error:
// malloc's or mmap's errno; mapped: an mmap'd stack with a guard page),
// e.g. "vm.max_map_count (65530) reached: 65512 mappings, two per guarded
// stack (raise it with sysctl, or use malloc'd stacks)".
std::string stack_limit_reason(int error, std::size_t stack_bytes, bool mapped);

}  // namespace simul
