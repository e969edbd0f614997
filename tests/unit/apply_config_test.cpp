// Turning a Worker's config into queues and consumers (emulator/project/apply_config.h), as the
// config changes from one `dev` to the next.
#include "emulator/project/apply_config.h"

#include <gtest/gtest.h>

#include "emulator/config/config.h"
#include "one_queue_store.h"

namespace flareq {
namespace {

config::Config worker_config(const std::string& consumed) {
  return config::parse_config(R"({"name": "app", "main": "src/index.ts", "compatibility_date": "2026-11-20",
    "queues": {"producers": [{"binding": "EVENTS", "queue": "events"}],
               "consumers": [{"queue": ")" + consumed + R"("}]}})",
                              "wrangler.jsonc", config::Format::Jsonc, "");
}

using ApplyConfig = OneQueueStore;

// A consumer renamed in the config (here by a typo): the old registration goes, its queue and
// messages stay, and the queue the Worker sends to is warned of, with the name it was likely meant.
TEST_F(ApplyConfig, AWorkersConsumerItsConfigNoLongerNamesIsRemovedAndItsQueueWarnedOf) {
  project::apply_config(worker_config("events"), *store_);
  store_->send(store_->queue("events"), {{ContentType::Json, "{}", std::nullopt}});
  ASSERT_TRUE(store_->consumer_of(store_->queue("events").key));
  // Another's consumers are not the Worker's to remove: the fixture's queue "q" gets a process's.
  store_->add_consumer(queue_, ConsumerType::Worker, "flareq-dev",
                       ConsumerSettings::defaults_for(ConsumerType::Worker));

  config::Config typo = worker_config("event");
  auto changes = project::apply_config(typo, *store_);
  EXPECT_NE(std::find(changes.begin(), changes.end(),
                      "Removed Worker app's consumer of 'events': its config no longer names that queue (the queue and "
                      "its messages stay)"),
            changes.end());
  EXPECT_FALSE(store_->consumer_of(store_->queue("events").key));
  EXPECT_EQ(store_->consumer_of(store_->queue("event").key)->script, "app");
  EXPECT_TRUE(store_->consumer_of(queue_.key));
  EXPECT_EQ(store_->backlog(store_->queue("events").key).ready, 1);
  auto warnings = project::unconsumed_producer_warnings({typo}, *store_);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "warning: nothing consumes queue 'events', which Worker app sends to (binding EVENTS); did you mean 'event'?");
  EXPECT_TRUE(project::apply_config(typo, *store_).empty()) << "nothing more to change";
}

// A consumer's batch size is the config's, else its type's default: 10 for a Worker, 5 for a pull.
TEST_F(ApplyConfig, ABatchSizeIsTheConfigsElseTheConsumerTypesDefault) {
  config::Config config = config::parse_config(R"({"queues": {"consumers": [
      {"queue": "pushed"}, {"queue": "pulled", "type": "http_pull"},
      {"queue": "pushed-by-7", "max_batch_size": 7}, {"queue": "pulled-by-50", "type": "http_pull", "max_batch_size": 50}]}})",
                                               "wrangler.jsonc", config::Format::Jsonc, "");
  project::apply_config(config, *store_);
  auto batch_size = [&](const char* queue) { return store_->consumer_of(store_->queue(queue).key)->settings.batch_size; };
  EXPECT_EQ(batch_size("pushed"), 10);
  EXPECT_EQ(batch_size("pulled"), 5);
  EXPECT_EQ(batch_size("pushed-by-7"), 7);
  EXPECT_EQ(batch_size("pulled-by-50"), 50);
}

