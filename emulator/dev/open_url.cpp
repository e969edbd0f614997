// xdg-open for a URL (open_url.h).
#include "emulator/dev/open_url.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace flareq::dev {

std::string open_url(const std::string& url) {
  const char* x11 = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  // Without a display, xdg-open would start a browser in this very terminal, under dev's log.
  if (!(x11 && *x11) && !(wayland && *wayland)) return "open " + url + " in your browser (no display here to open one on)";
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  for (int fd = 0; fd <= 2; ++fd) posix_spawn_file_actions_addopen(&files, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  std::string program = "xdg-open";
  char* argv[] = {program.data(), const_cast<char*>(url.c_str()), nullptr};
  int failed = posix_spawnp(&pid, "xdg-open", &files, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (failed == ENOENT) return "open " + url + " in your browser (xdg-open, which would, is not installed)";
  if (failed) return "open " + url + " in your browser (cannot start xdg-open: " + std::strerror(failed) + ")";
  std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();  // reaped once it has handed the URL over
  return "";
}

}  // namespace flareq::dev
