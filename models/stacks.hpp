#pragma once
// The stackful models' stacks, as Boost.Context's StackAllocator: malloc'd,
// as its fixedsize_stack (asio::spawn's default), or mmap'd with a guard page
// below, as its protected_fixedsize_stack. Ours rather than Boost's for one
// reason: a refused stack says which limit refused it (Boost's throw a bare
// std::bad_alloc), so that running out is a result, as for threads.
//
// Why malloc is the default: a 64 KiB block comes from malloc's heap (under
// glibc's mmap threshold of 128 KiB), so stacks cost no mapping each and no
// system call to make or free, and vm.max_map_count (65,530) does not stop
// them at about 32,700 tasks as it stops guarded ones, which take two
// mappings each (the stack and its guard). The price: an overflow is not
// caught; it writes over a neighbour. Guarded stacks catch it (SIGSEGV), and
// are what to use while finding how small a stack a workload can take.

#include <boost/context/stack_context.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace simul {

struct stack_options {
    static constexpr std::size_t default_kib = 64;
    std::size_t kib = default_kib;
    bool guarded = false;  // mmap with a guard page, not malloc

    bool operator==(const stack_options&) const = default;
};

// The system refused a stack: what() names the limit.
struct stack_refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class stack_allocator {
public:
    explicit stack_allocator(stack_options o) : options_(o) {}

    boost::context::stack_context allocate();  // throws stack_refused
    void deallocate(boost::context::stack_context& sc) noexcept;

private:
    stack_options options_;
};

}  // namespace simul
