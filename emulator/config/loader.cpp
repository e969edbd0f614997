// Reads a wrangler config and applies every rule of docs/semantics.md, "Configuration": wrong types and out-of-range
// values are errors naming file:line:column, field, value and range; unknown keys are
// warnings; `queues` is not inherited by environments.
#include <fstream>
#include <set>
#include <sstream>

#include "emulator/config/config.h"
#include "emulator/config/document.h"
#include "emulator/core/duration.h"
#include "emulator/core/ids.h"
#include "emulator/core/limits.h"
#include "emulator/core/r2_rules.h"

namespace flareq::config {
namespace {

using nlohmann::json;

// A file's whole text; none when it cannot be read.
std::optional<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// A value as an error message quotes it; bytes that are not UTF-8 show as U+FFFD.
std::string describe(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

class Validator {
 public:
  Validator(const Document& doc, std::string file) : doc_(doc), file_(std::move(file)) {}

  std::vector<std::string> errors;
  std::vector<std::string> warnings;

  std::string where(const std::string& path) const {
    SourcePos p = doc_.position_of(path);
    return file_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": ";
  }
  void error(const std::string& path, const std::string& text) { errors.push_back(where(path) + text); }
  void warn(const std::string& path, const std::string& text) { warnings.push_back(where(path) + text); }

  bool expect_type(const std::string& path, const json& v, const char* type, bool ok) {
    if (!ok)
      error(path, "Expected \"" + path + "\" to be of type " + type + " but got " + describe(v) + ".");
    return ok;
  }

  void unknown_keys(const std::string& path, const json& obj, const std::set<std::string>& known) {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (!known.count(it.key()))
        warn(path + "." + it.key(),
             "Unexpected fields found in " + path + " field: \"" + it.key() + "\"");
  }

  std::optional<std::string> string_field(const json& obj, const std::string& path, const char* key) {
    if (!obj.contains(key)) return std::nullopt;
    std::string p = path.empty() ? std::string(key) : path + "." + key;
    const json& v = obj.at(key);
    if (!expect_type(p, v, "string", v.is_string())) return std::nullopt;
    return v.get<std::string>();
  }

  template <typename T>
  std::optional<T> integer_field(const json& obj, const std::string& path, const char* key, T lo, T hi) {
    if (!obj.contains(key)) return std::nullopt;
    std::string p = path.empty() ? std::string(key) : path + "." + key;
    const json& v = obj.at(key);
    bool integral = v.is_number_integer() ||
                    (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>())));
    if (!expect_type(p, v, "number", v.is_number())) return std::nullopt;
    if (!integral) {
      error(p, p + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                   ", got " + describe(v));
      return std::nullopt;
    }
    int64_t n = v.is_number_integer() ? v.get<int64_t>() : static_cast<int64_t>(v.get<double>());
    if (n < static_cast<int64_t>(lo) || n > static_cast<int64_t>(hi)) {
      error(p, p + " must be from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " +
                   std::to_string(n));
      return std::nullopt;
    }
    return static_cast<T>(n);
  }

  std::optional<double> number_field(const json& obj, const std::string& path, const char* key, double lo, double hi) {
    if (!obj.contains(key)) return std::nullopt;
    std::string p = path.empty() ? std::string(key) : path + "." + key;
    const json& v = obj.at(key);
    if (!expect_type(p, v, "number", v.is_number())) return std::nullopt;
    double d = v.get<double>();
    if (d < lo || d > hi) {
      std::ostringstream os;
      os << p << " must be from " << lo << " to " << hi << ", got " << describe(v);
      error(p, os.str());
      return std::nullopt;
    }
    return d;
  }

  void queue_name(const std::string& path, const std::string& name) {
    if (!limits::is_valid_queue_name(name))
      error(path, path + ": " + limits::invalid_queue_name_message(name));
  }

