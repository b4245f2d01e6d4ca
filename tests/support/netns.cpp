// SPDX-License-Identifier: MIT
// Namespaces for netns tests: unshare + tmpfs /run at start-up, ip netns, veth, child commands.
#include "support/netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "support/require.hpp"
#include "util/unique_fd.hpp"

namespace wgwatch::test {
namespace {

bool& requested_flag() noexcept {
  static bool requested = false;
  return requested;
}

std::optional<std::string>& failure_slot() {
  static std::optional<std::string> failure{"not requested (the test file lacks "
                                            "WGWATCH_ISOLATED_TEST_PROGRAM())"};
  return failure;
}

std::string errno_text(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

std::optional<std::string> bring_loopback_up() {
  const unique_fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno_text("socket");
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &req) != 0) return errno_text("SIOCGIFFLAGS lo");
  req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
  if (::ioctl(fd.get(), SIOCSIFFLAGS, &req) != 0) return errno_text("SIOCSIFFLAGS lo");
  return std::nullopt;
}

// Feeds `input` to the child's stdin while reading stdout and stderr until EOF, so neither
// side blocks on a full pipe (promtool gets whole scrape bodies).
void exchange(int in_fd, std::string_view input, int out_fd, int err_fd, std::string& out,
              std::string& err) {
  pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
  std::string* sinks[2] = {&out, &err};
  std::size_t written = 0;
  if (input.empty()) {
    ::close(in_fd);
    fds[2].fd = -1;
  }
  char buf[8192];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      const ssize_t n = (fds[2].revents & POLLOUT)
                            ? ::write(in_fd, input.data() + written, input.size() - written)
                            : -1;
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        ::close(in_fd);
        fds[2].fd = -1;
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
      }
    }
  }
  if (fds[2].fd >= 0) ::close(in_fd);
}

}  // namespace

command_result run_command(const std::vector<std::string>& argv, std::string_view input) {
  if (argv.empty()) throw std::invalid_argument("run_command: empty argv");
  const auto program = find_program(argv[0]);
  if (!program) throw std::runtime_error("run_command: " + argv[0] + " not found on PATH");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error(errno_text("pipe2"));
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(errno_text("fork"));
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // main() ignores it; children get the default back
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execv(program->c_str(), args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  command_result r;
  exchange(in[1], input, out[0], err[0], r.out, r.err);
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string check_command(const std::vector<std::string>& argv, std::string_view input) {
  auto r = run_command(argv, input);
  if (r.exit_code != 0) {
    throw std::runtime_error("`" + join(argv) + "` exited " + std::to_string(r.exit_code) +
                             ": " + r.err);
  }
  return std::move(r.out);
}

bool request_isolation() noexcept {
  requested_flag() = true;
  return true;
}

bool isolation_requested() noexcept { return requested_flag(); }

std::optional<std::string> isolate_process() {
  auto& failure = failure_slot();
  failure = [&]() -> std::optional<std::string> {
    if (auto why = missing_root()) return why;
    if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) return errno_text("unshare(CLONE_NEWNET|CLONE_NEWNS)");
    // Without this our tmpfs mounts would propagate back to the host's mount namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return errno_text("mount --make-rprivate /");
    }
    if (::mount("wgwatch-test-run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
      return errno_text("mount tmpfs /run");
    }
    struct stat st {};
    if (::lstat("/var/run", &st) == 0 && S_ISDIR(st.st_mode) &&
        ::mount("wgwatch-test-run", "/var/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
      return errno_text("mount tmpfs /var/run");
    }
    return bring_loopback_up();
  }();
  return failure;
}

std::optional<std::string> isolation_failure() { return failure_slot(); }

named_netns::named_netns(std::string name) : name_(std::move(name)) {
  check_command({"ip", "netns", "add", name_});
  check_command(exec({"ip", "link", "set", "lo", "up"}));
}

named_netns::~named_netns() { run_command({"ip", "netns", "del", name_}); }

std::vector<std::string> named_netns::exec(std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
  return argv;
}

veth_pair::veth_pair(std::string near, std::string near_cidr, const named_netns& far_netns,
                     std::string far, std::string far_cidr)
    : near_(std::move(near)) {
  check_command({"ip", "link", "add", near_, "type", "veth", "peer", "name", far, "netns",
                 far_netns.name()});
  check_command({"ip", "addr", "add", near_cidr, "dev", near_});
  check_command({"ip", "link", "set", near_, "up"});
  check_command({"ip", "-n", far_netns.name(), "addr", "add", far_cidr, "dev", far});
  check_command({"ip", "-n", far_netns.name(), "link", "set", far, "up"});
}

veth_pair::~veth_pair() { run_command({"ip", "link", "del", near_}); }

unique_fd listen_in(const named_netns& ns, std::uint16_t port) {
  unique_fd listener;
  std::string failure;
  std::thread([&] {
    const unique_fd nsfd(::open(ns.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!nsfd || ::setns(nsfd.get(), CLONE_NEWNET) != 0) {
      failure = std::string("setns: ") + std::strerror(errno);
      return;
    }
    unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd.get(), 64) != 0) {
      failure = "bind/listen port " + std::to_string(port) + ": " + std::strerror(errno);
      return;
    }
    listener = std::move(fd);
  }).join();
  if (!listener) throw std::runtime_error(failure);
  return listener;
}

}  // namespace wgwatch::test
