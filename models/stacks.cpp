#include "models/stacks.hpp"

#include "models/thread_limits.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>

namespace simul {
namespace {

// Asked once: sysconf is some 50 instructions, and a loop makes a stack a task.
std::size_t page_size() {
    static const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
    return page;
}

// A task that overflows a guarded stack faults on the guard page, and the
// kernel delivers SIGSEGV on the very stack that has no room left: without
// an alternate signal stack the process dies with no word of why. So every
// thread that makes stacks gets one, and the handler says in one line what
// most likely happened, then ends the process (exit 1): nothing can resume
// a task whose stack is gone. The line is made when the first stack is, as
// the handler may only write(2).
char overflow_line[256];
std::atomic<std::size_t> overflow_line_size{0};

void on_segv(int) {
    (void)!::write(STDERR_FILENO, overflow_line, overflow_line_size.load());
    ::_exit(1);
}

// This thread's alternate signal stack, made at its first stack and given
// back when the thread ends. A thread that has one already (AddressSanitizer
// gives every thread its own, and unmaps whatever is set when the thread
// ends) keeps it.
class signal_stack {
public:
    signal_stack() {
        stack_t now{};
        if (::sigaltstack(nullptr, &now) != 0 || (now.ss_flags & SS_DISABLE) == 0) return;
        const std::size_t page = page_size();
        const std::size_t bytes = (std::size_t(SIGSTKSZ) * 4 + page - 1) / page * page;
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return;
        stack_t alt{};
        alt.ss_sp = p;
        alt.ss_size = bytes;
        if (::sigaltstack(&alt, nullptr) != 0) {
            ::munmap(p, bytes);
            return;
        }
        sp_ = p;
        bytes_ = bytes;
    }
    ~signal_stack() {
        if (sp_ == nullptr) return;
        stack_t off{};
        off.ss_flags = SS_DISABLE;
        ::sigaltstack(&off, nullptr);
        ::munmap(sp_, bytes_);
    }
    signal_stack(const signal_stack&) = delete;
    signal_stack& operator=(const signal_stack&) = delete;

private:
    void* sp_ = nullptr;
    std::size_t bytes_ = 0;
};

void say_so_on_overflow(const stack_options& o) {
    static std::once_flag handler;
    std::call_once(handler, [&o] {
        const auto line = fmt::format_to_n(overflow_line, sizeof overflow_line - 1,
                                           "simul: a segmentation fault while stackful tasks ran on {} KiB stacks: "
                                           "most likely a task overflowed its stack; give it more (/stack:K)\n",
                                           o.kib);
        overflow_line_size = line.size;
        struct sigaction sa {};
        sa.sa_handler = on_segv;
        sa.sa_flags = SA_ONSTACK;
        ::sigaction(SIGSEGV, &sa, nullptr);
    });
    thread_local signal_stack mine;
}

}  // namespace

boost::context::stack_context stack_allocator::allocate() {
    const std::size_t bytes = options_.kib * 1024;
    say_so_on_overflow(options_);
    boost::context::stack_context sc;
    sc.size = bytes;
    if (!options_.guarded) {
        void* low = std::malloc(bytes);
        if (!low) throw stack_refused(stack_limit_reason(ENOMEM, bytes, false));
        sc.sp = static_cast<char*>(low) + bytes;  // stacks grow down: sp is the top
        return sc;
    }
    // The guard page is a mapping of its own once mprotect splits it off: the
    // split is where vm.max_map_count refuses (ENOMEM), not the mmap.
    const std::size_t page = page_size();
    void* low = ::mmap(nullptr, bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (low == MAP_FAILED) throw stack_refused(stack_limit_reason(errno, bytes, true));
    if (::mprotect(low, page, PROT_NONE) != 0) {
        const int error = errno;
        ::munmap(low, bytes + page);
        throw stack_refused(stack_limit_reason(error, bytes, true));
    }
    sc.sp = static_cast<char*>(low) + page + bytes;
    return sc;
}

void stack_allocator::deallocate(boost::context::stack_context& sc) noexcept {
    char* top = static_cast<char*>(sc.sp);
    if (!options_.guarded) {
        std::free(top - sc.size);
        return;
    }
    ::munmap(top - sc.size - page_size(), sc.size + page_size());
}

}  // namespace simul
