// Sockets: the helpers, the servers' answers (good and bad), deadlines that
// keep a dead peer from hanging a case, and the load generator's open-loop
// schedule against a server that stalls.

#include "bench/case/arrival.hpp"
#include "bench/net/accept.hpp"
#include "bench/net/address.hpp"
#include "bench/net/deadline_socket.hpp"
#include "bench/net/helper.hpp"
#include "bench/net/http.hpp"
#include "bench/net/pinning.hpp"
#include "support/usage_error.hpp"
#include "tests/helpers.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using namespace simul;
using namespace simul::testing;
using namespace std::chrono_literals;

namespace {

const tcp::endpoint local(unsigned short port) { return {asio::ip::make_address_v4("127.0.0.1"), port}; }

// Sends raw bytes on a new connection and returns everything the server sends
// back until it closes (or `within` passes).
std::string exchange_raw(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds within = std::chrono::seconds(5)) {
    asio::io_context io;
    deadline_socket s(tcp::socket{io});
    s.expires_after(within);
    s.connect(local(port));
    asio::write(s, asio::buffer(bytes));
    std::string got;
    char buf[4096];
    for (;;) {
        beast::error_code ec;
        const std::size_t n = s.read_some(asio::buffer(buf), ec);
        got.append(buf, n);
        if (ec) break;
    }
    return got;
}

std::string get(unsigned short port, const std::string& target) {
    return exchange_raw(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

TEST(Protocol, TargetsRoundTripAndBadOnesAreRefused) {
    const auto d = http::parse_target(http::target({25, 512, 7}));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->ms, 25);
    EXPECT_EQ(d->bytes, 512);
    EXPECT_EQ(d->seed, 7u);
    EXPECT_FALSE(http::parse_target("/delay?ms=1").has_value());
    EXPECT_FALSE(http::parse_target("/delay?ms=x&bytes=1").has_value());
    EXPECT_FALSE(http::parse_target("/other?ms=1&bytes=1").has_value());
    EXPECT_FALSE(http::parse_target("/delay?ms=1&bytes=1&color=red").has_value());
    EXPECT_FALSE(http::parse_target("/delay?ms=99999999999&bytes=1").has_value());
    EXPECT_EQ(http::body(100, 3), http::body(100, 3));
    EXPECT_NE(http::body(100, 3), http::body(100, 4));
}

TEST(DelayServer, AnswersAfterTheDelayWithTheBodyOfTheSeed) {
    delay_server server;
    const auto begun = clock::now();
    const std::string reply = get(server.port, "/delay?ms=50&bytes=300&seed=9");
    EXPECT_GE(clock::now() - begun, 50ms);
    EXPECT_NE(reply.find("HTTP/1.1 200 OK"), std::string::npos) << reply;
    EXPECT_NE(reply.find(http::body(300, 9)), std::string::npos);
}

// A request whose backend waits longer than the idle timeout (30 s): the
// loop's idle timer counted the wait as idleness and closed the connection,
// an empty reply after 30.9 s, and every fetch case with delay_ms >= 30,000
// failed. The delay server runs the coroutine colour (serve_async).
TEST(DelayServer, ARequestThatWaitsLongerThanTheIdleTimeoutIsAnswered) {
    delay_server server;
    const auto wait = http::idle_timeout + 1s;
    const std::string reply = exchange_raw(
        server.port,
        fmt::format("GET /delay?ms={}&bytes=10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", wait.count()),
        wait + 30s);
    EXPECT_NE(reply.find("HTTP/1.1 200 OK"), std::string::npos) << "reply: '" << reply << "'";
}

TEST(DelayServer, MalformedRequestsGet400AndTheServerGoesOn) {
    delay_server server;
    EXPECT_NE(exchange_raw(server.port, "NONSENSE\r\n\r\n").find("400 Bad Request"), std::string::npos);
    EXPECT_NE(get(server.port, "/secret").find("400 Bad Request"), std::string::npos);
    EXPECT_NE(get(server.port, "/delay?ms=1&bytes=nope").find("400 Bad Request"), std::string::npos);
    EXPECT_NE(get(server.port, "/delay?ms=1&bytes=10").find("200 OK"), std::string::npos);
}

// Each model's own server, in this process: a malformed request gets a 400
// and its connection closes; the next connection is served.
TEST(ModelServers, MalformedRequestsGet400AndTheNextConnectionIsServed) {
    for (const auto& m : every_model()) {
        SCOPED_TRACE(m.name());
        connection_server server(2);
        server.accept_until(clock::now() + 20s);
        trace tr(2);
        std::thread run([&] {
            tr.start(clock::now());
            m.make()->run(server, server.accepted(), tr);
        });
        const std::string bad = exchange_raw(server.port(), "GET /delay?ms=1 HTTP/1.1\r\nHost: x\r\n\r\n");
        const std::string good = get(server.port(), "/delay?ms=1&bytes=20&seed=1");
        run.join();
        EXPECT_NE(bad.find("400 Bad Request"), std::string::npos) << bad;
        EXPECT_NE(good.find("200 OK"), std::string::npos) << good;
        EXPECT_NE(good.find(http::body(20, 1)), std::string::npos);
    }
}

TEST(ModelServers, ConnectionsThatNeverComeEndTheRunAtTheDeadline) {
    for (const auto& m : every_model()) {
        SCOPED_TRACE(m.name());
        connection_server server(3);
        server.accept_until(clock::now() + 200ms);
        trace tr(3);
        tr.start(clock::now());
        const std::string label = m.make()->run(server, server.accepted(), tr);
        EXPECT_NE(label.find("3 of 3 tasks never arrived"), std::string::npos) << label;
        for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(tr.failed(i));
    }
}

TEST(Deadlines, ARefusedConnectionFailsAtOnce) {
    unsigned short port = 0;
    {
        connection_server closed_soon(1);  // a port that was free a moment ago
        port = closed_soon.port();
    }
    asio::io_context io;
    deadline_socket s(tcp::socket{io});
    s.expires_after(5s);
    EXPECT_THROW(s.connect(local(port)), boost::system::system_error);
}

TEST(Deadlines, ASilentPeerTimesOutInsteadOfHanging) {
    connection_server silent(1);  // listens, and the kernel accepts, but nobody answers
    asio::io_context io;
    deadline_socket s(tcp::socket{io});
    s.expires_after(5s);
    s.connect(local(silent.port()));
    s.expires_after(200ms);
    const auto begun = clock::now();
    char buf[16];
    beast::error_code ec;
    s.read_some(asio::buffer(buf), ec);
    EXPECT_EQ(ec, asio::error::timed_out);
    EXPECT_GE(clock::now() - begun, 200ms);
}

// The whole serve workload under each model: at a rate every model sustains
// with one connection, all requests are answered and checked by the load
// generator, and every model's answers sum to the same checksum.
TEST(Serve, EveryModelAnswersEveryRequestOfOneConnection) {
    std::uint64_t expected = 0;
    for (const auto& m : every_model()) {
        SCOPED_TRACE(m.name());
        const auto r = run(serve_workload(),
                           {{"conns", 1}, {"rate", 50}, {"delay_ms", 2}, {"bytes", 512}, {"duration_s", 1}}, m.name());
        EXPECT_EQ(r.tasks, 50u) << r.label;
        EXPECT_EQ(r.failed, 0u) << r.label;
        EXPECT_GE(r.latency.p50_ms, 2.0);  // no answer before the backend's delay
        if (expected == 0) expected = r.checksum;
        EXPECT_EQ(r.checksum, expected);
    }
}

TEST(Serve, SequentialCannotServeTwoKeepAliveConnectionsAndSaysSo) {
    // The load (3 s) outlasts the 2 s timeout: the second connection's first
    // request waits for the first connection to close, and times out.
    const auto r = run(serve_workload(),
                       {{"conns", 2}, {"rate", 40}, {"delay_ms", 2}, {"bytes", 64}, {"duration_s", 3}}, "sequential");
    EXPECT_GT(r.failed, 0u);              // the second connection's requests time out
    EXPECT_GE(r.latency.max_ms, 2000.0);  // and count at the 2 s timeout
    EXPECT_NE(r.label.find("timeouts"), std::string::npos) << r.label;
}

// A server that answers at once but stalls for 500 ms once, at its 100th
// request: one connection, blocking, written out here so the stall is exact.
class stalling_server {
public:
    stalling_server() : acceptor_(io_, local(0)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~stalling_server() {
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes accept() if nobody came
        thread_.join();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

private:
    void serve() {
        beast::error_code ec;
        tcp::socket s(io_);
        acceptor_.accept(s, ec);
        beast::flat_buffer buffer;
        for (int n = 0; !ec; ++n) {
            bhttp::request<bhttp::string_body> req;
            bhttp::read(s, buffer, req, ec);
            if (ec) return;  // the load generator is done
            if (n == 100) std::this_thread::sleep_for(500ms);
            const auto d = http::parse_target(req.target());
            bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
            res.body() = http::body(d ? d->bytes : 0, d ? d->seed : 0);
            res.prepare_payload();
            bhttp::write(s, res, ec);
        }
    }

    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::thread thread_;
};

boost::json::object load(unsigned short port, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--port=" + std::to_string(port),
                                     "--conns=1",
                                     "--duration=2",
                                     "--delay-ms=0",
                                     "--bytes=64",
                                     "--timeout-ms=5000"};
    args.insert(args.end(), extra.begin(), extra.end());
    helper_process p(tool_path("simul-load"), args);
    return boost::json::parse(p.wait_output(30s)).as_object();
}

double p99(const boost::json::object& report) {
    return boost::json::value_to<double>(report.at("latency_ms").as_object().at("p99"));
}

TEST(LoadGenerator, AnOpenLoopScheduleShowsAStallThatAClosedLoopHides) {
    // 200 requests/s: the 100 scheduled during the 500 ms stall each wait for
    // its end, so the 4 worst of 400 waited at least 500 − 4 × 5 = 480 ms.
    double open = 0, closed = 0;
    {
        stalling_server server;
        const auto r = load(server.port(), {"--rate=200"});
        EXPECT_EQ(boost::json::value_to<double>(r.at("completed")), 400.0);
        open = p99(r);
    }
    {
        stalling_server server;
        const auto r = load(server.port(), {"--mode=closed"});
        EXPECT_GT(boost::json::value_to<double>(r.at("completed")), 400.0);
        closed = p99(r);  // only the one request in flight saw the stall
    }
    EXPECT_GE(open, 400.0);
    EXPECT_LT(closed, open / 2) << "a closed loop measures from the send, and so misses the queue";
}

// The loop servers, stackless and stackful, under a client that is not ours.
TEST(Wrk, DrivesTheLoopServersWithNoErrors) {
    ASSERT_EQ(std::system("command -v wrk >/dev/null"), 0) << "wrk is missing: scripts/test.sh installs it";
    for (const char* model : {"--model=coroutine_loop", "--model=stackful_loop", "--model=stackful_loop:2"}) {
        SCOPED_TRACE(model);
        helper_process server(tool_path("simul-serve"), {model});
        const std::string line = server.read_line(10s);
        const std::string port = line.substr(line.rfind(':') + 1);
        const std::string cmd = "wrk -t1 -c20 -d1s 'http://127.0.0.1:" + port + "/delay?ms=1&bytes=256' 2>&1";
        std::FILE* out = ::popen(cmd.c_str(), "r");
        ASSERT_NE(out, nullptr);
        std::string text;
        char buf[512];
        while (std::fgets(buf, sizeof buf, out) != nullptr) text += buf;
        ASSERT_EQ(::pclose(out), 0) << text;
        EXPECT_NE(text.find("Requests/sec"), std::string::npos) << text;
        EXPECT_EQ(text.find("Non-2xx"), std::string::npos) << text;
        EXPECT_EQ(text.find("Socket errors"), std::string::npos) << text;
    }
}

int exit_code(const std::string& tool, const std::string& args) {
    const int status = std::system((tool_path(tool) + " " + args + " >/dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Tools, BadInputGetsExitCode2) {
    EXPECT_EQ(exit_code("simul-delay-server", "--port=http"), 2);
    EXPECT_EQ(exit_code("simul-delay-server", "--verbose"), 2);
    EXPECT_EQ(exit_code("simul-load", "--rate=100"), 2);  // no port
    EXPECT_EQ(exit_code("simul-load", "--port=80 --rate=-5"), 2);
    EXPECT_EQ(exit_code("simul-load", "--port=80 --mode=sideways"), 2);
    EXPECT_EQ(exit_code("simul-serve", "--model=fibers"), 2);
    EXPECT_EQ(exit_code("simul-serve", "--model=sequential --conns=0"), 2);
    EXPECT_EQ(exit_code("simul-load", "--help"), 0);
    // The shared flag parser (support/flags.hpp): a value flag without its
    // value, a flag that takes none given one.
    EXPECT_EQ(exit_code("simul-delay-server", "--port"), 2);
    EXPECT_EQ(exit_code("simul-load", "--port=80 --rate"), 2);
    EXPECT_EQ(exit_code("simul-serve", "--model"), 2);
    EXPECT_EQ(exit_code("simul-serve", "--model=sequential --help=1"), 2);
    EXPECT_EQ(exit_code("simul-delay-server", "--help"), 0);
    EXPECT_EQ(exit_code("simul-serve", "--help"), 0);
}

// Each tool's --help lists its flags and, for simul-serve, every model.
TEST(Tools, HelpIsMadeFromTheFlagTables) {
    const auto help = [](const std::string& tool) {
        const std::string out =
            (std::filesystem::temp_directory_path() / ("simul-help-" + std::to_string(::getpid()))).string();
        EXPECT_EQ(std::system((tool_path(tool) + " --help >" + out).c_str()), 0);
        std::ifstream in(out);
        std::stringstream text;
        text << in.rdbuf();
        std::filesystem::remove(out);
        return text.str();
    };
    for (const char* flag : {"--port=N", "--host=ADDRESS", "--rate=R", "--mode=open|closed", "--timeout-ms=T"})
        EXPECT_NE(help("simul-load").find(flag), std::string::npos) << flag;
    for (const char* flag : {"--port=N", "--bind=ADDRESS"})
        EXPECT_NE(help("simul-delay-server").find(flag), std::string::npos) << flag;
    const std::string serve = help("simul-serve");
    for (const char* flag : {"--model=MODEL", "--port=N", "--conns=N"})
        EXPECT_NE(serve.find(flag), std::string::npos) << flag;
    for (const model_kind& k : model_kinds()) EXPECT_NE(serve.find("  " + std::string(k.name)), std::string::npos);
}

TEST(Tools, APortInUseIsAClearFailure) {
    connection_server taken(1);
    EXPECT_EQ(exit_code("simul-delay-server", "--port=" + std::to_string(taken.port())), 1);
    EXPECT_EQ(exit_code("simul-serve", "--model=sequential --port=" + std::to_string(taken.port())), 1);
    EXPECT_THROW(connection_server(1, taken.port()), std::runtime_error);
}

// simul-serve started by hand: stdout and stderr into one file.
class serve_process {
public:
    // limit_fds > 0: at most that many descriptors, for good (as root, it
    // also becomes user nobody, who cannot raise the limit again).
    serve_process(const std::vector<std::string>& args, int limit_fds = 0)
        : log_(std::filesystem::temp_directory_path() / ("simul-serve-" + std::to_string(::getpid()) + ".log")) {
        std::vector<std::string> all = {tool_path("simul-serve")};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            if (limit_fds > 0) {
                const rlimit rl{rlim_t(limit_fds), rlim_t(limit_fds)};
                ::setrlimit(RLIMIT_NOFILE, &rl);
                if (::getuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(99);
            }
            ::execv(argv[0], argv.data());
            ::_exit(98);
        }
    }
    ~serve_process() {
        if (pid_ > 0 && code_ < -1) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        std::filesystem::remove(log_);
    }

    std::string output() const {
        std::ifstream in(log_);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    unsigned short port() const {
        for (int i = 0; i < 200; ++i) {
            const std::string out = output();
            const auto at = out.find("listening on 127.0.0.1:");
            if (at != std::string::npos && out.find('\n', at) != std::string::npos)
                return static_cast<unsigned short>(std::stoi(out.substr(at + 23)));
            std::this_thread::sleep_for(50ms);
        }
        return 0;
    }

    void signal(int sig) const { ::kill(pid_, sig); }

    // Its exit code; -1 if it did not exit (normally) within 30 s.
    int wait() {
        for (int i = 0; i < 600; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) return code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            std::this_thread::sleep_for(50ms);
        }
        return -1;
    }

private:
    std::filesystem::path log_;
    pid_t pid_ = -1;
    int code_ = -2;
};

TEST(SimulServe, SaysItServedItsConnections) {
    for (const char* model : {"--model=coroutine_loop", "--model=stackful_loop", "--model=stackful_loop:2"}) {
        SCOPED_TRACE(model);
        serve_process serve({model, "--conns=2"});
        const auto port = serve.port();
        ASSERT_NE(port, 0) << serve.output();
        EXPECT_NE(get(port, "/delay?ms=1&bytes=8").find("200 OK"), std::string::npos);
        EXPECT_NE(get(port, "/delay?ms=1&bytes=8").find("200 OK"), std::string::npos);
        EXPECT_EQ(serve.wait(), 0) << serve.output();
        EXPECT_NE(serve.output().find("simul-serve: served --conns=2 connections; stopping"), std::string::npos)
            << serve.output();
    }
}

TEST(SimulServe, SaysASignalStoppedIt) {
    serve_process serve({"--model=thread_pool:2"});
    const auto port = serve.port();
    ASSERT_NE(port, 0) << serve.output();
    EXPECT_NE(get(port, "/delay?ms=1&bytes=8").find("200 OK"), std::string::npos);
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait(), 0) << serve.output();
    EXPECT_NE(serve.output().find("simul-serve: stopped by SIGTERM after 1 connections"), std::string::npos)
        << serve.output();
}

// Out of descriptors, accept fails and the server cannot go on: it says so,
// naming EMFILE and the limit, and exits with 1, where it used to end with 0
// and nothing said (and then with 1 and no word of EMFILE).
TEST(SimulServe, SaysWhyItCouldNotGoOnAndFails) {
    for (const char* model :
         {"--model=thread_per_task", "--model=coroutine_loop", "--model=stackful_loop", "--model=stackful_loop:2"}) {
        SCOPED_TRACE(model);
        serve_process serve({model, "--conns=100"}, 24);
        const auto port = serve.port();
        ASSERT_NE(port, 0) << serve.output();
        {
            asio::io_context io;
            std::vector<tcp::socket> held;
            // More than it has descriptors for, all held open. Once it has
            // run out it exits, and the connects after that are refused:
            // that is the case under test, not an error of the test.
            for (int i = 0; i < 40; ++i) {
                held.emplace_back(io);
                boost::system::error_code refused;
                held.back().connect(local(port), refused);
                if (refused) break;
            }
            std::this_thread::sleep_for(500ms);
        }
        EXPECT_EQ(serve.wait(), 1) << serve.output();
        EXPECT_NE(serve.output().find("simul-serve: stopped after serving "), std::string::npos) << serve.output();
        EXPECT_NE(serve.output().find("accept: Too many open files (EMFILE"), std::string::npos) << serve.output();
        EXPECT_NE(serve.output().find("RLIMIT_NOFILE 24"), std::string::npos) << serve.output();
    }
}

// simul-load with its exit code: its JSON report on stdout, and the code.
std::pair<int, boost::json::object> load_status(const std::string& args) {
    const std::string cmd = tool_path("simul-load") + " " + args + " 2>/dev/null";
    std::FILE* out = ::popen(cmd.c_str(), "r");
    std::string text;
    char buf[4096];
    while (out != nullptr && std::fgets(buf, sizeof buf, out) != nullptr) text += buf;
    const int status = out != nullptr ? ::pclose(out) : -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1,
            text.empty() ? boost::json::object{} : boost::json::parse(text).as_object()};
}

double field(const boost::json::object& o, const char* key) { return boost::json::value_to<double>(o.at(key)); }

unsigned short refused_port() {
    connection_server closed_soon(1);  // a port that was free a moment ago
    return closed_soon.port();
}

TEST(LoadGenerator, NoAnswerAtAllIsAFailure) {
    const auto [code, r] = load_status(fmt::format("--port={} --rate=100 --duration=0.5", refused_port()));
    EXPECT_EQ(code, 1);
    EXPECT_EQ(field(r, "completed"), 0.0);
    EXPECT_EQ(field(r, "errors"), 50.0);
}

TEST(LoadGenerator, ARefusedPortIsRetriedWithBackoff) {
    // Closed loop: without backoff, one connection retries as fast as the
    // kernel refuses, tens of thousands of times a second.
    const auto [code, r] = load_status(fmt::format("--port={} --mode=closed --conns=2 --duration=1", refused_port()));
    EXPECT_EQ(code, 1);
    EXPECT_GT(field(r, "connects"), 2.0);
    EXPECT_LT(field(r, "connects"), 2 * 30.0);  // 1 ms doubling to 1 s: about 11 a connection
    EXPECT_EQ(field(r, "errors"), field(r, "connects"));
}

TEST(LoadGenerator, ClosedLoopTimeoutsCountInItsPercentilesAtTheTimeout) {
    connection_server silent(1);  // the kernel accepts; nobody answers
    const auto [code, r] = load_status(
        fmt::format("--port={} --mode=closed --conns=1 --duration=0.3 --timeout-ms=100", silent.port()));
    EXPECT_EQ(code, 1);  // none answered
    EXPECT_GE(field(r, "timeouts"), 1.0);
    EXPECT_GE(p99(r), 100.0) << boost::json::serialize(r);
}

TEST(Fetch, AFailedRequestsLabelSaysWhatHappenedNotWhereInBoost) {
    asio::io_context io;
    deadline_socket s(tcp::socket{io});
    s.expires_after(5s);
    try {
        s.connect(local(refused_port()));
        FAIL() << "the connect should have been refused";
    } catch (const boost::system::system_error& e) {
        EXPECT_NE(std::string(e.what()).find(".hpp"), std::string::npos) << "Boost says where: " << e.what();
        const std::string label = http::short_error(e);
        EXPECT_NE(label.find("Connection refused"), std::string::npos) << label;
        EXPECT_EQ(label.find(".hpp"), std::string::npos) << label;
        EXPECT_EQ(label.find('['), std::string::npos) << label;
    }
}

TEST(DelayServer, ALargeBodyIsSentWholeAndRight) {
    delay_server server;
    const std::string reply = get(server.port, "/delay?ms=0&bytes=300001&seed=5");
    const auto at = reply.find("\r\n\r\n");
    ASSERT_NE(at, std::string::npos) << reply.substr(0, 200);
    EXPECT_NE(reply.find("Content-Length: 300001"), std::string::npos) << reply.substr(0, at);
    EXPECT_TRUE(reply.compare(at + 4, std::string::npos, http::body(300001, 5)) == 0);
}

// Resident memory of this process's child named simul-delay-server, in bytes.
std::int64_t delay_server_rss() {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::ifstream status(entry.path() / "status");
        std::string line, name;
        std::int64_t ppid = -1, rss = -1;
        while (std::getline(status, line)) {
            if (line.starts_with("Name:")) name = line.substr(line.find_first_not_of(" \t", 5));
            if (line.starts_with("PPid:")) ppid = std::stoll(line.substr(5));
            if (line.starts_with("VmRSS:")) rss = std::stoll(line.substr(6)) * 1024;
        }
        if (ppid == ::getpid() && name.starts_with("simul-delay")) return rss;
    }
    return -1;
}

TEST(DelayServer, HoldsAPartNotTheWholeBodyForAClientThatDoesNotRead) {
    delay_server server;
    asio::io_context io;
    std::vector<std::unique_ptr<deadline_socket>> clients;
    for (int i = 0; i < 4; ++i) {  // each asks for 64 MiB, reads a little and stops
        clients.push_back(std::make_unique<deadline_socket>(tcp::socket{io}));
        auto& c = *clients.back();
        c.expires_after(30s);
        c.connect(local(server.port));
        const std::string req = fmt::format("GET /delay?ms=0&bytes={}&seed={} HTTP/1.1\r\nHost: x\r\n\r\n",
                                            http::max_body_bytes, i);
        asio::write(c, asio::buffer(req));
        char buf[4096];
        c.read_some(asio::buffer(buf));  // the response has begun
    }
    std::this_thread::sleep_for(300ms);  // let it fill what the sockets take
    const std::int64_t rss = delay_server_rss();
    ASSERT_GT(rss, 0);
    EXPECT_LT(rss, http::max_body_bytes) << "four pending 64 MiB responses should not be held whole";
}

// ---- addresses, and where helpers run (issue 24) ---------------------------

// stdout and stderr of a tool, and its exit code.
std::pair<int, std::string> run_tool(const std::string& tool, const std::string& args) {
    std::string text;
    FILE* out = ::popen((tool_path(tool) + " " + args + " 2>&1 </dev/null").c_str(), "r");
    char buf[512];
    while (std::fgets(buf, sizeof buf, out) != nullptr) text += buf;
    const int status = ::pclose(out);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// 192.0.2.1 is TEST-NET-1: no machine has it.
TEST(Bind, AnAddressThisMachineLacksIsOneLineAndExitCode2) {
    for (const auto& [tool, args] : {std::pair<std::string, std::string>{"simul-serve", "--model=sequential "},
                                     std::pair<std::string, std::string>{"simul-delay-server", ""}}) {
        const auto [code, text] = run_tool(tool, args + "--bind=192.0.2.1");
        EXPECT_EQ(code, 2) << text;
        EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
        EXPECT_NE(text.find("no address 192.0.2.1"), std::string::npos) << text;
    }
    EXPECT_EQ(run_tool("simul-serve", "--model=sequential --bind=here").first, 2);
    EXPECT_EQ(run_tool("simul-load", "--port=80 --host=localhost").first, 2);
}

bool has_ipv6_loopback() {
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in6 at{};
    at.sin6_family = AF_INET6;
    at.sin6_addr = in6addr_loopback;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0;
    ::close(fd);
    return ok;
}

// The listening line names the real address, IPv6 in brackets, and
// simul-load drives it over IPv6 with every body checked.
TEST(Bind, IPv6WorksWhereIPv4Does) {
    if (!has_ipv6_loopback()) GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
    helper_process server(tool_path("simul-serve"), {"--model=coroutine_loop", "--bind=::1", "--conns=2"});
    const std::string line = server.read_line(10s);
    ASSERT_TRUE(line.starts_with("listening on [::1]:")) << line;
    const std::string port = line.substr(line.rfind(':') + 1);
    helper_process load(tool_path("simul-load"), {"--host=::1", "--port=" + port, "--conns=2", "--rate=100",
                                                  "--duration=0.2", "--delay-ms=1", "--bytes=100"});
    const auto report = boost::json::parse(load.wait_output(30s)).as_object();
    EXPECT_EQ(report.at("completed").as_int64(), 20);
    EXPECT_EQ(report.at("errors").as_int64(), 0);
    EXPECT_NE(report.at("checksum").as_int64(), 0);
    // Its own CPU, beside its figures: a share of one core.
    const double share = boost::json::value_to<double>(report.at("cpu_share"));
    EXPECT_GE(share, 0.0);
    EXPECT_LE(share, 1.5);
    EXPECT_GE(boost::json::value_to<double>(report.at("cpu_s")), 0.0);

    delay_server backend(asio::ip::address_v6::loopback());
    EXPECT_EQ(backend.at.address(), asio::ip::address_v6::loopback());
    EXPECT_NE(backend.port, 0);
}

TEST(Bind, EndpointsReadAndWriteIPv6InBrackets) {
    EXPECT_EQ(endpoint_text(parse_endpoint("--x", "[fd77::2]:9000")), "[fd77::2]:9000");
    EXPECT_EQ(endpoint_text(parse_endpoint("--x", "10.77.0.2:9000")), "10.77.0.2:9000");
    EXPECT_THROW(parse_endpoint("--x", "fd77::2:9000"), usage_error);
    EXPECT_THROW(parse_endpoint("--x", "10.77.0.2"), usage_error);
    EXPECT_THROW(parse_endpoint("--x", "10.77.0.2:70000"), usage_error);
    EXPECT_EQ(reachable(parse_address("--x", "0.0.0.0")), asio::ip::address_v4::loopback());
    EXPECT_EQ(reachable(parse_address("--x", "[::]")), asio::ip::address_v6::loopback());
}

// A helper runs on the CPUs it is given, whatever the mask of the thread
// that starts helpers (a pinned server's, in a serve case).
TEST(Helpers, RunOnTheCpusTheyAreGiven) {
    cpu_split split = cpu_split::choose();
    if (!split.pinned()) GTEST_SKIP() << "fewer than 2 CPUs: nothing to split";
    const auto cpus_of = [](const std::vector<int>& cpus) {
        helper_process p("/bin/grep", {"Cpus_allowed_list", "/proc/self/status"}, {.cpus = cpus});
        const std::string line = p.read_line(10s);
        return line.substr(line.find_last_of(" \t") + 1);
    };
    cpus_of({});  // the helpers' thread exists now, so the pinning below pins it too
    process_pinning pinned(split.server_cpus());
    EXPECT_EQ(cpus_of(split.load_cpus()), std::to_string(split.load_cpus().front()));
    if (split.server_cpus().size() == 1) {  // else a range, "1-3"
        EXPECT_EQ(cpus_of({}), std::to_string(split.server_cpus().front()));
    }
}

// The network namespace of a process, as /proc shows it: "net:[4026532...]".
std::string netns_of(const std::string& proc_path) { return std::filesystem::read_symlink(proc_path).string(); }

// set_helper_netns: the helpers are born in that namespace, this process
// stays in its own, and the way back is the process's own namespace.
TEST(Helpers, StartInTheNetworkNamespaceTheyAreGiven) {
    const std::string name = fmt::format("simul-gt{}", ::getpid());
    if (std::system(("ip netns add " + name + " 2>/dev/null").c_str()) != 0)
        GTEST_SKIP() << "cannot make a network namespace here (ip netns add needs root: CAP_SYS_ADMIN)";
    struct cleanup {
        std::string name;
        ~cleanup() {
            try {
                set_helper_netns("/proc/self/ns/net");
            } catch (const std::exception&) {
            }
            [[maybe_unused]] const int ignored = std::system(("ip netns del " + name).c_str());
        }
    } remove{name};
    const auto netns_of_helper = [] {
        helper_process p("/bin/readlink", {"/proc/self/ns/net"});
        return p.read_line(10s);
    };
    const std::string mine = netns_of("/proc/self/ns/net");
    EXPECT_EQ(netns_of_helper(), mine);
    set_helper_netns(name);
    struct stat there {};
    ASSERT_EQ(::stat(("/run/netns/" + name).c_str(), &there), 0);
    EXPECT_EQ(netns_of_helper(), fmt::format("net:[{}]", there.st_ino));
    EXPECT_EQ(netns_of("/proc/self/ns/net"), mine);  // this process did not move
    set_helper_netns("/proc/self/ns/net");
    EXPECT_EQ(netns_of_helper(), mine);
    try {
        set_helper_netns("simul-no-such-namespace");
        ADD_FAILURE() << "entered a namespace that does not exist";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("ip netns add simul-no-such-namespace"), std::string::npos) << e.what();
    }
}

}  // namespace
