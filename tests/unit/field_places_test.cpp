// wrangler's diagnostics of a config given the place of each field they name
// (emulator/config/field_places.h).
#include "emulator/config/field_places.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_dir.h"

namespace flareq::config {
namespace {

class FieldPlaces : public ::testing::Test {
 protected:
  std::filesystem::path dir = fresh_test_dir("flareq-field-places-");
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
};

TEST_F(FieldPlaces, EachLineThatNamesAFieldGetsItsPlace) {
  auto file = write("wrangler.jsonc", "{\n  // made by C3, interrupted\n  \"name\": \"<WORKER_NAME>\",\n"
                                      "  \"compatibility_date\": \"<COMPATIBILITY_DATE>\"\n}\n");
  std::string f = file.string();
  EXPECT_EQ(place_fields(file, "",
                         "Processing wrangler.jsonc configuration:\n"
                         "  - \"compatibility_date\" field should be a valid ISO-8601 date (YYYY-MM-DD), but got "
                         "\"<COMPATIBILITY_DATE>\".\n"
                         "  - Expected \"name\" to be of type string, alphanumeric and lowercase with dashes only but "
                         "got \"<WORKER_NAME>\".\n"),
            "Processing wrangler.jsonc configuration:\n"
            "  - " + f + ":4:25: \"compatibility_date\" field should be a valid ISO-8601 date (YYYY-MM-DD), but got "
            "\"<COMPATIBILITY_DATE>\".\n"
            "  - " + f + ":3:11: Expected \"name\" to be of type string, alphanumeric and lowercase with dashes only "
            "but got \"<WORKER_NAME>\".\n");
  // A line that is no item of the list, or quotes no field of the file, stays as it is.
  EXPECT_EQ(place_fields(file, "", "set \"name\" to x\n  - a \"thing\" went wrong"), "set \"name\" to x\n  - a \"thing\" went wrong");
}

TEST_F(FieldPlaces, AnEnvironmentsOwnFieldIsPreferredAndTomlIsRead) {
  auto file = write("wrangler.toml", "name = \"app\"\nmain = \"src/index.js\"\n\n[env.staging]\nname = \"App_Staging\"\n");
  EXPECT_EQ(place_fields(file, "staging", "- Expected \"name\" to be lowercase"),
            "- " + file.string() + ":5:8: Expected \"name\" to be lowercase");
  EXPECT_EQ(place_fields(file, "", "- Expected \"name\" to be lowercase"),
            "- " + file.string() + ":1:8: Expected \"name\" to be lowercase");
}

TEST_F(FieldPlaces, AFileThatCannotBeReadLeavesTheTextAsItIs) {
  EXPECT_EQ(place_fields(dir / "missing.jsonc", "", "- \"name\" is wrong\n"), "- \"name\" is wrong\n");
  auto broken = write("broken.jsonc", "{ \"name\": ");
  EXPECT_EQ(place_fields(broken, "", "- \"name\" is wrong"), "- \"name\" is wrong");
}

}  // namespace
}  // namespace flareq::config
