// Notices writes to a state file's WAL as they happen (state_file_watch.h).
#include "emulator/store/state_file_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdint>

namespace flareq {

namespace {
// Writes come in bursts under load (each commit of the API's and the dispatcher's own); one call
// a millisecond is as soon as any of them needs.
constexpr int kRestAfterCallMs = 1;
}  // namespace

StateFileWatch::StateFileWatch(const std::filesystem::path& state, std::function<void()> changed)
    : wal_name_(state.filename().string() + "-wal"), changed_(std::move(changed)) {
  std::filesystem::path folder = std::filesystem::absolute(state).parent_path();
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  // The folder, not the file: the WAL may be made again (once every connection has closed it).
  if (inotify_fd_ < 0 || stop_fd_ < 0 || inotify_add_watch(inotify_fd_, folder.c_str(), IN_MODIFY) < 0) {
    if (inotify_fd_ >= 0) close(inotify_fd_);
    inotify_fd_ = -1;
    return;
  }
  thread_ = std::thread([this] { run(); });
}

StateFileWatch::~StateFileWatch() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

void StateFileWatch::run() {
  alignas(inotify_event) char buffer[4096];
  while (true) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents) return;
    bool wal_written = false;
    ssize_t n;
    while ((n = read(inotify_fd_, buffer, sizeof buffer)) > 0)
      for (char* p = buffer; p < buffer + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        if ((event->mask & IN_Q_OVERFLOW) || (event->len > 0 && wal_name_ == event->name)) wal_written = true;
        p += sizeof(inotify_event) + event->len;
      }
    if (!wal_written) continue;
    changed_();
    poll(nullptr, 0, kRestAfterCallMs);
  }
}

}  // namespace flareq
