#include "models/stacks.hpp"

#include "models/thread_limits.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace simul {

boost::context::stack_context stack_allocator::allocate() {
    const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
    const std::size_t bytes = options_.kib * 1024;
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
    const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
    ::munmap(top - sc.size - page, sc.size + page);
}

}  // namespace simul
