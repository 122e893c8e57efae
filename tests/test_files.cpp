// file_read: the cache state is what the parameter says (checked with
// mincore), every model and IO path reads the same bytes, the loops (of both
// loop colours, coroutine and stackful) fall back to the offload pool where
// io_uring is refused and retry the submits it refuses, the checksum notices
// any changed bit or moved word, a damaged data set is rebuilt, a build that
// fills the disk leaves nothing behind, and a missing directory is a clear
// error.

#include "bench/io/uring_reads.hpp"
#include "support/settings.hpp"
#include "tests/helpers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/spawn.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sched.h>

#include <cstddef>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace simul;
using namespace simul::testing;

namespace {

// The loop models of both loop colours, one thread and several: where a
// test runs a loop, it runs each.
const char* const loops[] = {"coroutine_loop", "coroutine_loop:2", "shared_loop:2", "stackful_loop", "stackful_loop:2"};

// Each test its own data folder: CTest runs test processes side by side.
// Emptied first, so what an earlier run left (a set it damaged) cannot
// decide this one.
fs::path use_data_dir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const fs::path dir = fs::path(SIMUL_BENCH_PATH).parent_path() / "test-data" / info->name();
    fs::remove_all(dir);
    set_data_dir(dir);
    return dir;
}

std::vector<std::pair<std::string, std::int64_t>> small(std::int64_t cache, std::int64_t direct = 0,
                                                        std::int64_t offload = 0) {
    return {{"files", 6}, {"file_kib", 256}, {"chunk_kib", 64}, {"cache", cache}, {"direct", direct}, {"io", offload}};
}

std::vector<fs::path> data_files(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().extension() == ".dat") out.push_back(e.path());
    return out;
}

// Pages of the file in the page cache, and pages in all.
std::pair<std::size_t, std::size_t> resident(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY);
    const std::size_t size = fs::file_size(p), pages = (size + 4095) / 4096;
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);  // maps, does not read
    std::vector<unsigned char> in(pages);
    ::mincore(map, size, in.data());
    ::munmap(map, size);
    ::close(fd);
    std::size_t n = 0;
    for (auto b : in) n += b & 1;
    return {n, pages};
}

TEST(FileRead, ColdLeavesNoPageInTheCacheAndWarmLeavesThemAll) {
    const fs::path dir = use_data_dir();
    auto cold = file_read_workload().prepare(params(small(0)));
    const auto files = data_files(dir);
    ASSERT_EQ(files.size(), 6u);
    for (const auto& f : files) EXPECT_EQ(resident(f).first, 0u) << f;
    auto warm = file_read_workload().prepare(params(small(1)));
    for (const auto& f : files) {
        const auto [in, all] = resident(f);
        EXPECT_EQ(in, all) << f;
    }
}

TEST(FileRead, EveryModelAndIoPathReadsTheSameBytes) {
    use_data_dir();
    const auto reference = run(file_read_workload(), small(1), "sequential");
    ASSERT_EQ(reference.failed, 0u) << reference.label;
    ASSERT_EQ(reference.tasks, 6u);
    for (std::int64_t cache : {0, 1})
        for (std::int64_t direct : {0, 1})
            for (const auto& m : every_model())
                for (std::int64_t offload : {0, 1}) {
                    if (offload == 1 && !m.runs_async()) continue;
                    SCOPED_TRACE(fmt::format("{} cache {} direct {} offload {}", m.name(), cache, direct, offload));
                    const auto r = run(file_read_workload(), small(cache, direct, offload), m.name());
                    EXPECT_EQ(r.failed, 0u) << r.label;
                    EXPECT_EQ(r.checksum, reference.checksum);
                    const auto counter = [&](const char* k) {
                        for (const auto& [name, v] : r.extra)
                            if (name == k) return v;
                        return -1.0;
                    };
                    if (!m.runs_async()) {
                        EXPECT_NE(r.label.find("io: pread"), std::string::npos) << r.label;
                    } else if (offload == 1) {
                        EXPECT_EQ(counter("offloaded"), 1.0) << r.label;
                    } else {  // io_uring, or the fallback saying why not
                        EXPECT_TRUE(counter("io_uring") == 1.0 ||
                                    r.label.find("io_uring unavailable") != std::string::npos)
                            << r.label;
                    }
                }
}

// Refuses io_uring_setup with ENOSYS, as a container's seccomp profile may.
void refuse_io_uring() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
        _exit(10);
}

