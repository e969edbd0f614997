// The queues part of a wrangler config, typed and validated (docs/semantics.md, "Configuration"), plus flareq's own
// consumer keys ("command", "mode", "faults") and R2 buckets' "event_notifications". Defaults are production's.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/core/faults.h"

namespace flareq::config {

// How to start a consumer's handler: a string runs under /bin/sh -c, an array is argv.
struct HandlerCommand {
  std::string shell;
  std::vector<std::string> argv;
  bool empty() const { return shell.empty() && argv.empty(); }
};

enum class HandlerMode { PerBatch, Persistent };

struct ProducerConfig {
  std::string binding;
  std::string queue;
  std::optional<int64_t> delivery_delay;
};

struct ConsumerConfig {
  std::string queue;
  std::string type = "worker";  // "http_pull" is a local extension
  std::string type_where;        // "file:line:column: " of "type", when the config gives one
  std::optional<int> max_batch_size;  // unset: the type's default (10 for a Worker, 5 for a pull)
  double max_batch_timeout = 5;  // seconds; fractions allowed locally
  int max_retries = 3;
  std::string dead_letter_queue;
  std::optional<int> max_concurrency;  // unset: autoscale
  int64_t retry_delay = 0;
  std::optional<int64_t> visibility_timeout_ms;
  HandlerCommand command;
  HandlerMode mode = HandlerMode::PerBatch;
  std::optional<FaultSettings> faults;  // injected by `dev` at start, for a fixed test setup
};

// A Worker's R2 binding: the bucket its writes go to locally (bucket_name, else the binding).
struct R2BindingConfig {
  std::string binding;
  std::string bucket;
};

// An R2 event notification rule declared with the project: r2_buckets[i].event_notifications[j]
// (a flareq key), so that a fresh state file starts with it.
struct R2RuleConfig {
  std::string bucket;  // the binding's bucket_name
  std::string queue;
  std::vector<std::string> actions;
  std::string prefix;
  std::string suffix;
  std::string description;
  std::string where;  // "file:line:column: " of the rule, for errors found when it is applied
};

struct Config {
  std::filesystem::path path;  // empty when no file was found
  std::string env;
  std::string worker_name;  // the config's "name"
  // The Worker: its entry module ("main", relative to the config) and where `wrangler dev`
  // serves it ("dev.ip", "dev.port").
  std::string main;
  std::string dev_ip;
  std::optional<int> dev_port;
  std::vector<ProducerConfig> producers;
  std::vector<ConsumerConfig> consumers;
  std::vector<R2BindingConfig> r2_buckets;
  std::vector<R2RuleConfig> r2_rules;
  std::vector<std::string> warnings;
  // Set in a config that a build wrote for wrangler (the Cloudflare Vite plugin's
  // build/<worker>/wrangler.json): the config the user wrote ("userConfigPath", absolute) and
  // the environment the build was made for ("targetEnvironment").
  std::filesystem::path user_config_path;
  std::string target_environment;

  // The project's folder, where the state file goes: the folder of the config the user wrote.
  std::filesystem::path project_dir() const;
  // The Worker's name as consumers and logs show it: "name", else "worker".
  std::string script_name() const { return worker_name.empty() ? "worker" : worker_name; }
  // Every queue the config names: producers', consumers', dead-letter queues and R2 rules' queues, once each.
  std::vector<std::string> queue_names() const;
  const ConsumerConfig* consumer_for(std::string_view queue) const;
};

// Every problem found, one per line, each starting with file:line:column.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Format { Jsonc, Toml };

// wrangler.json, wrangler.jsonc, then wrangler.toml in `dir`, then in its parents.
std::optional<std::filesystem::path> find_config(const std::filesystem::path& dir);
Config load_config(const std::filesystem::path& file, const std::string& env);
// The config a build wrote in place of `user_config`, which `wrangler dev` and `wrangler deploy`
// run when no config is named: the one that .wrangler/deploy/config.json beside `user_config`
// points to (the Cloudflare Vite plugin's build writes both). None without that file; a file
// that does not parse or points to nothing is a ConfigError saying how to fix it.
std::optional<std::filesystem::path> build_redirect(const std::filesystem::path& user_config);
// Where that pointer lives: .wrangler/deploy/config.json beside `user_config`.
std::filesystem::path deploy_pointer(const std::filesystem::path& user_config);
Config parse_config(std::string_view text, const std::string& file_name, Format format,
                    const std::string& env);

}  // namespace flareq::config
