// Source maps decoded, and what queue() threw pointed back at the Worker's sources through them.
#include "emulator/handler/source_map.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_dir.h"

using flareq::handler::SourceMap;
using flareq::handler::SourceMaps;

namespace {

// Generated line 1: one segment at column 0 from index.ts 1:1. Line 2: "AACA" (column 0, from
// line 2 column 1) and "IAAI" (column 4, from line 2 column 5). Line 3: nothing. Line 4: "AAEA"
// (column 0, from line 4 column 5). Line 5: "C" (column 1, mapped to no source).
const char* kMap = R"({"version": 3, "sources": ["../../../src/index.ts"], "sourceRoot": "/proj/.wrangler/tmp/dev-x",
  "names": [], "mappings": "AAAA;AACA,IAAI;;AAEA;C"})";

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A bundle at `bundle` with a map beside it whose one segment comes from a.ts 1:1.
void write_bundle_from_a_ts(const std::filesystem::path& bundle) {
  write(bundle, "// the bundle\n");
  write(bundle.string() + ".map", R"({"version": 3, "sources": ["a.ts"], "mappings": "AAAA"})");
}

}  // namespace

TEST(SourceMap, FindsTheSegmentAtOrBeforeTheColumn) {
  auto map = SourceMap::parse(kMap, "/proj/.wrangler/tmp/dev-x");
  ASSERT_TRUE(map);
  auto at = map->find(2, 3);  // inside the first segment of line 2
  ASSERT_TRUE(at);
  EXPECT_EQ(at->source, "/proj/src/index.ts");
  EXPECT_EQ(at->line, 2);
  EXPECT_EQ(at->column, 1);
  at = map->find(2, 5);  // exactly the second
  ASSERT_TRUE(at);
  EXPECT_EQ(at->column, 5);
  at = map->find(4, 1);  // source line and column add up across lines
  ASSERT_TRUE(at);
  EXPECT_EQ(at->line, 4);
  EXPECT_EQ(at->column, 5);
  EXPECT_FALSE(map->find(3, 1)) << "a line with no segment";
  EXPECT_FALSE(map->find(5, 9)) << "a segment that maps to no source";
  EXPECT_FALSE(map->find(9, 1)) << "past the last line";
  EXPECT_FALSE(map->find(0, 1));
}

TEST(SourceMap, SourcesWithoutARootAreBesideTheMap) {
  auto map = SourceMap::parse(R"({"version": 3, "sources": ["../src/a.ts", "/abs/b.ts", "file:///abs/c.ts"],
    "mappings": "AAAA,CCAA,CCAA"})", "/proj/dist");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->find(1, 1)->source, "/proj/src/a.ts");
  EXPECT_EQ(map->find(1, 2)->source, "/abs/b.ts");
  EXPECT_EQ(map->find(1, 3)->source, "/abs/c.ts");
}

TEST(SourceMap, WhatIsNotAVersion3MapIsRefused) {
  EXPECT_FALSE(SourceMap::parse("not json", "/"));
  EXPECT_FALSE(SourceMap::parse(R"({"version": 2, "sources": [], "mappings": ""})", "/"));
  EXPECT_FALSE(SourceMap::parse(R"({"version": "3", "sources": [], "mappings": ""})", "/"));
  EXPECT_FALSE(SourceMap::parse(R"({"version": 3, "sources": "a", "mappings": ""})", "/"));
  EXPECT_FALSE(SourceMap::parse(R"([3])", "/"));
  EXPECT_TRUE(SourceMap::parse(R"({"version": 3, "sources": [7, null], "sourceRoot": 5, "mappings": "AAAA"})", "/"))
      << "sources that are not strings name nothing, and do not stop the others";
  EXPECT_FALSE(SourceMap::parse(R"({"version": 3, "sources": ["a"], "mappings": "A!AA"})", "/")) << "not base64";
  EXPECT_FALSE(SourceMap::parse(R"({"version": 3, "sources": ["a"], "mappings": "AA"})", "/")) << "two fields";
  EXPECT_FALSE(SourceMap::parse(R"({"version": 3, "sources": ["a"], "mappings": "g"})", "/")) << "a VLQ cut short";
  EXPECT_TRUE(SourceMap::parse(R"({"version": 3, "sources": [], "mappings": ""})", "/"));
}