 private:
  const Document& doc_;
  std::string file_;
};

ProducerConfig read_producer(Validator& v, const json& obj, const std::string& path) {
  ProducerConfig p;
  v.unknown_keys(path, obj, {"binding", "queue", "delivery_delay", "remote"});
  if (auto b = v.string_field(obj, path, "binding")) p.binding = *b;
  else if (!obj.contains("binding")) v.error(path, path + " is missing the required field \"binding\"");
  if (auto q = v.string_field(obj, path, "queue")) {
    p.queue = *q;
    v.queue_name(path + ".queue", p.queue);
  } else {
    p.queue = p.binding;
  }
  p.delivery_delay = v.integer_field<int64_t>(obj, path, "delivery_delay", 0, limits::kMaxDelaySecs);
  // wrangler dev's remote bindings: a producer with "remote": true sends to Cloudflare's queue
  // there; flareq's queues are local, which it says, since the user asked for the other.
  if (obj.contains("remote")) {
    const json& remote = obj.at("remote");
    if (v.expect_type(path + ".remote", remote, "boolean", remote.is_boolean()) && remote.get<bool>())
      v.warn(path + ".remote", path + ".remote is true, but under flareq " + p.binding +
                                   " sends to flareq's local queue '" + p.queue + "', not to Cloudflare's");
  }
  return p;
}

HandlerCommand read_command(Validator& v, const json& obj, const std::string& path) {
  HandlerCommand cmd;
  if (!obj.contains("command")) return cmd;
  std::string p = path + ".command";
  const json& c = obj.at("command");
  if (c.is_string()) {
    cmd.shell = c.get<std::string>();
    if (cmd.shell.empty()) v.error(p, p + " must not be empty");
    return cmd;
  }
  bool ok = c.is_array() && !c.empty();
  for (const auto& arg : c) ok = ok && arg.is_string();
  if (!v.expect_type(p, c, "string or non-empty array of strings", ok)) return cmd;
  for (const auto& arg : c) cmd.argv.push_back(arg.get<std::string>());
  return cmd;
}

// flareq's "faults" key: {"fail", "latency": "200ms..2s", "crash_handler", "push_errors", "seed"}.
std::optional<FaultSettings> read_faults(Validator& v, const json& obj, const std::string& path) {
  if (!obj.contains("faults")) return std::nullopt;
  std::string p = path + ".faults";
  const json& f = obj.at("faults");
  if (!v.expect_type(p, f, "object", f.is_object())) return std::nullopt;
  v.unknown_keys(p, f, {"fail", "latency", "crash_handler", "push_errors", "seed"});
  FaultSettings s;
  s.fail = v.number_field(f, p, "fail", 0, 1).value_or(0);
  s.crash = v.number_field(f, p, "crash_handler", 0, 1).value_or(0);
  s.push_errors = v.number_field(f, p, "push_errors", 0, 1).value_or(0);
  if (auto latency = v.string_field(f, p, "latency")) {
    auto range = parse_duration_range_ms(*latency);
    if (!range || range->second > kMaxFaultLatencyMs) {
      v.error(p + ".latency", p + ".latency must be a duration or a range such as \"200ms..2s\" (at most 15m), got \"" +
                                  *latency + "\"");
    } else {
      s.latency_min_ms = range->first;
      s.latency_max_ms = range->second;
    }
  }
  auto seed = v.integer_field<int64_t>(f, p, "seed", 0, INT64_MAX);
  s.seed = seed ? static_cast<uint64_t>(*seed) : new_seed();
  return s;
}

// Keys that mean nothing for the consumer's type: a handler for messages that are pulled is an
// error (as --handler on a pull queue is); the rest are said to do nothing.
void check_keys_fit_type(Validator& v, const json& obj, const std::string& path, const std::string& type) {
  if (type == "http_pull") {
    if (obj.contains("command"))
      v.error(path + ".command", path + ".command: an http_pull consumer's messages are pulled over HTTP, not handed "
                                        "to a handler; remove \"command\" or \"type\"");
    for (const char* key : {"mode", "max_batch_timeout", "max_concurrency"})
      if (obj.contains(key))
        v.warn(path + "." + key, path + "." + key + " has no effect on an http_pull consumer (each pull takes what "
                                                  "is ready, up to max_batch_size or the pull's batch_size)");
  } else if (obj.contains("visibility_timeout_ms")) {
    v.warn(path + ".visibility_timeout_ms",
           path + ".visibility_timeout_ms has no effect on a Worker consumer: it is an http_pull consumer's setting");
  }
}

ConsumerConfig read_consumer(Validator& v, const json& obj, const std::string& path) {
  ConsumerConfig c;
  v.unknown_keys(path, obj,
                 {"queue", "type", "max_batch_size", "max_batch_timeout", "max_retries",
                  "dead_letter_queue", "max_concurrency", "retry_delay", "visibility_timeout_ms",
                  "command", "mode", "faults"});
  if (auto q = v.string_field(obj, path, "queue")) {
    c.queue = *q;
    v.queue_name(path + ".queue", c.queue);
  } else if (!obj.contains("queue")) {
    v.error(path, path + " is missing the required field \"queue\"");
  }
  if (auto t = v.string_field(obj, path, "type")) {
    c.type_where = v.where(path + ".type");
    if (*t == "http_pull") {
      v.warn(path + ".type", path + ".type \"http_pull\" is a flareq extension: production accepts "
                                    "only \"worker\" in a config file");
      c.type = *t;
    } else if (*t != "worker") {
      v.error(path + ".type", path + ".type must be \"worker\" (or \"http_pull\" locally), got \"" + *t + "\"");
    }
  }
  c.max_batch_size = v.integer_field<int>(obj, path, "max_batch_size", 1, limits::kMaxBatchSize);
  c.max_batch_timeout = v.number_field(obj, path, "max_batch_timeout", 0, limits::kMaxBatchTimeoutSecs)
                            .value_or(c.max_batch_timeout);
  c.max_retries = v.integer_field<int>(obj, path, "max_retries", 0, limits::kMaxRetries).value_or(c.max_retries);
  if (auto d = v.string_field(obj, path, "dead_letter_queue")) {
    c.dead_letter_queue = *d;
    v.queue_name(path + ".dead_letter_queue", *d);
  }
  // null is "auto", as no key is (wrangler's schema allows it).
  if (!(obj.contains("max_concurrency") && obj.at("max_concurrency").is_null()))
    c.max_concurrency = v.integer_field<int>(obj, path, "max_concurrency", 1, limits::kMaxConcurrency);
  c.retry_delay = v.integer_field<int64_t>(obj, path, "retry_delay", 0, limits::kMaxRetryDelaySecs)
                      .value_or(c.retry_delay);
  c.visibility_timeout_ms =
      v.integer_field<int64_t>(obj, path, "visibility_timeout_ms", 1, limits::kMaxVisibilityTimeoutMs);
  c.command = read_command(v, obj, path);
  if (auto m = v.string_field(obj, path, "mode")) {
    if (*m == "persistent") c.mode = HandlerMode::Persistent;
    else if (*m != "per-batch")
      v.error(path + ".mode", path + ".mode must be \"per-batch\" or \"persistent\", got \"" + *m + "\"");
  }
  c.faults = read_faults(v, obj, path);
  check_keys_fit_type(v, obj, path, c.type);
  return c;
}

// One r2_buckets entry: the binding, and flareq's "event_notifications": [{"queue", "event_types", "prefix",
// "suffix", "description"}], the words of `r2 bucket notification create`.
void read_r2_bucket(Validator& v, const json& obj, const std::string& path, Config& config) {
  v.unknown_keys(path, obj, {"binding", "bucket_name", "preview_bucket_name", "jurisdiction", "remote",
                             "experimental_remote", "local_dev", "event_notifications"});
  std::string binding = v.string_field(obj, path, "binding").value_or("");
  std::string bucket = v.string_field(obj, path, "bucket_name").value_or(binding);
  if (!binding.empty()) config.r2_buckets.push_back({binding, bucket});
  if (!obj.contains("event_notifications")) return;
  std::vector<R2RuleConfig>& rules = config.r2_rules;
  std::string p = path + ".event_notifications";
  const json& list = obj.at("event_notifications");
  if (!v.expect_type(p, list, "array", list.is_array())) return;
  if (auto problem = r2::bucket_name_problem(bucket)) v.error(path + ".bucket_name", *problem);
  for (size_t i = 0; i < list.size(); ++i) {
    std::string item = p + "[" + std::to_string(i) + "]";
    if (!v.expect_type(item, list[i], "object", list[i].is_object())) continue;
    const json& r = list[i];
    v.unknown_keys(item, r, {"queue", "event_types", "prefix", "suffix", "description"});
    R2RuleConfig rule;
    rule.bucket = bucket;
    rule.where = v.where(item);
    if (auto q = v.string_field(r, item, "queue")) {
      rule.queue = *q;
      v.queue_name(item + ".queue", rule.queue);
    } else if (!r.contains("queue")) {
      v.error(item, item + " is missing the required field \"queue\"");
    }
    std::string types = item + ".event_types";
    if (!r.contains("event_types")) {
      v.error(item, item + " is missing the required field \"event_types\" (\"object-create\", \"object-delete\" or both)");
    } else if (v.expect_type(types, r.at("event_types"), "array of strings", r.at("event_types").is_array())) {
      for (const auto& t : r.at("event_types")) {
        auto actions = t.is_string() ? r2::actions_for(t.get<std::string>()) : std::nullopt;
        if (!actions) {
          v.error(types, types + " must name \"object-create\" or \"object-delete\", got " + describe(t));
          continue;
        }
        rule.actions.insert(rule.actions.end(), actions->begin(), actions->end());
      }
      if (r.at("event_types").empty()) v.error(types, types + " must name at least one event type");
    }
    rule.prefix = v.string_field(r, item, "prefix").value_or("");
    rule.suffix = v.string_field(r, item, "suffix").value_or("");
    rule.description = v.string_field(r, item, "description").value_or("");
    rules.push_back(std::move(rule));
  }
}

r2::Rule as_rule(const R2RuleConfig& c) {
  r2::Rule r;
  r.id = c.where.substr(0, c.where.size() - 2);  // names the rule by where it is declared
  r.bucket = c.bucket;
  r.queue = c.queue;
  r.actions = c.actions;
  r.prefix = c.prefix;
  r.suffix = c.suffix;
  return r;
}

template <typename T, typename Read>
std::vector<T> read_list(Validator& v, const json& queues, const std::string& path, const char* key, Read read) {
  std::vector<T> out;
  if (!queues.contains(key)) return out;
  std::string p = path + "." + key;
  const json& list = queues.at(key);
  if (!v.expect_type(p, list, "array", list.is_array())) return out;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string item = p + "[" + std::to_string(i) + "]";
    if (v.expect_type(item, list[i], "object", list[i].is_object())) out.push_back(read(v, list[i], item));
  }
  return out;
}

}  // namespace

