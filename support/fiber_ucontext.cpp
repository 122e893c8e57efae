// What Boost.Context's library provides for its ucontext fibers, for the
// builds that ask for them. The sanitizer presets build with
// BOOST_USE_UCONTEXT and BOOST_USE_ASAN or BOOST_USE_TSAN, because only the
// ucontext fibers tell the sanitizers of each switch of stacks; Debian's
// libboost_context is built for the default (fcontext) fibers and lacks the
// two definitions that the ucontext header declares. These are Boost 1.81's
// own (libs/context/src/fiber.cpp, Boost Software License 1.0). Without
// BOOST_USE_UCONTEXT this file is empty.
#if defined(BOOST_USE_UCONTEXT)
#include <boost/context/fiber.hpp>

#include <cstddef>

namespace boost::context::detail {

thread_local fiber_activation_record* fib_current_rec;  // zero-initialized
thread_local static std::size_t counter;

// A Schwarz counter: the thread's main context record, made at first use.
fiber_activation_record_initializer::fiber_activation_record_initializer() noexcept {
    if (0 == counter++) fib_current_rec = new fiber_activation_record();
}

fiber_activation_record_initializer::~fiber_activation_record_initializer() {
    if (0 == --counter) delete fib_current_rec;
}

fiber_activation_record*& fiber_activation_record::current() noexcept {
    thread_local static fiber_activation_record_initializer initializer;
    return fib_current_rec;
}

}  // namespace boost::context::detail
#endif
