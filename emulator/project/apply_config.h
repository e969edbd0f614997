// Makes a state file match a config: the queues it names exist (dead letter queues too),
// each configured consumer is registered with the config's settings, the producers it
// binds are known, the faults it injects are set, and the R2 event notification rules it
// declares exist. The one place where a config turns into
// queues and consumers.
#pragma once
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/store/store.h"

namespace flareq::project {

// Returns what it changed that a user should hear about, one line each.
std::vector<std::string> apply_config(const config::Config& config, Store& store);

// One warning for each queue that a producer binding or a declared R2 rule of `configs` sends
// to but that no consumer reads (none in the configs, none registered in the state file): a misspelled name
// piles messages up unseen. Names the nearest consumed queue when there is one.
std::vector<std::string> unconsumed_producer_warnings(const std::vector<config::Config>& configs, Store& store);

// One note for each queue that a Worker of `configs` consumes but that nothing of `configs` sends
// to (no producer binding, dead letter move or R2 rule, none in the state file either): a
// producer run by another dev, on its own state file, never reaches it.
std::vector<std::string> unfed_consumer_notes(const std::vector<config::Config>& configs, Store& store);

// One note for each queue of the state file that holds messages but that nothing of `configs`
// names (producer, consumer, dead letter queue, R2 rule), that has no consumer and is no
// consumer's dead letter queue: a queue the configs named before an edit (a rename), whose
// messages would otherwise wait unseen. Says how to see, move or drop them. None without a config.
std::vector<std::string> stranded_queue_notes(const std::vector<config::Config>& configs, Store& store);

// The producers the config binds to `queue` (the queue object lists them).
std::vector<Producer> producers_of(const config::Config& config, const std::string& queue);

}  // namespace flareq::project