// A consumer Worker run without its producer (each in its own dev, as with two `wrangler dev`s)
// waits for messages that go to the other dev's state file: that is said, once per queue, and
// not for a queue that something of the dev's configs sends to (a producer, a dead-letter move).
TEST_F(ApplyConfig, AQueueAWorkerConsumesAndNothingSendsToIsNoted) {
  auto parse = [](const std::string& text) {
    return config::parse_config(text, "wrangler.jsonc", config::Format::Jsonc, "");
  };
  config::Config consumer = parse(R"({"name": "jobs-worker", "main": "src/index.js", "compatibility_date": "2026-11-20",
    "queues": {"consumers": [{"queue": "jobs", "dead_letter_queue": "jobs-dlq"}, {"queue": "jobs-dlq"}]}})");
  config::Config producer = parse(R"({"name": "api", "main": "src/index.js", "compatibility_date": "2026-11-20",
    "queues": {"producers": [{"binding": "JOBS", "queue": "jobs"}]}})");
  project::apply_config(consumer, *store_);
  project::apply_config(producer, *store_);
  auto notes = project::unfed_consumer_notes({consumer}, *store_);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "note: no Worker in this dev sends to queue 'jobs', which Worker jobs-worker consumes: its messages "
                      "come from the API or the CLI (flareq send jobs '{\"hello\":1}'), or from a producer in another "
                      "project's config once both run in one dev (flareq dev -c wrangler.jsonc -c "
                      "../producer/wrangler.jsonc)");
  EXPECT_TRUE(project::unfed_consumer_notes({consumer, producer}, *store_).empty());
}

// A queue renamed in the config keeps its messages under the old name: said, with what to do;
// not a queue the configs name, one with a consumer, a consumer's dead letter queue, or an empty one.
TEST_F(ApplyConfig, AQueueWithMessagesThatNothingNamesAnyMoreIsNoted) {
  config::Config before = worker_config("events");
  project::apply_config(before, *store_);
  store_->send(store_->queue("events"), {{ContentType::Json, "{}", std::nullopt}, {ContentType::Json, "{}", std::nullopt}});
  EXPECT_TRUE(project::stranded_queue_notes({before}, *store_).empty());
  config::Config renamed = config::parse_config(R"({"name": "app", "main": "src/index.ts", "compatibility_date": "2026-11-20",
    "queues": {"producers": [{"binding": "EVENTS", "queue": "tasks"}], "consumers": [{"queue": "tasks"}]}})",
                                                "wrangler.jsonc", config::Format::Jsonc, "");
  project::apply_config(renamed, *store_);  // the Worker's consumer of "events" is removed
  auto notes = project::stranded_queue_notes({renamed}, *store_);
  ASSERT_EQ(notes.size(), 1u) << (notes.empty() ? "" : notes[0]);
  EXPECT_EQ(notes[0], "note: queue 'events' holds 2 message(s), but nothing in this dev sends to it or reads it (no "
                      "config names it): flareq messages list events shows them, flareq dlq replay events --to QUEUE "
                      "moves them to a queue that is read, flareq queues delete events --force drops them");
  EXPECT_TRUE(project::stranded_queue_notes({}, *store_).empty()) << "dev serving the API alone";
  // The fixture's queue "q" is empty; with a consumer of its own (a --consumer flag's), a queue is read.
  Queue events = store_->queue("events");
  store_->add_consumer(events, ConsumerType::HttpPull, "", ConsumerSettings::defaults_for(ConsumerType::HttpPull));
  EXPECT_TRUE(project::stranded_queue_notes({renamed}, *store_).empty());
  // A consumer's dead letter queue holds what failed: that is where it belongs.
  ConsumerSettings with_dlq = ConsumerSettings::defaults_for(ConsumerType::Worker);
  with_dlq.dead_letter_queue = "graveyard";
  store_->ensure_queue("graveyard");
  store_->send(store_->queue("graveyard"), {{ContentType::Json, "{}", std::nullopt}});
  EXPECT_EQ(project::stranded_queue_notes({renamed}, *store_).size(), 1u);
  store_->add_consumer(queue_, ConsumerType::Worker, "flareq-dev", with_dlq);
  EXPECT_TRUE(project::stranded_queue_notes({renamed}, *store_).empty());
}

}  // namespace
}  // namespace flareq
