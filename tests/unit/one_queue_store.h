// A test fixture: a fresh state file over a fake clock, holding one queue "q", and sends to it.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "emulator/core/clock.h"
#include "emulator/store/store.h"
#include "test_dir.h"

class OneQueueStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_test_dir("flareq-store-");
    store_ = std::make_unique<flareq::Store>(dir_ / "state.sqlite", flareq::Durability::Normal, clock_);
    queue_ = store_->ensure_queue("q");
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void send(std::optional<int64_t> delay_secs = std::nullopt) {
    store_->send(store_->queue("q"), {{flareq::ContentType::Json, "{}", delay_secs}});
  }

  std::filesystem::path dir_;
  flareq::FakeClock clock_;
  std::unique_ptr<flareq::Store> store_;
  flareq::Queue queue_;
};