TEST(FileRead, WhereIoUringIsRefusedTheLoopFallsBackToTheOffloadPool) {
    use_data_dir();
    const auto reference = run(file_read_workload(), small(1), "sequential");
    ASSERT_EQ(reference.failed, 0u) << reference.label;
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        refuse_io_uring();
        int code = 0;
        for (const char* model : loops) {
            ++code;
            const auto r = run(file_read_workload(), small(1), model);
            const bool fell_back = r.label.find("io: offload pool (io_uring unavailable") != std::string::npos;
            if (r.failed != 0 || r.checksum != reference.checksum || !fell_back) _exit(code);
        }
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "k: no fallback, or other bytes, under the k-th of the loops (1 is "
                                      << loops[0] << "); 10: could not install the filter";
}

// The kernel may refuse io_uring submits for a while (EAGAIN under memory
// pressure): the reads are retried, and every loop reads every file.
TEST(FileRead, EveryLoopRetriesTheSubmitsTheKernelRefuses) {
    use_data_dir();
    const auto reference = run(file_read_workload(), small(1), "sequential");
    ASSERT_EQ(reference.failed, 0u) << reference.label;
    for (const char* model : loops) {
        SCOPED_TRACE(model);
        uring_reads::refuse_submits_for_tests = 3;
        const auto r = run(file_read_workload(), small(1), model);
        uring_reads::refuse_submits_for_tests = 0;
        EXPECT_EQ(r.failed, 0u) << r.label;
        EXPECT_EQ(r.checksum, reference.checksum);
        const bool unavailable = r.label.find("io_uring unavailable") != std::string::npos;
        EXPECT_TRUE(unavailable || r.label.rfind("io: io_uring", 0) == 0) << r.label;
    }
}

// 150 files at once: more tasks than the loop's ring has entries (64) and
// than Asio 1.81's own io_uring path could queue without stalling (128).
TEST(FileRead, TheLoopReadsMoreFilesAtOnceThanItsRingHolds) {
    use_data_dir();
    auto p = small(1);
    p[0].second = 150;
    p[1].second = 16;
    for (const char* model : {"coroutine_loop", "stackful_loop"}) {
        SCOPED_TRACE(model);
        const auto r = run(file_read_workload(), p, model);
        EXPECT_EQ(r.tasks, 150u) << r.label;
        EXPECT_EQ(r.failed, 0u) << r.label;
    }
}

// The loop reuses a few buffers rather than one per task: with 1 MiB chunks,
// 16 tasks all in flight would have 16 MiB of buffers; the shared slots keep
// 2 reads in flight here on io_uring and 4 on the offload pool. The stackful
// loop's 16 stacks of 64 KiB are 1 MiB at most.
TEST(FileRead, TheLoopReusesAFewBuffersRatherThanOnePerTask) {
    use_data_dir();
    auto p = small(1);
    p[0].second = 16;
    p[1].second = 1024;
    p[2].second = 1024;
    for (const char* model : {"coroutine_loop", "stackful_loop"})
        for (std::int64_t offload : {0, 1}) {
            SCOPED_TRACE(fmt::format("{} offload {}", model, offload));
            p[5].second = offload;
            const auto r = run(file_read_workload(), p, model);
            ASSERT_EQ(r.failed, 0u) << r.label;
            EXPECT_EQ(r.in_flight_peak, 16u);
            EXPECT_LT(r.cost.mem_peak_bytes, 8 << 20);
        }
}

// A loop task keeps its read slot for its whole file, so the loop reads K
// files at a time, each to its end, as K reader coroutines would. Handed back
// after each read, the slot went to the task that had waited longest, and
// every file advanced a chunk in turn (1.08x the bare loop's time: the
// kernel's page-cache work out of order). 16 files of 4 reads, 2 slots: task
// 0 ends with the first of 8 waves when it keeps its slot, in the last
// quarter of the run (with its 4th chunk) when the slot goes round. On
// io_uring only: the offload pool starts its threads inside the run, which
// makes its first wave much the slowest.
TEST(FileRead, ALoopTaskKeepsItsSlotUntilItsFileIsRead) {
    use_data_dir();
    auto p = small(1);
    p[0].second = 16;
    p[1].second = 4096;
    p[2].second = 1024;
    for (const char* model : {"coroutine_loop", "stackful_loop"}) {
        SCOPED_TRACE(model);
        std::vector<std::int64_t> ends;
        const auto r = run_case(case_spec{&file_read_workload(), params(p), parse_model(model), {}}, {},
                                [&](const trace& tr) {
                                    for (std::size_t i = 0; i < tr.size(); ++i) ends.push_back(tr.end_ns(i));
                                });
        ASSERT_EQ(r.failed, 0u) << r.label;
        ASSERT_EQ(ends.size(), 16u);
        const std::int64_t last = *std::max_element(ends.begin(), ends.end());
        EXPECT_LT(ends[0], last / 2) << "task 0 ended at " << ends[0] << " ns of " << last;
    }
}

