// SPDX-License-Identifier: MIT
// wireguard-go child processes: fork, setns, PR_SET_PDEATHSIG, exec; wait for the socket.
#include "support/wireguard_go.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/netns.hpp"
#include "support/require.hpp"
#include "util/unique_fd.hpp"
#include "wireguard/key.hpp"

namespace wgwatch::test {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void read_available(int fd, std::string& into) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    into.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

bool socket_accepts(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd && ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

wireguard_go::wireguard_go(std::string ifname, const named_netns* netns,
                           std::chrono::milliseconds ready_timeout)
    : ifname_(std::move(ifname)) {
  const auto program = find_program("wireguard-go");
  if (!program) throw std::runtime_error("wireguard-go not found on PATH");
  unique_fd ns_fd;
  if (netns) {
    ns_fd = unique_fd(::open(netns->path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns_fd) throw std::runtime_error("open " + netns->path() + ": " + std::strerror(errno));
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  std::array<char*, 4> argv{const_cast<char*>(program->c_str()), const_cast<char*>("-f"),
                            const_cast<char*>(ifname_.c_str()), nullptr};
  // The environment is built before fork: setenv() in the child could deadlock on malloc.
  std::vector<std::string> env_text{"WG_PROCESS_FOREGROUND=1"};
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "WG_PROCESS_FOREGROUND=", 22) != 0) env_text.emplace_back(*e);
  }
  std::vector<char*> env;
  for (auto& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec: the parent may have threads.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
    if (ns_fd && ::setns(ns_fd.get(), CLONE_NEWNET) != 0) ::_exit(125);
    ::signal(SIGPIPE, SIG_DFL);  // main() ignores it; children get the default back
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::execve(argv[0], argv.data(), env.data());
    ::_exit(127);
  }
  ::close(out[1]);
  output_fd_ = out[0];
  ::fcntl(output_fd_, F_SETFL, O_NONBLOCK);

  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (!socket_accepts(socket_path())) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("wireguard-go -f " + ifname_ + " exited early: " + output());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("wireguard-go -f " + ifname_ + " did not open " + socket_path() +
                               ": " + output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

wireguard_go::~wireguard_go() {
  stop();
  if (output_fd_ >= 0) ::close(output_fd_);
}

std::string wireguard_go::socket_path() const {
  return std::string(wireguard_socket_dir) + "/" + ifname_ + ".sock";
}

std::string wireguard_go::output() {
  if (output_fd_ >= 0) read_available(output_fd_, output_);
  return output_;
}

void wireguard_go::reap() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void wireguard_go::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      reap();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

void wireguard_go::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  reap();
}

keypair make_keypair() {
  keypair k;
  k.private_key = trim(check_command({"wg", "genkey"}));
  k.public_key = trim(check_command({"wg", "pubkey"}, k.private_key + "\n"));
  return k;
}

std::string make_preshared_key() { return trim(check_command({"wg", "genpsk"})); }

void wg_set(const std::vector<std::string>& args, std::string_view input, const named_netns* netns) {
  std::vector<std::string> argv{"wg", "set"};
  argv.insert(argv.end(), args.begin(), args.end());
  check_command(netns ? netns->exec(argv) : argv, input);
}

std::string base64_key_to_hex(std::string_view base64) {
  const auto key = wg::parse_base64_key(base64);
  if (!key) throw std::invalid_argument("not a base64 key: " + std::string(base64));
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (const auto b : key->bytes) {
    hex.push_back(digits[b >> 4]);
    hex.push_back(digits[b & 0xf]);
  }
  return hex;
}

}  // namespace wgwatch::test