std::vector<std::string> Config::queue_names() const {
  std::vector<std::string> names;
  std::set<std::string> seen;
  auto add = [&](const std::string& n) {
    if (!n.empty() && seen.insert(n).second) names.push_back(n);
  };
  for (const auto& p : producers) add(p.queue);
  for (const auto& c : consumers) {
    add(c.queue);
    add(c.dead_letter_queue);
  }
  for (const auto& r : r2_rules) add(r.queue);
  return names;
}

const ConsumerConfig* Config::consumer_for(std::string_view queue) const {
  for (const auto& c : consumers)
    if (c.queue == queue) return &c;
  return nullptr;
}

Config parse_config(std::string_view text, const std::string& file_name, Format format,
                    const std::string& env) {
  Document doc;
  try {
    doc = format == Format::Toml ? parse_toml(text, file_name) : parse_jsonc(text);
  } catch (const SyntaxError& e) {
    throw ConfigError(file_name + ":" + std::to_string(e.pos().line) + ":" +
                      std::to_string(e.pos().column) + ": " + e.what());
  }
  Validator v(doc, file_name);
  Config config;
  config.path = file_name;
  config.env = env;
  if (!doc.value.is_object()) throw ConfigError(v.where("") + "the config must be an object");

  const json& top = doc.value;
  if (top.contains("name") && top.at("name").is_string()) config.worker_name = top.at("name").get<std::string>();
  config.main = v.string_field(top, "", "main").value_or("");
  if (top.contains("userConfigPath") && top.at("userConfigPath").is_string())
    config.user_config_path = top.at("userConfigPath").get<std::string>();
  if (top.contains("targetEnvironment") && top.at("targetEnvironment").is_string())
    config.target_environment = top.at("targetEnvironment").get<std::string>();
  if (top.contains("dev") && v.expect_type("dev", top.at("dev"), "object", top.at("dev").is_object())) {
    config.dev_ip = v.string_field(top.at("dev"), "dev", "ip").value_or("");
    config.dev_port = v.integer_field<int>(top.at("dev"), "dev", "port", 0, 65535);
  }
  std::string queues_path = "queues";
  const json* scope = &top;
  if (!env.empty()) {
    const json* envs = top.contains("env") ? &top.at("env") : nullptr;
    if (!envs || !envs->is_object() || !envs->contains(env))
      throw ConfigError(file_name + ": no environment named \"" + env +
                        "\" (add an \"env\": {\"" + env + "\": {...}} section, or drop --env)");
    scope = &envs->at(env);
    queues_path = "env." + env + ".queues";
    if (!v.expect_type("env." + env, *scope, "object", scope->is_object())) {
      scope = nullptr;
    } else {
      // An environment is a Worker of its own: its "name", else the top level's with "-<env>"
      // (wrangler's rule, and the name the Worker runs and registers under); "main" is inherited.
      if (scope->contains("name") && scope->at("name").is_string()) config.worker_name = scope->at("name").get<std::string>();
      else if (!config.worker_name.empty()) config.worker_name += "-" + env;
      if (auto main = v.string_field(*scope, "env." + env, "main")) config.main = *main;
    }
    if (scope && top.contains("queues") && !scope->contains("queues")) {
      v.warn("queues", "\"queues\" exists at the top level, but not on \"env." + env +
                           "\". This is not what you probably want, since \"queues\" is not "
                           "inherited by environments. Please add \"queues\" to \"env." + env + "\".");
    }
  }
  if (scope && scope->contains("queues")) {
    const json& queues = scope->at("queues");
    if (v.expect_type(queues_path, queues, "object", queues.is_object())) {
      v.unknown_keys(queues_path, queues, {"producers", "consumers"});
      config.producers = read_list<ProducerConfig>(v, queues, queues_path, "producers", read_producer);
      config.consumers = read_list<ConsumerConfig>(v, queues, queues_path, "consumers", read_consumer);
    }
  }

  // R2 buckets are bindings: not inherited by environments.
  if (scope && scope->contains("r2_buckets")) {
    std::string path = env.empty() ? "r2_buckets" : "env." + env + ".r2_buckets";
    const json& buckets = scope->at("r2_buckets");
    if (v.expect_type(path, buckets, "array", buckets.is_array()))
      for (size_t i = 0; i < buckets.size(); ++i) {
        std::string item = path + "[" + std::to_string(i) + "]";
        if (v.expect_type(item, buckets[i], "object", buckets[i].is_object()))
          read_r2_bucket(v, buckets[i], item, config);
      }
  }
  // The declared rules are held to production's rules among themselves here; against rules
  // already in the state file when dev applies them.
  for (size_t i = 0; i < config.r2_rules.size(); ++i) {
    r2::Rule rule = as_rule(config.r2_rules[i]);
    if (r2::bucket_name_problem(rule.bucket)) continue;  // said once, at bucket_name
    std::vector<r2::Rule> before;
    for (size_t j = 0; j < i; ++j)
      if (config.r2_rules[j].bucket == rule.bucket) before.push_back(as_rule(config.r2_rules[j]));
    if (auto refused = r2::refusal(rule, before); refused && !rule.actions.empty())
      v.errors.push_back(config.r2_rules[i].where + refused->why);
  }

  std::map<std::string, size_t> consumer_of;
  for (size_t i = 0; i < config.consumers.size(); ++i) {
    const auto& c = config.consumers[i];
    std::string path = queues_path + ".consumers[" + std::to_string(i) + "]";
    if (c.queue.empty()) continue;
    auto [it, fresh] = consumer_of.emplace(c.queue, i);
    if (!fresh)
      v.error(path + ".queue", "queue \"" + c.queue + "\" already has a consumer (" + queues_path +
                                   ".consumers[" + std::to_string(it->second) + "]); a queue has one consumer");
    if (!c.dead_letter_queue.empty() && c.dead_letter_queue == c.queue)
      v.error(path + ".dead_letter_queue", limits::self_dead_letter_message(c.queue));
  }

  if (!v.errors.empty()) {
    std::string all;
    for (const auto& e : v.errors) all += (all.empty() ? "" : "\n") + e;
    throw ConfigError(all);
  }
  config.warnings = std::move(v.warnings);
  return config;
}