TEST(FileRead, ATruncatedFileIsFoundByTheCheapCheckAndRebuilt) {
    const fs::path dir = use_data_dir();
    file_read_workload().prepare(params(small(1)));
    const fs::path victim = data_files(dir).front();
    fs::resize_file(victim, 1000);
    const auto r = run(file_read_workload(), small(0), "thread_pool:3");
    EXPECT_EQ(r.failed, 0u) << r.label;
    EXPECT_EQ(fs::file_size(victim), 256u * 1024);
}

// Rewrites `count` bytes at `offset` of the file through f.
void change(const fs::path& p, std::size_t offset, std::size_t count, const auto& f) {
    std::fstream io(p, std::ios::in | std::ios::out | std::ios::binary);
    std::string bytes(count, '\0');
    io.seekg(std::streamoff(offset));
    io.read(bytes.data(), std::streamsize(count));
    f(bytes);
    io.seekp(std::streamoff(offset));
    io.write(bytes.data(), std::streamsize(count));
    ASSERT_TRUE(io.flush());
}

// The repro: byte 7 is the top byte of the first word, which a sum
// of words mod 2^52 never saw. The case must notice, and the next run must
// rebuild the set and pass.
TEST(FileRead, AFlippedByteIsNoticedAndTheNextRunRebuildsTheSet) {
    const fs::path dir = use_data_dir();
    const auto intact = run(file_read_workload(), small(1), "sequential");
    ASSERT_EQ(intact.failed, 0u) << intact.label;
    const fs::path victim = data_files(dir).front();
    for (const char* model : {"thread_pool:3", "coroutine_loop", "stackful_loop", "stackful_loop:2"}) {
        SCOPED_TRACE(model);
        change(victim, 7, 1, [](std::string& b) { b[0] = char(~b[0]); });
        const auto damaged = run(file_read_workload(), small(1), model);
        EXPECT_EQ(damaged.failed, 1u) << damaged.label;
        EXPECT_NE(damaged.label.find("does not hold what it should"), std::string::npos) << damaged.label;
        const auto next = run(file_read_workload(), small(1), model);
        EXPECT_EQ(next.failed, 0u) << next.label;
        EXPECT_EQ(next.checksum, intact.checksum);
    }
}

double extra(const case_result& r, const std::string& name) {
    for (const auto& [k, v] : r.extra)
        if (k == name) return v;
    return -1;
}

// mib_per_s counts the files read whole: a case whose every task failed
// reported the whole set's size over its makespan (mib_per_s=2279 with
// tasks=0), and the chart drew it.
TEST(FileRead, ThroughputCountsOnlyTheFilesReadWhole) {
    const fs::path dir = use_data_dir();
    const auto intact = run(file_read_workload(), small(1), "sequential");
    ASSERT_EQ(intact.failed, 0u) << intact.label;
    EXPECT_GT(extra(intact, "mib_per_s"), 0);
    const auto files = data_files(dir);
    for (std::size_t k = 0; k < files.size(); ++k)
        if (k < 4) change(files[k], 7, 1, [](std::string& b) { b[0] = char(~b[0]); });
    const auto some = run(file_read_workload(), small(1), "sequential");
    ASSERT_EQ(some.failed, 4u) << some.label;
    EXPECT_NEAR(extra(some, "mib_per_s"), 2 * 256.0 / 1024 / some.makespan_s, 1e-6);
    ASSERT_EQ(run(file_read_workload(), small(1), "sequential").failed, 0u);  // rebuilt
    for (const auto& f : data_files(dir)) change(f, 7, 1, [](std::string& b) { b[0] = char(~b[0]); });
    const auto none = run(file_read_workload(), small(1), "sequential");
    ASSERT_EQ(none.tasks, 0u) << none.label;
    EXPECT_EQ(extra(none, "mib_per_s"), 0.0);
}