TEST(SourceMaps, FramesOfABundleWithAMapNameTheSourceOthersStay) {
  auto dir = fresh_test_dir("flareq-source-map-");
  auto bundle = dir / ".wrangler" / "tmp" / "dev-x" / "index.js";
  write(bundle, "// the bundle\n");
  write(bundle.string() + ".map",
        R"({"version": 3, "sources": ["../../../src/index.ts"], "mappings": "AAAA;AACA,IAAI"})");
  std::string thrown = "Error: unlucky order\n"
                       "    at Object.queue (file://" + bundle.string() + ":2:7)\n"
                       "    at " + bundle.string() + ":1:1\n"
                       "    at async Promise.all (index 0)\n"
                       "    at file:///elsewhere/no-map.js:3:4\n"
                       "    at Object.queue (file://" + bundle.string() + ":7:1)";
  std::string expected = "Error: unlucky order\n"
                         "    at Object.queue (file://" + (dir / "src" / "index.ts").string() + ":2:5)\n"
                         "    at " + (dir / "src" / "index.ts").string() + ":1:1\n"
                         "    at async Promise.all (index 0)\n"
                         "    at file:///elsewhere/no-map.js:3:4\n"
                         "    at Object.queue (file://" + bundle.string() + ":7:1)";
  SourceMaps maps;
  EXPECT_EQ(maps.map_stack(thrown), expected);
  EXPECT_EQ(maps.map_stack("queue() threw\n"), "queue() threw\n");
  EXPECT_EQ(maps.map_stack("timed out after 30s"), "timed out after 30s");
  EXPECT_EQ(maps.map_stack("at :1:2 /:x:1 " + bundle.string() + ":2 " + bundle.string() + ":1:1234567890"),
            "at :1:2 /:x:1 " + bundle.string() + ":2 " + bundle.string() + ":1:1234567890")
      << "nothing that is not a whole place";
  // A thrown message of a megabyte on one line, then a frame: read in one pass.
  std::string huge(1 << 20, '/');
  EXPECT_EQ(maps.map_stack(huge + ":1:1 \n    at " + bundle.string() + ":1:1"),
            huge + ":1:1 \n    at " + (dir / "src" / "index.ts").string() + ":1:1");
  std::filesystem::remove_all(dir);
}

TEST(SourceMaps, ARebuiltMapIsReadAgainAndABrokenOneChangesNothing) {
  auto dir = fresh_test_dir("flareq-source-map-");
  auto bundle = dir / "out" / "index.js";
  write_bundle_from_a_ts(bundle);
  SourceMaps maps;
  std::string frame = "    at f (" + bundle.string() + ":1:1)";
  EXPECT_EQ(maps.map_stack(frame), "    at f (" + (dir / "out" / "a.ts").string() + ":1:1)");
  // A rebuild writes a new map (a larger one here, so that the change shows whatever the
  // file system's clock resolution).
  write(bundle.string() + ".map", R"({"version": 3, "sources": ["b.ts", "c.ts"], "mappings": "ACAA"})");
  EXPECT_EQ(maps.map_stack(frame), "    at f (" + (dir / "out" / "c.ts").string() + ":1:1)");
  write(bundle.string() + ".map", "{ broken");
  EXPECT_EQ(maps.map_stack(frame), frame);
  std::filesystem::remove_all(dir);
}

TEST(SourceMaps, AFileUrlsEscapesAreDecodedToFindTheMap) {
  auto dir = fresh_test_dir("flareq-source-map-");
  auto bundle = dir / "my project" / "index.js";
  write_bundle_from_a_ts(bundle);
  std::string url = "file://" + (dir / "my%20project" / "index.js").string();
  SourceMaps maps;
  EXPECT_EQ(maps.map_stack("    at f (" + url + ":1:1)"), "    at f (file://" + (dir / "my project" / "a.ts").string() + ":1:1)");
  EXPECT_EQ(maps.map_stack("    at f (" + url + "%2:1:1)"), "    at f (" + url + "%2:1:1)") << "a cut escape stays";
  std::filesystem::remove_all(dir);
}