namespace {

// A config file's text, or a ConfigError that says it cannot be read.
std::string config_text(const std::filesystem::path& file) {
  std::optional<std::string> text = read_text(file);
  if (!text) throw ConfigError(file.string() + ": cannot read the config file");
  return *text;
}

Format format_of(const std::filesystem::path& file) { return file.extension() == ".toml" ? Format::Toml : Format::Jsonc; }

}  // namespace

Document read_document(const std::filesystem::path& file) {
  std::string text = config_text(file);
  return format_of(file) == Format::Toml ? parse_toml(text, file.string()) : parse_jsonc(text);
}

Config load_config(const std::filesystem::path& file, const std::string& env) {
  Config c = parse_config(config_text(file), file.string(), format_of(file), env);
  c.path = file;
  if (!c.user_config_path.empty()) c.user_config_path = std::filesystem::absolute(file).parent_path() / c.user_config_path;
  return c;
}

std::filesystem::path Config::project_dir() const {
  const std::filesystem::path& own = user_config_path.empty() ? path : user_config_path;
  return std::filesystem::absolute(own).parent_path();
}

std::filesystem::path deploy_pointer(const std::filesystem::path& user_config) {
  return std::filesystem::absolute(user_config).parent_path() / ".wrangler" / "deploy" / "config.json";
}