// Every bit of a word counts, and so does where a word is: one flipped bit
// anywhere in a word, or two words swapped, or two blocks swapped, is noticed.
TEST(FileRead, TheChecksumSeesEveryBitAndEveryPosition) {
    const fs::path dir = use_data_dir();
    const std::vector<std::pair<std::string, std::int64_t>> p = {{"files", 1}, {"file_kib", 8}, {"chunk_kib", 4},
                                                                 {"cache", 1}, {"direct", 0},   {"io", 0}};
    const auto intact = run(file_read_workload(), p, "sequential");
    ASSERT_EQ(intact.failed, 0u) << intact.label;
    auto one_read = p;
    one_read[2].second = 8;  // the whole file in one read: the same checksum
    for (const char* model : {"coroutine_loop", "stackful_loop"})
        EXPECT_EQ(run(file_read_workload(), one_read, model).checksum, intact.checksum) << model;
    const fs::path file = data_files(dir).front();
    const auto expect_noticed = [&](const std::string& what) {
        const auto r = run(file_read_workload(), p, "sequential");
        EXPECT_EQ(r.failed, 1u) << what;
        const auto rebuilt = run(file_read_workload(), p, "sequential");
        EXPECT_EQ(rebuilt.failed, 0u) << what << ": " << rebuilt.label;
    };
    for (int bit = 0; bit < 64; ++bit) {
        change(file, 4096 + 56, 8, [&](std::string& b) { b[std::size_t(bit / 8)] ^= char(1 << (bit % 8)); });
        expect_noticed(fmt::format("bit {}", bit));
    }
    change(file, 4096 + 56, 16, [](std::string& b) { b = b.substr(8) + b.substr(0, 8); });
    expect_noticed("two words swapped");
    change(file, 0, 8192, [](std::string& b) { b = b.substr(4096) + b.substr(0, 4096); });
    expect_noticed("two blocks swapped");
}

