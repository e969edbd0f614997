// Watching the configs of `flareq dev` for edits (config_watch.h).
#include "emulator/dev/config_watch.h"

#include <fstream>
#include <iterator>

namespace flareq::dev {
namespace {

constexpr int64_t kLookEveryMs = 250;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::string ConfigWatch::shown(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::path relative = std::filesystem::absolute(file, ec).lexically_relative(std::filesystem::current_path(ec));
  return !ec && !relative.empty() && *relative.begin() != ".." ? relative.string() : file.string();
}

ConfigWatch::ConfigWatch(const std::vector<config::Config>& configs, Log& log, const Clock& clock)
    : log_(log), clock_(clock) {
  auto watch = [this](const std::filesystem::path& path, const std::string& env, bool built, bool source) {
    Watched w;
    w.path = path;
    w.env = env;
    w.built = built;
    w.source_of_build = source;
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      w.mtime = st.st_mtim;
      w.size = st.st_size;
    }
    w.text = read_text(path);
    files_.push_back(std::move(w));
  };
  for (const auto& c : configs) {
    if (c.path.empty()) continue;
    watch(c.path, c.env, !c.user_config_path.empty(), false);
    // The config the user edits, behind a build's: an edit reaches dev with the next build only.
    if (!c.user_config_path.empty()) watch(c.user_config_path, "", false, true);
  }
}

bool wait_for_config_edit(const std::vector<config::Config>& configs, const sigset_t& signals, Log& log) {
  ConfigWatch watch(configs, log, system_clock());
  for (;;) {
    timespec wait{0, 50'000'000};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) return false;
    if (watch.changed()) return true;
  }
}

bool ConfigWatch::changed() {
  if (!changed_file_.empty()) return true;
  int64_t now = clock_.steady_ms();
  if (now < next_look_ms_) return false;
  next_look_ms_ = now + kLookEveryMs;
  for (auto& w : files_) {
    struct stat st {};
    if (stat(w.path.c_str(), &st) != 0) continue;  // mid-save (an editor's rename): looked at again next time
    if (st.st_mtim.tv_sec == w.mtime.tv_sec && st.st_mtim.tv_nsec == w.mtime.tv_nsec && st.st_size == w.size) continue;
    w.mtime = st.st_mtim;
    w.size = st.st_size;
    std::string text = read_text(w.path);
    if (w.source_of_build) {
      if (text != w.text)
        log_.line("note: " + shown(w.path) + " changed; the Worker runs the build's config, which takes the change "
                  "when the project builds again (npm run build)");
      w.text = std::move(text);
      continue;
    }
    if ((text == w.text && !w.built) || text == w.refused) continue;
    try {
      config::load_config(w.path, w.env);
    } catch (const std::exception& e) {
      w.refused = text;
      log_.line(std::string("error: ") + e.what());
      log_.line(shown(w.path) + " changed but does not load: dev keeps running on the version it started with");
      continue;
    }
    changed_file_ = w.path;
    changed_build_ = w.built;
    return true;
  }
  return false;
}

}  // namespace flareq::dev