std::optional<std::filesystem::path> build_redirect(const std::filesystem::path& user_config) {
  std::filesystem::path pointer = deploy_pointer(user_config);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(pointer, ec)) return std::nullopt;
  std::string target;
  try {
    Document doc = parse_jsonc(read_text(pointer).value_or(""));
    if (doc.value.is_object() && doc.value.contains("configPath") && doc.value.at("configPath").is_string())
      target = doc.value.at("configPath").get<std::string>();
  } catch (const SyntaxError&) {
  }
  std::string fix = " (the project's build writes it for wrangler: build again, or delete it to run " +
                    user_config.filename().string() + ")";
  if (target.empty())
    throw ConfigError(pointer.string() + ": has no \"configPath\" naming the config a build wrote" + fix);
  std::filesystem::path built = (pointer.parent_path() / target).lexically_normal();
  if (!std::filesystem::is_regular_file(built, ec))
    throw ConfigError(pointer.string() + ": points to " + built.string() + ", which does not exist" + fix);
  return built;
}

std::optional<std::filesystem::path> find_config(const std::filesystem::path& start) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(start, ec);
  while (true) {
    for (const char* name : {"wrangler.json", "wrangler.jsonc", "wrangler.toml"}) {
      auto candidate = dir / name;
      if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
    }
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

}  // namespace flareq::config
