// flareq's entry point: the global options, the command groups, and the one place where
// an error becomes a sentence on stderr and a non-zero exit.
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/unknown_command.h"
#include "cli/wrangler_dev_flags.h"
#include "emulator/config/config.h"
#include "emulator/core/error.h"

namespace {

// A launcher that runs flareq as its child (the npm package's bin, flareq/testing) sets
// FLAREQ_PARENT_PID: flareq then ends with it, as on SIGTERM, even when the launcher is killed
// with SIGKILL. The variable is not passed on to the handlers flareq starts.
void end_with_launcher() {
  const char* pid = std::getenv("FLAREQ_PARENT_PID");
  if (!pid) return;
  long launcher = std::strtol(pid, nullptr, 10);
  unsetenv("FLAREQ_PARENT_PID");
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != launcher) raise(SIGTERM);  // it ended before prctl took effect
}

// flareq/testing makes a folder per startFlareq() (the state file, port files, the runtime's
// temporary files) and names it in FLAREQ_TESTING_DIR: flareq removes it as it ends, however
// the test process ended. Test runners end their workers without running exit hooks (vitest's
// forks, bun test), and a forgotten stop() left the folder behind. Only a folder that
// flareq/testing makes (flareq-test-*) is removed; keepState leaves the variable unset.
class TestingDir {
 public:
  TestingDir() {
    const char* dir = std::getenv("FLAREQ_TESTING_DIR");
    if (!dir) return;
    path_ = dir;
    unsetenv("FLAREQ_TESTING_DIR");
    if (path_.filename().string().rfind("flareq-test-", 0) != 0) path_.clear();
  }
  TestingDir(const TestingDir&) = delete;
  TestingDir& operator=(const TestingDir&) = delete;
  ~TestingDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }

 private:
  std::filesystem::path path_;
};

// CLI11's own complaints (a missing argument, a value out of range) in flareq's words: an
// `error:` line, then where to read what the command takes.
std::string failure_message(const CLI::App* app, const CLI::Error& e) {
  std::string command = app->get_name();
  for (const CLI::App* level = app; !level->get_subcommands().empty();) {
    level = level->get_subcommands().front();
    command += " " + level->get_name();
  }
  return "error: " + std::string(e.what()) + "\n(`" + command + " --help` says what it takes)\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace flareq;
  signal(SIGPIPE, SIG_IGN);  // a handler that exits early must not take flareq with it
  end_with_launcher();
  static TestingDir testing_dir;  // removed after main returns, or at exit()
  CLI::App app{"flareq: Cloudflare Queues, locally. Reads wrangler.jsonc, keeps every queue in one SQLite file."};
  app.name("flareq");
  app.set_version_flag("-V,--version", std::string("flareq ") + FLAREQ_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options work after the command too
  app.failure_message(failure_message);  // before the commands, which take it from here
  cli::GlobalOptions global;
  cli::add_global_options(app, global);
  cli::setup_queues(app, global);
  cli::setup_send(app, global);
  cli::setup_messages(app, global);
  cli::setup_dev(app, global);
  cli::setup_dlq(app, global);
  cli::setup_ci(app, global);
  cli::setup_time(app, global);
  cli::setup_faults(app, global);
  cli::setup_r2(app, global);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ExtrasError& e) {
    // wrangler dev's own flags, from a "dev" script carried over: what to do instead.
    bool all_answered = false;
    if (app.get_subcommand("dev")->parsed()) {
      std::vector<std::string> extras = app.remaining(true);
      all_answered = true;
      bool after_hinted_flag = false;  // the word after one (`--ip 0.0.0.0`) is its value
      std::vector<std::string> said;   // each once (`--var A:B --var C:D`)
      for (int i = 1; i < argc; ++i) {
        if (std::find(extras.begin(), extras.end(), argv[i]) == extras.end()) continue;
        bool value = after_hinted_flag && argv[i][0] != '-';
        after_hinted_flag = false;
        if (value) continue;
        if (auto hint = cli::wrangler_dev_flag_hint(argv[i])) {
          if (std::find(said.begin(), said.end(), *hint) == said.end()) std::cerr << "error: " << *hint << "\n";
          said.push_back(*hint);
          after_hinted_flag = std::string_view(argv[i]).find('=') == std::string_view::npos;
        } else {
          all_answered = false;
        }
      }
    }
    return all_answered ? e.get_exit_code() : app.exit(e);
  } catch (const CLI::RequiredError& e) {
    // `flareq` or `flareq queues` alone: the commands there are, rather than a bare complaint.
    // A word there that is no command (`flareq queue list`, `flareq dlq list`) is named first.
    CLI::App* level = &app;
    while (!level->get_subcommands().empty()) level = level->get_subcommands().front();
    if (level->get_require_subcommand_min() > 0 && level->get_subcommands().empty()) {
      std::vector<std::string> words = app.remaining(true);
      if (!words.empty() && words.front().rfind('-', 0) == 0) std::cerr << "error: unknown option " << words.front() << "\n\n";
      else if (!words.empty())
        std::cerr << cli::unknown_command(*level, words.front(), words.size() > 1 ? words[1] : "") << "\n\n";
      std::cerr << app.help();
      return e.get_exit_code();
    }
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const flareq::Error& e) {
    // What was not found was looked for in one state file: say which.
    bool not_found = e.code() == flareq::code::kQueueNotFound || e.code() == flareq::code::kNotFound;
    std::cerr << "error: " << e.what() << (not_found ? flareq::cli::state_file_note() : "") << "\n";
    return 1;
  } catch (const std::exception& e) {  // UsageError, config::ConfigError and the rest
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