// In a mount namespace of its own, with a tmpfs of `kib` KiB at dir; false if
// this machine does not allow that (no root, no user namespaces).
bool private_tmpfs(const fs::path& dir, int kib) {
    if (::unshare(CLONE_NEWNS) != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
    fs::create_directories(dir);
    const std::string options = fmt::format("size={}k", kib);
    return ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

// A build that fills the disk takes away what it wrote, so a smaller set
// still fits afterwards. In a child: the mount must not outlive the test.
TEST(FileRead, ABuildThatFillsTheDiskLeavesNothingBehind) {
    const fs::path dir = use_data_dir() / "tmpfs";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (!private_tmpfs(dir, 1024)) _exit(77);
        set_data_dir(dir);
        auto p = small(1);  // 6 files of 256 KiB: 1.5 MiB, on a 1 MiB disk
        try {
            file_read_workload().prepare(params(p));
            _exit(1);
        } catch (const std::exception& e) {
            if (std::string(e.what()).find("No space left on device") == std::string::npos) _exit(2);
        }
        if (fs::recursive_directory_iterator(dir) != fs::recursive_directory_iterator()) _exit(3);
        p[0].second = 2;  // 512 KiB: fits only if the failed build left nothing
        const auto r = run(file_read_workload(), p, "sequential");
        _exit(r.failed == 0 && r.tasks == 2 ? 0 : 4);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a tmpfs here (needs root or user namespaces)";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the build did not fail; 2: not for want of space; 3: files or folders "
                                         "left behind; 4: the smaller set did not fit";
}

// A FIFO put in a file's place after the set-up: open() blocked for ever,
// waiting for a writer, and the sweep hung. Each colour now fails that task.
TEST(FileRead, AFifoInAFilesPlaceFailsItsTaskInsteadOfHanging) {
    const fs::path dir = use_data_dir();
    auto tasks = file_read_workload().prepare(params(small(1)));
    const fs::path victim = data_files(dir).front();
    const std::size_t i = std::size_t(std::stoul(victim.stem().string().substr(1)));
    fs::remove(victim);
    ASSERT_EQ(::mkfifo(victim.c_str(), 0600), 0);
    try {
        tasks->blocking(i);
        ADD_FAILURE() << "the blocking read did not fail";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("is not a regular file"), std::string::npos) << e.what();
    }
    boost::asio::io_context loop(1);
    std::string error, stackful_error;
    const auto keep = [](std::string& into) {
        return [&into](const std::exception_ptr& e, std::uint64_t) {
            try {
                if (e) std::rethrow_exception(e);
            } catch (const std::exception& x) {
                into = x.what();
            }
        };
    };
    boost::asio::co_spawn(loop, tasks->async(i), keep(error));
    boost::asio::spawn(
        loop.get_executor(), [&](yield_context yield) { return tasks->stackful(i, yield); }, keep(stackful_error));
    loop.run();
    EXPECT_NE(error.find("is not a regular file"), std::string::npos) << error;
    EXPECT_NE(stackful_error.find("is not a regular file"), std::string::npos) << stackful_error;
    fs::remove(victim);
}

// O_DIRECT where the file system has none (ramfs): every task failed with a
// bare "Invalid argument", and the loop was labelled "io: pread" because the
// open failed before the path was recorded. In a child, in a mount namespace
// of its own, with a ramfs.
TEST(FileRead, ODirectUnsupportedIsNamedAndTheLoopSaysItsPath) {
    const fs::path dir = use_data_dir() / "ramfs";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(77);
        fs::create_directories(dir);
        if (::mount("ramfs", dir.c_str(), "ramfs", 0, nullptr) != 0) _exit(77);
        set_data_dir(dir);
        try {
            const auto blocking = run(file_read_workload(), small(1, 1), "sequential");
            if (blocking.failed != 6 || blocking.label.find("O_DIRECT") == std::string::npos) _exit(1);
            for (const char* model : {"coroutine_loop", "stackful_loop"}) {
                const auto loop = run(file_read_workload(), small(1, 1), model);
                if (loop.failed != 6 || loop.label.find("O_DIRECT") == std::string::npos) _exit(2);
                if (loop.label.rfind("io: io_uring", 0) != 0) _exit(3);
            }
        } catch (...) {
            _exit(4);
        }
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a ramfs here (needs root)";
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "1, 2: O_DIRECT not named (blocking, a loop); 3: a loop's path not said; 4: the case failed";
}

// A read buffer that cannot be had is named with its size, not a bare
// std::bad_alloc. In a child whose address space has no room for it.
TEST(FileRead, AReadBufferThatCannotBeHadIsNamed) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer's allocator ends the process on an allocation it cannot make (exit 1) "
                    "instead of throwing std::bad_alloc";
#endif
    use_data_dir();
    std::vector<std::pair<std::string, std::int64_t>> p = {{"files", 1}, {"file_kib", 4}, {"chunk_kib", 1 << 20},
                                                           {"cache", 1}, {"direct", 0},   {"io", 0}};
    file_read_workload().prepare(params(p));  // the set, made before the limit
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (!limit_address_space_to_now_plus(std::int64_t(128) << 20)) _exit(10);  // not 1 GiB
        const auto r = run(file_read_workload(), p, "sequential");
        _exit(r.failed == 1 && r.label.find("cannot allocate a read buffer of 1048576 KiB") != std::string::npos ? 0
                                                                                                                 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: not named; 10: could not set the limit";
}

// A set larger than the free space is refused before anything is written
// (or its checksums computed): 192 GiB was admitted and filled the disk. In
// a child, on a 1 MiB tmpfs of its own.
TEST(FileRead, ASetLargerThanTheFreeSpaceIsRefusedBeforeItIsBuilt) {
    const fs::path dir = use_data_dir() / "tmpfs";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (!private_tmpfs(dir, 1024)) _exit(77);
        set_data_dir(dir);
        auto p = small(1);
        p[1].second = 1 << 20;  // 6 files of 1 GiB
        try {
            file_read_workload().prepare(params(p));
            _exit(1);
        } catch (const std::exception& e) {
            const std::string what = e.what();
            if (what.find("the data set needs 6144.0 MiB more") == std::string::npos ||
                what.find("free") == std::string::npos)
                _exit(2);
        }
        _exit(fs::recursive_directory_iterator(dir) == fs::recursive_directory_iterator() ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a tmpfs here (needs root or user namespaces)";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: not refused; 2: not for want of room; 3: something was written";
}

TEST(FileRead, AnUnusableDataDirectoryIsAClearSetUpError) {
    set_data_dir("/proc/simul-cannot-be-here");
    try {
        run(file_read_workload(), small(0), "sequential");
        FAIL() << "expected a set-up error";
    } catch (const case_error& e) {
        EXPECT_NE(std::string(e.what()).find("/proc/simul-cannot-be-here"), std::string::npos) << e.what();
    }
}

}  // namespace
